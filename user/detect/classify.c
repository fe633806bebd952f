/* classify — pattern classes, see classify.h.
 *
 * Each class by its own definition, on v[from, to) (n samples), in the
 * order classify__window tries them; "noise" is the robust per-sample noise
 * at a lag of PATTERN_LAG samples (robust.h), no less than a thousandth of
 * the level:
 * - none, when the whole range is within 4 noise sds (or 0.2 % of the
 *   level): no change at all, whatever its shape;
 * - sawtooth: restarts (_drops): sharp drops from the top of the range to
 *   near the base of the tooth they end, after which the series stays
 *   down, grown back by growth that is not jumps; two or more with teeth
 *   that grow between them, their growth spread over the tooth
 *   (_teeth_grow, _spread), or one the series grew into and grows again
 *   after at a similar slope (_one_restart);
 * - spike: one short excursion far above its base that is back by the end
 *   and stands above the rest of the window (_is_spike,
 *   _is_local_spike; classify__spike is the same judgement at
 *   full resolution, which detect__run adds when no leak was found);
 * - then the window is cut into flat runs (_segment, _merge_small) and
 *   each shift between runs is measured by its own jump (_jump): a plateau
 *   when one sharp rise of 6 noise sds stays with no sharp fall and the
 *   level shift stands a robust sd of the series' changes over a sixth of
 *   the window (and 2 noise sds) above the level before;
 * - none: no significant change: neither a line nor one level shift
 *   explains half the variance, or the change is within 4 noise sds or 2
 *   robust sds of the series' changes over a sixth of the window; or the
 *   series falls;
 * - stair: two or more sharp, comparable up-shifts that make at least half
 *   of the net change (0.4 when they are 8 noise sds on average), runs
 *   flat inside, the runs explaining the series clearly better than a
 *   line; a step's jump is sought within 2 lags of
 *   the runs' boundary (and half the shorter run), and where the runs are
 *   5 lags long or more it is sharp at a third of the runs' difference
 *   (half elsewhere); the last step's run is at least 0.4 of the distance
 *   from the step before (a jump nearer the end is the background's);
 * - plateau: one level shift that stays, or growth whose last third is
 *   flat against the whole rise when a line explains less than 0.9 of the
 *   variance;
 * - steady: the rest: a sustained trend a line explains. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "detect/classify.h"
#include "detect/robust.h"

#define PATTERN_LAG 6	/* samples: the scale of the noise and of a jump */
#define STAIR_BIG 8.0	/* noise sds: a stair's steps this large make 0.4 of its rise */
#define STAIR_TAIL 0.4	/* a stair's last run: this share of its last steps' distance at least */

/* Robust noise of v[from, to) at lag L, per sample (over √2); what the
 * series typically moves over L samples goes to *TREND. */
static double _lag_noise(const double *v, size_t from, size_t to, size_t l, double *trend)
{
	return robust__diff_noise(v + from, to - from, l, trend) / sqrt(2.0);
}

#define DROP_MAX 64

/* After a drop landing at J: the mean of the next STAY samples (a
 * hundredth of the window, 12 at least; all of them inside the window)
 * stays below CEIL. */
static bool _stays_low(const double *v, size_t j, size_t to, size_t stay, double ceil)
{
	double sum = 0;

	if (j + stay > to)
		return false;	/* too close to the end to tell */
	for (size_t i = j; i < j + stay; i++)
		sum += v[i];
	return sum / (double)stay < ceil;
}

/* The base of the tooth v[a, b): its lowest sample. */
static double _base(const double *v, size_t a, size_t b)
{
	double m = v[a];

	for (size_t i = a + 1; i < b; i++)
		m = fmin(m, v[i]);
	return m;
}

/* Drops of v[from, to): runs of falling steps above 2·SIGMA, at most half
 * an hour long (smoothing spreads a drop over a few samples), falling by
 * more than 0.4 of RANGE and more than LEAST, from the top part of the
 * range (above LO + 0.6 · RANGE) to near the base of the tooth that ends
 * there (its lowest sample since the drop before, + 0.35 · RANGE: teeth
 * are measured from their own base, not the series' minimum), where the
 * series stays (a restart grows back gradually; a dip
 * that comes straight back is no restart); *DROPPED gets what they fall
 * together (positive), [AT[k], END[k]] spans drop k (the first DROP_MAX). */
