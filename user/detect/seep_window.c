/* seep_window — seep's acceptance tests of a window; see seep_window.h. */
#include <errno.h>
#include <math.h>

#include "detect/robust.h"
#include "detect/seep_window.h"

#define RECENT_MIN 8			/* samples in the recent part, at least */

int seep_window__init(struct seep_window *w, const struct linfit *lf, size_t from, size_t n,
		      double step, double offset_now)
{
	w->lf = lf;
	w->from = from;
	w->n = n;
	w->step = step;
	w->offset_now = offset_now;
	w->scratch = NULL;
	return linfit__fit(lf, from, n, &w->line);
}

/* Samples in a quarter of the window (the last quarter takes the rest). */
static size_t _quarter(const struct seep_window *w)
{
	return (w->n - w->from) / 4;
}

/* What the line gains over one quarter. */
static double _quarter_rise(const struct seep_window *w)
{
	return w->line.slope * (double)_quarter(w);
}

bool seep_window__fits(const struct detect_params *p, const struct seep_window *w)
{
	return w->line.slope > 0 && !(w->line.r2 < p->seep_r2_min);
}

double seep_window__residual_sd(const struct seep_window *w)
{
	size_t m = w->n - w->from;
	double slope;

	if (m < 3)
		return 0;
	return sqrt(linfit__sse(w->lf, w->from, w->n, &slope) / (double)(m - 2));
}

bool seep_window__rises(const struct detect_params *p, const struct seep_window *w)
{
	double rise = w->line.slope * (double)(w->n - w->from - 1);

	return rise > 0 && !(rise < p->seep_min_snr * seep_window__residual_sd(w));
}

bool seep_window__reaches(const struct detect_params *p, const struct seep_window *w,
			  double *to_threshold)
{
	struct line now = w->line;
	double tt;

	now.intercept -= w->offset_now;
	tt = line__samples_to(&now, p->threshold);
	if (to_threshold)
		*to_threshold = tt;
	return !(tt * w->step > p->critical_s);
}

bool seep_window__persists(const struct detect_params *p, const struct seep_window *w)
{
	size_t from = w->from, q = _quarter(w);
	double share = _quarter_rise(w);
	double q1 = linfit__mean(w->lf, from, from + q);
	double q2 = linfit__mean(w->lf, from + q, from + 2 * q);
	double q3 = linfit__mean(w->lf, from + 2 * q, from + 3 * q);
	double q4 = linfit__mean(w->lf, from + 3 * q, w->n);

	(void)p;
	return !(q2 - q1 < 0.25 * share || q3 - q2 < 0.25 * share || q4 - q3 < 0.25 * share);
}

/* Growth that levelled off: split [from, n) in two lines where they fit best
 * (tail at least TAIL_MIN samples); the tail's slope is the current growth,
 * its length goes to *TAIL_LEN. */
static double _tail_slope(const struct linfit *lf, size_t from, size_t n, size_t tail_min,
			  size_t head_min, size_t *tail_len)
{
	double best = INFINITY, slope = 0;
	size_t stride = (n - from) / 200 + 1;

	*tail_len = tail_min;
	for (size_t h = from + head_min; h + tail_min <= n; h += stride) {
		double sh, st, e = linfit__sse(lf, from, h, &sh) + linfit__sse(lf, h, n, &st);

		if (e < best) {
			best = e;
			slope = st;
			*tail_len = n - h;
		}
	}
	return slope;
}

/* The window's series with its growth taken out, into SCRATCH (w->n
 * values): y_i from the prefix sums (less linfit's reference, which the
 * differences cancel), less its line in it, its start level before it.
 * It does not depend on the lag: fill once, then _spread at each lag. */
static void _detrend(const struct seep_window *w, double *scratch)
{
	const struct linfit *lf = w->lf;

	for (size_t i = 0; i < w->n; i++) {
		double x = i < w->from ? 0 : (double)(i - w->from);

		scratch[i] = lf->sy[i + 1] - lf->sy[i] - w->line.slope * x;
	}
}

/* seep_window__wander's spread over LAG samples of the detrended SCRATCH
 * (_detrend); ROBUST 0: the RMS only, O(n) and never below the full
 * spread (a bound to try first). */
