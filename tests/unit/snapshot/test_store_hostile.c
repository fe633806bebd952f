/* store__list on damaged series: a corrupt index.json is an error, the
 * snapshots it names that are gone are counted and warned about. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "snapshot/store.h"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "store-hostile"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(store_hostile, .init = setup, .fini = teardown);

static void put(const char *name, const char *text)
{
	char path[160];

	cr_assert_eq(scratch__put(path, sizeof(path), dir, name, text), 0);
}

#define INDEX_OF(files) \
	"{\"format\": \"seep-series\", \"version\": 1, \"snapshots\": [" files "]}\n"

Test(store_hostile, missing_snapshot_is_counted)
{
	char **paths;
	size_t n, missing = 99;

	put("index.json", INDEX_OF("{\"file\": \"snap-000001.pb.gz\"}, {\"file\": \"snap-000002.pb.gz\"},"
				   "{\"file\": \"snap-000003.pb.gz\"}"));
	put("snap-000001.pb.gz", "x");
	put("snap-000003.pb.gz", "x");
	cr_assert_eq(store__list_checked(dir, &paths, &n, &missing), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(missing, 1);
	store__list_free(paths, n);
}

Test(store_hostile, complete_series_has_nothing_missing)
{
	char **paths;
	size_t n, missing = 99;

	put("index.json", INDEX_OF("{\"file\": \"snap-000001.pb.gz\"}"));
	put("snap-000001.pb.gz", "x");
	put("snap-000002.pb.gz", "x");   /* written before a kill, not yet indexed: fine */
	cr_assert_eq(store__list_checked(dir, &paths, &n, &missing), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(missing, 0);
	store__list_free(paths, n);
}

Test(store_hostile, corrupt_index_is_an_error)
{
	const char *bad[] = {
		"{\"format\": \"seep-series\", \"snapshots\": [",       /* cut */
		"not json at all",
		"{}",
		"{\"format\": \"other\", \"snapshots\": []}",
		INDEX_OF("{\"file\": 7}"),
		INDEX_OF("{\"file\": \"../../etc/passwd\"}"),
	};

	put("snap-000001.pb.gz", "x");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **paths = (char **)1;
		size_t n = 5;

		put("index.json", bad[i]);
		cr_expect_eq(store__list(dir, &paths, &n), -EINVAL, "case %zu", i);
		cr_expect_null(paths, "case %zu", i);
		cr_expect_eq(n, 0, "case %zu", i);
	}
}
