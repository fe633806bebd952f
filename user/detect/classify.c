/* classify — pattern classes, see classify.h. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "detect/classify.h"
#include "detect/robust.h"

/* --- growth patterns ------------------------------------------------------- */

/* Each class by its own definition, on v[from, to) (n samples):
 * - sawtooth: repeated rise-then-drop: sharp drops from the top of the
 *   range to near its base, above the noise, that growth which is not
 *   jumps wins back between them;
 * - spike: one short excursion far above the base (compared with how far the
 *   series goes below it and with its noise) that is back near the base by
 *   the end;
 * - none: no significant change: neither a line nor one level shift
 *   explains much of the variance, or the change is within the noise;
 * - plateau: a level shift that stays: one step explains the series better
 *   than a line and what follows the step is flat (bounded growth too);
 * - stair: growth concentrated in a few jumps (each well above the noise)
 *   separated by flat runs: the jumps make most of the rise;
 * - steady: the rest: one line fits the growth. */

#define PATTERN_LAG 6	/* samples: the scale of the noise and of a jump */

/* Robust noise of v[from, to) at lag L, per sample (over √2); what the
 * series typically moves over L samples goes to *TREND. */
static double _lag_noise(const double *v, size_t from, size_t to, size_t l, double *trend)
{
	return robust__diff_noise(v + from, to - from, l, trend) / sqrt(2.0);
}

/* Drops of v[from, to): runs of falling steps above 2·SIGMA, at most half
 * an hour long (smoothing spreads a drop over a few samples), falling by
 * more than 0.4 of RANGE and more than LEAST, from the top part of the
 * range (above LO + 0.6 · RANGE) to near its base (below LO + 0.35 ·
 * RANGE); *DROPPED gets what they
 * fall together (positive), [*FIRST, *FIRST_END] spans the first one. */
static size_t _drops(const double *v, size_t from, size_t to, double sigma, double lo,
		     double range, double least, double *dropped, size_t *first, size_t *first_end)
{
	size_t nd = 0;

	*dropped = 0;
	*first = *first_end = to;
	for (size_t i = from + 1; i < to;) {
		double d = v[i] - v[i - 1];
		size_t j = i;

		if (fabs(d) <= 2 * sigma) {
			i++;
			continue;
		}
		while (j + 1 < to && (v[j + 1] - v[j]) * d > 0 && fabs(v[j + 1] - v[j]) > 2 * sigma)
			j++;
		if (j - i < 6 && v[j] - v[i - 1] < -fmax(0.4 * range, least) &&
		    v[i - 1] > lo + 0.6 * range && v[j] < lo + 0.35 * range) {
			if (!nd++) {
				*first = i - 1;
				*first_end = j;
			}
			*dropped -= v[j] - v[i - 1];
		}
		i = j + 1;
	}
	return nd;
}

/* Jumps of v[from, to) in direction DIR (+1 up, -1 down): where v moves by
 * more than THR beyond its TREND (per LAG samples) within LAG samples; each jump is measured to its extreme
 * within 2·LAG samples and the scan goes on after it. *TOTAL gets what they
 * move together (positive). */
static size_t _jumps(const double *v, size_t from, size_t to, size_t lag, double trend,
		     double thr, double dir, double *total)
{
	size_t nj = 0;

	*total = 0;
	for (size_t i = from; i + lag < to;) {
		size_t top = i + lag, end = i + 2 * lag < to ? i + 2 * lag : to - 1;

		if (dir * (v[i + lag] - v[i] - trend) <= thr) {
			i++;
			continue;
		}
		for (size_t j = i + lag; j <= end; j++)
			if (dir * (v[j] - v[top]) > 0)
				top = j;
		*total += dir * (v[top] - v[i]);
		nj++;
		i = top + 1;
	}
	return nj;
}

static void _line_sse(const double *v, size_t from, size_t to, double *sse, double *rise);

/* One drop [D0, D1] of DROP in v[from, to) is a restart when the series grew
 * into it (the line before it rises by half the drop at least) and grows
 * again after it (at least 8 samples that rise). */
static bool _one_restart(const double *v, size_t from, size_t to, size_t d0, size_t d1,
			 double drop)
{
	double sse, before, after;

	if (d0 < from + 8 || d1 + 8 >= to)
		return false;
	_line_sse(v, from, d0 + 1, &sse, &before);
	_line_sse(v, d1, to, &sse, &after);
	return before >= 0.5 * drop && after > 0;
}

