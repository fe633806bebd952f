/* Unit tests: a watched series (daemon/watch.h): the ring (growth,
 * wrap-around, last, min_since) and the verdict of the detectors scaled to
 * the daemon's interval on hand-made series: a steady leak is found with
 * its slope in real bytes per wall second and its window in wall time,
 * whatever the interval; the same samples at another interval give the
 * same verdict with the slope and times scaled; flat, bounded and short
 * series are not leaks. The threshold U counts: a rise that would take
 * longer than the detectors' 7 detector days to reach it is no leak. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "daemon/watch.h"

#define MIB 1048576.0
#define T0 1.7e9

static const enum detect_algo seep_only[] = { DETECT_SEEP };

static struct watch_params params(double interval_s, double scale_s)
{
	return (struct watch_params){ .algos = seep_only, .nalgos = 1, .scale_s = scale_s,
				      .interval_s = interval_s, .threshold = 128 * MIB,
				      .min_samples = 24 };
}

/* N samples INTERVAL_S apart from T0, value FN(i). */
static void fill(struct watch *w, size_t n, double interval_s, double (*fn)(size_t))
{
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(watch__push(w, T0 + (double)i * interval_s, fn(i)), 0);
}

static double steady(size_t i)
{
	return 20 * MIB + (double)i * MIB;	/* 1 MiB a sample */
}

static double flat(size_t i)
{
	return 40 * MIB + (double)((i * 7919) % 13) * 4096;	/* jitter of < 52 KiB */
}

static double bounded(size_t i)
{
	return i < 8 ? 10 * MIB + (double)i * 2 * MIB : 26 * MIB;	/* fills, then holds */
}

Test(watch, the_ring_grows_then_wraps)
{
	struct watch w;

	cr_assert_eq(watch__init(&w, 100), 0);
	cr_assert_eq(w.alloc, 0, "nothing allocated before the first sample");
	cr_assert_eq(watch__len(&w), 0);
	cr_assert_eq(watch__last(&w), 0);
	for (size_t i = 0; i < 250; i++) {
		cr_assert_eq(watch__push(&w, (double)i, (double)i * 10), 0);
		cr_assert_eq(watch__len(&w), i + 1 < 100 ? i + 1 : 100);
		cr_assert_eq(watch__last(&w), (double)i * 10);
		cr_assert_leq(w.alloc, w.cap);
		cr_assert_geq(w.alloc, watch__len(&w));
		/* the oldest sample kept is i - len + 1 */
		cr_assert_eq(watch__min_since(&w, 0), (double)(i + 1 - watch__len(&w)) * 10);
	}
	cr_assert_eq(w.alloc, 100);
	cr_assert_eq(watch__min_since(&w, 200), 2000);
	cr_assert_eq(watch__min_since(&w, 1000), 0, "no sample that late");
	watch__release(&w);
	watch__release(&w);	/* twice: a zeroed struct */
}

Test(watch, a_short_series_is_not_judged)
{
	struct watch w;
	struct watch_params p = params(1, 3600);
	struct watch_verdict v;

	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 23, 1, steady);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_assert(!v.judged);
	cr_assert(!v.leak);
	cr_assert(isinf(v.time_to_threshold_s));
	watch__release(&w);
}

/* A watch the memory cap shed (released: no ring, capacity 0) is judged
 * like an empty one: no verdict, no division by its capacity (UBSan
 * found one in the daemon on a shed series). */
Test(watch, a_shed_series_is_not_judged)
{
	struct watch w;
	struct watch_params p = params(1, 3600);
	struct watch_verdict v;

	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 100, 1, steady);
	watch__release(&w);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_assert(!v.judged);
	cr_assert(!v.leak);
	cr_assert_eq(watch__len(&w), 0);
}

/* The steady leak at a 1 s interval, one sample = one detector hour. */
Test(watch, steady_leak_at_one_second)
{
	struct watch w;
	struct watch_params p = params(1, 3600);
	struct watch_verdict v;

	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 48, 1, steady);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_assert(v.judged);
	cr_assert(v.leak, "a straight 1 MiB/sample rise over 48 samples is not a leak");
	cr_expect_eq(v.pattern, PATTERN_STEADY, "pattern %s", detect__pattern_name(v.pattern));
	/* 1 MiB a sample, a sample a second */
	cr_expect_float_eq(v.slope_bytes_per_s, MIB, 0.02 * MIB, "slope %.0f B/s",
			   v.slope_bytes_per_s);
	cr_expect_gt(v.r2, 0.99);
	/* the window is in wall time, inside the series */
	cr_expect_geq(v.from_s, T0);
	cr_expect_leq(v.to_s, T0 + 47);
	cr_expect_lt(v.from_s, v.to_s);
	/* 128 MiB - 67 MiB at 1 MiB/s: about 61 s from the last sample */
	cr_expect(isfinite(v.time_to_threshold_s));
	cr_expect_float_eq(v.time_to_threshold_s, 61, 5, "tt %.1f s", v.time_to_threshold_s);
	watch__release(&w);
}