static size_t _drops(const double *v, size_t from, size_t to, double sigma, double lo,
		     double range, double least, double *dropped, size_t *at, size_t *end)
{
	size_t nd = 0, stay = (to - from) / 100 > 12 ? (to - from) / 100 : 12;

	*dropped = 0;
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
		    v[i - 1] > lo + 0.6 * range &&
		    v[j] < _base(v, nd ? end[nd < DROP_MAX ? nd - 1 : DROP_MAX - 1] : from, i - 1) +
				   0.35 * range &&
		    _stays_low(v, j, to, stay, v[j] + 0.35 * (v[i - 1] - v[j]))) {
			if (nd < DROP_MAX) {
				at[nd] = i - 1;
				end[nd] = j;
			}
			nd++;
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
static bool _spread(const double *v, size_t a, size_t b);

/* One drop [D0, D1] of DROP in v[from, to) is a restart when the series grew
 * into it (the line before it rises by half the drop at least, its growth
 * spread over the tooth from its lowest sample to the drop: _spread) and
 * grows again after it (at least 8 samples
 * that rise) at a similar slope: at most 3 times that of the line over as
 * many samples before the drop (a background's dip that recovers in hours
 * and a leak that ramps on is no restart). */
static bool _one_restart(const double *v, size_t from, size_t to, size_t d0, size_t d1,
			 double drop)
{
	double sse, before, after, late;
	size_t b0, low = from;

	if (d0 < from + 8 || d1 + 8 >= to)
		return false;
	/* the tooth from its own base: its lowest sample before the drop */
	for (size_t i = from + 1; i < d0; i++)
		if (v[i] < v[low])
			low = i;
	_line_sse(v, from, d0 + 1, &sse, &before);
	_line_sse(v, d1, to, &sse, &after);
	if (!(before >= 0.5 * drop && after > 0 && _spread(v, low, d0)))
		return false;
	/* growth again at a similar slope: no more than 3 times that of as
	 * many samples before the drop (a dip recovers in hours) */
	b0 = d0 + 1 > from + (to - d1) ? d0 + 1 - (to - d1) : from;
	_line_sse(v, b0, d0 + 1, &sse, &late);
	return after / (double)(to - d1) <= 3 * fmax(late, 0) / (double)(d0 + 1 - b0);
}

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

/* A spike: a short excursion (under a tenth of the samples) above the
 * median MED by E = HI - MED, much more than the series goes below it
 * (LO10, its 10th percentile) and than its noise SIGMA, with little net
 * RISE, back below MED + E/2 by the end; the samples above MED + E/2 are
 * one excursion: four fifths of them in the run around the highest (gaps
 * of at most 3 samples), which does not start the window. */
static bool _is_spike(const double *v, size_t from, size_t to, double hi, double med,
		      double lo10, double sigma, double rise)
{
	size_t n = to - from, above = 0, inside = 0, k = from, a, b, gap;
	double e = hi - med, half = med + 0.5 * e;

	for (size_t i = from; i < to; i++) {
		above += v[i] > half;
		if (v[i] > v[k])
			k = i;
	}
	for (a = k, gap = 0; a > from && gap <= 3; a--)
		gap = v[a - 1] > half ? 0 : gap + 1;
	for (b = k, gap = 0; b + 1 < to && gap <= 3; b++)
		gap = v[b + 1] > half ? 0 : gap + 1;
	for (size_t i = a; i <= b; i++)
		inside += v[i] > half;
	return e > 1.5 * (med - lo10) && e > 6 * sigma && above * 10 < n && 5 * inside >= 4 * above &&
	       v[from] <= half && fabs(rise) < 0.3 * e && v[to - 1] < half;
}

/* The excursions of V[from, to) above its local base, a running median
 * over a sixth of the samples (taken every 1/48 of them, interpolated):
 * X->r[i] for sample from + i (malloc'd: the caller frees it), the largest
 * X->e at X->k and the run around it above E/2 (over single samples
 * below it), [X->a, X->b); with SLACK, the run goes on over samples within
 * SLACK below E/2 as long as it reaches above E/2 again (noise cuts a long
 * spike's top more than a sample at a time), when what it takes in starts
 * and ends within 2 samples of its outermost samples above E/2 (a hump's
 * slope is no edge). False (and nothing to free) for fewer than 48 samples
 * or when memory runs out. */
struct excursion {
	double *r, e;
	size_t k, a, b;
};

/* The run of R[0, N) around K above THR, over single samples below it
 * (noise cuts a spike's top): [*A, *B). */
static void _run(const double *r, size_t n, size_t k, double thr, size_t *a, size_t *b)
{
	for (*a = k;;) {
		size_t g = 1;

		while (g <= 2 && *a >= g && !(r[*a - g] > thr))
			g++;
		if (g > 2 || *a < g)
			break;
		*a -= g;
	}
	for (*b = k + 1;;) {
		size_t g = 0;

		while (g <= 1 && *b + g < n && !(r[*b + g] > thr))
			g++;
		if (g > 1 || *b + g >= n)
			break;
		*b += g + 1;
	}
}

static bool _excursion(const double *v, size_t from, size_t to, double slack, struct excursion *x)
{
	size_t n = to - from, w = n / 6, stride = n / 48 ? n / 48 : 1, nk;
	double *tmp, *knots;

	memset(x, 0, sizeof(*x));
	if (n < 48 || w < 4)
		return false;
	nk = (n - 1) / stride + 1;
	x->r = malloc(n * sizeof(*x->r));
	tmp = malloc((w + 1) * sizeof(*tmp));
	knots = malloc(nk * sizeof(*knots));
	if (!x->r || !tmp || !knots) {
		free(x->r);
		free(tmp);
		free(knots);
		x->r = NULL;
		return false;
	}
	for (size_t j = 0; j < nk; j++) {
		size_t c = j * stride, lo = c > w / 2 ? c - w / 2 : 0, hi = c + w / 2 < n ? c + w / 2 : n;

		memcpy(tmp, v + from + lo, (hi - lo) * sizeof(*tmp));
		knots[j] = robust__median(tmp, hi - lo);
	}
	x->e = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		size_t j = i / stride;
		double f = (double)(i - j * stride) / (double)stride;
		double base = j + 1 < nk ? knots[j] + f * (knots[j + 1] - knots[j]) : knots[j];

		x->r[i] = v[from + i] - base;
		if (x->r[i] > x->e) {
			x->e = x->r[i];
			x->k = i;
		}
	}
	_run(x->r, n, x->k, 0.5 * x->e, &x->a, &x->b);
	if (slack > 0) {
		size_t sa, sb, ta, tb;

		_run(x->r, n, x->k, 0.5 * x->e - slack, &sa, &sb);
		for (ta = sa; ta < x->k && !(x->r[ta] > 0.5 * x->e); ta++)
			;
		for (tb = sb; tb - 1 > x->k && !(x->r[tb - 1] > 0.5 * x->e); tb--)
			;
		if (ta - sa <= 2 && sb - tb <= 2) {
			x->a = ta;
			x->b = tb;
		}
	}
	free(tmp);
	free(knots);
	return true;
}