/* Least-squares fits of v[from, to) used by the classes. */
struct shape_fit {
	double sse0;		/* around the mean */
	double sse_line, line_rise;	/* the line, and what it rises over n */
	double sse_step, step;	/* the best single level shift, and its size */
	size_t split;		/* first sample after the shift */
	double after_rise;	/* the line over [split, to): its rise */
};

static void _line_sse(const double *v, size_t from, size_t to, double *sse, double *rise)
{
	double n = (double)(to - from), sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, b, a;

	for (size_t i = from; i < to; i++) {
		double x = (double)(i - from), y = v[i];

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		syy += y * y;
	}
	b = n * sxx - sx * sx > 0 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
	a = (sy - b * sx) / n;
	*sse = fmax(0, syy - a * sy - b * sxy);
	*rise = b * (n - 1);
}

static void _shape_fit(const double *v, size_t from, size_t to, struct shape_fit *f)
{
	size_t n = to - from, minseg = n / 10 ? n / 10 : 1;
	double sum = 0, sq = 0, left = 0, lsq = 0;

	for (size_t i = from; i < to; i++) {
		sum += v[i];
		sq += v[i] * v[i];
	}
	f->sse0 = fmax(0, sq - sum * sum / (double)n);
	_line_sse(v, from, to, &f->sse_line, &f->line_rise);
	f->sse_step = f->sse0;
	f->step = 0;
	f->split = from + n / 2;
	for (size_t k = 0; k < n; k++) {
		double nl = (double)k, nr = (double)(n - k), sse;

		if (k >= minseg && n - k >= minseg) {
			double rs = sum - left, rsq = sq - lsq;

			sse = (lsq - left * left / nl) + (rsq - rs * rs / nr);
			if (sse < f->sse_step) {
				f->sse_step = fmax(0, sse);
				f->step = rs / nr - left / nl;
				f->split = from + k;
			}
		}
		left += v[from + k];
		lsq += v[from + k] * v[from + k];
	}
	{
		double sse_after;

		_line_sse(v, f->split, to, &sse_after, &f->after_rise);
	}
}

/* A spike: a short excursion (under a tenth of the samples) above the
 * median MED by E = HI - MED, much more than the series goes below it
 * (LO10, its 10th percentile) and than its noise SIGMA, with little net
 * RISE, back below MED + E/2 by the end. */
static bool _is_spike(const double *v, size_t from, size_t to, double hi, double med,
		      double lo10, double sigma, double rise)
{
	size_t n = to - from, above = 0;
	double e = hi - med;

	for (size_t i = from; i < to; i++)
		above += v[i] > med + 0.5 * e;
	return e > 1.5 * (med - lo10) && e > 6 * sigma && above * 10 < n && fabs(rise) < 0.3 * e &&
	       v[to - 1] < med + 0.5 * e;
}

/* A spike against the local base: the base is a running median of
 * v[from, to) over a sixth of the samples (sampled every 1/48 and
 * interpolated); the largest excursion E above it, with the samples above
 * base + E/2 forming one run under a tenth of the samples that ends before
 * the window does, E above 6 · SIGMA and 4 robust sds of the excursions,
 * and the level after the run back within 0.3 · E of the level before it. */
static bool _is_local_spike(const double *v, size_t from, size_t to, double sigma)
{
	size_t n = to - from, w = n / 6, stride = n / 48 ? n / 48 : 1, nk, a, b, k = 0, len;
	double *r = NULL, *tmp = NULL, *knots = NULL, e = -INFINITY, sd, before = 0, after = 0;
	bool spike = false;

	if (n < 48 || w < 4)
		return false;
	nk = (n - 1) / stride + 1;
	r = malloc(n * sizeof(*r));
	tmp = malloc((w + 1) * sizeof(*tmp));
	knots = malloc(nk * sizeof(*knots));
	if (!r || !tmp || !knots)
		goto cleanup;
	for (size_t j = 0; j < nk; j++) {
		size_t c = j * stride, lo = c > w / 2 ? c - w / 2 : 0, hi = c + w / 2 < n ? c + w / 2 : n;

		memcpy(tmp, v + from + lo, (hi - lo) * sizeof(*tmp));
		knots[j] = robust__median(tmp, hi - lo);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = i / stride;
		double f = (double)(i - j * stride) / (double)stride;
		double base = j + 1 < nk ? knots[j] + f * (knots[j + 1] - knots[j]) : knots[j];

		r[i] = v[from + i] - base;
		if (r[i] > e) {
			e = r[i];
			k = i;
		}
	}
	for (a = k; a > 0 && r[a - 1] > 0.5 * e; a--)
		;
	for (b = k + 1; b < n && r[b] > 0.5 * e; b++)
		;
	len = b - a;
	if (b >= n || !a || len * 10 >= n)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if ((i < a || i >= b) && r[i] > 0.5 * e)
			goto cleanup;	/* a second excursion as large: not one spike */
	{
		size_t m = len < a ? len : a, m2 = len < n - b ? len : n - b;

		for (size_t i = 0; i < m; i++)
			before += v[from + a - 1 - i];
		for (size_t i = 0; i < m2; i++)
			after += v[from + b + i];
		before /= (double)m;
		after /= (double)m2;
	}
	for (size_t i = 0; i < n; i++)
		r[i] = fabs(r[i]);
	sd = 1.4826 * robust__median(r, n);
	spike = e > 6 * sigma && e > 4 * sd && fabs(after - before) < 0.3 * e;
cleanup:
	free(r);
	free(tmp);
	free(knots);
	return spike;
}

