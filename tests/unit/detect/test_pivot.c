/* Unit tests: bucketization-pivot (bucket edges, the per-sample histogram
 * invariant, a component whose instances drift up is anomalous, a steady
 * or noisy one and one that shrinks is not). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "detect/pivot.h"

#define MiB (1024.0 * 1024.0)

static void assert_counts_sum(const struct pivot *p, const uint32_t *want)
{
	for (size_t i = 0; i < pivot__len(p); i++) {
		uint32_t sum = 0;

		for (unsigned b = 0; b < p->params.nbuckets; b++)
			sum += pivot__count(p, i, b);
		cr_assert_eq(sum, want[i], "sample %zu: %u instances in buckets, %u added", i, sum,
			     want[i]);
	}
}

Test(pivot, buckets_double_from_base)
{
	struct pivot_params pp;
	double lo, hi;

	pivot_params__init(&pp);
	cr_expect_eq(pivot__bucket(&pp, 0), 0);
	cr_expect_eq(pivot__bucket(&pp, MiB - 1), 0);
	cr_expect_eq(pivot__bucket(&pp, MiB), 1);
	cr_expect_eq(pivot__bucket(&pp, 2 * MiB - 1), 1);
	cr_expect_eq(pivot__bucket(&pp, 2 * MiB), 2);
	cr_expect_eq(pivot__bucket(&pp, 1e30), pp.nbuckets - 1);
	for (unsigned b = 0; b + 1 < pp.nbuckets; b++) {
		pivot__bucket_range(&pp, b, &lo, &hi);
		cr_expect_eq(pivot__bucket(&pp, lo), b, "lower edge of %u", b);
		cr_expect_eq(pivot__bucket(&pp, nextafter(hi, 0)), b, "upper edge of %u", b);
	}
	pivot__bucket_range(&pp, pp.nbuckets - 1, &lo, &hi);
	cr_expect(isinf(hi));
}

Test(pivot, bad_params_rejected)
{
	struct pivot p;
	struct pivot_params pp;

	pivot_params__init(&pp);
	pp.nbuckets = 1;
	cr_expect_eq(pivot__init(&p, &pp), -EINVAL);
	pivot_params__init(&pp);
	pp.window = 4;
	cr_expect_eq(pivot__init(&p, &pp), -EINVAL);
	pivot__release(NULL);
}

/* N instances around LEVEL (+-10 %, deterministic), DRIFT of them moved
 * up by FACTOR. */
static void sample(struct pivot *p, double t, size_t n, double level, size_t drift, double factor,
		   uint32_t *total)
{
	double v[64];

	for (size_t i = 0; i < n; i++)
		v[i] = level * (0.9 + 0.2 * (double)((i * 7 + (size_t)t) % 10) / 10.0) *
		       (i < drift ? factor : 1);
	cr_assert_eq(pivot__add(p, t, v, n), 0);
	*total = (uint32_t)n;
}

Test(pivot, drifting_instances_are_anomalous)
{
	struct pivot p;
	struct pivot_params pp;
	struct pivot_verdict v;
	uint32_t totals[64];

	pivot_params__init(&pp);
	pp.window = 32;
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 32; t++)
		sample(&p, t, 20, 40 * MiB, t >= 20 ? 6 : 0, 8, &totals[t]);
	assert_counts_sum(&p, totals);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_expect(v.ready);
	cr_expect(v.anomalous, "six of twenty instances at 8x their level");
	cr_expect_gt(v.severity, 0);
	cr_expect_geq(v.buckets[v.worst].lo, 128 * MiB, "worst bucket starts at %g",
		      v.buckets[v.worst].lo);
	cr_expect(fabs(v.instances - 20) < 1e-9);
	pivot__release(&p);
}

Test(pivot, steady_or_shrinking_is_not_anomalous)
{
	struct pivot p;
	struct pivot_params pp;
	struct pivot_verdict v;
	uint32_t totals[64];

	pivot_params__init(&pp);
	pp.window = 32;
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 40; t++)
		sample(&p, t, 20, 40 * MiB, 0, 1, &totals[t % 32]);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_expect(v.ready);
	cr_expect(!v.anomalous, "noise within a bucket pair is not growth");
	pivot__release(&p);
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 32; t++)
		sample(&p, t, 20, 40 * MiB, t >= 20 ? 10 : 0, 1.0 / 8, &totals[t]);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_expect(!v.anomalous, "instances moving down are not a leak");
	pivot__release(&p);
}

Test(pivot, not_ready_before_half_a_window)
{
	struct pivot p;
	struct pivot_params pp;
	struct pivot_verdict v;
	uint32_t t0;

	pivot_params__init(&pp);
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 10; t++)
		sample(&p, t, 3, 10 * MiB, t > 5 ? 3 : 0, 100, &t0);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_expect(!v.ready);
	cr_expect(!v.anomalous);
	pivot__release(&p);
}

/* z is unbounded (a flat baseline has the std floor: 6 instances moving
 * give z 24), so z · (b + 1) / nbuckets went past 1 (the fleet README
 * showed "severity 4.00"). The severity is that score clamped to [0, 1];
 * the worst bucket is still the one of the highest score, and every
 * bucket's severity is its own score clamped. */
Test(pivot, severity_is_at_most_one)
{
	struct pivot p;
	struct pivot_params pp;
	struct pivot_verdict v;
	uint32_t totals[64];
	double best = 0;

	pivot_params__init(&pp);
	pp.window = 32;
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 32; t++)
		sample(&p, t, 20, 40 * MiB, t >= 20 ? 6 : 0, 8, &totals[t]);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_assert(v.anomalous);
	cr_expect_gt(v.buckets[v.worst].score, 1, "the raw score of this drift is above 1 (%g)",
		     v.buckets[v.worst].score);
	cr_expect_leq(v.severity, 1, "severity %g", v.severity);
	cr_expect_eq(v.severity, 1);
	for (unsigned b = 0; b < v.nbuckets; b++) {
		const struct pivot_bucket *k = &v.buckets[b];

		cr_expect(k->severity >= 0 && k->severity <= 1, "bucket %u: %g", b, k->severity);
		if (k->anomalous) {
			cr_expect_eq(k->severity, fmin(1, k->score), "bucket %u", b);
			cr_expect_leq(k->score, v.buckets[v.worst].score, "worst is the top score");
			best = fmax(best, k->score);
		}
	}
	cr_expect_eq(best, v.buckets[v.worst].score);
	pivot__release(&p);
}

/* A small drift keeps its score: 1 of 40 instances moving one bucket up
 * is below 1 and is not rounded up. */
Test(pivot, severity_below_one_is_the_score)
{
	struct pivot p;
	struct pivot_params pp;
	struct pivot_verdict v;
	uint32_t totals[64];

	pivot_params__init(&pp);
	pp.window = 32;
	cr_assert_eq(pivot__init(&p, &pp), 0);
	for (int t = 0; t < 32; t++)
		sample(&p, t, 40, 3 * MiB, t >= 20 ? 1 : 0, 2.5, &totals[t]);
	cr_assert_eq(pivot__evaluate(&p, &v), 0);
	cr_assert(v.anomalous);
	cr_expect_lt(v.severity, 1, "severity %g", v.severity);
	cr_expect_gt(v.severity, 0);
	cr_expect_eq(v.severity, v.buckets[v.worst].score);
	pivot__release(&p);
}
