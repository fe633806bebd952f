/* verdict — growth verdicts per stack; see verdict.h. */
#include "diagnose/verdict.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void verdict__defaults(struct verdict_params *p)
{
	*p = (struct verdict_params){ .alpha = 0.01, .tail_frac = 0.5, .keep_rate = 0.25,
				      .min_growth = 1, .spike_fall = 0.5, .turnover = 0.5 };
}

const char *verdict__name(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_LEAK: return "leak";
	case VERDICT_BOUNDED: return "bounded";
	case VERDICT_WARMUP: return "warm-up";
	case VERDICT_TRANSIENT: return "transient";
	}
	return "?";
}

double verdict__time_to(double now, double rate, double limit)
{
	if (now >= limit)
		return 0;
	if (!(rate > 0))
		return INFINITY;
	return (limit - now) / rate;
}

/* --- statistics ------------------------------------------------------------ */

static double _phi(double z)
{
	return 0.5 * erfc(-z / sqrt(2));
}

/* The standard normal quantile of P in (0, 1), by bisection (ample here). */
static double _z_of(double p)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (_phi(mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static int _cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double _median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Mann-Kendall's S and its variance, ties corrected. SORTED: scratch [n]. */
static void _mann_kendall(const double *y, size_t n, double *sorted, double *s, double *var)
{
	double sum = 0, ties = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			sum += (y[j] > y[i]) - (y[j] < y[i]);
	memcpy(sorted, y, n * sizeof(*y));
	qsort(sorted, n, sizeof(*sorted), _cmp_double);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && sorted[j] == sorted[i])
			j++;
		if (j - i > 1) {
			double g = (double)(j - i);

			ties += g * (g - 1) * (2 * g + 5);
		}
		i = j;
	}
	*s = sum;
	*var = ((double)n * (double)(n - 1) * (2.0 * (double)n + 5) - ties) / 18;
}

int verdict__trend(const double *t, const double *y, const double *var, size_t n,
		   double alpha, struct trend *out)
{
	double tbar = 0, ybar = 0, sxx = 0, sxy = 0, syy = 0, var_b = 0, z, c;
	double *slopes = NULL, *scratch = NULL;
	size_t m = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (n < 2 || !(alpha > 0 && alpha < 1))
		return -EINVAL;
	if (n > VERDICT_MAX_POINTS)
		return -E2BIG;
	for (size_t i = 1; i < n; i++)
		if (!(t[i] > t[i - 1]))
			return -EINVAL;
	slopes = malloc(n * (n - 1) / 2 * sizeof(*slopes));
	scratch = malloc(n * sizeof(*scratch));
	if (!slopes || !scratch) {
		err = -ENOMEM;
		goto cleanup;
	}
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		tbar += t[i];
		ybar += y[i];
	}
	tbar /= (double)n;
	ybar /= (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += (t[i] - tbar) * (t[i] - tbar);
		sxy += (t[i] - tbar) * (y[i] - ybar);
		syy += (y[i] - ybar) * (y[i] - ybar);
	}
	out->ols_slope = sxy / sxx;
	out->r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1;
	if (var)
		for (size_t i = 0; i < n; i++)
			var_b += (t[i] - tbar) * (t[i] - tbar) / (sxx * sxx) * var[i];

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			slopes[m++] = (y[j] - y[i]) / (t[j] - t[i]);
	qsort(slopes, m, sizeof(*slopes), _cmp_double);
	out->slope = _median_sorted(slopes, m);

	_mann_kendall(y, n, scratch, &out->mk_s, &c);
	if (c > 0) {
		double s = out->mk_s;

		out->mk_z = s > 0 ? (s - 1) / sqrt(c) : s < 0 ? (s + 1) / sqrt(c) : 0;
		out->mk_p = 1 - _phi(out->mk_z);
	} else {
		out->mk_z = 0;
		out->mk_p = 1;   /* all equal: no evidence of a trend */
	}

	/* Kendall's interval for the Theil-Sen slope: the ranks
	 * (m -+ z sqrt(var S)) / 2 among the sorted pairwise slopes. */
	z = _z_of(1 - alpha / 2);
	{
		double half = z * sqrt(c > 0 ? c : 0);
		double r1 = floor(((double)m - half) / 2), r2 = ceil(((double)m + half) / 2);

		out->lo = slopes[r1 < 0 ? 0 : (size_t)r1 >= m ? m - 1 : (size_t)r1];
		out->hi = slopes[r2 < 0 ? 0 : (size_t)r2 >= m ? m - 1 : (size_t)r2];
		if (n < 4) {  /* too few pairs for ranks to mean anything */
			out->lo = slopes[0];
			out->hi = slopes[m - 1];
		}
	}
	/* the sampling: at least slope -+ z sd under the known variance */
	if (var_b > 0) {
		double sd = sqrt(var_b);

		if (out->slope - z * sd < out->lo)
			out->lo = out->slope - z * sd;
		if (out->slope + z * sd > out->hi)
			out->hi = out->slope + z * sd;
	}
