/* linfit — windowed least squares with prefix sums, and CPD; see linfit.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/linfit.h"

int linfit__init(struct linfit *lf, const double *y, size_t n)
{
	memset(lf, 0, sizeof(*lf));
	lf->sy = malloc((n + 1) * sizeof(double));
	lf->syy = malloc((n + 1) * sizeof(double));
	lf->sxy = malloc((n + 1) * sizeof(double));
	if (!lf->sy || !lf->syy || !lf->sxy) {
		linfit__release(lf);
		return -ENOMEM;
	}
	lf->n = n;
	lf->ref = n ? y[0] : 0;
	lf->sy[0] = lf->syy[0] = lf->sxy[0] = 0;
	for (size_t i = 0; i < n; i++) {
		double v = y[i] - lf->ref;

		lf->sy[i + 1] = lf->sy[i] + v;
		lf->syy[i + 1] = lf->syy[i] + v * v;
		lf->sxy[i + 1] = lf->sxy[i] + (double)i * v;
	}
	return 0;
}

void linfit__release(struct linfit *lf)
{
	if (!lf)
		return;
	free(lf->sy);
	free(lf->syy);
	free(lf->sxy);
	memset(lf, 0, sizeof(*lf));
}

/* Centred moments of [from, to) with x = 0..m-1. */
struct moments {
	double m, sy, syy, sxx, sxy_c, syy_c;
};

static void moments(const struct linfit *lf, size_t from, size_t to, struct moments *mo)
{
	double sxy;

	mo->m = (double)(to - from);
	mo->sy = lf->sy[to] - lf->sy[from];
	mo->syy = lf->syy[to] - lf->syy[from];
	/* shift x to start at 0 in the window: sum (i - from) y = sxy - from sy */
	sxy = (lf->sxy[to] - lf->sxy[from]) - (double)from * mo->sy;
	/* x = 0..m-1: sum x = m(m-1)/2, centred sum of squares m(m²-1)/12 */
	mo->sxx = mo->m * (mo->m * mo->m - 1) / 12.0;
	mo->sxy_c = sxy - (mo->m - 1) / 2.0 * mo->sy;
	mo->syy_c = fmax(0, mo->syy - mo->sy * mo->sy / mo->m);
}

int linfit__fit(const struct linfit *lf, size_t from, size_t to, struct line *out)
{
	struct moments mo;
	double slope, ssres;

	if (to > lf->n || from + 2 > to)
		return -EINVAL;
	moments(lf, from, to, &mo);
	slope = mo.sxy_c / mo.sxx;
	out->slope = slope;
	out->intercept = mo.sy / mo.m - slope * (mo.m - 1) / 2.0 + lf->ref;
	out->from = from;
	out->to = to;
	/* a flat window: the fit is exact when every value is equal */
	if (mo.syy_c <= 1e-12 * (mo.syy + 1e-300) || mo.syy_c < 1e-18) {
		out->r2 = 1.0;
		return 0;
	}
	ssres = fmax(0, mo.syy_c - slope * mo.sxy_c);
	out->r2 = 1.0 - ssres / mo.syy_c;
	return 0;
}

double linfit__sse(const struct linfit *lf, size_t from, size_t to, double *slope)
{
	struct moments mo;

	if (to > lf->n || from + 2 > to) {
		*slope = 0;
		return 0;
	}
	moments(lf, from, to, &mo);
	*slope = mo.sxy_c / mo.sxx;
	return fmax(0, mo.syy_c - *slope * mo.sxy_c);
}

double linfit__mean(const struct linfit *lf, size_t from, size_t to)
{
	return (lf->sy[to] - lf->sy[from]) / (double)(to - from) + lf->ref;
}

double line__end_value(const struct line *l)
{
	return l->intercept + l->slope * (double)(l->to - l->from - 1);
}

double line__samples_to(const struct line *l, double threshold)
{
	double end = line__end_value(l);

	if (end >= threshold)
		return 0;
	if (!(l->slope > 0))
		return INFINITY;
	return (threshold - end) / l->slope;
}

int linfit__cpd(const double *y, size_t n, double z, size_t min_dist,
		size_t **points, size_t *np)
{
	double mean = 0, var = 0, sd;
	size_t *p, k = 0;

	*points = NULL;
	*np = 0;
	p = malloc((n + 2) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[k++] = 0;
	if (n >= 3) {
		size_t nd = n - 1;

		for (size_t i = 0; i < nd; i++)
			mean += fabs(y[i + 1] - y[i]);
		mean /= (double)nd;
		for (size_t i = 0; i < nd; i++) {
			double d = fabs(y[i + 1] - y[i]) - mean;

			var += d * d;
		}
		sd = sqrt(var / (double)nd);	/* population sd, as scipy's zscore */
		for (size_t i = 0; sd > 0 && i < nd; i++) {
			size_t idx = i + 1;

			if ((fabs(y[i + 1] - y[i]) - mean) / sd <= z)
				continue;
			if (idx - p[k - 1] < min_dist || n - idx < min_dist)
				continue;
			p[k++] = idx;
		}
	}
	if (n > 0)
		p[k++] = n;
	*points = p;
	*np = k;
	return 0;
}
