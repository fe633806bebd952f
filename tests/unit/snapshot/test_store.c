/* store: atomic files, series directories, their index. (The kill -9 and
 * full-disk cases are end to end: tests/e2e/test_snapshot_e2e.c.) */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixtures.h"
#include "snapshot/store.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/seep-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	cr_assert_not_null(f, "%s", path);
	cr_assert(fread(buf, 1, (1 << 16) - 1, f) < (1 << 16) - 1);
	fclose(f);
	return buf;
}

/* Names in DIR other than . and .. */
static int entries(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(dd);
	while ((e = readdir(dd)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dd);
	return n;
}

Test(store, write_file_replace_and_no_replace)
{
	char path[128], *text;

	snprintf(path, sizeof(path), "%s/out.txt", dir);
	cr_assert_eq(store__write_file(path, "one", 3, false), 0);
	cr_expect_eq(store__write_file(path, "two", 3, false), -EEXIST, "never overwritten");
	text = slurp(path);
	cr_expect_str_eq(text, "one");
	free(text);
	cr_assert_eq(store__write_file(path, "three", 5, true), 0);
	text = slurp(path);
	cr_expect_str_eq(text, "three");
	free(text);
	cr_expect_eq(entries(dir), 1, "no temporary file left");
}

Test(store, write_file_missing_directory)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/no/such/dir/out.txt", dir);
	cr_expect_eq(store__write_file(path, "x", 1, true), -ENOENT);
}

static void add(struct store *st, double t, uint64_t bytes)
{
	static const char *const fns[] = { "malloc", "leak", "main", NULL };
	struct report r;
	char payload[64];

	fx_report(&r, 77, "leaky", t);
	fx_stack(&r, bytes, bytes / 16, 0x1000, fns);
	snprintf(payload, sizeof(payload), "snapshot at %g", t);
	cr_assert_eq(store__add(st, &r, payload, strlen(payload)), 0);
	report__release(&r);
}

Test(store, series_create_add_list_index)
{
	struct series_info info = { .pid = 77, .comm = "leaky", .every_s = 0.5 };
	char sub[128], idx[160], **paths;
	struct store *st;
	json_t *index, *snaps;
	size_t n;

	snprintf(sub, sizeof(sub), "%s/series", dir);
	cr_assert_eq(store__create(sub, &info, &st), 0);
	cr_expect(store__is_series(sub));
	for (int i = 0; i < 12; i++)
		add(st, 100 + i, 1024 * (i + 1));
	cr_expect_eq(store__count(st), 12);
	store__free(st);
	cr_assert_eq(store__list(sub, &paths, &n), 0);
	cr_assert_eq(n, 12);
	for (size_t i = 0; i < n; i++) {
		char want[160];

		snprintf(want, sizeof(want), "%s/snap-%06zu.pb.gz", sub, i + 1);
		cr_expect_str_eq(paths[i], want, "in order");
	}
	store__list_free(paths, n);
	snprintf(idx, sizeof(idx), "%s/index.json", sub);
	index = json_load_file(idx, 0, NULL);
	cr_assert_not_null(index);
	cr_expect_str_eq(json_string_value(json_object_get(index, "format")), "seep-series");
	cr_expect_eq(json_integer_value(json_object_get(index, "pid")), 77);
	snaps = json_object_get(index, "snapshots");
	cr_assert_eq(json_array_size(snaps), 12);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(snaps, 11), "total_bytes")),
		     12 * 1024);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(snaps, 0), "file")),
			 "snap-000001.pb.gz");
	json_decref(index);
	cr_expect_eq(entries(sub), 13, "12 snapshots and the index, no temporaries");
}

Test(store, never_reuses_a_directory)
{
	struct series_info info = { .pid = 1, .comm = "x", .every_s = 1 };
	char sub[128], other[128];
	struct store *st;

	snprintf(sub, sizeof(sub), "%s/series", dir);
	cr_assert_eq(store__create(sub, &info, &st), 0);
	add(st, 1, 64);
	store__free(st);
	cr_expect_eq(store__create(sub, &info, &st), -EEXIST, "an existing series");
	cr_expect_eq(entries(sub), 2, "left as it was");
	snprintf(other, sizeof(other), "%s/notes", dir);
	mkdir(other, 0755);
	snprintf(other, sizeof(other), "%s/notes/todo.txt", dir);
	cr_assert_eq(store__write_file(other, "x", 1, false), 0);
	snprintf(other, sizeof(other), "%s/notes", dir);
	cr_expect_eq(store__create(other, &info, &st), -EEXIST, "a directory with files");
	snprintf(other, sizeof(other), "%s/empty", dir);
	mkdir(other, 0755);
	cr_assert_eq(store__create(other, &info, &st), 0, "an empty directory is taken");
	store__free(st);
}

Test(store, list_refuses_a_non_series)
{
	char **paths;
	size_t n;

	cr_expect_eq(store__list(dir, &paths, &n), -ENOENT);
	cr_expect_eq(n, 0);
}