cleanup:
	free(slopes);
	free(scratch);
	return err;
}

/* --- decisions --------------------------------------------------------------- */

/* The scatter of successive differences (robust: MAD / sqrt 2), as a
 * standard deviation of one value. */
static int _noise_sd(const double *y, size_t n, double *out)
{
	double *d, med;

	*out = 0;
	if (n < 3)
		return 0;
	if (!(d = malloc((n - 1) * sizeof(*d))))
		return -ENOMEM;
	for (size_t i = 1; i < n; i++)
		d[i - 1] = y[i] - y[i - 1];
	qsort(d, n - 1, sizeof(*d), _cmp_double);
	med = _median_sorted(d, n - 1);
	for (size_t i = 0; i < n - 1; i++)
		d[i] = fabs(d[i] - med);
	qsort(d, n - 1, sizeof(*d), _cmp_double);
	*out = 1.4826 * _median_sorted(d, n - 1) / sqrt(2);
	free(d);
	return 0;
}

static double _clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* Growth is significant at ALPHA. A trend of so few points that even a
 * strictly rising run cannot reach ALPHA (Mann-Kendall's smallest p is
 * about 1/n!: 0.042 for 4 points) grows when every pair of its points
 * rises (S = n(n-1)/2) with a positive slope: the best it can show. */
static bool _grows(const struct trend *tr, double alpha)
{
	double min_p = 1;

	for (size_t k = 2; k <= tr->n && min_p >= alpha; k++)
		min_p /= (double)k;
	if (min_p >= alpha)
		return tr->n >= 3 && tr->mk_s >= (double)(tr->n * (tr->n - 1) / 2) &&
		       tr->slope > 0;
	return tr->mk_p < alpha && tr->lo > 0;
}

/* The slope of the oldest block's age over time, where it is known. */
static double _age_slope(const struct verdict_series *s, size_t from)
{
	double tb = 0, ab = 0, sxx = 0, sxy = 0;
	size_t k = 0;

	if (!s->oldest_age)
		return NAN;
	for (size_t i = from; i < s->n; i++)
		if (isfinite(s->oldest_age[i])) {
			tb += s->t[i];
			ab += s->oldest_age[i];
			k++;
		}
	if (k < 3)
		return NAN;
	tb /= (double)k;
	ab /= (double)k;
	for (size_t i = from; i < s->n; i++)
		if (isfinite(s->oldest_age[i])) {
			sxx += (s->t[i] - tb) * (s->t[i] - tb);
			sxy += (s->t[i] - tb) * (s->oldest_age[i] - ab);
		}
	return sxx > 0 ? sxy / sxx : NAN;
}

