/* Unit tests: windowed regression, CPD, LBR, LBRCPD, Precog(MF) training,
 * model files and testing, seep's detector, growth patterns. Known answers
 * are computed by hand in the comments. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/detect.h"
#include "detect/linfit.h"
#include "detect/precog.h"
#include "detect/series.h"

#define STEP 300.0
#define PER_HOUR 12		/* samples per hour at 5 minutes */

/* A 5-minute series of N samples from 1.3e9 with values from FN. */
static void make(struct series *s, size_t n, double (*fn)(size_t i, void *ctx), void *ctx)
{
	cr_assert_eq(series__init(s, n), 0);
	s->step = STEP;
	for (size_t i = 0; i < n; i++) {
		s->t[i] = 1.3e9 + (double)i * STEP;
		s->v[i] = fn(i, ctx);
	}
}

/* Pre-processing that changes nothing: already at 5 minutes, no smoothing. */
static void raw_params(struct detect_params *p)
{
	detect_params__init(p);
	p->smooth_s = p->step_s;
}

static double line_50_per_hour(size_t i, void *ctx)
{
	(void)ctx;
	return 50 + (double)i / PER_HOUR;	/* +1 per hour */
}

static double flat(size_t i, void *ctx)
{
	(void)i;
	return *(double *)ctx;
}

/* Deterministic noise in [-a, a]. */
static double noise(size_t i, double a)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	return a * (2.0 * (double)(z >> 11) / 9007199254740992.0 - 1);
}

/* --- linfit ------------------------------------------------------------------- */

Test(linfit, perfect_line)
{
	double y[100];
	struct linfit lf;
	struct line l;

	for (int i = 0; i < 100; i++)
		y[i] = 3 + 0.5 * i;
	cr_assert_eq(linfit__init(&lf, y, 100), 0);
	cr_assert_eq(linfit__fit(&lf, 10, 60, &l), 0);
	cr_assert_float_eq(l.slope, 0.5, 1e-12);
	cr_assert_float_eq(l.intercept, 8, 1e-9);	/* y at x = 10 */
	cr_assert_float_eq(l.r2, 1, 1e-12);
	cr_assert_float_eq(line__end_value(&l), 3 + 0.5 * 59, 1e-9);
	cr_assert_float_eq(line__samples_to(&l, 100), (100 - 32.5) / 0.5, 1e-9);
	cr_assert_eq(linfit__fit(&lf, 10, 11, &l), -EINVAL);
	cr_assert_eq(linfit__fit(&lf, 10, 101, &l), -EINVAL);
	linfit__release(&lf);
	linfit__release(&lf);
}

/* Prefix sums agree with a direct least-squares fit on every window shape. */
struct window {
	size_t from, to;
};

ParameterizedTestParameters(linfit, matches_direct_fit)
{
	static struct window w[] = {
		{ 0, 2 }, { 0, 500 }, { 17, 18 + 2 }, { 100, 400 }, { 250, 500 }, { 499 - 7, 500 },
	};
	return cr_make_param_array(struct window, w, sizeof(w) / sizeof(w[0]));
}