/* The same samples 10 s apart: the same verdict, slope a tenth, times ×10. */
Test(watch, the_interval_scales_slope_and_times)
{
	struct watch a, b;
	struct watch_params pa = params(1, 3600), pb = params(10, 3600);
	struct watch_verdict va, vb;

	cr_assert_eq(watch__init(&a, 2016), 0);
	cr_assert_eq(watch__init(&b, 2016), 0);
	fill(&a, 48, 1, steady);
	fill(&b, 48, 10, steady);
	cr_assert_eq(watch__judge(&a, &pa, &va), 0);
	cr_assert_eq(watch__judge(&b, &pb, &vb), 0);
	cr_assert(va.leak && vb.leak);
	cr_expect_eq(va.pattern, vb.pattern);
	cr_expect_float_eq(vb.slope_bytes_per_s, va.slope_bytes_per_s / 10, 1e-6 * MIB);
	cr_expect_float_eq(vb.time_to_threshold_s, va.time_to_threshold_s * 10, 1e-6);
	cr_expect_float_eq(vb.from_s - T0, (va.from_s - T0) * 10, 1e-6);
	cr_expect_float_eq(vb.to_s - T0, (va.to_s - T0) * 10, 1e-6);
	watch__release(&a);
	watch__release(&b);
}

/* At the default scale (300 s a sample) the detector's 24 h window is 288
 * samples: 48 samples of the same rise are not enough to call it, 300 are. */
Test(watch, the_scale_sets_how_many_samples_a_verdict_needs)
{
	struct watch w;
	struct watch_params p = params(60, 300);
	struct watch_verdict v;

	p.threshold = 1024 * MIB;	/* 320 MiB at 12 MiB a detector hour: 59 h to go */
	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 48, 60, steady);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_assert(v.judged);
	cr_expect(!v.leak, "48 samples (4 detector hours) called a leak");
	watch__release(&w);
	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 300, 60, steady);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_expect(v.leak, "300 samples (25 detector hours) of a straight rise not a leak");
	cr_expect_float_eq(v.slope_bytes_per_s, MIB / 60, 0.02 * MIB / 60);
	watch__release(&w);
}

/* The same rise with U far away: more than 7 detector days to go. */
Test(watch, a_rise_far_from_the_threshold_is_not_a_leak)
{
	struct watch w;
	struct watch_params p = params(1, 3600);
	struct watch_verdict v;

	p.threshold = 512 * MIB;	/* (512 - 67) MiB at 1 MiB/h: 445 h > 168 h */
	cr_assert_eq(watch__init(&w, 2016), 0);
	fill(&w, 48, 1, steady);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_assert(v.judged);
	cr_expect(!v.leak);
	watch__release(&w);
}

Test(watch, flat_and_bounded_series_are_not_leaks)
{
	double (*fns[])(size_t) = { flat, bounded };

	for (size_t k = 0; k < 2; k++) {
		struct watch w;
		struct watch_params p = params(1, 3600);
		struct watch_verdict v;

		cr_assert_eq(watch__init(&w, 2016), 0);
		fill(&w, 96, 1, fns[k]);
		cr_assert_eq(watch__judge(&w, &p, &v), 0);
		cr_assert(v.judged);
		cr_expect(!v.leak, "series %zu called a leak (%s, %.0f B/s)", k,
			  detect__pattern_name(v.pattern), v.slope_bytes_per_s);
		watch__release(&w);
	}
}

/* After the ring wrapped, the verdict is on the last CAP samples: a leak
 * that stopped long ago has left the window. */
Test(watch, a_wrapped_ring_judges_the_last_samples)
{
	struct watch w;
	struct watch_params p = params(1, 3600);
	struct watch_verdict v;

	cr_assert_eq(watch__init(&w, 64), 0);
	fill(&w, 48, 1, steady);
	for (size_t i = 0; i < 64; i++)
		cr_assert_eq(watch__push(&w, T0 + 48 + (double)i, 80 * MIB), 0);
	cr_assert_eq(watch__len(&w), 64);
	cr_assert_eq(watch__judge(&w, &p, &v), 0);
	cr_expect(!v.leak, "a flat window called a leak");
	watch__release(&w);
}
