#include "diagnose/kdetect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

struct kseries {
	uint64_t id;
	uint64_t report;         /* the report that last observed it */
	double *v;               /* the last n values, oldest first */
	size_t n;
	struct kreport_detect verdict;
};

struct kdetect {
	double step_s;
	size_t max_points;
	struct kseries *s;
	size_t n, cap;
	struct hashmap index;
	uint64_t reports;        /* reports committed */
	size_t leaks;
	double *t;               /* max_points sample times, for the detector */
};

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct kdetect *d = ctx;

	return d->s[id].id == *(const uint64_t *)key;
}

struct kdetect *kdetect__new(double step_s, size_t max_points)
{
	struct kdetect *d;

	if (!(step_s > 0))
		return NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return NULL;
	d->step_s = step_s;
	d->max_points = max_points ? max_points : 240;
	if (d->max_points < KDETECT_MIN_POINTS)
		d->max_points = KDETECT_MIN_POINTS;
	hashmap__init(&d->index);
	if (!(d->t = calloc(d->max_points, sizeof(*d->t)))) {
		kdetect__free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->max_points; i++)
		d->t[i] = (double)i * step_s;
	return d;
}

void kdetect__free(struct kdetect *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->s[i].v);
	free(d->s);
	free(d->t);
	hashmap__release(&d->index);
	free(d);
}

int kdetect__observe(struct kdetect *d, uint64_t id, uint64_t bytes)
{
	int64_t at = hashmap__find(&d->index, id, &id, _eq, d);
	struct kseries *s;
	int err;

	if (at < 0) {
		if (d->n >= UINT32_MAX - 1)
			return -ENOMEM;
		if (!(s = VEC_PUSH(d->s, d->n, d->cap)))
			return -ENOMEM;
		memset(s, 0, sizeof(*s));
		if (!(s->v = calloc(d->max_points, sizeof(*s->v))))
			return -ENOMEM;
		s->id = id;
		if ((err = hashmap__add(&d->index, id, (uint32_t)d->n))) {
			free(s->v);
			return err;
		}
		d->n++;
	} else {
		s = &d->s[at];
		if (s->report != d->reports)   /* absent from the last report: starts over */
			s->n = 0;
	}
	if (s->n == d->max_points) {
		memmove(s->v, s->v + 1, (s->n - 1) * sizeof(*s->v));
		s->n--;
	}
	s->v[s->n++] = (double)bytes;
	s->report = d->reports + 1;
	return 0;
}

/* LBR on the series as it is (a regular grid, exact values). */
static int _judge(const struct kdetect *d, struct kseries *s)
{
	struct series ser = { .t = d->t, .v = s->v, .n = s->n, .step = d->step_s };
	struct detect_params p;
	struct detect_result r;
	double lo = s->v[0], span = (double)(s->n - 1) * d->step_s;
	int err;

	memset(&s->verdict, 0, sizeof(s->verdict));
	s->verdict.points = (uint32_t)s->n;
	s->verdict.algo = detect__algo_name(DETECT_LBR);
	if (s->n < KDETECT_MIN_POINTS)
		return 0;
	for (size_t i = 1; i < s->n; i++)
		lo = fmin(lo, s->v[i]);
	detect_params__init(&p);
	p.step_s = d->step_s;
	p.smooth_s = 0;
	p.min_trend_s = KDETECT_MIN_POINTS * d->step_s;
	p.max_window_s = (double)d->max_points * d->step_s;
	p.r2_min = 0.8;
	p.threshold = s->v[s->n - 1] + fmax(s->v[s->n - 1] - lo, 1);
	p.critical_s = 2 * span;
	if ((err = detect__lbr(&p, &ser, &r)))
		return err;
	s->verdict.judged = true;
	s->verdict.leak = r.leak && r.slope_per_hour > 0;
	s->verdict.slope_per_s = r.leak ? r.slope_per_hour / 3600 : 0;
	s->verdict.r2 = r.leak ? r.r2 : 0;
	return 0;
}

int kdetect__commit(struct kdetect *d)
{
	size_t k = 0;
	int err = 0;

	d->reports++;
	d->leaks = 0;
	hashmap__clear(&d->index);
	for (size_t i = 0; i < d->n; i++) {
		if (d->s[i].report != d->reports) {
			free(d->s[i].v);
			continue;
		}
		d->s[k] = d->s[i];
		/* cannot fail: the table held more ids a moment ago */
		(void)hashmap__add(&d->index, d->s[k].id, (uint32_t)k);
		if (!err)
			err = _judge(d, &d->s[k]);
		d->leaks += d->s[k].verdict.leak;
		k++;
	}
	d->n = k;
	return err;
}

void kdetect__verdict(const struct kdetect *d, uint64_t id, struct kreport_detect *out)
{
	int64_t at = hashmap__find(&d->index, id, &id, _eq, (void *)d);

	if (at < 0 || d->s[at].report != d->reports)
		memset(out, 0, sizeof(*out));
	else
		*out = d->s[at].verdict;
}

size_t kdetect__leaks(const struct kdetect *d)
{
	return d->leaks;
}

void kdetect__annotate(const struct kdetect *d, struct kreport *r)
{
	for (size_t i = 0; i < r->base.nstacks; i++)
		kdetect__verdict(d, r->sites[i].id, &r->sites[i].detect);
	r->detected_total = d->leaks;
}
