/* Unit tests: the daemon's store (daemon/db.h): intervals written and read
 * back after a reopen (entities keep their ids, each tick row counts its
 * rows), a rolled-back interval leaves nothing, retention by age and by
 * bytes drops the oldest intervals whole and keeps the newest, files are
 * 0600, meta values are kept across a reopen. With SEEP_DB_BENCH=1, also the commit time of an interval of 320
 * processes under synchronous=NORMAL and FULL, 200 commits each (printed;
 * docs/daemon.md quotes it). */
#include <criterion/criterion.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/db.h"
#include "scratch.h"

static char dir[64], path[128];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "db"), 0);
	snprintf(path, sizeof(path), "%s/seep.db", dir);
}

static void teardown(void)
{
	scratch__rmrf(dir);
}

TestSuite(db, .init = setup, .fini = teardown);

static int64_t count(const char *q)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t v = -1;

	cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, q, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* One interval at T with NPROC processes (pids 1000..), each RSS = pid * T. */
static void interval(struct db *d, double t, int nproc)
{
	int64_t tick, id;
	char key[32];

	cr_assert_eq(db__begin(d, t, &tick), 0);
	for (int i = 0; i < nproc; i++) {
		struct db_entity e = { .kind = "process", .key = key, .pid = 1000 + i, .start = 7,
				       .comm = "worker", .component = "worker|" };
		struct db_sample s = { .rss = (uint64_t)(1000 + i) * (uint64_t)t, .anon = 1 };

		snprintf(key, sizeof(key), "%d:7", 1000 + i);
		cr_assert_eq(db__entity(d, &e, t, &id), 0);
		cr_assert_eq(db__sample(d, id, &s), 0);
	}
	cr_assert_eq(db__commit(d), 0);
}

Test(db, intervals_survive_a_reopen)
{
	struct db *d;
	char err[256];
	struct stat st;
	int64_t id1, id2, tick;
	struct db_entity e = { .kind = "process", .key = "1003:7", .pid = 1003, .start = 7 };

	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	for (int k = 0; k < 10; k++)
		interval(d, 100 + k, 5);
	cr_assert_eq(db__commits(d), 10);
	cr_assert_gt(db__bytes(d), 0);
	db__free(d);
	cr_assert_eq(count("SELECT count(*) FROM ticks"), 10);
	cr_assert_eq(count("SELECT count(*) FROM entities WHERE kind = 'process'"), 5);
	cr_assert_eq(count("SELECT count(*) FROM samples"), 50);
	/* the first tick wrote 5 entities and 5 samples, the others 5 samples */
	cr_assert_eq(count("SELECT rows FROM ticks ORDER BY seq LIMIT 1"), 10);
	cr_assert_eq(count("SELECT rows FROM ticks ORDER BY seq DESC LIMIT 1"), 5);
	cr_assert_eq(count("SELECT rss FROM samples JOIN entities ON id = entity"
			   " WHERE pid = 1004 AND t = 109"), 1004 * 109);
	cr_assert_eq(count("SELECT last_t FROM entities WHERE pid = 1000"), 109);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* reopened: the same entity id, new ticks after the old ones */
	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	id1 = count("SELECT id FROM entities WHERE key = '1003:7'");
	cr_assert_eq(db__begin(d, 200, &tick), 0);
	cr_assert_eq(tick, 11);
	cr_assert_eq(db__entity(d, &e, 200, &id2), 0);
	cr_assert_eq(id2, id1);
	cr_assert_eq(db__commit(d), 0);
	db__free(d);
	cr_assert_eq(count("SELECT count(*) FROM ticks"), 11);
	{
		sqlite3 *h;
		sqlite3_stmt *q;

		cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
		sqlite3_finalize(q);
		sqlite3_close(h);
	}
}

Test(db, meta_values_survive_a_reopen)
{
	struct db *d;
	char err[256], v[64], small[4];

	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(db__meta_get(d, "trap_ns", v, sizeof(v)), -ENOENT);
	cr_assert_eq(db__meta_set(d, "trap_ns", "boot-a 412.5"), 0);
	cr_assert_eq(db__meta_set(d, "trap_ns", "boot-b 398.0"), 0);	/* replaces */
	db__free(d);
	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db__meta_get(d, "trap_ns", v, sizeof(v)), 0);
	cr_expect_str_eq(v, "boot-b 398.0");
	cr_expect_eq(db__meta_get(d, "trap_ns", small, sizeof(small)), -ENAMETOOLONG);
	cr_assert_eq(db__meta_get(d, "format", v, sizeof(v)), 0);
	cr_expect_str_eq(v, "seep-daemon");
	db__free(d);
	cr_expect_eq(count("SELECT count(*) FROM meta WHERE key = 'trap_ns'"), 1);
}

Test(db, a_rolled_back_interval_leaves_nothing)
{
	struct db *d;
	char err[256];
	int64_t tick, id;
	struct db_entity e = { .kind = "cgroup", .key = "/a", .cgroup = "/a" };
	struct db_sample s = { .rss = 1 };

	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	interval(d, 1, 2);
	cr_assert_eq(db__begin(d, 2, &tick), 0);
	cr_assert_eq(db__begin(d, 3, &tick), -EBUSY, "a second open interval");
	cr_assert_eq(db__retain(d, 10, 1, 1), -EBUSY, "retention inside an interval");
	cr_assert_eq(db__entity(d, &e, 2, &id), 0);
	cr_assert_eq(db__sample(d, id, &s), 0);
	db__rollback(d);
	cr_assert_eq(db__commit(d), -EINVAL, "commit without an interval");
	/* an interval open when the store closes is rolled back too */
	cr_assert_eq(db__begin(d, 4, &tick), 0);
	cr_assert_eq(db__entity(d, &e, 4, &id), 0);
	db__free(d);
	cr_assert_eq(count("SELECT count(*) FROM ticks"), 1);
	cr_assert_eq(count("SELECT count(*) FROM entities WHERE kind = 'cgroup'"), 0);
	cr_assert_eq(count("SELECT count(*) FROM samples"), 2);
}