static double _spread(const struct seep_window *w, size_t lag, const double *scratch, int robust)
{
	size_t k = 0;
	double s1 = 0, s2 = 0, rms, mad;

	lag = lag ? lag : 1;
	for (size_t i = 0; i + lag < w->n; i++, k++) {
		double d = scratch[i + lag] - scratch[i];

		s1 += d;
		s2 += d * d;
	}
	if (k < 3)
		return 0;
	s1 /= (double)k;
	rms = sqrt(fmax(0, s2 / (double)k - s1 * s1));
	if (!robust)
		return rms;
	mad = robust__diff_noise(scratch, w->n, lag, NULL);
	/* the smaller of the two: the robust sd ignores the few large
	 * differences of a drop (a restart the desawing missed) and
	 * overstates a daily cycle's (their arcsine spread puts most
	 * differences near its extremes), the RMS the other way round */
	return fmin(rms, mad);
}

double seep_window__wander(const struct seep_window *w, double share, double *scratch)
{
	_detrend(w, scratch);
	return _spread(w, (size_t)llround(share * (double)(w->n - w->from)), scratch, 1);
}

/* What a part of LEN samples at the window's end may fall short of its
 * floor by, per sample: seep_recent_wander times the series' own variation
 * over LEN samples (seep_window__wander, on w->scratch detrended already;
 * ROBUST 0: its RMS bound), over LEN. */
static double _allowance(const struct detect_params *p, const struct seep_window *w,
			 size_t len, int robust)
{
	return p->seep_recent_wander * _spread(w, len, w->scratch, robust) / (double)len;
}

/* The recent part's slope LR and the tail's TAIL are still growing: at the
 * floor or above and rising, each less its allowance AR, AT. */
static bool _growing(double lr, double tail, double floor, double ar, double at)
{
	return !(lr < floor - ar) && lr > -ar && !(tail < floor - at) && tail > -at;
}

bool seep_window__still_growing(const struct detect_params *p, const struct seep_window *w)
{
	size_t len = w->n - w->from, recent = len / 4 > RECENT_MIN ? len / 4 : RECENT_MIN, tl;
	double floor = p->seep_recent_frac * w->line.slope;
	struct line lr;
	double tail_slope;

	if (linfit__fit(w->lf, w->n - recent, w->n, &lr))
		return false;
	/* a window shorter than tail + head (one under seep_min_window_s) is
	 * split with both scaled to it: half of it at most for the tail */
	size_t tail = detect_params__samples(p->seep_tail_min_s, w->step);
	size_t head = detect_params__samples(p->seep_part_min_s, w->step);

	if (tail > len / 2)
		tail = len / 2;
	if (head > len / 4)
		head = len / 4;
	tail_slope = _tail_slope(w->lf, w->from, w->n, tail, head, &tl);
	/* both must rise, also when the floor is 0; a part that falls short
	 * by no more than the background wanders over its length (a short
	 * series' own time scale) still grows */
	if (_growing(lr.slope, tail_slope, floor, 0, 0))
		return true;
	if (!(p->seep_recent_wander > 0) || !w->scratch || !tl)
		return false;
	_detrend(w, w->scratch);
	/* the RMS bound first (O(n)): most windows fail even with it */
	return _growing(lr.slope, tail_slope, floor, _allowance(p, w, recent, 0),
			_allowance(p, w, tl, 0)) &&
	       _growing(lr.slope, tail_slope, floor, _allowance(p, w, recent, 1),
			_allowance(p, w, tl, 1));
}

/* A level shift rather than growth: the best step (two flat levels, each at
 * least MIN_PART samples) against the line on [from, n). Returns
 * SSE(step) / SSE(line): below 1 when one shift explains the window better
 * than steady growth (bounded growth that levelled off, a plateau). */
static double _step_ratio(const struct linfit *lf, size_t from, size_t n, size_t min_part)
{
	double sy = lf->sy[n] - lf->sy[from], slope;
	double line_sse = linfit__sse(lf, from, n, &slope), best = -INFINITY;
	size_t stride = (n - from) / 100 + 1;

	if (!(line_sse > 0))
		return INFINITY;
	/* SSE(step) = SStot - explained; maximize the explained part */
	for (size_t h = from + min_part; h + min_part <= n; h += stride) {
		double a = lf->sy[h] - lf->sy[from], b = sy - a;
		double e = a * a / (double)(h - from) + b * b / (double)(n - h);

		if (e > best)
			best = e;
	}
	if (!isfinite(best))
		return INFINITY;
	return fmax(0, (lf->syy[n] - lf->syy[from]) - best) / line_sse;
}