/* Net change of v[from, to): the mean of its last tenth minus the mean of
 * its first tenth (one sample each at least). */
static double _rise(const double *v, size_t from, size_t to)
{
	size_t n = to - from, edge = n / 10 ? n / 10 : 1;
	double head = 0, tail = 0;

	for (size_t k = 0; k < edge; k++) {
		head += v[from + k];
		tail += v[to - 1 - k];
	}
	head /= (double)edge;
	tail /= (double)edge;
	return tail - head;
}

enum detect_pattern classify__window(const double *v, size_t from, size_t to, size_t *restarts)
{
	double lo = INFINITY, hi = -INFINITY, range, sigma, noise, rise, med, lo10, up, down, trend, dropped;
	size_t n, lag, ndrop, nup, d0, d1;
	struct shape_fit f;
	double *tmp;

	if (restarts)
		*restarts = 0;
	n = to - from;
	if (n < 4)
		return PATTERN_NONE;
	for (size_t i = from; i < to; i++) {
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	range = hi - lo;
	if (!(range > 0))
		return PATTERN_NONE;
	lag = PATTERN_LAG < n / 8 ? PATTERN_LAG : (n / 8 ? n / 8 : 1);
	sigma = robust__diff_noise(v + from, n, 1, NULL);
	/* the noise, and no less than a thousandth of the level: changes
	 * smaller than that are not memory growth */
	noise = fmax(_lag_noise(v, from, to, lag, &trend), 1e-3 * fmax(fabs(lo), fabs(hi)));
	rise = _rise(v, from, to);
	nup = _jumps(v, from, to, lag, trend, fmax(5 * noise, 0.05 * range), 1, &up);
	_jumps(v, from, to, lag, trend, fmax(5 * noise, 0.05 * range), -1, &down);
	/* sawtooth: restarts that give back a large share of the range, grown
	 * back between them by growth that is not jumps */
	ndrop = _drops(v, from, to, sigma, lo, range, 6 * noise, &dropped, &d0, &d1);
	if (ndrop >= 1 && up < 0.5 * range && rise + dropped - up >= 0.7 * dropped &&
	    (ndrop >= 2 || _one_restart(v, from, to, d0, d1, dropped))) {
		if (restarts)
			*restarts = ndrop;
		return PATTERN_SAWTOOTH;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return PATTERN_NONE;
	memcpy(tmp, v + from, n * sizeof(*tmp));
	med = robust__median(tmp, n);
	lo10 = robust__kth(tmp, n, n / 10);
	free(tmp);
	if (_is_spike(v, from, to, hi, med, lo10, noise, rise) ||
	    _is_local_spike(v, from, to, noise))
		return PATTERN_SPIKE;
	_shape_fit(v, from, to, &f);
	/* no significant change: neither shape explains half the variance, or
	 * the change is within the noise */
	if ((f.sse_line > 0.5 * f.sse0 && f.sse_step > 0.5 * f.sse0) ||
	    fmax(fabs(f.step), fabs(f.line_rise)) < 4 * noise)
		return PATTERN_NONE;
	/* a level shift that stays */
	if (f.sse_step < f.sse_line && fabs(f.after_rise) < 0.5 * fabs(f.step))
		return PATTERN_PLATEAU;
	if (rise <= 0)
		return PATTERN_NONE;
	if (nup >= 2 && up - down >= 0.6 * rise && down < 0.35 * up)
		return PATTERN_STAIR;
	return PATTERN_STEADY;
}

