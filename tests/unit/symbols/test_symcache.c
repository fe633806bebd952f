#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "symbols/symcache.h"

Test(symcache, hit_miss_and_copies)
{
	struct symcache *c = symcache__new();
	char *fn = NULL, *file = NULL;
	int line = 0;

	cr_assert_not_null(c);
	cr_assert(!symcache__get(c, "abcd", 0x10, &fn, &file, &line), "empty");
	cr_assert_eq(symcache__put(c, "abcd", 0x10, "leak_helper", "leak.c", 12), 0);
	cr_assert_eq(symcache__put(c, "abcd", 0x20, NULL, NULL, 0), 0, "unknown names cached too");
	cr_assert_eq(symcache__put(c, NULL, 0x10, "x", NULL, 0), 0, "no build ID: not cached");
	cr_assert_eq(symcache__size(c), 2);
	cr_assert(symcache__get(c, "abcd", 0x10, &fn, &file, &line));
	cr_assert_str_eq(fn, "leak_helper");
	cr_assert_str_eq(file, "leak.c");
	cr_assert_eq(line, 12);
	free(fn);
	free(file);
	cr_assert(symcache__get(c, "abcd", 0x20, &fn, &file, &line));
	cr_assert_null(fn);
	cr_assert_null(file);
	cr_assert(!symcache__get(c, "abce", 0x10, &fn, &file, &line), "other build ID");
	cr_assert(!symcache__get(c, NULL, 0x10, &fn, &file, &line));
	symcache__free(c);
	symcache__free(NULL);
}

Test(symcache, grows)
{
	struct symcache *c = symcache__new();
	char id[16], name[16], *fn, *file;
	int line;

	for (int i = 0; i < 50000; i++) {
		snprintf(id, sizeof(id), "id%d", i % 7);
		snprintf(name, sizeof(name), "f%d", i);
		cr_assert_eq(symcache__put(c, id, (uint64_t)i, name, NULL, i), 0);
	}
	cr_assert_eq(symcache__size(c), 50000);
	for (int i = 0; i < 50000; i += 997) {
		snprintf(id, sizeof(id), "id%d", i % 7);
		snprintf(name, sizeof(name), "f%d", i);
		cr_assert(symcache__get(c, id, (uint64_t)i, &fn, &file, &line));
		cr_assert_str_eq(fn, name);
		cr_assert_eq(line, i);
		free(fn);
	}
	symcache__free(c);
}
