/* detect__classify on generated series: each growth pattern by its own
 * definition, over several seeds and noise levels. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "detect/classify.h"
#include "detect/detect.h"
#include "detect/series.h"

#define N 576			/* two days at 5 minutes */
#define STEP 300.0
#define HOUR 12.0		/* samples per hour */







struct gen {
	enum detect_pattern want;
	double sigma;		/* Gaussian noise per sample */
	uint64_t seed;
};

/* splitmix64, and a standard normal from it (Box-Muller). */
static double uniform(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(uint64_t *s)
{
	double u = uniform(s), v = uniform(s);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* The shape of each class at sample I (x in hours), before noise. U draws
 * the shape's own parameters once per series (in [0, 1)). */
static double shape(enum detect_pattern p, size_t i, const double *u)
{
	double x = (double)i / HOUR, span = N / HOUR;

	switch (p) {
	case PATTERN_STEADY:	/* a ramp of 15-35 over the two days */
		return 40 + (15 + 20 * u[0]) * x / span;
	case PATTERN_STAIR:	/* 3-5 jumps of 6-10, flat between */
		return 40 + (6 + 4 * u[1]) * floor(x / (span / (3 + floor(3 * u[0]))));
	case PATTERN_SAWTOOTH:	/* teeth of 12-16 h rising 25-35 from the base */
		return 40 + (25 + 10 * u[1]) * fmod(x, 12 + 4 * u[0]) / (12 + 4 * u[0]);
	case PATTERN_SPIKE:	/* +15-30 for 1-3 h somewhere in the middle half */
		return 40 + (x >= 12 + 24 * u[0] && x < 12 + 24 * u[0] + 1 + 2 * u[2] ?
			     15 + 15 * u[1] : 0);
	case PATTERN_PLATEAU:	/* saturating growth of 10-25 that levels off by 20 h */
		return 40 + (10 + 15 * u[1]) * (1 - exp(-3 * x / (8 + 10 * u[0])));
	case PATTERN_NONE:	/* a level with a daily cycle of up to 1 */
		return 50 + u[1] * sin(2 * M_PI * x / 24);
	default:
		return NAN;
	}
}

static void generate(const struct gen *g, struct series *s)
{
	uint64_t st = g->seed * 0x100000001b3ULL + (uint64_t)g->want;
	double u[3];

	for (int k = 0; k < 3; k++)
		u[k] = uniform(&st);
	cr_assert_eq(series__init(s, N), 0);
	for (size_t i = 0; i < N; i++) {
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = shape(g->want, i, u) + g->sigma * gauss(&st);
	}
}

#define NSEEDS 5
#define NSIGMAS 3
static const double sigmas[NSIGMAS] = { 0, 0.3, 1 };
static const enum detect_pattern classes[] = {
	PATTERN_STEADY, PATTERN_STAIR, PATTERN_SAWTOOTH, PATTERN_SPIKE, PATTERN_PLATEAU,
	PATTERN_NONE,
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

ParameterizedTestParameters(classify, generated)
{
	static struct gen g[NCLASSES * NSIGMAS * NSEEDS];
	size_t k = 0;

	for (size_t c = 0; c < NCLASSES; c++)
		for (size_t n = 0; n < NSIGMAS; n++)
			for (uint64_t sd = 1; sd <= NSEEDS; sd++)
				g[k++] = (struct gen){ classes[c], sigmas[n], sd };
	return cr_make_param_array(struct gen, g, k);
}

ParameterizedTest(struct gen *g, classify, generated)
{
	struct series s;
	size_t restarts = 99;
	enum detect_pattern got;

	generate(g, &s);
	got = detect__classify(&s, 0, s.n, &restarts);
	cr_expect_eq(got, g->want, "%s, noise %.1f, seed %llu: got %s",
		     detect__pattern_name(g->want), g->sigma, (unsigned long long)g->seed,
		     detect__pattern_name(got));
	if (g->want == PATTERN_SAWTOOTH)
		cr_expect_geq(restarts, 2, "sawtooth: %zu restarts", restarts);
	else
		cr_expect_eq(restarts, 0, "%s: %zu restarts", detect__pattern_name(g->want),
			     restarts);
	series__release(&s);
}

/* A window inside a longer series is classified on its own: a flat first
 * day before a ramp is steady from the ramp's start, none before it. */
Test(classify, window_is_judged_alone)
{
	struct series s;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t i = 0; i < N; i++) {
		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = 40 + (i < N / 2 ? 0 : 0.05 * (double)(i - N / 2)) + 0.01 * (double)(i % 3);
	}
	cr_assert_eq(detect__classify(&s, N / 2, N, NULL), PATTERN_STEADY);
	cr_assert_eq(detect__classify(&s, 0, N / 2, NULL), PATTERN_NONE);
	series__release(&s);
}

/* --- each class by the rule that names it ------------------------------- */

static const enum classify_rule class_rule[PATTERN_NPATTERNS] = {
	[PATTERN_STEADY] = CLASSIFY_TREND, [PATTERN_SPIKE] = CLASSIFY_EXCURSION,
	[PATTERN_STAIR] = CLASSIFY_SHIFTS, [PATTERN_SAWTOOTH] = CLASSIFY_RESTARTS,
	[PATTERN_PLATEAU] = CLASSIFY_LEVELLED,
};

ParameterizedTestParameters(classify, why_names_the_rule)
{
	static struct gen g[NCLASSES - 1];
	size_t k = 0;

	for (size_t c = 0; c < NCLASSES; c++)
		if (classes[c] != PATTERN_NONE)
			g[k++] = (struct gen){ classes[c], 0.3, 3 };
	return cr_make_param_array(struct gen, g, k);
}

ParameterizedTest(struct gen *g, classify, why_names_the_rule)
{
	struct classify_why why;
	struct series s;
	enum detect_pattern got;

	generate(g, &s);
	got = classify__window(s.v, 0, s.n, NULL, &why);
	cr_assert_eq(got, g->want, "got %s", detect__pattern_name(got));
	cr_assert_eq(why.rule, class_rule[g->want], "%s: rule '%s'", detect__pattern_name(got),
		     classify__rule_text(why.rule));
	cr_assert_gt(why.noise, 0);
	cr_assert_gt(why.range, 0);
	if (g->want == PATTERN_STAIR) {
		/* 3-5 runs of 6-10: two sharp up-shifts at least, none down */
		cr_assert_geq(why.shifts_up, 2);
		cr_assert_eq(why.shifts_down, 0);
		cr_assert_gt(why.shift_fit, why.line_fit);
	}
	if (g->want == PATTERN_STEADY)
		cr_assert_gt(why.line_fit, 0.9);
	series__release(&s);
}

/* Flat series whose whole range is a thousandth to a quarter of a point
 * (quantised or jittering around 50 %) have no pattern: none, never
 * sawtooth, whatever the shape of the jitter. */
Test(classify, tiny_ranges_are_none)
{
	static const double ranges[] = { 0.001, 0.01, 0.1, 0.25 };
	struct series s;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t r = 0; r < 4; r++)
		for (int shape = 0; shape < 3; shape++) {
			struct classify_why why;
			enum detect_pattern got;

			for (size_t i = 0; i < N; i++) {
				double u = shape == 0 ? (double)(i % 7 == 0) :	/* blips */
					   shape == 1 ? fmod((double)i, 48) / 48 :	/* teeth */
					   (double)((i * 2654435761u) % 1000) / 1000;	/* jitter */

				s.t[i] = 1.3e9 + (double)i * STEP;
				s.v[i] = 50 + ranges[r] * u;
			}
			got = classify__window(s.v, 0, s.n, NULL, &why);
			cr_expect_eq(got, PATTERN_NONE, "range %g shape %d: %s (%s)", ranges[r], shape,
				     detect__pattern_name(got), classify__rule_text(why.rule));
		}
	series__release(&s);
}

/* A restart is a drop that stays down and grows back; a dip of the same
 * depth that comes straight back is none of that. */
Test(classify, restart_needs_regrowth)
{
	struct series s;
	size_t restarts = 0;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t i = 0; i < N; i++) {
		double x = (double)i;

		s.t[i] = 1.3e9 + x * STEP;
		/* one tooth of 30 over 300 samples, restarted, growing again */
		s.v[i] = 40 + 0.1 * fmod(x, 300) + 0.05 * sin(x);
	}
	cr_assert_eq(classify__window(s.v, 0, s.n, &restarts, NULL), PATTERN_SAWTOOTH);
	cr_assert_eq(restarts, 1);
	for (size_t i = 0; i < N; i++) {
		double x = (double)i;

		/* flat at 70 with two 30-point dips of 3 samples, back at once */
		s.v[i] = 70 - ((i >= 200 && i < 203) || (i >= 420 && i < 423) ? 30 : 0) +
			 0.05 * sin(x);
	}
	cr_assert_neq(classify__window(s.v, 0, s.n, &restarts, NULL), PATTERN_SAWTOOTH);
	cr_assert_eq(restarts, 0);
	series__release(&s);
}