Test(db, retention_by_age)
{
	struct db *d;
	char err[256];
	double now = 1000 + 99 * 60;

	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	for (int k = 0; k < 100; k++)
		interval(d, 1000 + k * 60, 3);
	cr_assert_eq(db__retain(d, now, 1800, 1ULL << 40), 0);
	db__free(d);
	/* t >= now - 1800: k >= 69 */
	cr_assert_eq(count("SELECT count(*) FROM ticks"), 31);
	cr_assert_eq(count("SELECT min(t) FROM ticks"), 1000 + 69 * 60);
	cr_assert_eq(count("SELECT count(*) FROM samples"), 31 * 3);
	cr_assert_eq(count("SELECT count(*) FROM samples WHERE t < 1000 + 69 * 60"), 0);
	/* the entities stay: they are what later samples refer to */
	cr_assert_eq(count("SELECT count(*) FROM entities"), 3);
}

Test(db, retention_by_bytes_drops_the_oldest_and_shrinks_the_file)
{
	struct db *d;
	char err[256];
	uint64_t before, after;
	int64_t ticks;

	cr_assert_eq(db__open(path, &d, err, sizeof(err)), 0, "%s", err);
	for (int k = 0; k < 200; k++)
		interval(d, 1 + k, 200);
	cr_assert_eq(db__retain(d, 1000, 1e9, 1ULL << 40), 0, "nothing to drop");
	before = count("PRAGMA page_count");
	cr_assert_eq(count("SELECT count(*) FROM ticks"), 200);
	cr_assert_eq(db__retain(d, 1000, 1e9, 256 * 1024), 0);
	db__free(d);
	after = count("PRAGMA page_count");
	ticks = count("SELECT count(*) FROM ticks");
	cr_assert_lt(ticks, 200);
	cr_assert_gt(ticks, 0, "the newest interval is kept");
	cr_assert_eq(count("SELECT max(t) FROM ticks"), 200, "the newest interval is kept");
	cr_assert_eq(count("SELECT count(*) FROM samples"), ticks * 200, "intervals are whole");
	/* under the limit, or one interval left */
	cr_assert(ticks == 1 || (after - (uint64_t)count("PRAGMA freelist_count")) *
				(uint64_t)count("PRAGMA page_size") <= 256 * 1024,
		  "%lld ticks, %llu pages", (long long)ticks, (unsigned long long)after);
	cr_assert_lt(after, before, "the file did not shrink (%llu -> %llu pages)",
		     (unsigned long long)before, (unsigned long long)after);
}

Test(db, a_store_that_is_not_sqlite_is_refused)
{
	struct db *d;
	char err[256] = "";
	FILE *f = fopen(path, "w");

	fputs("this is not a database, it is text, long enough to have a header of sorts......"
	      "................................................................................",
	      f);
	fclose(f);
	cr_assert_eq(db__open(path, &d, err, sizeof(err)), -EIO);
	cr_assert_null(d);
	cr_assert(strstr(err, path), "%s", err);
}

static int _cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void commit_times(bool full, int n, double *med, double *lo, double *hi)
{
	struct db *d;
	char err[256], p[160];
	double *ms = calloc((size_t)n, sizeof(*ms));

	snprintf(p, sizeof(p), "%s/%s.db", dir, full ? "full" : "normal");
	cr_assert_eq(db__open(p, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(db__synchronous(d, full), 0);
	interval(d, 1, 320);	/* the entities exist: later intervals are samples */
	for (int k = 0; k < n; k++) {
		struct timespec a, b;
		int64_t tick, id;
		char key[32];

		cr_assert_eq(db__begin(d, 2 + k, &tick), 0);
		for (int i = 0; i < 320; i++) {
			struct db_entity e = { .kind = "process", .key = key, .pid = 1000 + i };
			struct db_sample s = { .rss = (uint64_t)k * 4096 + (uint64_t)i };

			snprintf(key, sizeof(key), "%d:7", 1000 + i);
			cr_assert_eq(db__entity(d, &e, 2 + k, &id), 0);
			cr_assert_eq(db__sample(d, id, &s), 0);
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		cr_assert_eq(db__commit(d), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[k] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
	}
	db__free(d);
	qsort(ms, (size_t)n, sizeof(*ms), _cmp);
	*med = ms[n / 2];
	*lo = ms[0];
	*hi = ms[n - 1];
	free(ms);
}

Test(db, synchronous_normal_and_full_both_commit, .timeout = 120)
{
	bool bench = getenv("SEEP_DB_BENCH") != NULL;
	int n = bench ? 200 : 10;
	double med[2], lo[2], hi[2];

	commit_times(false, n, &med[0], &lo[0], &hi[0]);
	commit_times(true, n, &med[1], &lo[1], &hi[1]);
	for (int f = 0; f < 2; f++) {
		cr_assert_gt(med[f], 0);
		cr_assert_leq(lo[f], med[f]);
		cr_assert_leq(med[f], hi[f]);
		if (bench)
			fprintf(stderr, "db: synchronous=%s, %d commits of 320 samples: median %.3f ms,"
				" min %.3f, max %.3f\n", f ? "FULL" : "NORMAL", n, med[f], lo[f],
				hi[f]);
	}
}
