/* timeline: a series built from hand-made reports (and one written to disk
 * and loaded back), ranked by growth; invariants checked on every one. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "scratch.h"
#include "snapshot/pprof.h"
#include "snapshot/store.h"
#include "snapshot/timeline.h"

static const char *const leak[] = { "malloc", "xstrdup", "handle_request", "main", NULL };
static const char *const cache[] = { "malloc", "cache_put", "main", NULL };
static const char *const shrink[] = { "calloc", "old_buffer", "main", NULL };
static const char *const fresh[] = { "malloc", "new_feature", "main", NULL };
static const char *const bump[] = { "realloc", "grow", "main", NULL };

/* One snapshot of the series: the bytes of each of the stacks above (0:
 * absent), at wall time TIME; addresses moved by ASLR each time. */
struct snap {
	double time;
	uint64_t leak, cache, shrink, fresh, bump;
};

static void add_snap(struct timeline *t, const struct snap *s, size_t i)
{
	const uint64_t aslr = 0x550000000000ULL + i * 0x1000000000ULL;
	struct report r;
	char path[32];

	fx_report(&r, 42, "srv", s->time);
	/* in another order each time: rows match by frames, not by position */
	if (s->cache)
		fx_stack(&r, s->cache, s->cache / 64, aslr, cache);
	if (s->shrink)
		fx_stack(&r, s->shrink, 1, aslr, shrink);
	if (s->leak)
		fx_stack(&r, s->leak, s->leak / 32, aslr, leak);
	if (s->fresh)
		fx_stack(&r, s->fresh, 3, aslr, fresh);
	if (s->bump)
		fx_stack(&r, s->bump, 1, aslr, bump);
	snprintf(path, sizeof(path), "snap-%zu", i);
	cr_assert_eq(timeline__add(t, &r, path), 0);
	cr_assert_eq(r.nstacks, 0, "the report was moved in");
	cr_assert_null(r.stacks);
}

static struct timeline *build(const struct snap *snaps, size_t n)
{
	struct timeline *t = timeline__new();

	cr_assert_not_null(t);
	for (size_t i = 0; i < n; i++)
		add_snap(t, &snaps[i], i);
	cr_assert_eq(timeline__rank(t), 0);
	return t;
}

/* What every ranked timeline keeps. */
static void check_invariants(const struct timeline *t)
{
	size_t n = timeline__snapshots(t), rows = timeline__stacks(t);
	bool *seen = calloc(rows ? rows : 1, sizeof(*seen));
	uint64_t *sum = calloc(n, sizeof(*sum));

	cr_assert(n >= 1);
	cr_assert(seen && sum);
	for (size_t k = 0; k < rows; k++) {
		const struct stacktab_row *r = timeline__ranked(t, k);
		size_t grew = 0;

		cr_expect_eq(timeline__growth(t, k), (int64_t)r->bytes[n - 1] - (int64_t)r->bytes[0],
			     "growth of #%zu", k);
		if (k)
			cr_expect_geq(timeline__growth(t, k - 1), timeline__growth(t, k),
				      "ranked at %zu", k);
		for (size_t i = 0; i < n; i++) {
			sum[i] += r->bytes[i];
			grew += i && r->bytes[i] > r->bytes[i - 1];
		}
		cr_expect_eq(timeline__grew(t, k), grew);
		cr_expect(timeline__grew(t, k) <= n - 1);
		/* a permutation: no row twice (rows are told apart by their stack) */
		for (size_t j = 0; j < k; j++)
			cr_expect_neq(timeline__ranked(t, j), r, "#%zu and #%zu are one row", j, k);
		seen[k] = true;
	}
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(sum[i], timeline__snapshot(t, i)->total_bytes,
			     "snapshot %zu: rows sum to its total", i);
	cr_expect_eq(timeline__elapsed(t, 0), 0);
	free(seen);
	free(sum);
}

static const char *fn(const struct stacktab_row *r, size_t i)
{
	return i < r->stack->nframes ? r->stack->frames[i].function : NULL;
}

Test(timeline, ranks_by_growth_first_to_last)
{
	static const struct snap snaps[] = {
		{ 1000, .leak = 100 << 10, .cache = 50 << 10, .shrink = 80 << 10, .bump = 4096 },
		{ 1010, .leak = 200 << 10, .cache = 50 << 10, .shrink = 40 << 10, .bump = 65536 },
		{ 1020, .leak = 300 << 10, .cache = 50 << 10, .fresh = 30 << 10, .bump = 4096 },
	};
	struct timeline *t = build(snaps, 3);

	check_invariants(t);
	cr_assert_eq(timeline__snapshots(t), 3);
	cr_assert_eq(timeline__stacks(t), 5);
	cr_expect_str_eq(fn(timeline__ranked(t, 0), 1), "xstrdup");
	cr_expect_eq(timeline__growth(t, 0), 200 << 10);
	cr_expect_eq(timeline__grew(t, 0), 2);
	cr_expect_str_eq(fn(timeline__ranked(t, 1), 1), "new_feature", "absent at first: from 0");
	cr_expect_eq(timeline__growth(t, 1), 30 << 10);
	cr_expect_eq(timeline__grew(t, 1), 1);
	/* flat, and up-then-down back to where it began: no growth; the
	 * cache row came first, so it ranks first */
	cr_expect_str_eq(fn(timeline__ranked(t, 2), 1), "cache_put");
	cr_expect_eq(timeline__growth(t, 2), 0);
	cr_expect_eq(timeline__grew(t, 2), 0);
	cr_expect_str_eq(fn(timeline__ranked(t, 3), 1), "grow");
	cr_expect_eq(timeline__growth(t, 3), 0);
	cr_expect_eq(timeline__grew(t, 3), 1);
	cr_expect_str_eq(fn(timeline__ranked(t, 4), 1), "old_buffer", "shrank: last");
	cr_expect_eq(timeline__growth(t, 4), -(80 << 10));
	/* each row's bytes per snapshot, in order */
	cr_expect_eq(timeline__ranked(t, 0)->bytes[1], 200 << 10);
	cr_expect_eq(timeline__ranked(t, 4)->bytes[2], 0);
	cr_expect_float_eq(timeline__elapsed(t, 2), 20, 1e-9);
	cr_expect_str_eq(timeline__path(t, 1), "snap-1");
	cr_expect_eq(timeline__snapshot(t, 2)->total_bytes, (300 + 50 + 30) * 1024 + 4096);
	timeline__free(t);
}

