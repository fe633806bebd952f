/* Unit tests: what seep's detector takes for a restart. A leak is restarted
 * while it grows; a cache that filled up, levelled off and sagged before
 * it was flushed is bounded, and its flushes are no restarts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/series.h"

#define STEP 300.0
#define PER_HOUR 12

static double noise(size_t i, double a)
{
	uint64_t z = (i + 3) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	return a * (2.0 * (double)(z >> 11) / 9007199254740992.0 - 1);
}

/* 5 days at 40 ± 0.5; from day 1 cycles of 24 h back to 40. GROWING: a
 * leak up 30 over each cycle; else a cache filled by 30 over 18 h that
 * then sags by 3 over the last 6 h of the cycle. */
static void cycles(struct series *s, int growing)
{
	size_t n = 5 * 24 * PER_HOUR;

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double h = (double)i / PER_HOUR - 24, x = fmod(h, 24), v = 40 + noise(i, 0.5);

		if (h >= 0)
			v += growing ? 30 * x / 24 :
				       (x < 18 ? 30 * x / 18 : 30 - 3 * (x - 18) / 6);
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = v;
	}
}

static struct detect_result run(const struct series *s)
{
	struct detect_params p;
	struct detect_result r;
	struct detect_input in = { .raw = s };

	detect_params__init_derived(&p);
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	return r;
}

Test(restart, a_leak_restarted_while_growing_is_a_sawtooth_leak)
{
	struct series s;
	struct detect_result r;

	cycles(&s, 1);
	r = run(&s);
	cr_assert(r.leak);
	cr_assert_eq(r.pattern, PATTERN_SAWTOOTH, "pattern %s", detect__pattern_name(r.pattern));
	cr_assert_geq(r.restarts, 2);
	series__release(&s);
}

Test(restart, a_cache_flushed_after_it_levelled_off_is_no_leak)
{
	struct series s;
	struct detect_result r;

	cycles(&s, 0);
	r = run(&s);
	cr_assert_not(r.leak, "flushes of a full cache taken for restarts (window %.1f h, %s)",
		      (r.window_end - r.window_start) / 3600, detect__pattern_name(r.pattern));
	series__release(&s);
}

/* 7 days at 40: from day 1.5 a leak of 10 a day, restarted at day 4.5 back
 * to 40, then growing again at the same slope, all under a daily cycle of
 * ±4 and ±2 of noise: each tooth's line has R² under seep_tooth_r2, but a
 * rise of 30 over days is far above the noise on it. */
static void noisy_one_restart(struct series *s)
{
	size_t n = 7 * 24 * PER_HOUR;

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double d = (double)i / PER_HOUR / 24, v = 40 + 4 * sin(2 * M_PI * d) + noise(i, 2);

		if (d >= 1.5)
			v += 10 * (d < 4.5 ? d - 1.5 : d - 4.5);
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = v;
	}
}

Test(restart, one_restart_of_a_noisy_tooth_longer_than_a_day_counts)
{
	struct series s;
	struct detect_result r;

	noisy_one_restart(&s);
	r = run(&s);
	cr_assert(r.leak);
	cr_assert_eq(r.restarts, 1, "restarts %zu", r.restarts);
	cr_assert_eq(r.pattern, PATTERN_SAWTOOTH, "pattern %s", detect__pattern_name(r.pattern));
	series__release(&s);
}

/* 5 days at 40 ± 0.5; from day 1, teeth of 24 h rising 29.5 over 19 h
 * whose last 5 h give back 1 (a leak whose last hours before the restart
 * were quiet): a tooth measured from near its base grows into the
 * restart; measured from a third of the way up, its top decides and it
 * looks levelled off. */
static void quiet_top_teeth(struct series *s)
{
	size_t n = 5 * 24 * PER_HOUR;

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double h = (double)i / PER_HOUR - 24, x = fmod(h, 24), v = 40 + noise(i, 0.5);

		if (h >= 0)
			v += x < 19 ? 29.5 * x / 19 : 29.5 - (x - 19) / 5;
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = v;
	}
}

