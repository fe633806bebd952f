/* Unit tests for diagnose/verdict: hand-made series for each verdict, and
 * sampling noise that must not be called a leak. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "diagnose/verdict.h"
#include "lib/rng.h"
#include "snapshot/sampling.h"

#define N 30

struct fixture {
	double t[N], y[N], var[N], age[N], alloc[N];
	struct verdict_series s;
};

static void fixture_init(struct fixture *f)
{
	for (int i = 0; i < N; i++) {
		f->t[i] = 0.5 * i;
		f->var[i] = 0;
		f->age[i] = NAN;
	}
	f->s = (struct verdict_series){ .n = N, .t = f->t, .bytes = f->y };
}

static struct verdict decide(const struct fixture *f)
{
	struct verdict_params p;
	struct verdict v;

	verdict__defaults(&p);
	cr_assert_eq(verdict__decide(&f->s, &p, &v), 0);
	return v;
}

Test(verdict, steady_leak_is_a_leak_with_its_rate)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++) {
		f.y[i] = 4096 + 2048.0 * i;          /* 4 KiB/s */
		f.alloc[i] = f.y[i];
		f.age[i] = f.t[i] + 0.2;
	}
	f.s.alloc_bytes = f.alloc;
	f.s.oldest_age = f.age;
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_LEAK, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect_float_eq(v.rate, 4096, 1e-6);
	cr_expect_float_eq(v.all.slope, 4096, 1e-6);
	cr_expect_leq(v.all.lo, 4096);
	cr_expect_geq(v.all.hi, 4096);
	cr_expect_float_eq(v.all.r2, 1, 1e-9);
	cr_expect_lt(v.all.mk_p, 1e-6);
	cr_expect_gt(v.confidence, 0.99);
	cr_expect_float_eq(v.age_slope, 1, 1e-9);
	cr_expect_eq(v.grew, N - 1);
	cr_expect_float_eq(verdict__time_to(v.last, v.rate, v.last + 4096 * 10), 10, 1e-9);
}

Test(verdict, lru_cache_that_plateaus_is_bounded)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++) {
		f.y[i] = 1024.0 * (i < 8 ? i + 1 : 8) * 100;
		f.alloc[i] = 1024.0 * (i + 1) * 100;   /* inserts never stop: evictions */
		f.age[i] = f.t[i] < 4 ? f.t[i] : 4;
	}
	f.s.alloc_bytes = f.alloc;
	f.s.oldest_age = f.age;
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_BOUNDED, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect(strstr(v.reason, "turn over") != NULL, "%s", v.reason);
	cr_expect_gt(v.turnover, 1);
	cr_expect_float_eq(v.confidence, 1, 1e-9, "the tail is flat");
	cr_expect_float_eq(v.rate, 0, 0);
	/* without allocation totals, the ages tell the same */
	f.s.alloc_bytes = NULL;
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_BOUNDED, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect(strstr(v.reason, "turn over") != NULL, "%s", v.reason);
}

Test(verdict, warm_up_that_stops_is_warm_up)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++) {
		f.y[i] = 1024.0 * (i < 10 ? i + 1 : 10) * 50;
		f.alloc[i] = f.y[i];                    /* nothing allocated after */
		f.age[i] = f.t[i];
	}
	f.s.alloc_bytes = f.alloc;
	f.s.oldest_age = f.age;
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_WARMUP, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect_lt(v.all.mk_p, 0.01, "it did grow");
	cr_expect_geq(v.tail.mk_p, 0.01, "the tail does not");
	cr_expect_gt(v.confidence, 0.99);
}

Test(verdict, decelerating_growth_is_not_a_leak)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++)
		f.y[i] = 1e6 * (1 - exp(-f.t[i] / 1.5));   /* still creeping up */
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_WARMUP, "%s: %s", verdict__name(v.kind), v.reason);
}

Test(verdict, spike_that_comes_back_is_transient)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++)
		f.y[i] = 8192 + (i >= 10 && i < 16 ? 500000.0 * (i - 9) : 0);
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_TRANSIENT, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect_float_eq(v.confidence, 1, 1e-9);
	cr_expect_float_eq(v.peak, 8192 + 3e6, 1e-6);
}

Test(verdict, flat_exact_stack_is_bounded)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	for (int i = 0; i < N; i++)
		f.y[i] = 4096;   /* a stdio buffer */
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_BOUNDED, "%s: %s", verdict__name(v.kind), v.reason);
	cr_expect_float_eq(v.all.mk_p, 1, 0);
	cr_expect_float_eq(v.confidence, 1, 1e-9);
}

/* One snapshot of BLOCKS live blocks of SIZE bytes under Poisson sampling
 * of mean RATE: the estimate and its variance, as the tracer makes them. */
static void sample(uint64_t *rng, int blocks, uint64_t size, uint64_t rate, double *est,
		   double *var)
{
	struct sample_weight w = sampling__weight(size, rate);
	int k = 0;

	for (int b = 0; b < blocks; b++)
		k += rng__unit(rng) < w.p;
	*est = k * w.bytes;
	*var = k * w.var_bytes;   /* the variance's own estimate */
}

/* 200 series of a constant heap (1000 blocks of 1 KiB, one sample per
 * 64 KiB: a few blocks sampled each time, estimates that jump by tens of
 * KiB): none is a leak, with the variance given or not. */
