/* Unit tests: seep's six window tests (detect/seep_window.h), each on small
 * hand-made series where it must pass and where it must fail, the onset,
 * and detect_params__samples. Series are at 5 minutes: 12 samples an hour,
 * so the 12 h tail of still_growing is 144 samples and the 6 h parts of a
 * split or a step 72. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "detect/linfit.h"
#include "detect/params.h"
#include "detect/seep_window.h"

#define STEP 300.0
#define N 400			/* samples per test series (33 h 20 min) */

/* Deterministic noise in [-a, a]. */
static double noise(size_t i, double a)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	return a * (2.0 * (double)(z >> 11) / 9007199254740992.0 - 1);
}

static double y[N];
static struct linfit lf;
static struct detect_params p;

static void setup(void)
{
	detect_params__init(&p);
}

static void teardown(void)
{
	linfit__release(&lf);
}

TestSuite(seep_window, .init = setup, .fini = teardown);

/* Builds the prefix sums of y[0, N) (filled by the caller) and the window
 * [FROM, N) over them. */
static void window(struct seep_window *w, size_t from, double offset_now)
{
	linfit__release(&lf);
	cr_assert_eq(linfit__init(&lf, y, N), 0);
	cr_assert_eq(seep_window__init(w, &lf, from, N, STEP, offset_now), 0);
}

/* y = 0.1 per sample (1.2 per hour): the leak every test accepts. */
static void steady_line(void)
{
	for (size_t i = 0; i < N; i++)
		y[i] = 0.1 * (double)i;
}

Test(seep_window, init_fits_the_window_and_rejects_a_short_one)
{
	struct seep_window w;

	steady_line();
	window(&w, 100, 0);
	cr_assert_eq(w.from, 100);
	cr_assert_eq(w.n, N);
	cr_assert_float_eq(w.line.slope, 0.1, 1e-12);
	cr_assert_float_eq(w.line.intercept, 10, 1e-9);	/* y at sample 100 */
	cr_assert_float_eq(w.line.r2, 1, 1e-12);
	cr_assert_neq(seep_window__init(&w, &lf, N - 1, N, STEP, 0), 0);
	cr_assert_neq(seep_window__init(&w, &lf, 0, N + 1, STEP, 0), 0);
}

