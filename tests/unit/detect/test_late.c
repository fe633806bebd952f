/* Unit tests: leaks that began less than one daily cycle before the end.
 * seep tries windows shorter than its minimum (one day on a week of data)
 * only when they end at a new high; a daily cycle's rising half does not,
 * a leak that took off in the last hours does. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "detect/detect.h"
#include "detect/seep_window.h"
#include "detect/series.h"

#define STEP 300.0
#define PER_HOUR 12
#define DAYS 7

/* Deterministic noise in [-a, a]. */
static double noise(size_t i, double a)
{
	uint64_t z = (i + 7) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	return a * (2.0 * (double)(z >> 11) / 9007199254740992.0 - 1);
}

/* A week at 5 minutes: 50 ± 6 daily (lowest at the end of the series'
 * days minus PHASE hours), noise ± 1, and from LEAK_H hours before the end
 * a ramp of RISE points (none when RISE is 0). */
static void week(struct series *s, double phase, double leak_h, double rise)
{
	size_t n = DAYS * 24 * PER_HOUR, on = n - (size_t)(leak_h * PER_HOUR);

	cr_assert_eq(series__init(s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double h = (double)i / PER_HOUR;

		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = 50 - 6 * cos(2 * M_PI * (h + phase) / 24) + noise(i, 1);
		if (rise > 0 && i >= on)
			s->v[i] += rise * (double)(i - on) / (double)(n - on);
	}
}

static struct detect_result run(const struct series *s, struct detect_explain *ex)
{
	struct detect_params p;
	struct detect_result r;
	struct detect_input in = { .raw = s, .explain = ex };

	detect_params__init_derived(&p);
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	return r;
}

Test(late, a_leak_of_the_last_14_hours_is_found_with_its_onset)
{
	struct detect_explain ex = { 0 };
	struct detect_result r;
	struct series s;

	/* the series ends at the bottom of its cycle: the leak must beat it */
	week(&s, 0, 14, 25);
	r = run(&s, &ex);
	cr_assert(r.leak, "a 25-point rise over the last 14 h is a leak");
	/* the window is shorter than one day and starts near the onset */
	cr_assert_lt(r.window_end - r.window_start, 24 * 3600.0);
	cr_assert_lt(fabs(r.window_start - (s.t[s.n - 1] - 14 * 3600.0)), 4 * 3600.0,
		     "onset %.0f s off", r.window_start - (s.t[s.n - 1] - 14 * 3600.0));
	cr_assert_eq(r.pattern, PATTERN_STEADY, "pattern %s", detect__pattern_name(r.pattern));
	series__release(&s);
}

Test(late, the_rising_half_of_a_daily_cycle_is_not)
{
	struct detect_explain ex = { 0 };
	struct detect_result r;
	struct series s;

	/* the last 12 hours climb from the cycle's bottom to its top, as on
	 * every other day: no new high */
	week(&s, 12, 0, 0);
	r = run(&s, &ex);
	cr_assert_not(r.leak, "a daily cycle is not a leak (window of %.1f h)",
		      (r.window_end - r.window_start) / 3600);
	/* short windows were tried and turned down as no new high */
	cr_assert_gt(ex.rejected[SEEP_NEW_HIGH], 0);
	series__release(&s);
}

Test(late, a_leak_slowed_by_the_falling_cycle_is_found)
{
	struct detect_explain ex = { 0 };
	struct detect_result r;
	struct series s;

	/* the series ends where its cycle falls fastest (phase 18 h): over
	 * the last quarter of every window the 20-point leak of the last 14 h
	 * rises at under seep_recent_frac of its mean slope, yet still rises
	 * and ends at a new high */
	week(&s, 18, 14, 20);
	r = run(&s, &ex);
	cr_assert(r.leak, "a 20-point rise over the last 14 h is a leak");
	cr_assert_gt(ex.rejected[SEEP_STILL_GROWING], 0);
	cr_assert_lt(r.window_end - r.window_start, 24 * 3600.0);
	cr_assert_lt(fabs(r.window_start - (s.t[s.n - 1] - 14 * 3600.0)), 4 * 3600.0,
		     "onset %.0f s off", r.window_start - (s.t[s.n - 1] - 14 * 3600.0));
	series__release(&s);
	/* the cycle alone, at any phase, is not */
	for (double phase = 0; phase < 24; phase += 3) {
		week(&s, phase, 0, 0);
		r = run(&s, NULL);
		cr_assert_not(r.leak, "phase %g h: window of %.1f h", phase,
			      (r.window_end - r.window_start) / 3600);
		series__release(&s);
	}
}

Test(late, new_high_compares_the_level_now_with_the_past)
{
	struct detect_params p;
	struct seep_window w;
	struct linfit lf;
	double y[40];

	detect_params__init(&p);
	for (size_t i = 0; i < 40; i++)
		y[i] = i < 20 ? 10 : 10 + (double)(i - 20) + (i % 2 ? 0.5 : -0.5);
	cr_assert_eq(linfit__init(&lf, y, 40), 0);
	cr_assert_eq(seep_window__init(&w, &lf, 20, 40, STEP, 0), 0);
	/* the line ends near 29, the residual sd is about 0.5 */
	cr_assert(seep_window__new_high(&p, &w, 20, INFINITY));
	cr_assert(seep_window__new_high(&p, &w, 27.5, INFINITY));
	cr_assert_not(seep_window__new_high(&p, &w, 28.8, INFINITY));
	cr_assert_not(seep_window__new_high(&p, &w, 35, INFINITY));
	/* a window that only got back to where the series had been before (a
	 * cache refilling to its cap): the level it reached, not the line's end */
	cr_assert(seep_window__new_high(&p, &w, 20, 29.5));
	cr_assert_not(seep_window__new_high(&p, &w, 28, 28.2));
	linfit__release(&lf);
}