ParameterizedTest(struct window *w, linfit, matches_direct_fit)
{
	double y[500], mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, m;
	struct linfit lf;
	struct line l;

	for (int i = 0; i < 500; i++)
		y[i] = 1000 + 0.01 * i + noise((size_t)i, 3);
	cr_assert_eq(linfit__init(&lf, y, 500), 0);
	cr_assert_eq(linfit__fit(&lf, w->from, w->to, &l), 0);
	m = (double)(w->to - w->from);
	for (size_t i = w->from; i < w->to; i++) {
		mx += (double)(i - w->from) / m;
		my += y[i] / m;
	}
	for (size_t i = w->from; i < w->to; i++) {
		double dx = (double)(i - w->from) - mx, dy = y[i] - my;

		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	cr_assert_float_eq(l.slope, sxy / sxx, 1e-9);
	cr_assert_float_eq(l.intercept, my - sxy / sxx * mx, 1e-7);
	cr_assert_float_eq(l.r2, sxy * sxy / (sxx * syy), 1e-7);
	double slope, e = linfit__sse(&lf, w->from, w->to, &slope);
	cr_assert_float_eq(slope, sxy / sxx, 1e-9);
	cr_assert_float_eq(e, syy - sxy * sxy / sxx, 1e-6 * (1 + syy));
	cr_assert_float_eq(linfit__mean(&lf, w->from, w->to), my, 1e-9);
	linfit__release(&lf);
}

Test(linfit, single_change_point)
{
	double y[200];
	size_t *p, np;

	for (int i = 0; i < 200; i++)
		y[i] = i < 120 ? 10 : 30;
	cr_assert_eq(linfit__cpd(y, 200, 3, 72, &p, &np), 0);
	cr_assert_eq(np, 3);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(p[1], 120);	/* the first sample after the jump */
	cr_assert_eq(p[2], 200);
	free(p);
	/* too close to the end for the minimum distance: dropped */
	cr_assert_eq(linfit__cpd(y, 200, 3, 81, &p, &np), 0);
	cr_assert_eq(np, 2);
	free(p);
}

Test(linfit, change_points_keep_minimum_distance)
{
	double y[400];
	size_t *p, np;

	for (int i = 0; i < 400; i++)
		y[i] = (i >= 100) * 10 + (i >= 110) * 10 + (i >= 300) * 10;
	cr_assert_eq(linfit__cpd(y, 400, 3, 50, &p, &np), 0);
	cr_assert_eq(np, 4);
	cr_assert_eq(p[1], 100);	/* 110 is within 50 of 100 */
	cr_assert_eq(p[2], 300);
	for (size_t k = 1; k < np; k++)
		cr_assert_geq(p[k] - p[k - 1], 50);
	free(p);
}

/* --- LBR and LBRCPD ----------------------------------------------------------- */

Test(lbr, perfect_line_exact_time_to_threshold)
{
	struct detect_params p;
	struct detect_result r;
	struct series s;

	raw_params(&p);
	make(&s, 24 * PER_HOUR, line_50_per_hour, NULL);
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert(r.leak);
	cr_assert_eq(r.from, 0);	/* the longest window: all of it */
	cr_assert_eq(r.to, s.n);
	cr_assert_float_eq(r.r2, 1, 1e-9);
	cr_assert_float_eq(r.slope_per_hour, 1, 1e-9);
	/* last value 50 + 287/12; 100 is reached (100 - that) hours later */
	cr_assert_float_eq(r.time_to_threshold_s, (100 - (50 + 287.0 / 12)) * 3600, 1e-3);
	cr_assert_float_eq(r.window_start, s.t[0], 1e-9);
	cr_assert_float_eq(r.window_end, s.t[s.n - 1], 1e-9);
	cr_assert_eq(r.pattern, PATTERN_STEADY);
	series__release(&s);
}

Test(lbr, critical_time_and_threshold_are_honoured)
{
	struct detect_params p;
	struct detect_result r;
	struct series s;

	raw_params(&p);
	make(&s, 24 * PER_HOUR, line_50_per_hour, NULL);
	p.critical_s = 25 * 3600;	/* 26.08 h needed: too far */
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert_not(r.leak);
	p.critical_s = 27 * 3600;
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert(r.leak);
	p.threshold = 1000;		/* 926 h away */
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert_not(r.leak);
	series__release(&s);
}

/* Every detector, through the whole pipeline, finds no leak in S. */
static void assert_no_detector_fires(const struct detect_params *p, const struct series *s,
				     enum detect_pattern want)
{
	for (int a = 0; a < DETECT_NALGOS; a++) {
		struct detect_input in = { .raw = s };
		struct detect_result r;

		cr_assert_eq(detect__run(p, (enum detect_algo)a, &in, &r), 0);
		cr_assert_not(r.leak, "%s", detect__algo_name((enum detect_algo)a));
		cr_assert(isinf(r.time_to_threshold_s));
		cr_assert_eq(r.pattern, want, "%s: %s", detect__algo_name((enum detect_algo)a),
			     detect__pattern_name(r.pattern));
	}
}

Test(lbr, flat_series_is_not_a_leak)
{
	struct detect_params p;
	struct series s;
	double level = 60;

	raw_params(&p);
	make(&s, 48 * PER_HOUR, flat, &level);
	assert_no_detector_fires(&p, &s, PATTERN_NONE);
	series__release(&s);
}

Test(lbr, shorter_than_minimum_trend)
{
	struct detect_params p;
	struct detect_result r;
	struct series s;

	raw_params(&p);
	make(&s, 5 * PER_HOUR, line_50_per_hour, NULL);	/* 5 h < 6 h */
	assert_no_detector_fires(&p, &s, PATTERN_STEADY);
	p.min_trend_s = 4 * 3600;
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert(r.leak);
	series__release(&s);
}

/* 12 h at 80, then from 40 rising 1 per hour for 12 h. */
static double drop_then_rise(size_t i, void *ctx)
{
	(void)ctx;
	return i < 12 * PER_HOUR ? 80 : 40 + (double)(i - 12 * PER_HOUR) / PER_HOUR;
}

Test(lbrcpd, window_starts_at_the_change_point)
{
	struct detect_params p;
	struct detect_result r;
	struct series s;

	raw_params(&p);
	make(&s, 24 * PER_HOUR, drop_then_rise, NULL);
	cr_assert_eq(detect__lbrcpd(&p, &s, &r), 0);
	cr_assert(r.leak);
	cr_assert_eq(r.ncp, 3);
	cr_assert_eq(r.from, 12 * PER_HOUR);
	cr_assert_eq(r.to, s.n);
	cr_assert_float_eq(r.slope_per_hour, 1, 1e-9);
	cr_assert_float_eq(r.r2, 1, 1e-9);
	/* the whole series falls: no LBR window reaches back before the drop */
	cr_assert_eq(detect__lbr(&p, &s, &r), 0);
	cr_assert(r.leak);
	cr_assert_geq(r.from, 12 * PER_HOUR);
	series__release(&s);
}

/* --- Precog ------------------------------------------------------------------- */

/* 12 h at 50, then a jump to 60 and +1 per hour for 12 h. */
static double flat_then_trend(size_t i, void *ctx)
{
	(void)ctx;
	return i < 12 * PER_HOUR ? 50 : 60 + (double)(i - 12 * PER_HOUR) / PER_HOUR;
}

Test(precog, training_known_trends)
{
	struct detect_params p;
	struct precog_model m;
	struct series s;

	raw_params(&p);
	make(&s, 24 * PER_HOUR, flat_then_trend, NULL);
	cr_assert_eq(precog__train(&p, &s, &m), 0);
	/* change points {0, 144, 288}: from 0 the best line is all of it
	 * (R² 0.868, 1.1224/h); from 144 the trend itself (12 h, 1/h) */
	cr_assert_eq(m.ntrends, 2);
	cr_assert_float_eq(m.trends[0].duration_s, 86400, 1e-9);
	cr_assert_float_eq(m.trends[0].slope_per_hour, 1.1224033, 1e-6);
	cr_assert_float_eq(m.trends[1].duration_s, 43200, 1e-9);
	cr_assert_float_eq(m.trends[1].slope_per_hour, 1, 1e-9);
	cr_assert_float_eq(m.dmax_s, 86400, 1e-9);
	cr_assert_float_eq(m.smax_per_hour, 1.1224033, 1e-6);
	cr_assert_float_eq(m.train_max, 60 + 143.0 / 12, 1e-9);
	precog_model__release(&m);
	precog_model__release(&m);
	series__release(&s);
}

Test(precog, model_file_round_trip)
{
	struct precog_trend tr[] = { { 3600, 0.5 }, { 7200, 1.25 } };
	struct precog_model m = { .dmax_s = 7200, .smax_per_hour = 1.25, .train_max = 93.5,
				  .trends = tr, .ntrends = 2 }, back;
	char path[] = "/tmp/seep-model-XXXXXX", err[256];
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(precog__save(&m, path), 0);
	cr_assert_eq(precog__load(&back, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.ntrends, 2);
	cr_assert_float_eq(back.dmax_s, 7200, 1e-12);
	cr_assert_float_eq(back.smax_per_hour, 1.25, 1e-12);
	cr_assert_float_eq(back.train_max, 93.5, 1e-12);
	cr_assert_float_eq(back.trends[0].duration_s, 3600, 1e-12);
	cr_assert_float_eq(back.trends[1].slope_per_hour, 1.25, 1e-12);
	precog_model__release(&back);
	/* not a model */
	FILE *f = fopen(path, "w");
	fputs("{\"format\":\"other\"}", f);
	fclose(f);
	cr_assert_eq(precog__load(&back, path, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a seep precog model"), "%s", err);
	unlink(path);
}

Test(precog, test_against_model_and_maximum_filtration)
{
	struct precog_trend small[] = { { 6 * 3600, 0.5 } };
	struct precog_model none = { .train_max = -1e300 };
	struct precog_model big = { .dmax_s = 86400, .smax_per_hour = 2 };
	struct precog_model via_trend = { .dmax_s = 86400, .smax_per_hour = 2,
					  .trends = small, .ntrends = 1 };
	struct detect_params p;
	struct detect_result r;
	struct series s;

	raw_params(&p);
	make(&s, 12 * PER_HOUR, line_50_per_hour, NULL);	/* 12 h, 1/h, max 60.9 */
	cr_assert_eq(detect__precog(&p, &none, &s, 0, &r), 0);
	cr_assert(r.leak);
	cr_assert_eq(r.algo, DETECT_PRECOG);
	cr_assert_eq(detect__precog(&p, &big, &s, 0, &r), 0);
	cr_assert_not(r.leak);	/* slower and shorter than the historic maximum */
	cr_assert_eq(detect__precog(&p, &via_trend, &s, 0, &r), 0);
	cr_assert(r.leak);	/* steeper and longer than one historic trend */
	via_trend.train_max = 95;
	cr_assert_eq(detect__precog(&p, &via_trend, &s, 1, &r), 0);
	cr_assert_not(r.leak);	/* MF: stays below the training maximum */
	cr_assert_eq(r.algo, DETECT_PRECOGMF);
	via_trend.train_max = 60;
	cr_assert_eq(detect__precog(&p, &via_trend, &s, 1, &r), 0);
	cr_assert(r.leak);
	series__release(&s);
}

Test(precog, run_splits_by_fraction_and_offsets_the_window)
{
	struct precog_model trained = { 0 };
	struct detect_params p;
	struct detect_result r;
	struct series s;
	double level = 50;
	struct detect_input in = { .trained = &trained };

	raw_params(&p);
	make(&s, 40 * PER_HOUR, flat, &level);
	/* the last 14 h (35% of 40 h) rise 1/h: a trend training never saw */
	for (size_t i = 26 * PER_HOUR; i < s.n; i++)
		s.v[i] = 50 + (double)(i - 26 * PER_HOUR) / PER_HOUR;
	in.raw = &s;
	cr_assert_eq(detect__run(&p, DETECT_PRECOGMF, &in, &r), 0);
	cr_assert_eq(in.split, 26 * PER_HOUR);
	cr_assert(r.leak);
	cr_assert_geq(r.from, in.split);
	cr_assert_eq(r.to, s.n);
	cr_assert_float_eq(trained.train_max, 50, 1e-12);
	cr_assert_eq(trained.ntrends, 0);
	precog_model__release(&trained);
	series__release(&s);
}

/* --- seep's detector and patterns --------------------------------------------- */

struct shape {
	enum detect_pattern want;
	int leak;		/* seep's expected verdict */
	char name[16];		/* no pointers: parameters cross processes */
};

/* 4 days at 40 ± 1; the last 2 days carry the shape. */
static double shaped(size_t i, void *ctx)
{
	const struct shape *sh = ctx;
	double x = (double)i / PER_HOUR - 48, base = 40 + noise(i, 1);

	if (x < 0)
		return base;
	switch (sh->want) {
	case PATTERN_STEADY:
		return base + 0.8 * x;
	case PATTERN_STAIR:
		return base + 8 * floor(x / 6 + 1);
	case PATTERN_SAWTOOTH:
		return base + 40 * fmod(x, 12) / 12;
	case PATTERN_SPIKE:
		return base + (x >= 20 && x < 21 ? 30 : 0);
	case PATTERN_PLATEAU:
		return base + 25 * (1 - exp(-x / 3));
	default:
		return base;
	}
}

ParameterizedTestParameters(seep, shapes)
{
	static struct shape s[] = {
		{ PATTERN_STEADY, 1, "steady" },
		{ PATTERN_STAIR, 1, "stair" },
		{ PATTERN_SAWTOOTH, 1, "sawtooth" },
		{ PATTERN_SPIKE, 0, "spike" },
		{ PATTERN_PLATEAU, 0, "plateau" },
	};
	return cr_make_param_array(struct shape, s, sizeof(s) / sizeof(s[0]));
}

ParameterizedTest(struct shape *sh, seep, shapes)
{
	struct detect_params p;
	struct detect_result r;
	struct series s;
	size_t restarts;

	detect_params__init(&p);
	make(&s, 96 * PER_HOUR, shaped, sh);
	{
		struct detect_input in = { .raw = &s };
		struct series a = { 0 };

		in.analysed = &a;
		cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
		cr_assert_eq(r.leak, sh->leak, "%s: leak %d", sh->name, r.leak);
		/* the pattern of the last two days, leak or not */
		cr_assert_eq(detect__classify(&a, 48 * PER_HOUR, a.n, &restarts), sh->want,
			     "%s: got %s", sh->name,
			     detect__pattern_name(detect__classify(&a, 48 * PER_HOUR, a.n, NULL)));
		if (sh->leak) {
			cr_assert_eq(r.pattern, sh->want, "%s: verdict pattern %s", sh->name,
				     detect__pattern_name(r.pattern));
			cr_assert_eq(r.to, a.n);
			cr_assert_lt(r.window_start, r.window_end);
			cr_assert(r.time_to_threshold_s >= 0 && r.time_to_threshold_s <= p.critical_s);
		}
		if (sh->want == PATTERN_SAWTOOTH) {
			cr_assert_eq(restarts, 3, "restarts %zu", restarts);
			/* restarts are continued growth: about 40 per 12 h */
			cr_assert_float_eq(r.slope_per_hour, 40.0 / 12, 0.5, "slope %f from %zu", r.slope_per_hour, r.from);
			cr_assert_geq(r.restarts, 2);
		}
		series__release(&a);
	}
	series__release(&s);
}

Test(seep, sawtooth_is_missed_by_lbr_only_partially)
{
	struct shape sh = { PATTERN_SAWTOOTH, 1, "sawtooth" };
	struct detect_params p;
	struct detect_result r;
	struct series s;
	struct detect_input in;

	detect_params__init(&p);
	make(&s, 96 * PER_HOUR, shaped, &sh);
	in = (struct detect_input){ .raw = &s };
	cr_assert_eq(detect__run(&p, DETECT_LBR, &in, &r), 0);
	/* LBR sees the current tooth at most: shorter than 12 h */
	if (r.leak)
		cr_assert_leq(r.window_end - r.window_start, 12 * 3600);
	in = (struct detect_input){ .raw = &s };
	cr_assert_eq(detect__run(&p, DETECT_SEEP, &in, &r), 0);
	cr_assert(r.leak);
	cr_assert_geq(r.window_end - r.window_start, 24 * 3600);
	series__release(&s);
}

Test(detect, names_round_trip)
{
	enum detect_algo a;

	for (int i = 0; i < DETECT_NALGOS; i++) {
		cr_assert_eq(detect__algo_parse(detect__algo_name((enum detect_algo)i), &a), 0);
		cr_assert_eq((int)a, i);
	}
	cr_assert_eq(detect__algo_parse("nope", &a), -EINVAL);
	cr_assert_str_eq(detect__pattern_name(PATTERN_SAWTOOTH), "sawtooth");
}

Test(precog, run_with_a_separate_training_series)
{
	struct detect_params p;
	struct detect_result r;
	struct series train, test;
	double level = 50;
	struct detect_input in = { 0 };

	raw_params(&p);
	make(&train, 24 * PER_HOUR, flat, &level);
	make(&test, 12 * PER_HOUR, line_50_per_hour, NULL);	/* max 60.92 */
	in.raw = &test;
	in.train_raw = &train;
	cr_assert_eq(detect__run(&p, DETECT_PRECOGMF, &in, &r), 0);
	cr_assert_eq(in.split, 0);	/* all of RAW is tested */
	cr_assert(r.leak);
	cr_assert_eq(r.from, 0);
	cr_assert_eq(r.to, test.n);
	/* the same growth below a higher training maximum is normal */
	level = 70;
	series__release(&train);
	make(&train, 24 * PER_HOUR, flat, &level);
	cr_assert_eq(detect__run(&p, DETECT_PRECOGMF, &in, &r), 0);
	cr_assert_not(r.leak);
	cr_assert_eq(detect__run(&p, DETECT_PRECOG, &in, &r), 0);
	cr_assert(r.leak);	/* Precog has no maximum filtration */
	series__release(&train);
	series__release(&test);
}

Test(precog, run_with_a_given_model_hands_back_no_model)
{
	struct precog_model model = { 0 }, trained = { 0 };
	struct detect_params p;
	struct detect_result r;
	struct series test;
	struct detect_input in = { .model = &model, .trained = &trained };

	raw_params(&p);
	make(&test, 12 * PER_HOUR, line_50_per_hour, NULL);
	model.train_max = 70;	/* no trends: only the maximum filtration decides */
	in.raw = &test;
	cr_assert_eq(detect__run(&p, DETECT_PRECOG, &in, &r), 0);
	cr_assert(r.leak);
	cr_assert_eq(in.split, 0);
	cr_assert_null(trained.trends, "nothing was trained: *trained stays empty");
	cr_assert_eq(detect__run(&p, DETECT_PRECOGMF, &in, &r), 0);
	cr_assert_not(r.leak, "the window stays below the model's maximum");
	series__release(&test);
}

/* --- detect__classify on hand-made series (no pre-processing) ----------------- */

struct classify_case {
	char name[16];
	enum detect_pattern want;
	size_t restarts;
};

static double classify_value(const char *name, size_t i)
{
	double x = (double)i;

	if (!strcmp(name, "flat"))
		return 20;
	if (!strcmp(name, "steady"))
		return 10 + 0.1 * x + noise(i, 0.05);
	if (!strcmp(name, "stair"))	/* +10 at 75, 150 and 225 */
		return 10 + 10 * floor(x / 75) + noise(i, 0.1);
	if (!strcmp(name, "sawtooth"))	/* three teeth of 100, 0 -> 19.8 */
		return 0.2 * fmod(x, 100);
	if (!strcmp(name, "spike"))	/* 5 samples at 40 over a level of 10 */
		return (i >= 150 && i < 155 ? 40 : 10) + noise(i, 0.1);
	if (!strcmp(name, "levelled"))	/* 0 -> 30 over 100 samples, then flat */
		return 0.3 * fmin(x, 100) + noise(i, 0.05);
	return NAN;
}

ParameterizedTestParameters(classify, hand_made)
{
	static struct classify_case c[] = {
		{ "flat", PATTERN_NONE, 0 },
		{ "steady", PATTERN_STEADY, 0 },
		{ "stair", PATTERN_STAIR, 0 },
		{ "sawtooth", PATTERN_SAWTOOTH, 2 },
		{ "spike", PATTERN_SPIKE, 0 },
		{ "levelled", PATTERN_PLATEAU, 0 },
	};
	return cr_make_param_array(struct classify_case, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct classify_case *c, classify, hand_made)
{
	struct series s;
	size_t restarts = 99;
	enum detect_pattern got;

	cr_assert_eq(series__init(&s, 300), 0);
	for (size_t i = 0; i < s.n; i++) {
		s.t[i] = 1.3e9 + (double)i * STEP;
		s.v[i] = classify_value(c->name, i);
	}
	got = detect__classify(&s, 0, s.n, &restarts);
	cr_assert_eq(got, c->want, "%s: got %s", c->name, detect__pattern_name(got));
	cr_assert_eq(restarts, c->restarts, "%s: restarts %zu", c->name, restarts);
	/* from == to means the whole series; RESTARTS may be NULL */
	cr_assert_eq(detect__classify(&s, 7, 7, NULL), c->want);
	series__release(&s);
}

Test(classify, short_windows_are_none)
{
	struct series s;

	cr_assert_eq(series__init(&s, 10), 0);
	for (size_t i = 0; i < s.n; i++)
		s.v[i] = (double)(i * i);
	cr_assert_eq(detect__classify(&s, 2, 5, NULL), PATTERN_NONE);	/* 3 samples */
	cr_assert_eq(detect__classify(&s, 0, s.n, NULL), PATTERN_STEADY);
	series__release(&s);
}