/* Through the pipeline (derived parameters, hour-long smoothing): four days
 * of a wandering background at 40 with Gaussian noise; the last two carry
 * the class. A spike of 10 to 40 minutes is gone after smoothing and is
 * found by the fine pass. */
struct piped {
	enum detect_pattern want;
	double minutes;		/* spike: its length */
	uint64_t seed;
};

static double wander(uint64_t *st, double *w)
{
	*w = 0.98 * *w + 0.3 * gauss(st);	/* AR(1): about ±1.5 */
	return *w;
}

ParameterizedTestParameters(classify, through_the_pipeline)
{
	static struct piped c[] = {
		{ PATTERN_STEADY, 0, 1 }, { PATTERN_STEADY, 0, 2 },
		{ PATTERN_STAIR, 0, 1 }, { PATTERN_STAIR, 0, 2 },
		{ PATTERN_SAWTOOTH, 0, 1 }, { PATTERN_SAWTOOTH, 0, 2 },
		{ PATTERN_PLATEAU, 0, 1 }, { PATTERN_PLATEAU, 0, 2 },
		{ PATTERN_SPIKE, 10, 1 }, { PATTERN_SPIKE, 25, 2 }, { PATTERN_SPIKE, 40, 3 },
		{ PATTERN_NONE, 0, 1 }, { PATTERN_NONE, 0, 2 },
	};
	return cr_make_param_array(struct piped, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct piped *c, classify, through_the_pipeline)
{
	size_t n = 4 * 24 * (size_t)HOUR;
	uint64_t st = c->seed * 7919 + (uint64_t)c->want;
	struct detect_params p;
	struct detect_result r;
	struct series s, a = { 0 };
	struct detect_input in = { .raw = &s, .analysed = &a };
	double w = 0;

	cr_assert_eq(series__init(&s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double x = (double)i / HOUR - 48, y = 40 + wander(&st, &w) + 0.5 * gauss(&st);

		if (x >= 0)
			switch (c->want) {
			case PATTERN_STEADY:
				y += 0.6 * x;
				break;
			case PATTERN_STAIR:	/* +10 every 12 h */
				y += 10 * floor(x / 12 + 1);
				break;
			case PATTERN_SAWTOOTH:	/* teeth of 16 h rising 35 */
				y += 35 * fmod(x, 16) / 16;
				break;
			case PATTERN_PLATEAU:	/* +20 levelled off after 6 h */
				y += 20 * (1 - exp(-x / 2));
				break;
			case PATTERN_SPIKE:
				y += x >= 20 && x < 20 + c->minutes / 60 ? 20 : 0;
				break;
			default:
				break;
			}
		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = y;
	}
	detect_params__init_derived(&p);
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	cr_expect_eq(r.pattern, c->want, "%s (seed %llu): got %s by '%s', leak %d",
		     detect__pattern_name(c->want), (unsigned long long)c->seed,
		     detect__pattern_name(r.pattern), classify__rule_text(r.why.rule), r.leak);
	if (c->want == PATTERN_SPIKE && c->minutes < 30) {
		struct classify_why why = { 0 };
		double peak = -INFINITY;

		/* smoothing took it away; the series as sampled still has it */
		for (size_t i = 20 * (size_t)HOUR; i < 24 * (size_t)HOUR; i++)
			peak = fmax(peak, a.v[48 * (size_t)HOUR + i - 20 * (size_t)HOUR]);
		cr_expect_lt(peak, 50, "the smoothed series keeps %.1f", peak);
		cr_expect(classify__spike(s.v, 0, s.n, &why));
		cr_expect_gt(why.spike, 6);
	}
	series__release(&s);
	series__release(&a);
}

/* The fine pass finds one excursion that comes back; two as large, or a
 * level that moves and stays, are no spike; one that the background falls
 * below right after is one (it came back); one from the trough of a slow
 * swing that stays under the swing's crest is none (the series stands
 * higher elsewhere); one whose top a sample of noise cuts is still one. */
Test(classify, fine_spike_is_one_excursion_that_comes_back)
{
	struct series s;
	uint64_t st = 11;

	cr_assert_eq(series__init(&s, N), 0);
	for (int shape = 0; shape < 6; shape++) {
		for (size_t i = 0; i < N; i++) {
			double y = 40 + 0.3 * gauss(&st);

			if (i >= 300 && i < 303)
				y += 15;			/* the spike */
			if (shape == 1 && i >= 100 && i < 103)
				y += 15;			/* a second one */
			if (shape == 2 && i >= 302)
				y += 15;			/* a step, not back */
			if (shape == 3 && i >= 303 && i < 330)
				y -= 8;				/* a dip after it */
			if (shape == 4)				/* trough at 300: 40 - 12 */
				y += 12 * sin(2 * M_PI * ((double)i - 444) / N);
			if (shape == 5 && i >= 303 && i < 307)
				y += i == 303 ? 4 : 15;		/* one sample cut by noise */
			s.t[i] = 1.3e9 + (double)i * STEP;
			s.v[i] = y;
		}
		cr_expect_eq(classify__spike(s.v, 0, s.n, NULL), shape == 0 || shape == 3 || shape == 5,
			     "shape %d", shape);
	}
	series__release(&s);
}

/* A background that drops once by a few points while a leak ramps by 40:
 * the drop the detector adds back is no restart of the leak (it gives back
 * far less than DETECT_RESTART_SHARE of the growth): steady. */
Test(classify, background_drop_in_a_ramp_is_steady)
{
	size_t n = 4 * 24 * (size_t)HOUR;
	struct detect_params p;
	struct detect_result r;
	struct series s;
	struct detect_input in = { .raw = &s };
	uint64_t st = 5;

	cr_assert_eq(series__init(&s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double x = (double)i / HOUR;

		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = 40 + (x > 24 ? 40 * (x - 24) / 72 : 0) - (x > 60 ? 6 : 0) +
			 0.2 * gauss(&st);
	}
	detect_params__init_derived(&p);
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	cr_assert(r.leak);
	cr_expect_eq(r.pattern, PATTERN_STEADY, "got %s by '%s'", detect__pattern_name(r.pattern),
		     classify__rule_text(r.why.rule));
	cr_expect_eq(r.restarts, 0);
	series__release(&s);
}

/* One restart (issue 13's sawtooth): a tooth grows from the base for 40 h,
 * restarts to the base, and grows again at a similar slope for 20 h. The
 * leak's window may hold only the second tooth: the restart before it
 * still makes the leak a sawtooth. */
Test(classify, one_restart_before_the_window_is_a_sawtooth)
{
	size_t n = 5 * 24 * (size_t)HOUR;
	struct detect_params p;
	struct detect_result r;
	struct series s;
	struct detect_input in = { .raw = &s };
	uint64_t st = 9;

	cr_assert_eq(series__init(&s, n), 0);
	for (size_t i = 0; i < n; i++) {
		double x = (double)i / HOUR - 60;	/* hours from the first tooth's start */
		double tooth = x < 0 ? 0 : x < 40 ? 0.9 * x : 0.9 * (x - 40);

		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = 50 + tooth + 0.3 * gauss(&st);
	}
	detect_params__init_derived(&p);
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	cr_assert(r.leak);
	cr_expect_eq(r.pattern, PATTERN_SAWTOOTH, "got %s by '%s'", detect__pattern_name(r.pattern),
		     classify__rule_text(r.why.rule));
	cr_expect_geq(r.restarts, 1);
	series__release(&s);
}

/* A spike stands above the rest of its window: a short excursion from the
 * trough of a slow swing of ±10, whose peak stays under the swing's crest,
 * is no spike (the series stands higher elsewhere); the same excursion
 * above the crest is one. */
Test(classify, spike_stands_above_the_rest)
{
	struct series s;
	uint64_t st = 13;

	cr_assert_eq(series__init(&s, N), 0);
	for (int tall = 0; tall < 2; tall++) {
		struct classify_why why;
		enum detect_pattern got;

		for (size_t i = 0; i < N; i++) {
			double x = (double)i, y = 60 + 10 * sin(2 * M_PI * x / N);

			if (i >= 430 && i < 435)
				y += tall ? 25 : 9;	/* from 50: to 59, or to 75 */
			s.t[i] = 1.3e9 + x * STEP;
			s.v[i] = y + 0.2 * gauss(&st);
		}
		got = classify__window(s.v, 0, s.n, NULL, &why);
		if (tall)
			cr_expect_eq(got, PATTERN_SPIKE, "tall: %s (%s)", detect__pattern_name(got),
				     classify__rule_text(why.rule));
		else
			cr_expect_neq(got, PATTERN_SPIKE, "under the crest: spike (%s)",
				      classify__rule_text(why.rule));
	}
	series__release(&s);
}

/* The samples high above the median are one excursion: a series that
 * starts high and decays, then bumps up near the end, is two (or none),
 * not a spike; one excursion in the middle is. */
Test(classify, spike_is_one_run_above_the_median)
{
	struct series s;
	uint64_t st = 17;

	cr_assert_eq(series__init(&s, N), 0);
	for (int one = 0; one < 2; one++) {
		struct classify_why why;
		enum detect_pattern got;

		for (size_t i = 0; i < N; i++) {
			double x = (double)i, y = 50 + 0.2 * gauss(&st);

			if (one)
				y += i >= 280 && i < 300 ? 12 : 0;
			else
				y += 12 * exp(-x / 6) + (i >= 540 && i < 556 ? 9 : 0);
			s.t[i] = 1.3e9 + x * STEP;
			s.v[i] = y;
		}
		got = classify__window(s.v, 0, s.n, NULL, &why);
		if (one)
			cr_expect_eq(got, PATTERN_SPIKE, "one: %s (%s)", detect__pattern_name(got),
				     classify__rule_text(why.rule));
		else
			cr_expect_neq(got, PATTERN_SPIKE, "start and end: spike (%s)",
				      classify__rule_text(why.rule));
	}
	series__release(&s);
}

/* A restart is followed by growth at a similar slope: a ramp whose
 * background drops by 20 and recovers in 12 hours, 4 times as fast as the
 * ramp grows, then ramps on, is steady, not a sawtooth with one restart. */
Test(classify, dip_recovering_fast_in_a_ramp_is_no_restart)
{
	struct series s;
	size_t restarts = 99;
	uint64_t st = 19;
	enum detect_pattern got;
	struct classify_why why;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t i = 0; i < N; i++) {
		double x = (double)i, ramp = 40 + 30 * x / N, d = 62.4 - 41;

		s.t[i] = 1.3e9 + x * STEP;
		s.v[i] = ramp - (i >= 430 ? d * fmax(0, 1 - (x - 430) / 144) : 0) +
			 0.2 * gauss(&st);
	}
	got = classify__window(s.v, 0, s.n, &restarts, &why);
	cr_expect_neq(got, PATTERN_SAWTOOTH, "sawtooth (%zu restarts)", restarts);
	cr_expect_eq(restarts, 0);
	cr_expect_eq(got, PATTERN_STEADY, "got %s (%s)", detect__pattern_name(got),
		     classify__rule_text(why.rule));
	series__release(&s);
}

/* A tooth's growth is spread over it: a level of 60 that drops to 40 twice
 * and recovers each time within 13 hours, then holds for 17, has no
 * teeth. */
Test(classify, dips_that_recover_and_hold_are_no_teeth)
{
	struct series s;
	size_t restarts = 99;
	uint64_t st = 23;
	enum detect_pattern got;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t i = 0; i < N; i++) {
		double x = (double)i, y = 60;

		if (i >= 400)
			y -= 20 * fmax(0, 1 - (x - 400) / 160);
		else if (i >= 40)
			y -= 20 * fmax(0, 1 - (x - 40) / 160);
		s.t[i] = 1.3e9 + x * STEP;
		s.v[i] = y + 0.2 * gauss(&st);
	}
	got = classify__window(s.v, 0, s.n, &restarts, NULL);
	cr_expect_neq(got, PATTERN_SAWTOOTH, "sawtooth (%zu restarts)", restarts);
	cr_expect_eq(restarts, 0);
	series__release(&s);
}

/* A generated shape: sample I of N, from the generator ST, with STATE
 * kept from one sample to the next (an AR(1) wander), VARIANT chosen by
 * the test. */
typedef double (*shape_fn)(size_t i, size_t n, uint64_t *st, double *state, int variant);

/* Fills S's first N samples, STEP apart, with SHAPE from seed SEED. */
static void fill_shape(struct series *s, size_t n, uint64_t seed, shape_fn shape, int variant)
{
	uint64_t st = seed;
	double state = 0;

	for (size_t i = 0; i < n; i++) {
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = shape(i, n, &st, &state, variant);
	}
}

/* Counts in GOT the pattern of SEEDS windows of SHAPE (N samples, seeds
 * MUL, 2 MUL, ...). */
static void count_patterns(struct series *s, size_t n, uint64_t seeds, uint64_t mul,
			   shape_fn shape, int variant, size_t got[PATTERN_NPATTERNS])
{
	for (uint64_t sd = 1; sd <= seeds; sd++) {
		fill_shape(s, n, sd * mul, shape, variant);
		got[classify__window(s->v, 0, n, NULL, NULL)]++;
	}
}

/* The slow AR(1) wander of sd about 2.8 around 50, little noise from one
 * sample to the next; VARIANT 1 adds a rise of 24 that levels off, 2 a
 * sink of 7 over 12 hours from the 25th that comes back at once. */
static double slow_wander(size_t i, size_t n, uint64_t *st, double *w, int variant)
{
	double x = (double)i;

	(void)n;
	*w = 0.99 * *w + 0.4 * gauss(st);
	if (variant == 1)
		return 50 + *w + 24 * (1 - exp(-x / 60)) + 0.05 * gauss(st);
	return 50 + *w - (variant == 2 && i >= 300 && i < 444 ? 7 * (x - 300) / 144 : 0) +
	       0.05 * gauss(st);
}

/* A change is significant against what the series itself moves at the
 * window's scale, not only against its noise: two days of a slow AR(1)
 * wander (sd about 2.8, little noise from one sample to the next) are
 * mostly none, over 60 seeds; with a rise of 24 that levels off they are
 * mostly plateau. */
Test(classify, wander_alone_is_mostly_none)
{
	struct series s;
	size_t got[2][PATTERN_NPATTERNS] = { { 0 } };

	cr_assert_eq(series__init(&s, N), 0);
	for (int rise = 0; rise < 2; rise++)
		count_patterns(&s, N, 60, 7919, slow_wander, rise, got[rise]);
	cr_expect_geq(got[0][PATTERN_NONE], 46, "wander alone: none %zu of 60 (plateau %zu)",
		      got[0][PATTERN_NONE], got[0][PATTERN_PLATEAU]);
	cr_expect_geq(got[1][PATTERN_PLATEAU], 45, "levelled rise: plateau %zu of 60",
		      got[1][PATTERN_PLATEAU]);
	series__release(&s);
}

/* A step in a long window is sought near its runs' boundary and need not
 * jump their whole difference: three days with 3 steps of 10, where the
 * background dips by 6 at each step and recovers over 6 hours (the
 * boundary lands off the step, the jump there is under half the runs'
 * difference), and falls by 6 for the last 6 hours, are a stair over 20
 * seeds (3 of them before); the same rise as a ramp is still steady. */
static double steps_with_dips(size_t i, size_t n, uint64_t *st, double *state, int ramp)
{
	double x = (double)i / HOUR, y = 40;

	(void)n;
	(void)state;
	for (int k = 1; k <= 3 && !ramp; k++) {
		double d = x - 18.0 * k;

		y += d < 0 ? 0 : 10 - 6 * fmax(0, 1 - d / 6);
	}
	if (!ramp && x >= 66)
		y -= 6;
	if (ramp)
		y += 30 * x / 72;
	return y + 0.3 * gauss(st);
}

Test(classify, steps_with_a_dip_in_a_long_window_are_a_stair)
{
	size_t n = 3 * 24 * (size_t)HOUR, got[2][PATTERN_NPATTERNS] = { { 0 } };
	struct series s;

	cr_assert_eq(series__init(&s, n), 0);
	for (int ramp = 0; ramp < 2; ramp++)
		count_patterns(&s, n, 20, 104729, steps_with_dips, ramp, got[ramp]);
	cr_expect_geq(got[0][PATTERN_STAIR], 14, "steps: stair %zu of 20 (steady %zu)",
		      got[0][PATTERN_STAIR], got[0][PATTERN_STEADY]);
	cr_expect_geq(got[1][PATTERN_STEADY], 19, "ramp: steady %zu of 20 (stair %zu)",
		      got[1][PATTERN_STEADY], got[1][PATTERN_STAIR]);
	series__release(&s);
}

/* The fine pass's levels either side: a spike of 15 out of a dip of 10
 * that recovers right before it left the base, not the dip, so it came
 * back (one); a bump of 6 after which the level falls by 12 and stays is a
 * drop, not a spike that came back (none). */
Test(classify, fine_spike_levels_either_side)
{
	struct series s;
	uint64_t st = 29;

	cr_assert_eq(series__init(&s, N), 0);
	for (int shape = 0; shape < 2; shape++) {
		for (size_t i = 0; i < N; i++) {
			double y = 40 + 0.3 * gauss(&st);

			if (shape == 0 && i >= 260 && i < 300)
				y -= 10;			/* the dip */
			if (shape == 0 && i >= 300 && i < 303)
				y += 15;			/* the spike out of it */
			if (shape == 1 && i >= 300 && i < 303)
				y += 6;				/* the bump */
			if (shape == 1 && i >= 303)
				y -= 12;			/* the fall that stays */
			s.t[i] = 1.3e9 + (double)i * STEP;
			s.v[i] = y;
		}
		cr_expect_eq(classify__spike(s.v, 0, s.n, NULL), shape == 0, "shape %d", shape);
	}
	series__release(&s);
}

/* A sharp rise that stays is a plateau only when the level it shifts to
 * stands out of the series' own wander: two days of the slow AR(1) wander
 * above (a robust sd of about 3 over a sixth of the window) that sink by 7
 * over 12 hours from the 25th and come back at once are mostly none over
 * 60 seeds (43 before: the sharp recovery made them plateau). */
Test(classify, sharp_recovery_within_the_wander_is_none)
{
	struct series s;
	size_t got[PATTERN_NPATTERNS] = { 0 };

	cr_assert_eq(series__init(&s, N), 0);
	count_patterns(&s, N, 60, 7919, slow_wander, 2, got);
	cr_expect_geq(got[PATTERN_NONE], 48, "none %zu of 60 (plateau %zu)", got[PATTERN_NONE],
		      got[PATTERN_PLATEAU]);
	series__release(&s);
}

/* A long noisy spike whose first half sits on a dip's recovery: its
 * samples drop below half its height more than one at a time, yet within
 * 2 noise sds of it, and it rises and falls at once: over 20 seeds it is
 * mostly one spike at full resolution (13 of 20 before: the run stopped
 * at such samples and the rest of the spike stood beside it). */
static double spike_out_of_recovery(size_t i, size_t n, uint64_t *st, double *state, int v)
{
	double x = (double)i, y = 40 + 2 * gauss(st);

	(void)n;
	(void)state;
	(void)v;
	if (i >= 260 && i < 300)
		y -= 16 * (1 - (x - 260) / 40);	/* the dip, recovering */
	if (i >= 285 && i < 315)
		y += 14;			/* the spike */
	return y;
}

Test(classify, noisy_spike_out_of_a_recovery_is_one_run)
{
	struct series s;
	size_t spikes = 0;

	cr_assert_eq(series__init(&s, N), 0);
	for (uint64_t sd = 1; sd <= 20; sd++) {
		fill_shape(&s, N, sd * 6151, spike_out_of_recovery, 0);
		spikes += classify__spike(s.v, 0, s.n, NULL);
	}
	cr_expect_geq(spikes, 18, "spike %zu of 20", spikes);
	series__release(&s);
}

/* A jump counts for one boundary only: 15 hours of a ramp of 30 with two
 * jumps of 4, cut into short runs, are steady over 20 seeds (6 of 20
 * before: sought 2 lags from each boundary, a jump was counted by the
 * runs' boundaries either side of it, and made a stair). */
static double ramp_two_jumps(size_t i, size_t n, uint64_t *st, double *state, int v)
{
	(void)state;
	(void)v;
	return 40 + 30 * (double)i / (double)n + (i >= 60 ? 4 : 0) + (i >= 125 ? 4 : 0) +
	       0.3 * gauss(st);
}

Test(classify, ramp_with_two_jumps_in_a_short_window_is_steady)
{
	size_t n = 15 * (size_t)HOUR, got[PATTERN_NPATTERNS] = { 0 };
	struct series s;

	cr_assert_eq(series__init(&s, n), 0);
	count_patterns(&s, n, 20, 3571, ramp_two_jumps, 0, got);
	cr_expect_geq(got[PATTERN_STEADY], 18, "steady %zu of 20 (stair %zu)", got[PATTERN_STEADY],
		      got[PATTERN_STAIR]);
	series__release(&s);
}

/* A plateau's flat tail is one a line does not explain: 15 hours of a ramp
 * of 16 whose last 30 % still rises 1.5 (3 noise sds: a late leak in the
 * daily cycle's falling hours), noise 0.5, a line explaining 0.9 of the
 * variance or more, are steady over 20 seeds, not plateau (1 of 20
 * before). */
static double ramp_slowing(size_t i, size_t n, uint64_t *st, double *state, int v)
{
	double x = (double)i / (double)n;

	(void)state;
	(void)v;
	return 40 + (x < 0.7 ? 16 * x / 0.7 : 16 + 1.5 * (x - 0.7) / 0.3) + 0.5 * gauss(st);
}

Test(classify, ramp_slowing_at_the_end_is_steady)
{
	size_t n = 15 * (size_t)HOUR, got[PATTERN_NPATTERNS] = { 0 };
	struct series s;

	cr_assert_eq(series__init(&s, n), 0);
	count_patterns(&s, n, 20, 7411, ramp_slowing, 0, got);
	cr_expect_geq(got[PATTERN_STEADY], 18, "steady %zu of 20 (plateau %zu)", got[PATTERN_STEADY],
		      got[PATTERN_PLATEAU]);
	series__release(&s);
}

/* One restart's tooth is measured from its own base, its lowest sample,
 * not from the window's first: a window that starts at 47, dips to 40,
 * grows back in 8 hours to hold at 48.5 for 22 more (reaching its top
 * early), rises to 51, then drops by 8.5 and grows back at a similar slope
 * has no tooth whose growth is spread: not a sawtooth (it was: from the
 * first sample, the hold sat under three quarters of the rise). */
Test(classify, one_restart_tooth_from_its_own_base)
{
	struct series s;
	size_t restarts = 99;
	enum detect_pattern got;
	uint64_t st = 31;

	cr_assert_eq(series__init(&s, N), 0);
	for (size_t i = 0; i < N; i++) {
		double x = (double)i / HOUR, y;

		if (x < 2)
			y = 47 - 3.5 * x;			/* down to the dip */
		else if (x < 10)
			y = 40 + 1.0625 * (x - 2);		/* back to 48.5 */
		else if (x < 32)
			y = 48.5;				/* holds */
		else if (x < 40)
			y = 48.5 + 0.3125 * (x - 32);		/* to 51 */
		else
			y = 42.5 + 0.75 * (x - 40);		/* drops, grows back */
		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = y + 0.2 * gauss(&st);
	}
	got = classify__window(s.v, 0, s.n, &restarts, NULL);
	cr_expect_neq(got, PATTERN_SAWTOOTH, "sawtooth (%zu restarts)", restarts);
	series__release(&s);
}

/* A stair's last step is as far from the end as its steps are apart: two
 * days at 40 that step up by 12 at 24 h and jump by 6 in the last 3 hours
 * (the background's own jump after a plateau's step) are a plateau over
 * 20 seeds, not a stair (a stair in 17 of 20 before: the late jump was
 * counted as its second step). */
Test(classify, plateau_with_a_late_jump_is_no_stair)
{
	size_t got[PATTERN_NPATTERNS] = { 0 };
	struct series s;

	cr_assert_eq(series__init(&s, N), 0);
	for (uint64_t sd = 1; sd <= 20; sd++) {
		uint64_t st = sd * 6007;

		for (size_t i = 0; i < N; i++) {
			double x = (double)i / HOUR;

			s.t[i] = 1.3e9 + (double)i * STEP;
			s.v[i] = 40 + (x >= 24 ? 12 : 0) + (x >= 45 ? 6 : 0) + 0.3 * gauss(&st);
		}
		got[classify__window(s.v, 0, s.n, NULL, NULL)]++;
	}
	cr_expect_geq(got[PATTERN_PLATEAU], 18, "plateau %zu of 20 (stair %zu)", got[PATTERN_PLATEAU],
		      got[PATTERN_STAIR]);
	series__release(&s);
}

/* Steps of 8 noise sds or more are a stair's when they make 0.4 of the
 * rise: two days at 40 with two sharp steps of 10 (at 12 and 30 h) and,
 * between them, two gradual rises of 12 over 6 hours (from 20 and 38 h;
 * the background's), noise 0.3, are a stair over 20 seeds (steady in 20 of
 * 20 before: the steps made under half of it); with steps of 2 and rises
 * of 2.4 (steps under 8 noise sds) nothing changes: stair 6 of 20, as
 * before. */
Test(classify, large_steps_between_gradual_rises_are_a_stair)
{
	size_t got[2][PATTERN_NPATTERNS] = { { 0 } };
	struct series s;

	cr_assert_eq(series__init(&s, N), 0);
	for (int big = 0; big < 2; big++) {
		double step = big ? 10 : 2, soft = big ? 12 : 2.4;

		for (uint64_t sd = 1; sd <= 20; sd++) {
			uint64_t st = sd * 4099;

			for (size_t i = 0; i < N; i++) {
				double x = (double)i / HOUR;

				s.t[i] = 1.3e9 + (double)i * STEP;
				s.v[i] = 40 + (x >= 12 ? step : 0) + (x >= 30 ? step : 0) +
					 soft * fmin(fmax(x - 20, 0), 6) / 6 +
					 soft * fmin(fmax(x - 38, 0), 6) / 6 + 0.3 * gauss(&st);
			}
			got[big][classify__window(s.v, 0, s.n, NULL, NULL)]++;
		}
	}
	cr_expect_geq(got[1][PATTERN_STAIR], 18, "stair %zu of 20 (steady %zu)", got[1][PATTERN_STAIR],
		      got[1][PATTERN_STEADY]);
	cr_expect_leq(got[0][PATTERN_STAIR], 6, "small steps: stair %zu of 20", got[0][PATTERN_STAIR]);
	series__release(&s);
}
