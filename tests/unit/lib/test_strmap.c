/* strmap: dense indexes in insertion order, through growth. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "lib/strmap.h"

Test(strmap, intern_find_grow)
{
	struct strmap *m = strmap__new();
	char key[32];
	bool added;

	cr_assert_not_null(m);
	cr_expect_eq(strmap__find(m, "x"), -ENOENT, "empty map");
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		cr_assert_eq(strmap__intern(m, key, &added), i);
		cr_expect(added);
	}
	cr_expect_eq(strmap__size(m), 5000);
	for (int i = 0; i < 5000; i += 7) {
		snprintf(key, sizeof(key), "key-%d", i);
		cr_expect_eq(strmap__intern(m, key, &added), i);
		cr_expect(!added);
		cr_expect_eq(strmap__find(m, key), i);
		cr_expect_str_eq(strmap__key(m, (size_t)i), key);
	}
	cr_expect_eq(strmap__intern(m, "", NULL), 5000, "the empty string is a key too");
	cr_expect_null(strmap__key(m, 5001));
	strmap__free(m);
	strmap__free(NULL);
}
