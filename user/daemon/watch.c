/* watch — a ring of samples and its tier-1 verdict; see watch.h. */
#include "daemon/watch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation; the ring then doubles up to its capacity. */
#define WATCH_MIN_ALLOC 16

int watch__init(struct watch *w, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap;
	return 0;
}

void watch__release(struct watch *w)
{
	if (!w)
		return;
	free(w->t);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* Room for one more sample while the ring is not full: until then it is
 * linear (head == n), so growing keeps every index. */
static int _grow(struct watch *w)
{
	size_t want = w->alloc ? w->alloc * 2 : WATCH_MIN_ALLOC;
	float *t, *v;

	if (want > w->cap)
		want = w->cap;
	t = realloc(w->t, want * sizeof(*t));
	if (!t)
		return -ENOMEM;
	w->t = t;
	v = realloc(w->v, want * sizeof(*v));
	if (!v)
		return -ENOMEM;
	w->v = v;
	w->alloc = want;
	return 0;
}

int watch__push(struct watch *w, double t, double v)
{
	if (!w->cap)
		return 0;
	if (w->n == w->alloc && w->alloc < w->cap) {
		int err = _grow(w);

		if (err)
			return err;
	}
	if (!w->n)
		w->t0 = t;
	w->t[w->head] = (float)(t - w->t0);
	w->v[w->head] = (float)v;
	w->head = (w->head + 1) % w->cap;
	if (w->n < w->cap)
		w->n++;
	return 0;
}

size_t watch__len(const struct watch *w)
{
	return w->n;
}

double watch__last(const struct watch *w)
{
	return w->n ? w->v[(w->head + w->cap - 1) % w->cap] : 0;
}

double watch__min_since(const struct watch *w, double t)
{
	double m = 0;
	bool any = false;

	for (size_t i = 0; i < w->n; i++) {
		size_t k = (w->head + w->cap - w->n + i) % w->cap;

		if (w->t0 + w->t[k] >= t && (!any || w->v[k] < m))
			m = w->v[k], any = true;
	}
	return m;
}

int watch__judge(const struct watch *w, const struct watch_params *p, struct watch_verdict *out)
{
	struct series raw = { 0 }, analysed = { 0 };
	struct detect_params dp;
	size_t first;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->time_to_threshold_s = INFINITY;
	/* a released (shed) watch has no ring at all: nothing to judge */
	if (w->n < p->min_samples || w->n < 8)
		return 0;
	first = (w->head + w->cap - w->n) % w->cap;
	err = series__init(&raw, w->n);
	if (err)
		return err;
	/* detector time: sample i at i * scale_s (positive, strictly increasing) */
	for (size_t i = 0; i < w->n; i++) {
		raw.t[i] = (double)(i + 1) * p->scale_s;
		raw.v[i] = w->v[(first + i) % w->cap];
	}
	detect_params__init(&dp);
	dp.step_s = p->scale_s;
	if (dp.smooth_s < p->scale_s)
		dp.smooth_s = p->scale_s;
	dp.threshold = p->threshold;
	out->judged = true;
	for (size_t a = 0; a < p->nalgos && !out->leak; a++) {
		struct detect_input in = { .raw = &raw, .analysed = &analysed };
		struct detect_result r;
		double per_sample;
		size_t from, to;

		err = detect__run(&dp, p->algos[a], &in, &r);
		if (err)
			break;
		out->pattern = r.pattern;
		out->algo = p->algos[a];
		if (r.leak) {
			/* analysed sample k sits at (k + 1) * scale_s: the same index */
			from = r.from < w->n ? r.from : w->n - 1;
			to = r.to && r.to - 1 < w->n ? r.to - 1 : w->n - 1;
			per_sample = r.slope_per_hour * p->scale_s / 3600.0;
			out->leak = true;
			out->from_s = w->t0 + w->t[(first + from) % w->cap];
			out->to_s = w->t0 + w->t[(first + to) % w->cap];
			out->slope_bytes_per_s = per_sample / p->interval_s;
			out->r2 = r.r2;
			out->time_to_threshold_s = isfinite(r.time_to_threshold_s) ?
				r.time_to_threshold_s / p->scale_s * p->interval_s : INFINITY;
		}
		series__release(&analysed);
	}
	series__release(&analysed);
	series__release(&raw);
	return err;
}
