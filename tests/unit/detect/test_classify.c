/* detect__classify on generated series: each growth pattern by its own
 * definition, over several seeds and noise levels. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

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