Test(restart, a_tooth_is_measured_from_near_its_own_base)
{
	struct series s;
	struct detect_result r;

	quiet_top_teeth(&s);
	r = run(&s);
	cr_assert(r.leak);
	cr_assert_geq(r.restarts, 2, "restarts %zu", r.restarts);
	series__release(&s);
}

/* 7 days at 40 ± 0.5: from day 1.5 a leak of 10 a day, which the
 * background drops by 6 at day 3.5 (the leak goes on from there), restarted
 * at day 4.5 back to 40, then growing again at the same slope. The drop of
 * 6 looks like a restart of a short tooth of its own; the restart's tooth
 * then reaches back past it, and it is a dip of that tooth. */
static void dip_in_a_tooth(struct series *s)
{
	size_t n = 7 * 24 * PER_HOUR;

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double d = (double)i / PER_HOUR / 24, v = 40 + noise(i, 0.5);

		if (d >= 1.5 && d < 4.5)
			v += 10 * (d - 1.5) - (d >= 3.5 ? 6 : 0);
		else if (d >= 4.5)
			v += 10 * (d - 4.5);
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = v;
	}
}

Test(restart, a_dip_inside_a_tooth_is_no_restart)
{
	struct series s;
	struct detect_result r;

	dip_in_a_tooth(&s);
	r = run(&s);
	cr_assert(r.leak);
	cr_assert_eq(r.restarts, 1, "restarts %zu", r.restarts);
	cr_assert_eq(r.pattern, PATTERN_SAWTOOTH, "pattern %s", detect__pattern_name(r.pattern));
	/* the trend starts with the first tooth, before the restart */
	cr_assert_lt(r.window_start, s.t[0] + 4.5 * 86400, "window from day %.2f",
		     (r.window_start - s.t[0]) / 86400);
	series__release(&s);
}

/* A short series (600 samples of 30 s, 5 h): a background that wanders as
 * a sine of amplitude AMP and period 60 samples for its first half, then a
 * tooth rising by 6 over 150 samples, dropping back to its base and rising
 * again at the same slope: a restart by its shape. */
static void short_wander_then_tooth(struct series *s, double amp)
{
	size_t n = 600;

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double v = 40 + amp * sin(2 * M_PI * (double)i / 60);

		if (i >= 300)
			v = 40 + 0.04 * (double)((i - 300) % 150);
		s->t[i] = 1.3e9 + (double)i * 30;
		s->v[i] = v;
	}
	s->step = 30;
}

/* seep_restart_wander: a drop is a restart only when it is larger than the
 * series' own variation over a tooth allows for; where the background
 * moves by as much over that time, the same drop is its wander. */
Test(restart, a_drop_within_the_wander_over_a_tooth_is_no_restart)
{
	struct series s;
	struct detect_params p;
	struct detect_result r;
	struct detect_explain ex = { 0 };

	detect_params__init_derived(&p);
	detect_params__derive(&p, 600 * 30, 30, NULL);
	p.step_s = 30;
	/* a calm first half: the drop is a restart, with the floor or not */
	short_wander_then_tooth(&s, 0.2);
	memset(&ex, 0, sizeof(ex));
	cr_assert_eq(detect__seep_explain(&p, &s, &r, &ex), 0);
	cr_assert_eq(ex.restarts, 1, "restarts %zu", ex.restarts);
	series__release(&s);
	/* a sine of amplitude 6 moves by up to ±12 over a tooth's 33
	 * samples: the floor (2 s of that variation) is above the drop of 6,
	 * and 0 turns it off */
	short_wander_then_tooth(&s, 6);
	cr_assert_gt(p.seep_restart_wander, 1.8);
	memset(&ex, 0, sizeof(ex));
	cr_assert_eq(detect__seep_explain(&p, &s, &r, &ex), 0);
	cr_assert_eq(ex.restarts, 0, "restarts %zu", ex.restarts);
	p.seep_restart_wander = 0;
	memset(&ex, 0, sizeof(ex));
	cr_assert_eq(detect__seep_explain(&p, &s, &r, &ex), 0);
	cr_assert_eq(ex.restarts, 1, "restarts %zu", ex.restarts);
	series__release(&s);
}