bool seep_window__no_level_shift(const struct detect_params *p, const struct seep_window *w)
{
	size_t part = detect_params__samples(p->seep_part_min_s, w->step), len = w->n - w->from;

	/* each level a quarter of a window shorter than four parts */
	if (part > len / 4)
		part = len / 4;
	return !(_step_ratio(w->lf, w->from, w->n, part) < p->seep_step_ratio);
}

bool seep_window__clear(const struct detect_params *p, const struct seep_window *w,
			double *scratch)
{
	double rise = w->line.slope * (double)(w->n - w->from - 1);

	if (!(p->seep_min_wander > 0))
		return true;
	return !(rise < p->seep_min_wander * seep_window__wander(w, p->seep_wander_lag, scratch));
}

bool seep_window__new_high(const struct detect_params *p, const struct seep_window *w,
			   double hist_max, double reached)
{
	/* the line's end overshoots a ramp that has just levelled off (a cache
	 * refilling to its cap): the level is what the window reached, if lower */
	double now = fmin(line__end_value(&w->line), reached);

	return !(now - hist_max < p->seep_new_high_sd * seep_window__residual_sd(w));
}

static const char *const test_names[SEEP_NTESTS + 1] = {
	[SEEP_PASSED] = "passed", [SEEP_FITS] = "fits", [SEEP_RISES] = "rises",
	[SEEP_REACHES] = "reaches", [SEEP_PERSISTS] = "persists",
	[SEEP_STILL_GROWING] = "still_growing", [SEEP_NO_LEVEL_SHIFT] = "no_level_shift",
	[SEEP_NEW_HIGH] = "new_high", [SEEP_CLEAR] = "clear",
};

const char *seep_window__test_name(enum seep_test t)
{
	return t <= SEEP_NTESTS ? test_names[t] : "?";
}

enum seep_test seep_window__first_failure(const struct detect_params *p,
					  const struct seep_window *w, double *to_threshold)
{
	if (!seep_window__fits(p, w))
		return SEEP_FITS;
	if (!seep_window__rises(p, w))
		return SEEP_RISES;
	if (!seep_window__reaches(p, w, to_threshold))
		return SEEP_REACHES;
	if (!seep_window__persists(p, w))
		return SEEP_PERSISTS;
	if (!seep_window__still_growing(p, w))
		return SEEP_STILL_GROWING;
	if (!seep_window__no_level_shift(p, w))
		return SEEP_NO_LEVEL_SHIFT;
	return SEEP_PASSED;
}

bool seep_window__accept(const struct detect_params *p, const struct seep_window *w,
			 double *to_threshold)
{
	return seep_window__first_failure(p, w, to_threshold) == SEEP_PASSED;
}

size_t seep_window__onset(const struct seep_window *w, size_t min_tail)
{
	const struct linfit *lf = w->lf;
	size_t from = w->from, n = w->n;
	double m = (double)(n - from), sy = lf->sy[n] - lf->sy[from], slope;
	double syy_c = (lf->syy[n] - lf->syy[from]) - sy * sy / m;
	double line = linfit__sse(lf, from, n, &slope), best = INFINITY;
	size_t stride = (n - from) / 400 + 1, at = from;

	for (size_t h = from + 1; h + min_tail <= n; h += stride) {
		double T = (double)(n - h), sz = T * (T - 1) / 2;
		double szz = (T - 1) * T * (2 * T - 1) / 6;
		double szy = (lf->sxy[n] - lf->sxy[h]) - (double)h * (lf->sy[n] - lf->sy[h]);
		double szz_c = szz - sz * sz / m, szy_c = szy - sz * sy / m, e;

		if (szz_c <= 0 || szy_c <= 0)
			continue;
		e = syy_c - szy_c * szy_c / szz_c;
		if (e < best) {
			best = e;
			at = h;
		}
	}
	return best < 0.8 * line ? at : from;
}
