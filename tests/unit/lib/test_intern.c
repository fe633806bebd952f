/* intern: ids dense in order of first insertion, str(id) round-trips, find
 * after add, through growth of the index and of the string arena. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/intern.h"

/* The invariants after any sequence of adds: ids 0..len-1, each string
 * found under its id, the strings distinct, nothing past the end. */
static void check(const struct intern *t)
{
	size_t n = intern__len(t);

	for (size_t id = 0; id < n; id++) {
		const char *s = intern__str(t, id);

		cr_assert_not_null(s, "id %zu of %zu has no string", id, n);
		cr_assert_eq(intern__find(t, s), (int64_t)id, "'%s' is not found as id %zu", s, id);
	}
	cr_assert_null(intern__str(t, n));
	cr_assert_null(intern__str(t, n + 1000));
}

/* A table case: N strings added in order, and the id each add returns.
 * Criterion runs each test in a fresh process: parameters hold no pointers. */
struct add_case {
	size_t n;
	char strs[8][16];
	int64_t ids[8];
	size_t len;              /* distinct strings at the end */
};

ParameterizedTestParameters(intern, adds)
{
	static struct add_case cases[] = {
		{ 1, { "a" }, { 0 }, 1 },
		{ 3, { "a", "b", "c" }, { 0, 1, 2 }, 3 },
		{ 3, { "a", "a", "a" }, { 0, 0, 0 }, 1 },
		{ 5, { "x", "y", "x", "z", "y" }, { 0, 1, 0, 2, 1 }, 3 },
		{ 3, { "", "", "e" }, { 0, 0, 1 }, 2 },               /* the empty string is a key */
		{ 4, { "ab", "a", "abc", "b" }, { 0, 1, 2, 3 }, 4 },  /* prefixes are other strings */
		{ 2, { "A", "a" }, { 0, 1 }, 2 },                     /* case matters */
		{ 3, { "f\x1fg\x1e", "f\x1fg", "f" }, { 0, 1, 2 }, 3 },  /* composite-key separators */
	};

	return cr_make_param_array(struct add_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct add_case *c, intern, adds)
{
	struct intern *t = intern__new();

	cr_assert_not_null(t);
	for (size_t i = 0; i < c->n; i++) {
		size_t before = intern__len(t);
		int64_t got = intern__add(t, c->strs[i]);

		cr_assert_eq(got, c->ids[i], "add #%zu '%s': id %lld, want %lld", i, c->strs[i],
			     (long long)got, (long long)c->ids[i]);
		cr_assert_eq(intern__len(t) == before + 1, got == (int64_t)before,
			     "new exactly when the id is the old length");
		cr_assert_str_eq(intern__str(t, (size_t)got), c->strs[i]);
		check(t);
	}
	cr_assert_eq(intern__len(t), c->len);
	intern__free(t);
}

Test(intern, find_absent_and_empty)
{
	struct intern *t = intern__new();

	cr_assert_eq(intern__find(t, "x"), -ENOENT, "empty table");
	cr_assert_eq(intern__find(t, ""), -ENOENT);
	cr_assert_eq(intern__len(t), 0);
	cr_assert_null(intern__str(t, 0));
	cr_assert_eq(intern__add(t, "x"), 0);
	cr_assert_eq(intern__find(t, "y"), -ENOENT, "find does not add");
	cr_assert_eq(intern__len(t), 1);
	check(t);
	intern__free(t);
	intern__free(NULL);
}

Test(intern, copies_the_string)
{
	struct intern *t = intern__new();
	char buf[] = "mutable";

	cr_assert_eq(intern__add(t, buf), 0);
	buf[0] = 'M';
	cr_assert_str_eq(intern__str(t, 0), "mutable");
	cr_assert_eq(intern__find(t, "mutable"), 0);
	cr_assert_eq(intern__find(t, buf), -ENOENT);
	intern__free(t);
}

/* Many keys: the index grows many times, the arena takes many chunks, and
 * strings handed out earlier stay where they were. */
Test(intern, grows_and_keeps_pointers)
{
	struct intern *t = intern__new();
	const char *first;
	char key[32];

	cr_assert_eq(intern__add(t, "key0"), 0);
	first = intern__str(t, 0);
	for (int i = 1; i < 50000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		cr_assert_eq(intern__add(t, key), i);
	}
	cr_assert_eq(intern__len(t), 50000);
	for (int i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		cr_assert_eq(intern__add(t, key), i, "re-adding '%s'", key);
		cr_assert_eq(intern__find(t, key), i);
		cr_assert_str_eq(intern__str(t, (size_t)i), key);
	}
	cr_assert_eq(intern__str(t, 0), first, "a string moved");
	cr_assert_eq(intern__len(t), 50000, "re-adding added nothing");
	check(t);
	intern__free(t);
}

/* A string longer than an arena chunk gets a chunk of its own. */
Test(intern, long_strings)
{
	struct intern *t = intern__new();
	size_t big = 200 * 1024;
	char *a = malloc(big + 1), *b = malloc(big + 1);

	cr_assert(a && b);
	memset(a, 'a', big);
	a[big] = '\0';
	memcpy(b, a, big + 1);
	b[big - 1] = 'b';
	cr_assert_eq(intern__add(t, "small"), 0);
	cr_assert_eq(intern__add(t, a), 1);
	cr_assert_eq(intern__add(t, b), 2, "differs in the last byte only");
	cr_assert_eq(intern__add(t, "after"), 3);
	cr_assert_eq(intern__find(t, a), 1);
	cr_assert_eq(strlen(intern__str(t, 2)), big);
	cr_assert_eq(intern__str(t, 2)[big - 1], 'b');
	cr_assert_str_eq(intern__str(t, 0), "small");
	check(t);
	free(a);
	free(b);
	intern__free(t);
}

/* Two tables are independent. */
Test(intern, tables_are_separate)
{
	struct intern *x = intern__new(), *y = intern__new();

	cr_assert_eq(intern__add(x, "p"), 0);
	cr_assert_eq(intern__add(x, "q"), 1);
	cr_assert_eq(intern__add(y, "q"), 0);
	cr_assert_eq(intern__find(y, "p"), -ENOENT);
	check(x);
	check(y);
	intern__free(x);
	intern__free(y);
}