Test(timeline, equal_growth_keeps_first_appearance)
{
	static const struct snap snaps[] = {
		{ 0, .shrink = 4096, .cache = 4096 },
		{ 5, .shrink = 8192, .cache = 8192, .leak = 4096 },
	};
	struct timeline *t = build(snaps, 2);

	check_invariants(t);
	/* all three grew by 4096: first seen first (cache and shrink in the
	 * first snapshot, in that order; leak in the second) */
	cr_assert_eq(timeline__stacks(t), 3);
	cr_expect_str_eq(fn(timeline__ranked(t, 0), 1), "cache_put");
	cr_expect_str_eq(fn(timeline__ranked(t, 1), 1), "old_buffer");
	cr_expect_str_eq(fn(timeline__ranked(t, 2), 1), "xstrdup");
	timeline__free(t);
}

Test(timeline, one_snapshot_has_no_growth)
{
	static const struct snap snaps[] = { { 7, .leak = 1 << 20, .cache = 4096 } };
	struct timeline *t = build(snaps, 1);

	check_invariants(t);
	for (size_t k = 0; k < timeline__stacks(t); k++) {
		cr_expect_eq(timeline__growth(t, k), 0);
		cr_expect_eq(timeline__grew(t, k), 0);
	}
	cr_expect_str_eq(fn(timeline__ranked(t, 0), 1), "cache_put", "first seen first");
	timeline__free(t);
}

Test(timeline, empty_snapshots_and_lifecycle)
{
	static const struct snap snaps[] = { { 1 }, { 2 } };
	struct timeline *t = timeline__new();
	struct report r;

	cr_assert_not_null(t);
	cr_expect_eq(timeline__rank(t), -ENOENT, "nothing to rank");
	add_snap(t, &snaps[0], 0);
	add_snap(t, &snaps[1], 1);
	cr_assert_eq(timeline__rank(t), 0);
	cr_expect_eq(timeline__rank(t), 0, "ranking twice is harmless");
	check_invariants(t);
	cr_expect_eq(timeline__stacks(t), 0);
	fx_report(&r, 1, "x", 3);
	cr_expect_eq(timeline__add(t, &r, NULL), -EBUSY, "ranked: closed");
	report__release(&r);
	timeline__free(t);
	timeline__free(NULL);
}

/* A series written as seep record writes it, loaded back. */
Test(timeline, load_reads_a_series_directory)
{
	static const struct snap snaps[] = {
		{ 100, .leak = 64 << 10, .cache = 8192 },
		{ 101, .leak = 128 << 10, .cache = 8192 },
		{ 102, .leak = 256 << 10, .cache = 4096 },
	};
	struct series_info info = { .pid = 42, .comm = "srv", .every_s = 1 };
	char dir[64], sub[128], empty[128];
	struct timeline *t = NULL, *mem = build(snaps, 3);
	struct store *st;

	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "timeline"), 0);
	snprintf(sub, sizeof(sub), "%s/series", dir);
	cr_assert_eq(store__create(sub, &info, &st), 0);
	for (size_t i = 0; i < 3; i++) {
		struct pprof_options po = { 0 };
		void *buf;
		size_t len;

		cr_assert_eq(pprof__encode(timeline__snapshot(mem, i), &po, &buf, &len), 0);
		cr_assert_eq(store__add(st, timeline__snapshot(mem, i), buf, len), 0);
		free(buf);
	}
	store__free(st);
	cr_assert_eq(timeline__load(sub, &t), 0);
	check_invariants(t);
	cr_assert_eq(timeline__snapshots(t), 3);
	cr_assert_eq(timeline__stacks(t), timeline__stacks(mem));
	for (size_t k = 0; k < timeline__stacks(t); k++) {
		cr_expect_eq(timeline__growth(t, k), timeline__growth(mem, k), "#%zu", k);
		cr_expect_str_eq(fn(timeline__ranked(t, k), 1), fn(timeline__ranked(mem, k), 1));
	}
	cr_expect(strstr(timeline__path(t, 0), "/snap-000001.pb.gz") != NULL, "%s",
		  timeline__path(t, 0));
	cr_expect_float_eq(timeline__elapsed(t, 2), 2, 1e-6);
	timeline__free(t);
	timeline__free(mem);

	/* not a series, and a series with no snapshots */
	t = NULL;
	cr_expect_eq(timeline__load(dir, &t), -ENOENT);
	cr_expect_null(t);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	cr_assert_eq(store__create(empty, &info, &st), 0);
	store__free(st);
	cr_expect_eq(timeline__load(empty, &t), -ENOENT);
	cr_expect_null(t);
	cr_assert_eq(scratch__rmrf(dir), 0);
}