Test(verdict, sampling_noise_is_never_a_leak)
{
	struct verdict_params p;
	struct fixture f;
	struct verdict v;
	uint64_t rng = 42;
	int leaks = 0, leaks_novar = 0;
	double spread = 0;

	verdict__defaults(&p);
	for (int run = 0; run < 200; run++) {
		fixture_init(&f);
		for (int i = 0; i < N; i++)
			sample(&rng, 1000, 1024, 65536, &f.y[i], &f.var[i]);
		f.s.var = f.var;
		cr_assert_eq(verdict__decide(&f.s, &p, &v), 0);
		leaks += v.kind == VERDICT_LEAK;
		spread += v.all.hi - v.all.lo;
		f.s.var = NULL;
		cr_assert_eq(verdict__decide(&f.s, &p, &v), 0);
		leaks_novar += v.kind == VERDICT_LEAK;
	}
	cr_expect_eq(leaks, 0);
	cr_expect_eq(leaks_novar, 0);
	cr_expect_gt(spread / 200, 0, "the interval has a width");
}

/* The same sampling over a heap that really grows (20 blocks a second):
 * the leak is found through the noise. */
Test(verdict, sampled_leak_is_found_through_the_noise)
{
	struct verdict_params p;
	struct fixture f;
	struct verdict v;
	uint64_t rng = 7;
	int found = 0;

	verdict__defaults(&p);
	for (int run = 0; run < 20; run++) {
		fixture_init(&f);
		for (int i = 0; i < N; i++)
			sample(&rng, 1000 + 400 * i, 1024, 65536, &f.y[i], &f.var[i]);
		f.s.var = f.var;
		cr_assert_eq(verdict__decide(&f.s, &p, &v), 0);
		found += v.kind == VERDICT_LEAK;
		if (v.kind == VERDICT_LEAK) {
			cr_expect_lt(v.all.lo, 800 * 1024);
			cr_expect_gt(v.all.hi, 800 * 1024, "the interval covers the true rate");
		}
	}
	cr_expect_geq(found, 18);
}

/* Known variance widens the interval beyond what the scatter alone says. */
Test(verdict, known_variance_widens_the_interval)
{
	double t[] = { 0, 1, 2, 3, 4, 5 }, y[] = { 0, 10, 20, 30, 40, 50 };
	double var[] = { 100, 100, 100, 100, 100, 100 };
	struct trend a, b;

	cr_assert_eq(verdict__trend(t, y, NULL, 6, 0.01, &a), 0);
	cr_assert_eq(verdict__trend(t, y, var, 6, 0.01, &b), 0);
	cr_expect_float_eq(a.lo, 10, 1e-9);
	cr_expect_float_eq(a.hi, 10, 1e-9);
	cr_expect_lt(b.lo, 10 - 2);
	cr_expect_gt(b.hi, 10 + 2);
	cr_expect_float_eq(b.slope, 10, 1e-9);
}

Test(verdict, bad_series_are_refused)
{
	double t[] = { 0, 1, 1 }, y[] = { 1, 2, 3 };
	struct trend tr;

	cr_expect_eq(verdict__trend(t, y, NULL, 3, 0.01, &tr), -EINVAL, "times must increase");
	cr_expect_eq(verdict__trend(t, y, NULL, 1, 0.01, &tr), -EINVAL);
	cr_expect_eq(verdict__trend(t, y, NULL, VERDICT_MAX_POINTS + 1, 0.01, &tr), -E2BIG);
}

Test(verdict, rss_growth_without_heap_growth_is_retention)
{
	struct verdict_params p;
	struct process_verdict pv;
	double t[N], heap[N], rss[N];

	verdict__defaults(&p);
	for (int i = 0; i < N; i++) {
		t[i] = i;
		heap[i] = 1e6 + (i % 3) * 1000;
		rss[i] = 5e6 + 2e5 * i;
	}
	cr_assert_eq(verdict__process(t, heap, NULL, rss, N, &p, &pv), 0);
	cr_expect(pv.retention, "%s", pv.reason);
	cr_expect(strstr(pv.reason, "allocator retention or fragmentation") != NULL);
	for (int i = 0; i < N; i++)
		heap[i] = 1e6 + 2e5 * i;   /* the heap explains it: a leak, not retention */
	cr_assert_eq(verdict__process(t, heap, NULL, rss, N, &p, &pv), 0);
	cr_expect_not(pv.retention);
	cr_assert_eq(verdict__process(t, heap, NULL, NULL, N, &p, &pv), 0);
	cr_expect_eq(pv.rss.n, 0);
	cr_expect_not(pv.retention);
}

/* A collection of 8 snapshots (the daemon's): its 4-point tail cannot
 * reach alpha with Mann-Kendall (smallest p 1/24); a tail that rises at
 * every step still counts as growing, so the leak is a leak, not a warm-up. */
Test(verdict, short_series_rising_every_step_is_a_leak)
{
	struct fixture f;
	struct verdict v;

	fixture_init(&f);
	f.s.n = 8;
	for (int i = 0; i < 8; i++) {
		f.y[i] = 3e6 + 1.9e6 * i + (i % 2 ? 2e5 : -2e5);   /* jitter, still rising */
		f.alloc[i] = f.y[i];
		f.age[i] = f.t[i] + 0.2;
	}
	f.s.alloc_bytes = f.alloc;
	f.s.oldest_age = f.age;
	v = decide(&f);
	cr_expect_eq(v.kind, VERDICT_LEAK, "%s: %s", verdict__name(v.kind), v.reason);
	/* and a 4-point tail that falls once is not growing: warm-up or bounded */
	f.y[6] = f.y[5] + 1e6;
	f.y[7] = f.y[6] - 5e5;
	v = decide(&f);
	cr_expect_neq(v.kind, VERDICT_LEAK, "a tail that falls is no leak: %s", v.reason);
}