int verdict__decide(const struct verdict_series *s, const struct verdict_params *p,
		    struct verdict *out)
{
	size_t n = s->n, tail_n, from, ipeak = 0;
	double noise, span, fall, rise, fall_sd;
	bool grew_all, grows_tail;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = verdict__trend(s->t, s->bytes, s->var, n, p->alpha, &out->all)))
		return err;
	tail_n = (size_t)ceil((double)n * p->tail_frac);
	if (tail_n < 4)
		tail_n = n < 4 ? n : 4;
	from = n - tail_n;
	if ((err = verdict__trend(s->t + from, s->bytes + from, s->var ? s->var + from : NULL,
				  tail_n, p->alpha, &out->tail)))
		return err;
	if ((err = _noise_sd(s->bytes, n, &noise)))
		return err;
	for (size_t i = 0; i < n; i++)
		if (s->bytes[i] > s->bytes[ipeak])
			ipeak = i;
	for (size_t i = 1; i < n; i++)
		out->grew += s->bytes[i] > s->bytes[i - 1];
	out->intervals = n - 1;
	out->first = s->bytes[0];
	out->last = s->bytes[n - 1];
	out->peak = s->bytes[ipeak];
	out->growth = out->last - out->first;
	out->age_slope = _age_slope(s, 0);
	out->turnover = NAN;
	if (s->alloc_bytes)
		out->turnover = (s->alloc_bytes[n - 1] - s->alloc_bytes[from]) /
				(out->last > 0 ? out->last : 1);
	span = s->t[n - 1] - s->t[0];

	rise = out->peak - out->first;
	fall = out->peak - out->last;
	fall_sd = sqrt((s->var ? s->var[ipeak] + s->var[n - 1] : 0) + 2 * noise * noise);
	if (ipeak < n - 1 && fall > 0 && fall >= p->spike_fall * rise &&
	    fall > _z_of(1 - p->alpha / 2) * fall_sd) {
		out->kind = VERDICT_TRANSIENT;
		out->confidence = rise > 0 ? _clamp01(fall / rise) : 1;
		out->reason = "fell back from its peak";
		return 0;
	}
	/* it grew: an increasing trend, and the last value is above the first
	 * beyond the noise (a plateau's slope interval may reach 0) */
	grew_all = out->all.mk_p < p->alpha && out->growth > 0 &&
		   out->growth > _z_of(1 - p->alpha / 2) *
				 sqrt((s->var ? s->var[0] + s->var[n - 1] : 0) + 2 * noise * noise);
	grows_tail = _grows(&out->tail, p->alpha);
	if (grew_all && out->all.lo > 0 && grows_tail && out->tail.slope >= p->keep_rate * out->all.slope &&
	    out->growth >= p->min_growth) {
		out->kind = VERDICT_LEAK;
		out->rate = out->tail.slope;
		out->confidence = (1 - out->all.mk_p) * (1 - out->tail.mk_p);
		out->reason = "grows steadily to the end";
		if (isfinite(out->age_slope) && out->age_slope < 0.5) {
			out->confidence /= 2;
			out->reason = "grows steadily to the end, though old blocks are freed";
		}
		return 0;
	}
	out->confidence = _clamp01(1 - (out->tail.hi > 0 ? out->tail.hi : 0) * span /
					   (out->last > 0 ? out->last : 1));
	if (!grew_all) {
		out->kind = VERDICT_BOUNDED;
		out->reason = "steady: no significant growth";
		return 0;
	}
	if (isfinite(out->turnover) ? out->turnover >= p->turnover
				    : isfinite(out->age_slope) && out->age_slope < 0.5) {
		out->kind = VERDICT_BOUNDED;
		out->reason = "grew, then stayed at a level while its blocks turn over";
		return 0;
	}
	out->kind = VERDICT_WARMUP;
	out->reason = grows_tail ? "grew, and its growth has died down"
				 : "grew, then stopped, and keeps what it holds";
	return 0;
}

int verdict__process(const double *t, const double *heap, const double *var,
		     const double *rss, size_t n, const struct verdict_params *p,
		     struct process_verdict *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = verdict__trend(t, heap, var, n, p->alpha, &out->heap)))
		return err;
	out->reason = _grows(&out->heap, p->alpha) ? "the live heap grows"
						   : "the live heap shows no steady growth";
	if (!rss)
		return 0;
	if ((err = verdict__trend(t, rss, NULL, n, p->alpha, &out->rss)))
		return err;
	if (_grows(&out->rss, p->alpha) &&
	    (!_grows(&out->heap, p->alpha) || out->heap.slope < 0.5 * out->rss.slope)) {
		out->retention = true;
		out->reason = "allocator retention or fragmentation: resident memory grows, "
			      "the sampled live heap does not account for it";
	}
	return 0;
}
