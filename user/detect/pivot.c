/* pivot — bucketization-pivot over a component's instances; see pivot.h. */
#include "detect/pivot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void pivot_params__init(struct pivot_params *p)
{
	p->base = 1024.0 * 1024.0;
	p->nbuckets = 24;
	p->window = 64;
	p->z_min = 3;
	p->std_floor = 0.25;
}

int pivot__init(struct pivot *p, const struct pivot_params *params)
{
	memset(p, 0, sizeof(*p));
	if (params->nbuckets < 2 || params->nbuckets > PIVOT_MAX_BUCKETS || params->window < 8 ||
	    !(params->base > 0) || params->window > ((size_t)1 << 24))
		return -EINVAL;
	p->params = *params;
	p->counts = calloc(params->window * params->nbuckets, sizeof(*p->counts));
	p->total = calloc(params->window, sizeof(*p->total));
	p->t = calloc(params->window, sizeof(*p->t));
	if (!p->counts || !p->total || !p->t) {
		pivot__release(p);
		return -ENOMEM;
	}
	return 0;
}

void pivot__release(struct pivot *p)
{
	if (!p)
		return;
	free(p->counts);
	free(p->total);
	free(p->t);
	p->counts = NULL;
	p->total = NULL;
	p->t = NULL;
	p->n = p->head = 0;
}

unsigned pivot__bucket(const struct pivot_params *params, double value)
{
	double r;
	int e;

	if (!(value >= params->base))
		return 0;
	r = value / params->base;
	frexp(r, &e);		/* r in [2^(e-1), 2^e) */
	if (e < 1)
		e = 1;
	return (unsigned)e >= params->nbuckets ? params->nbuckets - 1 : (unsigned)e;
}

void pivot__bucket_range(const struct pivot_params *params, unsigned b, double *lo, double *hi)
{
	*lo = b == 0 ? 0 : ldexp(params->base, (int)b - 1);
	*hi = b + 1 >= params->nbuckets ? INFINITY : ldexp(params->base, (int)b);
}

int pivot__add(struct pivot *p, double t, const double *values, size_t n)
{
	uint32_t *row;

	if (!p->counts)
		return -EINVAL;
	row = p->counts + p->head * p->params.nbuckets;
	memset(row, 0, p->params.nbuckets * sizeof(*row));
	for (size_t i = 0; i < n; i++)
		row[pivot__bucket(&p->params, values[i])]++;
	p->total[p->head] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	p->t[p->head] = t;
	p->head = (p->head + 1) % p->params.window;
	p->n++;
	return 0;
}

size_t pivot__len(const struct pivot *p)
{
	return p->n < p->params.window ? p->n : p->params.window;
}

uint32_t pivot__count(const struct pivot *p, size_t i, unsigned b)
{
	size_t len = pivot__len(p), slot;

	if (i >= len || b >= p->params.nbuckets)
		return 0;
	slot = (p->head + p->params.window - len + i) % p->params.window;
	return p->counts[slot * p->params.nbuckets + b];
}

/* Median bucket of the instances over samples [from, to). */
static unsigned _median_bucket(const struct pivot *p, size_t from, size_t to)
{
	double sum[PIVOT_MAX_BUCKETS] = { 0 }, all = 0, acc = 0;

	for (size_t i = from; i < to; i++)
		for (unsigned b = 0; b < p->params.nbuckets; b++) {
			sum[b] += pivot__count(p, i, b);
			all += pivot__count(p, i, b);
		}
	for (unsigned b = 0; b < p->params.nbuckets; b++) {
		acc += sum[b];
		if (acc * 2 >= all && all > 0)
			return b;
	}
	return 0;
}

int pivot__evaluate(const struct pivot *p, struct pivot_verdict *v)
{
	size_t len = pivot__len(p), base_to, recent_from;
	unsigned nb = p->params.nbuckets, median;

	memset(v, 0, sizeof(*v));
	if (!p->counts)
		return -EINVAL;
	v->nbuckets = nb;
	for (unsigned b = 0; b < nb; b++)
		pivot__bucket_range(&p->params, b, &v->buckets[b].lo, &v->buckets[b].hi);
	if (len < p->params.window / 2 || len < 8)
		return 0;
	v->ready = 1;
	base_to = len / 2;
	recent_from = len - len / 4;
	median = _median_bucket(p, 0, base_to);
	for (size_t i = recent_from; i < len; i++) {
		size_t slot = (p->head + p->params.window - len + i) % p->params.window;

		v->instances += p->total[slot];
	}
	v->instances /= (double)(len - recent_from);
	for (unsigned b = 0; b < nb; b++) {
		struct pivot_bucket *k = &v->buckets[b];
		double mean = 0, var = 0, recent = 0;

		for (size_t i = 0; i < base_to; i++)
			mean += pivot__count(p, i, b);
		mean /= (double)base_to;
		for (size_t i = 0; i < base_to; i++) {
			double d = pivot__count(p, i, b) - mean;

			var += d * d;
		}
		var /= (double)base_to;
		for (size_t i = recent_from; i < len; i++)
			recent += pivot__count(p, i, b);
		recent /= (double)(len - recent_from);
		k->baseline = mean;
		k->sd = sqrt(var);
		k->recent = recent;
		k->z = (recent - mean) / fmax(k->sd, p->params.std_floor);
		k->anomalous = k->z >= p->params.z_min && pivot__count(p, len - 1, b) > 0 &&
			       b > median;
		if (k->anomalous) {
			k->score = k->z * (double)(b + 1) / (double)nb;
			k->severity = fmin(1, k->score);
			if (k->score > v->buckets[v->worst].score || !v->anomalous) {
				v->severity = k->severity;
				v->worst = b;
			}
			v->anomalous = 1;
		}
	}
	return 0;
}