/* True if X[A, B) holds the highest of X[0, N) (ties included). */
static bool _peak_highest(const double *x, size_t n, size_t a, size_t b)
{
	double top = -INFINITY, rest = -INFINITY;

	for (size_t i = 0; i < n; i++) {
		if (i >= a && i < b)
			top = fmax(top, x[i]);
		else
			rest = fmax(rest, x[i]);
	}
	return !(top < rest);
}

/* A spike against the local base (_excursion): the samples above base +
 * E/2 form one run under a tenth of the samples that ends before the
 * window does, whose peak is the window's highest (an excursion from a
 * trough that stays under the level the series holds elsewhere is no
 * spike), E above 6 · SIGMA and 4 robust sds of the excursions, and the
 * level after the run back within 0.3 · E of the level before it. */
static bool _is_local_spike(const double *v, size_t from, size_t to, double sigma)
{
	size_t n = to - from, a, b, len;
	double *r, e, sd, before = 0, after = 0;
	struct excursion x;
	bool spike = false;

	if (!_excursion(v, from, to, 0, &x))
		return false;
	r = x.r, e = x.e, a = x.a, b = x.b;
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
	if (!_peak_highest(v + from, n, a, b))
		goto cleanup;	/* the series stands higher elsewhere */
	spike = e > 6 * sigma && e > 4 * sd && fabs(after - before) < 0.3 * e;
cleanup:
	free(r);
	return spike;
}