Test(seep_window, a_steady_line_passes_every_test)
{
	struct seep_window w;
	double tt = -1;

	steady_line();
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert(seep_window__rises(&p, &w));
	cr_assert(seep_window__reaches(&p, &w, &tt));
	/* from 39.9 at the last sample to 100 at 0.1 per sample */
	cr_assert_float_eq(tt, (100 - 39.9) / 0.1, 1e-6);
	cr_assert(seep_window__persists(&p, &w));
	cr_assert(seep_window__still_growing(&p, &w));
	cr_assert(seep_window__no_level_shift(&p, &w));
	cr_assert(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, fits_fails_on_a_falling_line)
{
	struct seep_window w;

	for (size_t i = 0; i < N; i++)
		y[i] = 80 - 0.1 * (double)i;
	window(&w, 0, 0);
	cr_assert_float_eq(w.line.r2, 1, 1e-12);
	cr_assert_not(seep_window__fits(&p, &w));
	cr_assert_not(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, fits_fails_when_noise_hides_the_slope)
{
	struct seep_window w;

	for (size_t i = 0; i < N; i++)
		y[i] = 50 + 0.002 * (double)i + noise(i, 5);
	window(&w, 0, 0);
	cr_assert_gt(w.line.slope, 0, "the noise must leave a rising line: %g", w.line.slope);
	cr_assert_lt(w.line.r2, p.seep_r2_min, "r2 %g", w.line.r2);
	cr_assert_not(seep_window__fits(&p, &w));
	/* the same series with a floor below its R² passes */
	p.seep_r2_min = w.line.r2 / 2;
	cr_assert(seep_window__fits(&p, &w));
}

Test(seep_window, rises_needs_a_rise_above_the_residual_noise)
{
	struct seep_window w;

	/* 0.01 per sample over 400 samples: a rise of about 4 whatever U is; with
	 * noise of +-0.5 (sd 0.5) it is about 8 sds: significant */
	for (size_t i = 0; i < N; i++)
		y[i] = 0.01 * (double)i + ((i & 1) ? 0.5 : -0.5);
	window(&w, 0, 0);
	cr_assert_float_eq(seep_window__residual_sd(&w), 0.5, 0.01);
	cr_assert(seep_window__rises(&p, &w));
	p.threshold = 1e6;	/* U plays no part */
	cr_assert(seep_window__rises(&p, &w));
	/* noise of +-3 (sd 3): the same rise is under 4 sds */
	for (size_t i = 0; i < N; i++)
		y[i] = 0.01 * (double)i + ((i & 1) ? 3 : -3);
	window(&w, 0, 0);
	cr_assert_not(seep_window__rises(&p, &w));
	/* a falling line never rises */
	for (size_t i = 0; i < N; i++)
		y[i] = -0.01 * (double)i;
	window(&w, 0, 0);
	cr_assert_not(seep_window__rises(&p, &w));
}

Test(seep_window, reaches_counts_from_the_level_now)
{
	struct seep_window w;
	double tt;

	steady_line();
	p.critical_s = 60 * 3600;	/* 720 samples */
	window(&w, 0, 0);
	cr_assert(seep_window__reaches(&p, &w, &tt));	/* 601 samples */
	cr_assert_float_eq(tt, 601, 1e-6);
	/* 30 of the level is restarts added back: 901 samples from the real level */
	window(&w, 0, 30);
	cr_assert_not(seep_window__reaches(&p, &w, &tt));
	cr_assert_float_eq(tt, 901, 1e-6);
	cr_assert_not(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, reaches_fails_on_a_slow_line)
{
	struct seep_window w;
	double tt;

	/* 0.002 per sample from 0: 100 is ~50000 samples (5.7 months) away */
	for (size_t i = 0; i < N; i++)
		y[i] = 0.002 * (double)i;
	window(&w, 0, 0);
	cr_assert_not(seep_window__reaches(&p, &w, &tt));
	cr_assert_gt(tt * STEP, p.critical_s);
	/* a month of critical time is still too short; a year is enough */
	p.critical_s = 30 * 86400;
	cr_assert_not(seep_window__reaches(&p, &w, NULL));
	p.critical_s = 365 * 86400;
	cr_assert(seep_window__reaches(&p, &w, NULL));
}

Test(seep_window, persists_fails_when_the_growth_stopped_halfway)
{
	struct seep_window w;

	/* rises by 0.2 per sample for 200 samples, then flat at 40: the line
	 * still fits and rises, but the last two quarters are level */
	for (size_t i = 0; i < N; i++)
		y[i] = 0.2 * fmin((double)i, 200);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert(seep_window__rises(&p, &w));
	cr_assert_not(seep_window__persists(&p, &w));
	cr_assert_not(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, persists_passes_a_noisy_line)
{
	struct seep_window w;

	for (size_t i = 0; i < N; i++)
		y[i] = 0.1 * (double)i + noise(i, 2);
	window(&w, 0, 0);
	cr_assert(seep_window__persists(&p, &w));
}

Test(seep_window, still_growing_fails_when_the_last_quarter_is_flat)
{
	struct seep_window w;

	/* growth for 330 samples, flat for the last 70 (under a quarter):
	 * every quarter is still above the previous one */
	for (size_t i = 0; i < N; i++)
		y[i] = 0.1 * fmin((double)i, 330);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert(seep_window__persists(&p, &w));
	cr_assert_not(seep_window__still_growing(&p, &w));
	cr_assert_not(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, still_growing_fails_when_the_tail_levelled_off)
{
	struct seep_window w;
	struct line recent;

	/* 0.2 per sample for 160 samples, level for 140, then 0.08 per sample
	 * for the last 100: the recent quarter keeps up with the line, but the
	 * best two-line split puts the pause in a flat tail */
	for (size_t i = 0; i < N; i++)
		y[i] = i < 160 ? 0.2 * (double)i : i < 300 ? 32 : 32 + 0.08 * (double)(i - 300);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert(seep_window__persists(&p, &w));
	cr_assert_eq(linfit__fit(&lf, N - 100, N, &recent), 0);
	cr_assert_geq(recent.slope, p.seep_recent_frac * w.line.slope,
		      "recent %g line %g", recent.slope, w.line.slope);
	cr_assert_not(seep_window__still_growing(&p, &w));
	/* a gentler knee without the pause: the tail keeps up too */
	for (size_t i = 0; i < N; i++)
		y[i] = i < 160 ? 0.12 * (double)i : 19.2 + 0.09 * (double)(i - 160);
	window(&w, 0, 0);
	cr_assert(seep_window__still_growing(&p, &w));
}

/* 0.1 per sample, then SLOW per sample over the last 100 samples. */
static void slowing_ramp(double slow)
{
	for (size_t i = 0; i < N; i++)
		y[i] = i < 300 ? 0.1 * (double)i : 30 + slow * (double)(i - 300);
}

Test(seep_window, still_growing_at_a_floor_of_0_asks_only_that_it_rises)
{
	struct seep_window w;
	struct line recent;

	/* the last 100 samples grow at 0.03 per sample: under
	 * seep_recent_frac of the line's slope */
	slowing_ramp(0.03);
	window(&w, 0, 0);
	cr_assert_eq(linfit__fit(&lf, N - 100, N, &recent), 0);
	cr_assert_lt(recent.slope, p.seep_recent_frac * w.line.slope,
		     "recent %g line %g", recent.slope, w.line.slope);
	cr_assert_not(seep_window__still_growing(&p, &w));
	/* the second pass over windows under a day sets the floor to 0 */
	p.seep_recent_frac = 0;
	cr_assert(seep_window__still_growing(&p, &w));
	/* a recent part that falls, or that stopped, does not rise */
	slowing_ramp(-0.02);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert_not(seep_window__still_growing(&p, &w));
	slowing_ramp(0);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert_not(seep_window__still_growing(&p, &w));
}

Test(seep_window, no_level_shift_fails_on_a_step)
{
	struct seep_window w;

	/* one shift from 10 to 30 halfway, with a little noise */
	for (size_t i = 0; i < N; i++)
		y[i] = (i < N / 2 ? 10 : 30) + noise(i, 0.5);
	window(&w, 0, 0);
	cr_assert(seep_window__fits(&p, &w));
	cr_assert_not(seep_window__no_level_shift(&p, &w));
	cr_assert_not(seep_window__accept(&p, &w, NULL));
	/* a noisy line: no step explains it as well as the line does */
	for (size_t i = 0; i < N; i++)
		y[i] = 10 + 0.05 * (double)i + noise(i, 0.5);
	window(&w, 0, 0);
	cr_assert(seep_window__no_level_shift(&p, &w));
}

Test(seep_window, accept_runs_the_tests_on_the_window_only)
{
	struct seep_window w;

	/* flat at 5 for 150 samples, then the steady line: the whole series
	 * fails persistence, the window from the knee passes everything */
	for (size_t i = 0; i < N; i++)
		y[i] = i < 150 ? 5 : 5 + 0.1 * (double)(i - 150);
	window(&w, 0, 0);
	cr_assert_not(seep_window__persists(&p, &w));
	cr_assert_not(seep_window__accept(&p, &w, NULL));
	window(&w, 150, 0);
	cr_assert(seep_window__accept(&p, &w, NULL));
}

Test(seep_window, onset_finds_the_knee)
{
	struct seep_window w;
	size_t at;

	for (size_t i = 0; i < N; i++)
		y[i] = i < 150 ? 5 : 5 + 0.1 * (double)(i - 150);
	window(&w, 0, 0);
	at = seep_window__onset(&w, 100);
	/* the hinge search strides by (N - from) / 400 + 1 = 2 samples */
	cr_assert(at >= 148 && at <= 152, "onset at %zu", at);
	/* a straight line has no better hinge: the window's own start */
	steady_line();
	window(&w, 40, 0);
	cr_assert_eq(seep_window__onset(&w, 100), 40);
	/* the hinge leaves MIN_TAIL samples after it: with 300 the knee at 150
	 * is out of reach */
	for (size_t i = 0; i < N; i++)
		y[i] = i < 150 ? 5 : 5 + 0.1 * (double)(i - 150);
	window(&w, 0, 0);
	at = seep_window__onset(&w, 300);
	cr_assert_leq(at, N - 300, "onset at %zu", at);
}

Test(seep_window, params_samples_rounds_seconds_to_samples)
{
	cr_assert_eq(detect_params__samples(12 * 3600, STEP), 144);
	cr_assert_eq(detect_params__samples(6 * 3600, STEP), 72);
	cr_assert_eq(detect_params__samples(450, STEP), 2);	/* 1.5 rounds up */
	cr_assert_eq(detect_params__samples(420, STEP), 1);	/* 1.4 rounds down */
	cr_assert_eq(detect_params__samples(0, STEP), 0);
	cr_assert_eq(detect_params__samples(-3600, STEP), 0);
}

/* Test 8 (clear): the series' own variation takes the window's growth out,
 * so a leak's ramp does not count as wander, and a rise inside the
 * background's wander at half the window's length is no leak. */
Test(seep_window, wander_takes_the_growth_out)
{
	struct seep_window w;
	double scratch[N];

	/* flat, then a clean ramp from the window's start: no wander at all */
	p.seep_min_wander = 3;
	for (size_t i = 0; i < N; i++)
		y[i] = i < 200 ? 5 : 5 + 0.1 * (double)(i - 200);
	window(&w, 200, 0);
	cr_assert_float_eq(seep_window__wander(&w, 0.5, scratch), 0, 1e-9);
	cr_assert(seep_window__clear(&p, &w, scratch));
	/* a square wave of amplitude 1 and period 100 moves by 2 over a
	 * 50-sample lag half the time and by 0 the other half: the ramp on
	 * top of it changes nothing */
	for (size_t i = 0; i < N; i++)
		y[i] = ((i / 50) % 2 ? 1 : -1) + (i < 200 ? 0 : 0.1 * (double)(i - 200));
	window(&w, 200, 0);
	{
		double with_ramp = seep_window__wander(&w, 0.25, scratch);

		for (size_t i = 0; i < N; i++)
			y[i] = (i / 50) % 2 ? 1 : -1;
		window(&w, 200, 0);
		cr_assert_float_eq(seep_window__wander(&w, 0.25, scratch), with_ramp, 1e-9);
		cr_assert_gt(with_ramp, 0.5);
	}
}

/* A random walk of steps up to ±0.5 for the background, and a ramp of SLOPE
 * per sample on [200, N). */
static void wandering(double slope)
{
	double x = 0;

	for (size_t i = 0; i < N; i++) {
		x += noise(i, 0.5);
		y[i] = 50 + x + (i < 200 ? 0 : slope * (double)(i - 200));
	}
}

Test(seep_window, clear_needs_a_rise_well_above_the_wander)
{
	struct seep_window w;
	double scratch[N], wander, own, rise;

	/* the background alone: its variation over 50 samples, and its own
	 * line's rise over the window; the test at 3 */
	p.seep_min_wander = 3;
	wandering(0);
	window(&w, 200, 0);
	wander = seep_window__wander(&w, p.seep_wander_lag, scratch);
	own = w.line.slope * (N - 200 - 1);
	cr_assert_gt(wander, 1, "wander %g", wander);
	/* a leak that lifts the window's rise to 1.5 wanders is inside it */
	wandering((1.5 * wander - own) / (N - 200 - 1));
	window(&w, 200, 0);
	rise = w.line.slope * (N - 200 - 1);
	cr_assert_float_eq(rise, 1.5 * wander, 1e-6);
	cr_assert_float_eq(seep_window__wander(&w, p.seep_wander_lag, scratch), wander, 1e-9);
	cr_assert_not(seep_window__clear(&p, &w, scratch));
	/* the option moves the bar: at 1 it passes, at 0 the test is off */
	p.seep_min_wander = 1;
	cr_assert(seep_window__clear(&p, &w, scratch));
	p.seep_min_wander = 0;
	cr_assert(seep_window__clear(&p, &w, scratch));
	/* at 3, a leak of 4 wanders is clear */
	p.seep_min_wander = 3;
	wandering((4 * wander - own) / (N - 200 - 1));
	window(&w, 200, 0);
	cr_assert(seep_window__clear(&p, &w, scratch));
}

/* The wander parameters are derived from the share of a daily cycle the
 * seep window falls short of (s): the paper's values for days of data, the
 * short-series allowances for a few hours; a value the user set stays. */
Test(seep_window, params_derive_the_wander_allowances_from_the_span)
{
	struct detect_params d;
	struct detect_params_why why;
	double s = 1 - (5 * 3600.0 / 3) / 86400;

	detect_params__init_derived(&d);
	detect_params__derive(&d, 7 * 86400, 300, &why);
	cr_assert_float_eq(why.sub_daily, 0, 1e-12);
	cr_assert_float_eq(d.seep_min_wander, 3, 1e-12);
	cr_assert_float_eq(d.seep_wander_lag, 0.25, 1e-12);
	cr_assert_float_eq(d.seep_recent_wander, 0, 1e-12);
	cr_assert_float_eq(d.seep_restart_wander, 0, 1e-12);
	/* 5 hours at 10 s: a seep window of 1 h 40 min */
	detect_params__init_derived(&d);
	detect_params__derive(&d, 5 * 3600, 10, &why);
	cr_assert_float_eq(why.sub_daily, s, 1e-12);
	cr_assert_float_eq(d.seep_min_wander, 3 + s, 1e-12);
	cr_assert_float_eq(d.seep_wander_lag, 0.25, 1e-12);
	cr_assert_float_eq(d.seep_recent_wander, s, 1e-12);
	cr_assert_float_eq(d.seep_restart_wander, 2 * s, 1e-12);
	cr_assert_str_eq(why.recent_wander, "s");
	/* the user's value, its bit cleared, is kept */
	detect_params__init_derived(&d);
	d.seep_recent_wander = 0.3;
	d.derive &= ~DETECT_DERIVE_RECENT_WANDER;
	detect_params__derive(&d, 5 * 3600, 10, &why);
	cr_assert_float_eq(d.seep_recent_wander, 0.3, 1e-12);
	cr_assert_str_eq(why.recent_wander, "given");
	cr_assert_float_eq(d.seep_restart_wander, 2 * s, 1e-12);
}

/* A ramp of 0.1 per sample from sample 200 on a background that wanders
 * as a sine of amplitude AMP and period 100 (its last half-period falling
 * at the end); BOUNDED: the ramp stops at 300 (growth that levelled off). */
static void ramp_on_a_sine(double amp, int bounded)
{
	for (size_t i = 0; i < N; i++) {
		double r = i < 200 ? 0 : 0.1 * (double)((bounded && i > 300 ? 300 : i) - 200);

		y[i] = 50 + amp * sin(2 * M_PI * ((double)i + 75) / 100) + r;
	}
}

/* Test 5's allowance: the background wandering down over the recent part
 * of a leak's window (within its own variation at that length) does not
 * stop the leak; growth that levelled off still does. */
Test(seep_window, still_growing_allows_for_the_wander_with_scratch)
{
	struct seep_window w;
	double scratch[N];

	/* the recent quarter's slope is a quarter of the line's, the floor
	 * 0.6 of it: it falls short by 0.035 per sample, and the sine moves
	 * by 2.1 over those 50 samples (0.042 per sample) */
	ramp_on_a_sine(1.5, 0);
	window(&w, 200, 0);
	cr_assert_not(seep_window__still_growing(&p, &w));
	/* with the allowance but no scratch, nothing changes */
	p.seep_recent_wander = 1;
	cr_assert_not(seep_window__still_growing(&p, &w));
	w.scratch = scratch;
	cr_assert(seep_window__still_growing(&p, &w));
	/* 0 turns it off */
	p.seep_recent_wander = 0;
	cr_assert_not(seep_window__still_growing(&p, &w));
	/* a ramp that stopped half-way is not growing, allowance or not */
	p.seep_recent_wander = 1;
	ramp_on_a_sine(1.5, 1);
	window(&w, 200, 0);
	w.scratch = scratch;
	cr_assert_not(seep_window__still_growing(&p, &w));
	/* the plain test still passes a clean ramp without scratch */
	steady_line();
	window(&w, 200, 0);
	cr_assert(seep_window__still_growing(&p, &w));
}