/* The fine pass: the largest excursion of F[from, to) (the series before
 * smoothing, which a short spike does not survive) over its local base
 * (_excursion), judged in its own
 * neighbourhood: the samples above half its height form one run (over
 * samples within 2 noise sds below it, _excursion) of at most a tenth of
 * the window that starts and ends inside it; within three
 * run lengths (and 12 samples) either side nothing else reaches half its
 * height, and nowhere else 0.8 of it; its peak is the window's highest;
 * the level after (the median of the neighbourhood after it) is no more
 * than 0.3 of it above the level before (the median of the neighbourhood
 * before it, or the base where the neighbourhood starts when that is
 * higher: a spike out of a dip's recovery left the base, not the dip) and no more than its height
 * below it (a background that falls right after does not keep it up, but
 * a fall larger than the excursion is a drop, not a spike that came
 * back); it stands 6 noise sds (lag-1, the whole window) above the base,
 * and 3 robust sds of the residuals of the window and of the quieter side
 * of the neighbourhood. */
bool classify__spike(const double *f, size_t from, size_t to, struct classify_why *why)
{
	size_t n = to - from, a, b, len;
	size_t na, nb, m = 0;
	double *r, *tmp = NULL, e, sig, sd_all, sd_near;
	double before = 0, after = 0;
	struct excursion x;
	bool spike = false;

	sig = robust__diff_noise(f + from, n, 1, NULL) / sqrt(2.0);
	if (!_excursion(f, from, to, 2 * sig, &x))
		return false;
	r = x.r, e = x.e, a = x.a, b = x.b;
	len = b - a;
	if (b >= n || !a || len * 10 >= n)
		goto cleanup;
	if (!(tmp = malloc(n * sizeof(*tmp))))
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if ((i + 2 * len < a || i >= b + 2 * len) && r[i] > 0.8 * e)
			goto cleanup;	/* another one about as high: not one spike */
	na = a > 3 * len + 12 ? a - 3 * len - 12 : 0;
	nb = b + 3 * len + 12 < n ? b + 3 * len + 12 : n;
	for (size_t i = na; i < nb; i++) {
		if (i >= a && i < b)
			continue;
		if (r[i] > 0.5 * e)
			goto cleanup;	/* a second excursion as large: not one spike */
		tmp[m++] = fabs(r[i]);
	}
	if (m < 4 || a - na < 2 || nb - b < 2)
		goto cleanup;
	/* the quieter side's: a level that falls after the spike is no noise */
	sd_near = 1.4826 * fmin(robust__median(tmp, a - na), robust__median(tmp + (a - na), m - (a - na)));
	for (size_t i = 0; i < n; i++)
		tmp[i] = fabs(r[i]);
	sd_all = 1.4826 * robust__median(tmp, n);
	/* the level either side: the medians of the neighbourhood's parts */
	if (a - na < 4 || nb - b < 4)
		goto cleanup;
	memcpy(tmp, f + from + na, (a - na) * sizeof(*tmp));
	before = robust__median(tmp, a - na);
	memcpy(tmp, f + from + b, (nb - b) * sizeof(*tmp));
	after = robust__median(tmp, nb - b);
	if (why)
		why->spike = sig > 0 ? e / sig : INFINITY;
	if (!_peak_highest(f + from, n, a, b))
		goto cleanup;	/* the series stands higher elsewhere */
	/* a spike out of a dip's recovery left the base, not the dip (the
	 * base where the neighbourhood starts: nearer, a step's would have
	 * moved towards the level after it) */
	before = fmax(before, f[from + na] - r[na]);
	spike = e > 6 * sig && e > 3 * sd_near && e > 3 * sd_all && after - before < 0.3 * e &&
		before - after < e;
cleanup:
	free(r);
	free(tmp);
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

/* The growth of the tooth v[a, b] is spread over it, as a leak's: the
 * median of its middle third is below 0.75 of the way from its base v[a]
 * to its top v[b] (a dip that recovers in hours and then holds its level
 * reaches the top early). */
static bool _spread(const double *v, size_t a, size_t b)
{
	size_t len = b - a, m0 = a + len / 3, m1 = a + 2 * len / 3;
	double *tmp, mid;

	if (m1 <= m0 || !(tmp = malloc((m1 - m0) * sizeof(*tmp))))
		return true;
	memcpy(tmp, v + m0, (m1 - m0) * sizeof(*tmp));
	mid = robust__median(tmp, m1 - m0);
	free(tmp);
	return mid < v[a] + 0.75 * (v[b] - v[a]);
}

/* Teeth between the ND drops [AT[k], END[k]] of v[from, to): the line
 * over the samples from one drop's landing to the next drop rises by half
 * that drop at least (growth, not a flat stretch between two dips), for
 * two thirds of the teeth. */
static bool _teeth_grow(const double *v, size_t nd, const size_t *at, const size_t *end)
{
	size_t good = 0;

	if (nd > DROP_MAX)
		nd = DROP_MAX;
	for (size_t k = 1; k < nd; k++) {
		double sse, rise;

		if (at[k] <= end[k - 1] + 2)
			continue;
		_line_sse(v, end[k - 1], at[k] + 1, &sse, &rise);
		good += rise >= 0.5 * (v[at[k]] - v[end[k]]) && _spread(v, end[k - 1], at[k]);
	}
	return 3 * good >= 2 * (nd - 1);
}

/* --- level shifts: binary segmentation into flat runs ----------------------- */

#define SEG_MAX 24	/* flat runs at most */

struct segs {
	size_t k;			/* runs */
	size_t at[SEG_MAX + 1];		/* run j is [at[j], at[j + 1]) (relative to from) */
	double mean[SEG_MAX];
	double sse;			/* around the runs' means */
	double sse1, step1;		/* the first split alone: one level shift */
	size_t split1;			/* its first sample after the shift */
};

/* Sum and sum of squares of v[a, b) from prefix sums P, Q. */
static double _seg_sse(const double *p, const double *q, size_t a, size_t b)
{
	double n = (double)(b - a), s = p[b] - p[a];

	return fmax(0, q[b] - q[a] - s * s / n);
}

/* Splits v[0, n) into flat runs (at least MINSEG samples each): the split
 * that lowers the squared error most, while it lowers it by more than
 * GAIN, at most SEG_MAX runs. P and Q have n + 1 entries (scratch). */
/* The best split of run [A, B) (at least MINSEG samples either side): its
 * gain in *GAIN (0 and *AT = A when the run is too short). */
static void _best_split(const double *p, const double *q, size_t a, size_t b, size_t minseg,
			double *gain, size_t *at)
{
	double whole = _seg_sse(p, q, a, b);

	*gain = 0;
	*at = a;
	for (size_t i = a + minseg; i + minseg <= b; i++) {
		double g = whole - _seg_sse(p, q, a, i) - _seg_sse(p, q, i, b);

		if (g > *gain) {
			*gain = g;
			*at = i;
		}
	}
}

static void _segment(const double *v, size_t n, size_t minseg, double gain, double *p,
		     double *q, struct segs *sg)
{
	double g[SEG_MAX];	/* each run's best split, kept until the run is split */
	size_t gi[SEG_MAX];

	p[0] = q[0] = 0;
	for (size_t i = 0; i < n; i++) {
		p[i + 1] = p[i] + v[i];
		q[i + 1] = q[i] + v[i] * v[i];
	}
	sg->k = 1;
	sg->at[0] = 0;
	sg->at[1] = n;
	sg->sse1 = _seg_sse(p, q, 0, n);
	sg->step1 = 0;
	sg->split1 = n / 2;
	_best_split(p, q, 0, n, minseg, &g[0], &gi[0]);
	while (sg->k < SEG_MAX) {
		size_t bj = 0, bi;

		for (size_t j = 1; j < sg->k; j++)
			if (g[j] > g[bj])
				bj = j;
		if (!(g[bj] > gain))
			break;
		bi = gi[bj];
		if (sg->k == 1) {
			sg->split1 = bi;
			sg->sse1 = _seg_sse(p, q, 0, n) - g[0];
			sg->step1 = (p[n] - p[bi]) / (double)(n - bi) - p[bi] / (double)bi;
		}
		memmove(sg->at + bj + 2, sg->at + bj + 1, (sg->k - bj) * sizeof(sg->at[0]));
		memmove(g + bj + 2, g + bj + 1, (sg->k - bj - 1) * sizeof(g[0]));
		memmove(gi + bj + 2, gi + bj + 1, (sg->k - bj - 1) * sizeof(gi[0]));
		sg->at[bj + 1] = bi;
		sg->k++;
		_best_split(p, q, sg->at[bj], bi, minseg, &g[bj], &gi[bj]);
		_best_split(p, q, bi, sg->at[bj + 2], minseg, &g[bj + 1], &gi[bj + 1]);
	}
	sg->sse = 0;
	for (size_t j = 0; j < sg->k; j++) {
		size_t a = sg->at[j], b = sg->at[j + 1];

		sg->mean[j] = (p[b] - p[a]) / (double)(b - a);
		sg->sse += _seg_sse(p, q, a, b);
	}
}

/* Merges neighbouring runs whose means differ by less than THR (the
 * squared error is left as it was: what the split runs explain). */
static void _merge_small(const double *p, struct segs *sg, double thr)
{
	for (size_t j = 0; j + 1 < sg->k;) {
		if (fabs(sg->mean[j + 1] - sg->mean[j]) >= thr) {
			j++;
			continue;
		}
		memmove(sg->at + j + 1, sg->at + j + 2, (sg->k - j - 1) * sizeof(sg->at[0]));
		memmove(sg->mean + j + 1, sg->mean + j + 2, (sg->k - j - 2) * sizeof(sg->mean[0]));
		sg->k--;
		sg->mean[j] = (p[sg->at[j + 1]] - p[sg->at[j]]) / (double)(sg->at[j + 1] - sg->at[j]);
		if (j)
			j--;
	}
}

/* The jump at a level shift near B (relative to the window, prefix sums
 * P over N samples) in the direction of SHIFT: the largest difference, in
 * that direction, between the means of the LAG samples after and before
 * any sample within W of B (a jump is sharp: a stretch of growth cut
 * into runs has none as large as the runs' difference). */
static double _jump(const double *p, size_t b, size_t lag, size_t n, double shift, size_t w)
{
	size_t lo = b > w ? b - w : 1, hi = b + w < n ? b + w : n - 1;
	double best = 0, dir = shift > 0 ? 1 : -1;

	for (size_t c = lo; c <= hi; c++) {
		size_t a = c > lag ? c - lag : 0, d = c + lag < n ? c + lag : n;
		double before = (p[c] - p[a]) / (double)(c - a);
		double after = (p[d] - p[c]) / (double)(d - c);

		best = fmax(best, dir * (after - before));
	}
	return best;
}

static const char *const rule_text[] = {
	[CLASSIFY_SHORT] = "too short or flat",
	[CLASSIFY_RESTARTS] = "restarts: sharp drops to near the base, grown back gradually",
	[CLASSIFY_EXCURSION] = "one short excursion above the base, back by the end",
	[CLASSIFY_FINE_EXCURSION] = "one short excursion above the base at full resolution, back by the end",
	[CLASSIFY_WITHIN_NOISE] = "no change beyond the noise",
	[CLASSIFY_SHIFTS] = "level shifts above the noise separated by flat runs",
	[CLASSIFY_LEVELLED] = "growth, then a flat tail",
	[CLASSIFY_FALLING] = "no growth: the series falls",
	[CLASSIFY_TREND] = "sustained trend",
	[CLASSIFY_UNEXPLAINED] = "neither a trend nor level shifts explain the variation",
};

const char *classify__rule_text(enum classify_rule r)
{
	return r < CLASSIFY_NRULES ? rule_text[r] : "?";
}

/* The decision, with what it was based on in WHY. */
static enum detect_pattern _decide(struct classify_why *why, enum classify_rule rule,
				   enum detect_pattern p)
{
	why->rule = rule;
	return p;
}

enum detect_pattern classify__window(const double *v, size_t from, size_t to,
				     size_t *restarts, struct classify_why *why)
{
	double lo = INFINITY, hi = -INFINITY, range, sigma, noise, rise, med, lo10, trend, dropped, up;
	double *tmp = NULL, *p = NULL, *q = NULL, sse0, sse_line, line_rise, tail_rise, level;
	double step_fit, after_rise, soft = 0, sharp_up = 0, max_up = 0, inside = 0;
	double step_share, step_up = 0, max_step = 0, wander, step_of[SEG_MAX];
	size_t n, minseg, steps = 0, lag, ndrop, d_at[DROP_MAX], d_end[DROP_MAX], ups = 0, downs = 0;
	size_t step_at[SEG_MAX];
	struct classify_why scratch;
	enum detect_pattern pat;
	struct segs sg;

	if (!why)
		why = &scratch;
	memset(why, 0, sizeof(*why));
	if (restarts)
		*restarts = 0;
	n = to - from;
	if (n < 4)
		return _decide(why, CLASSIFY_SHORT, PATTERN_NONE);
	for (size_t i = from; i < to; i++) {
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	range = hi - lo;
	why->range = range;
	level = fmax(fabs(lo), fabs(hi));
	if (!(range > 0))
		return _decide(why, CLASSIFY_SHORT, PATTERN_NONE);
	lag = PATTERN_LAG < n / 8 ? PATTERN_LAG : (n / 8 ? n / 8 : 1);
	sigma = robust__diff_noise(v + from, n, 1, NULL);
	/* the noise, and no less than a thousandth of the level: changes
	 * smaller than that are not memory growth */
	noise = fmax(_lag_noise(v, from, to, lag, &trend), 1e-3 * level);
	why->noise = noise;
	rise = _rise(v, from, to);
	why->rise = rise;
	/* a range within 4 noise sds (or 0.2 % of the level) is no
	 * change at all, whatever its shape */
	if (range < fmax(4 * noise, 2e-3 * level))
		return _decide(why, CLASSIFY_WITHIN_NOISE, PATTERN_NONE);
	/* sawtooth: restarts that give back a large share of the range, grown
	 * back between them by growth that is not jumps */
	_jumps(v, from, to, lag, trend, fmax(5 * noise, 0.05 * range), 1, &up);
	ndrop = _drops(v, from, to, sigma, lo, range, 6 * noise, &dropped, d_at, d_end);
	why->drops = ndrop;
	if (ndrop >= 1 && up < 0.5 * range && rise + dropped - up >= 0.7 * dropped &&
	    (ndrop >= 2 ? _teeth_grow(v, ndrop, d_at, d_end) :
			  _one_restart(v, from, to, d_at[0], d_end[0], dropped))) {
		if (restarts)
			*restarts = ndrop;
		return _decide(why, CLASSIFY_RESTARTS, PATTERN_SAWTOOTH);
	}
	tmp = malloc(n * sizeof(*tmp));
	p = malloc(2 * (n + 1) * sizeof(*p));
	if (!tmp || !p) {
		pat = _decide(why, CLASSIFY_SHORT, PATTERN_NONE);
		goto out;
	}
	q = p + n + 1;
	memcpy(tmp, v + from, n * sizeof(*tmp));
	med = robust__median(tmp, n);
	lo10 = robust__kth(tmp, n, n / 10);
	if (_is_spike(v, from, to, hi, med, lo10, noise, rise) ||
	    _is_local_spike(v, from, to, noise)) {
		pat = _decide(why, CLASSIFY_EXCURSION, PATTERN_SPIKE);
		goto out;
	}
	_line_sse(v, from, to, &sse_line, &line_rise);
	{
		double sum = 0, sq = 0;

		for (size_t i = from; i < to; i++) {
			sum += v[i];
			sq += v[i] * v[i];
		}
		sse0 = fmax(0, sq - sum * sum / (double)n);
	}
	/* flat runs: split while a split explains a fiftieth of the
	 * variance or n noise variances (a shift of 4 sds over a twentieth
	 * of the samples explains more); shifts smaller than 4 noise sds are
	 * no shifts */
	minseg = n / 20 > 3 ? n / 20 : 3;
	_segment(v + from, n, minseg, fmin(0.02 * sse0, (double)n * noise * noise), p, q, &sg);
	_merge_small(p, &sg, 4 * noise);
	/* a stair's steps (measured within 2 lags of the boundary, half a
	 * run at most): where
	 * the runs are 5 lags long or more, a ramp
	 * cut into runs jumps a fifth of their difference within a lag at
	 * most, so a jump of a third of it is a step (a long run's mean
	 * holds the background's wander, which a step's jump does not) */
	step_share = minseg >= 5 * lag ? 1.0 / 3 : 0.5;
	for (size_t j = 0; j + 1 < sg.k; j++) {
		double shift = sg.mean[j + 1] - sg.mean[j];
		size_t left = sg.at[j + 1] - sg.at[j], right = sg.at[j + 2] - sg.at[j + 1];
		size_t reach = (left < right ? left : right) / 2;
		double jump = _jump(p, sg.at[j + 1], lag, n, shift, lag);
		/* a step's jump within 2 lags of the boundary (a background
		 * that dips or wanders at the step moves the boundary off it),
		 * and no further than half the shorter run, a lag at least (a
		 * jump is one boundary's only) */
		double step = _jump(p, sg.at[j + 1], lag, n, shift,
				    reach > 2 * lag ? 2 * lag : reach > lag ? reach : lag);
		bool sharp = jump >= 4 * noise && jump >= 0.5 * fabs(shift);

		ups += shift > 0 && sharp;
		downs += shift < 0 && sharp;
		if (sharp && shift > 0) {
			sharp_up += jump;
			max_up = fmax(max_up, jump);
		} else {
			soft += fabs(shift);
		}
		if (shift > 0 && step >= 4 * noise && step >= step_share * shift) {
			if (steps < SEG_MAX) {
				step_at[steps] = sg.at[j + 1];
				step_of[steps] = step;
			}
			steps++;
			step_up += step;
			max_step = fmax(max_step, step);
		}
	}
	/* a stair's last step is as far from the end as its steps are apart:
	 * one much nearer the end is the background's jump in the last
	 * hours, not a step */
	if (steps >= 2 && steps <= SEG_MAX &&
	    (double)(n - step_at[steps - 1]) <
		    STAIR_TAIL * (double)(step_at[steps - 1] - step_at[steps - 2])) {
		steps--;
		step_up -= step_of[steps];
		max_step = 0;
		for (size_t k = 0; k < steps; k++)
			max_step = fmax(max_step, step_of[k]);
	}
	/* how much the runs rise inside themselves: a stair's runs are flat */
	for (size_t j = 0; j < sg.k; j++) {
		double s_r, r_r;

		_line_sse(v, from + sg.at[j], from + sg.at[j + 1], &s_r, &r_r);
		inside += fmax(0, r_r);
	}
	why->inside_rise = inside;
	why->shifted_up = sharp_up;
	why->gradual = soft;
	why->shifts_up = ups;
	why->shifts_down = downs;
	why->line_fit = sse0 > 0 ? 1 - sse_line / sse0 : 0;
	why->shift_fit = sse0 > 0 ? 1 - sg.sse / sse0 : 0;
	{
		size_t t0 = from + 2 * n / 3;
		double s_t, r_t;

		_line_sse(v, t0, to, &s_t, &r_t);
		tail_rise = r_t;
	}
	why->tail_rise = tail_rise;
	step_fit = sse0 > 0 ? 1 - sg.sse1 / sse0 : 0;
	{
		double s_a;

		_line_sse(v, from + sg.split1, to, &s_a, &after_rise);
	}
	/* what the series moves over a sixth of the window (a robust sd) */
	wander = robust__diff_noise(v + from, n, n / 6 ? n / 6 : 1, NULL);
	/* one sharp rise of 6 noise sds that stays, and no sharp fall: a
	 * plateau however much the background wanders around it, when the
	 * level it shifts to stands that wander above the level before (a
	 * sharp recovery from a slow sink shifts the level by less) */
	if (ups == 1 && !downs && max_up >= 6 * noise && sg.step1 >= fmax(2 * noise, wander) &&
	    fabs(after_rise) < 0.5 * max_up) {
		pat = _decide(why, CLASSIFY_LEVELLED, PATTERN_PLATEAU);
		goto out;
	}
	/* no significant change: within 4 noise sds, or within 2 sds of what
	 * the series moves over a sixth of the window (a background that
	 * wanders by hours moves more than its noise says) */
	if (fmax(fabs(sg.step1), fabs(line_rise)) < fmax(4 * noise, 2 * wander) ||
	    (why->line_fit < 0.5 && step_fit < 0.5)) {
		pat = _decide(why, CLASSIFY_UNEXPLAINED, PATTERN_NONE);
		goto out;
	}
	if (rise <= 0 && line_rise <= 0) {
		pat = _decide(why, CLASSIFY_FALLING, PATTERN_NONE);
		goto out;
	}
	/* stair: two steps or more (up-shifts sharp by step_share) that make
	 * half the net change, comparable, the runs explaining the series
	 * better than the line, each run flat */
	/* steps of STAIR_BIG noise sds on average are steps however much the
	 * background moves between them: 0.4 of the net change is enough */
	if (steps >= 2 &&
	    step_up >= (step_up >= STAIR_BIG * noise * (double)steps ? 0.4 : 0.5) *
			       (sg.mean[sg.k - 1] - sg.mean[0]) &&
	    max_step <= 0.67 * step_up && inside < 1.2 * step_up &&
	    1 - why->shift_fit < 0.75 * (1 - why->line_fit)) {
		pat = _decide(why, CLASSIFY_SHIFTS, PATTERN_STAIR);
		goto out;
	}
	/* plateau: growth, then a tail whose line rises by little of it,
	 * when a line does not explain 0.9 of the variance (a ramp that only
	 * slows in its last hours is a sustained trend) */
	if ((step_fit > why->line_fit && fabs(after_rise) < 0.5 * fabs(sg.step1)) ||
	    (fabs(tail_rise) < fmax(0.12 * fabs(line_rise), 2 * noise) && why->line_fit < 0.9)) {
		pat = _decide(why, CLASSIFY_LEVELLED, PATTERN_PLATEAU);
		goto out;
	}
	pat = _decide(why, CLASSIFY_TREND, PATTERN_STEADY);
out:
	free(tmp);
	free(p);
	return pat;
}
