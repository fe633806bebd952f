/* fleet — cross-host leak detection; see fleet.h. */
#include "fleet/fleet.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

#define MAX_GRID 20000
#define MAX_THREADS 64
#define CRITICAL_S (7 * 86400.0)

void fleet_params__init(struct fleet_params *p)
{
	memset(p, 0, sizeof(*p));
	p->threshold = 8.0 * (1ULL << 30);
	pivot_params__init(&p->pivot);
	p->algo = DETECT_SEEP;
	p->gate = 1;
	p->threads = 1;
}

static int _digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int fleet__name_cmp(const char *a, const char *b)
{
	int da = _digits(a), db = _digits(b);

	if (da && db) {
		size_t la, lb;

		while (*a == '0' && a[1])
			a++;
		while (*b == '0' && b[1])
			b++;
		la = strlen(a), lb = strlen(b);
		if (la != lb)
			return la < lb ? -1 : 1;
		return strcmp(a, b);
	}
	if (da != db)
		return da ? -1 : 1;
	return strcmp(a, b);
}

/* --- ordering ----------------------------------------------------------- */

struct ctx {
	const struct fleet_set *s;
	const struct fleet_params *p;
	uint32_t *rank;			/* name id -> rank */
	uint32_t *order;		/* chunks, sorted */
	size_t *comp_at;		/* first index in order of component k; [ncomp] = end */
	size_t ncomp;
	double t0, step;		/* grid */
	size_t ngrid;
	struct fleet_component *comps;
	struct fleet_suspect **sus;	/* per thread */
	size_t *nsus, *sus_cap;
	size_t *judged;			/* per thread */
	int *errs;
	unsigned threads;
	atomic_size_t next;		/* the next component to take */
};

static int _name_rank_cmp(const void *a, const void *b, void *arg)
{
	const struct fleet_set *s = arg;

	return fleet__name_cmp(intern__str(s->names, *(const uint32_t *)a),
			       intern__str(s->names, *(const uint32_t *)b));
}

static int _chunk_cmp(const void *a, const void *b, void *arg)
{
	const struct ctx *c = arg;
	const struct fleet_chunk *x = &c->s->chunks[*(const uint32_t *)a];
	const struct fleet_chunk *y = &c->s->chunks[*(const uint32_t *)b];
	static const int keys[] = { FLEET_COMPONENT, FLEET_HOST, FLEET_COMM, FLEET_PID,
				    FLEET_EXTRA };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint32_t rx = c->rank[x->label[keys[i]]], ry = c->rank[y->label[keys[i]]];

		if (rx != ry)
			return rx < ry ? -1 : 1;
	}
	{
		int32_t tx = x->n ? c->s->t[x->off] : INT32_MAX;
		int32_t ty = y->n ? c->s->t[y->off] : INT32_MAX;

		if (tx != ty)
			return tx < ty ? -1 : 1;
	}
	/* the same key and start (duplicate chunks): by value, then arrival */
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int _order(struct ctx *c)
{
	const struct fleet_set *s = c->s;
	size_t nn = intern__len(s->names);
	uint32_t *ids = malloc((nn + 1) * sizeof(*ids));
	int err = 0;

	c->rank = malloc((nn + 1) * sizeof(*c->rank));
	c->order = malloc((s->nchunks + 1) * sizeof(*c->order));
	if (!ids || !c->rank || !c->order || s->nchunks > UINT32_MAX) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < nn; i++)
		ids[i] = (uint32_t)i;
	for (size_t i = 0; i < s->nchunks; i++)
		c->order[i] = (uint32_t)i;
	qsort_r(ids, nn, sizeof(*ids), _name_rank_cmp, (void *)s);
	for (size_t i = 0; i < nn; i++)
		c->rank[ids[i]] = (uint32_t)i;
	qsort_r(c->order, s->nchunks, sizeof(*c->order), _chunk_cmp, c);
cleanup:
	free(ids);
	return err;
}

static int _same_process(const struct ctx *c, uint32_t a, uint32_t b)
{
	const struct fleet_chunk *x = &c->s->chunks[a], *y = &c->s->chunks[b];

	return x->label[FLEET_COMPONENT] == y->label[FLEET_COMPONENT] &&
	       x->label[FLEET_HOST] == y->label[FLEET_HOST] &&
	       x->label[FLEET_COMM] == y->label[FLEET_COMM] &&
	       x->label[FLEET_PID] == y->label[FLEET_PID] &&
	       x->label[FLEET_EXTRA] == y->label[FLEET_EXTRA];
}

static int _dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The grid: span of all samples; step from the params or the data. */
static int _grid(struct ctx *c)
{
	const struct fleet_set *s = c->s;
	double *iv = NULL, lo = INFINITY, hi = -INFINITY, step = c->p->step_s;
	size_t niv = 0;

	for (size_t i = 0; i < s->nsamples; i++) {
		double t = s->t[i];

		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	if (!(lo <= hi))
		return -ENODATA;
	if (!(step > 0)) {
		iv = malloc((s->nchunks + 1) * sizeof(*iv));
		if (!iv)
			return -ENOMEM;
		for (size_t i = 0; i < s->nchunks; i++) {
			const struct fleet_chunk *k = &s->chunks[i];

			if (k->n >= 2)
				iv[niv++] = fabs((double)s->t[k->off + k->n - 1] - s->t[k->off]) /
					    10.0 / (double)(k->n - 1);
		}
		qsort(iv, niv, sizeof(*iv), _dbl_cmp);
		step = niv ? iv[niv / 2] : 1;
		free(iv);
	}
	step = fmax(step, 1);
	/* tenths of a second from t0 */
	if ((hi - lo) / 10.0 / step > MAX_GRID - 1)
		step = (hi - lo) / 10.0 / (MAX_GRID - 1);
	c->t0 = s->t0 + lo / 10.0;
	c->step = step;
	c->ngrid = (size_t)floor((hi - lo) / 10.0 / step + 1e-9) + 1;
	return 0;
}

/* --- per component -------------------------------------------------------- */

struct work {
	struct series raw;		/* one process's samples */
	size_t t_cap, v_cap;
	double *sums;			/* hosts x grid */
	uint8_t *present;
	size_t sums_cap, present_cap;
	double *vals;
	size_t vals_cap;
};

/* The samples of the process whose chunks are order[from, to) into W->raw,
 * in time order, equal times merged. */
static int _process(const struct ctx *c, size_t from, size_t to, struct work *w)
{
	const struct fleet_set *s = c->s;
	size_t n = 0, merged;
	int err;

	for (size_t i = from; i < to; i++)
		n += s->chunks[c->order[i]].n;
	if ((err = VEC_RESERVE(w->raw.t, w->t_cap, n + 1)) ||
	    (err = VEC_RESERVE(w->raw.v, w->v_cap, n + 1)))
		return err;
	w->raw.n = 0;
	for (size_t i = from; i < to; i++) {
		const struct fleet_chunk *k = &s->chunks[c->order[i]];

		for (size_t j = 0; j < k->n; j++) {
			w->raw.t[w->raw.n] = fleet_set__time(s, k, j);
			w->raw.v[w->raw.n] = fleet_set__value(s, k, j);
			w->raw.n++;
		}
	}
	/* chunks come sorted by first time; check the whole before sorting */
	for (size_t i = 1; i < w->raw.n; i++)
		if (!(w->raw.t[i] > w->raw.t[i - 1]))
			return series__normalize(&w->raw, &merged);
	return 0;
}

/* Adds the process in W->raw to host row ROW of the grid. */
static void _fill(const struct ctx *c, const struct work *w, double *row, uint8_t *pres)
{
	const struct series *r = &w->raw;
	size_t j = 0;

	for (size_t g = 0; g < c->ngrid && r->n; g++) {
		double tg = c->t0 + (double)g * c->step;

		while (j + 1 < r->n && r->t[j + 1] <= tg + c->step / 2)
			j++;
		if (r->t[j] <= tg + c->step / 2 && r->t[j] > tg - 2 * c->step) {
			row[g] += r->v[j];
			pres[g] = 1;
		}
	}
}

static double _severity(double ttt, double pivot)
{
	double s = isfinite(ttt) ? CRITICAL_S / (CRITICAL_S + fmax(ttt, 0)) : 0;

	return fmin(1, 0.75 * s + 0.25 * fmin(pivot, 1));
}

static int _judge(struct ctx *c, unsigned th, size_t k, struct work *w, size_t from)
{
	const struct fleet_set *s = c->s;
	const struct fleet_chunk *first = &s->chunks[c->order[from]];
	struct fleet_component *comp = &c->comps[k];
	struct series analysed = { 0 };
	struct detect_params dp;
	struct detect_result r;
	struct detect_input in = { .raw = &w->raw, .analysed = &analysed };
	struct fleet_suspect *x;
	int err;

	if (w->raw.n < 8)
		return 0;
	detect_params__init_derived(&dp);
	dp.threshold = c->p->threshold;
	err = detect__run(&dp, c->p->algo, &in, &r);
	series__release(&analysed);
	c->judged[th]++;
	if (err == -EINVAL || err == -E2BIG || err == -ENODATA)
		return 0;	/* a series the detectors cannot judge */
	if (err || !r.leak)
		return err;
	x = VEC_PUSH(c->sus[th], c->nsus[th], c->sus_cap[th]);
	if (!x)
		return -ENOMEM;
	*x = (struct fleet_suspect){
		.host = fleet_set__label(s, first, FLEET_HOST),
		.component = fleet_set__label(s, first, FLEET_COMPONENT),
		.comm = fleet_set__label(s, first, FLEET_COMM),
		.pid = fleet_set__label(s, first, FLEET_PID),
		.pattern = r.pattern,
		.pivot_severity = comp->severity,
		.slope_bytes_per_s = r.slope_per_hour / 3600.0,
		.r2 = r.r2,
		.bytes = w->raw.v[w->raw.n - 1],
		.time_to_threshold_s = r.time_to_threshold_s,
		.from_s = r.window_start,
		.to_s = r.window_end,
		.rank = from,
	};
	x->severity = _severity(r.time_to_threshold_s, comp->severity);
	c->nsus[th]++;
	comp->suspects++;
	return 0;
}

static int _component(struct ctx *c, unsigned th, size_t k, struct work *w)
{
	const struct fleet_set *s = c->s;
	size_t from = c->comp_at[k], to = c->comp_at[k + 1], nhosts = 0;
	struct fleet_component *comp = &c->comps[k];
	struct pivot_params pp = c->p->pivot;
	struct pivot pv = { 0 };
	struct pivot_verdict v;
	int err = 0;

	comp->component = fleet_set__label(s, &s->chunks[c->order[from]], FLEET_COMPONENT);
	for (size_t i = from; i < to; i++)
		if (i == from || s->chunks[c->order[i]].label[FLEET_HOST] !=
				 s->chunks[c->order[i - 1]].label[FLEET_HOST])
			nhosts++;
	comp->hosts = nhosts;
	if ((err = VEC_RESERVE(w->sums, w->sums_cap, nhosts * c->ngrid)) ||
	    (err = VEC_RESERVE(w->present, w->present_cap, nhosts * c->ngrid)) ||
	    (err = VEC_RESERVE(w->vals, w->vals_cap, nhosts + 1)))
		return err;
	memset(w->sums, 0, nhosts * c->ngrid * sizeof(*w->sums));
	memset(w->present, 0, nhosts * c->ngrid);
	/* pass 1: hosts' sums on the grid */
	for (size_t i = from, h = 0; i < to; ) {
		size_t j = i + 1;

		while (j < to && _same_process(c, c->order[i], c->order[j]))
			j++;
		if (i > from && s->chunks[c->order[i]].label[FLEET_HOST] !=
				s->chunks[c->order[i - 1]].label[FLEET_HOST])
			h++;
		if ((err = _process(c, i, j, w)))
			return err;
		_fill(c, w, w->sums + h * c->ngrid, w->present + h * c->ngrid);
		comp->processes++;
		i = j;
	}
	pp.window = c->ngrid < 8 ? 8 : c->ngrid;
	if ((err = pivot__init(&pv, &pp)))
		return err;
	for (size_t g = 0; g < c->ngrid && !err; g++) {
		size_t n = 0;

		for (size_t h = 0; h < nhosts; h++)
			if (w->present[h * c->ngrid + g])
				w->vals[n++] = w->sums[h * c->ngrid + g];
		err = pivot__add(&pv, c->t0 + (double)g * c->step, w->vals, n);
	}
	if (!err)
		err = pivot__evaluate(&pv, &v);
	pivot__release(&pv);
	if (err)
		return err;
	comp->ready = v.ready;
	comp->anomalous = v.anomalous;
	comp->severity = v.severity;
	comp->lo = v.buckets[v.worst].lo;
	comp->hi = v.buckets[v.worst].hi;
	comp->z = v.buckets[v.worst].z;
	comp->instances = v.instances;
	if (c->p->gate && !v.anomalous)
		return 0;
	/* pass 2: the detectors on its processes */
	for (size_t i = from; i < to && !err; ) {
		size_t j = i + 1;

		while (j < to && _same_process(c, c->order[i], c->order[j]))
			j++;
		err = _process(c, i, j, w);
		if (!err)
			err = _judge(c, th, k, w, i);
		i = j;
	}
	return err;
}

struct thread_arg {
	struct ctx *c;
	unsigned th;
};

static void *_thread(void *arg)
{
	struct thread_arg *a = arg;
	struct ctx *c = a->c;
	struct work w = { 0 };

	/* components go to whichever thread is free: one big component does not
	 * hold the others back; each writes only its own slots */
	while (!c->errs[a->th]) {
		size_t k = atomic_fetch_add(&c->next, 1);

		if (k >= c->ncomp)
			break;
		c->errs[a->th] = _component(c, a->th, k, &w);
	}
	free(w.raw.t);
	free(w.raw.v);
	free(w.sums);
	free(w.present);
	free(w.vals);
	return NULL;
}

/* --- ranking ----------------------------------------------------------------- */

static int _sus_cmp(const void *a, const void *b)
{
	const struct fleet_suspect *x = a, *y = b;
	int d;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if ((d = fleet__name_cmp(x->component, y->component)) ||
	    (d = fleet__name_cmp(x->host, y->host)) || (d = fleet__name_cmp(x->comm, y->comm)) ||
	    (d = fleet__name_cmp(x->pid, y->pid)))
		return d;
	if (x->from_s != y->from_s)
		return x->from_s < y->from_s ? -1 : 1;
	/* the same names (processes told apart by other labels): their order */
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int fleet__analyse(const struct fleet_set *s, const struct fleet_params *p,
		   struct fleet_report *out)
{
	struct ctx c = { .s = s, .p = p };
	pthread_t tids[MAX_THREADS];
	struct thread_arg args[MAX_THREADS];
	size_t cap = 0, total = 0;
	unsigned started = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!s->nchunks || !s->nsamples)
		return -ENODATA;
	c.threads = p->threads < 1 ? 1 : p->threads > MAX_THREADS ? MAX_THREADS : p->threads;
	if ((err = _order(&c)) || (err = _grid(&c)))
		goto cleanup;
	/* components: runs of one name in the order */
	for (size_t i = 0; i < s->nchunks; i++) {
		if (i && s->chunks[c.order[i]].label[FLEET_COMPONENT] ==
			 s->chunks[c.order[i - 1]].label[FLEET_COMPONENT])
			continue;
		if ((err = VEC_RESERVE(c.comp_at, cap, c.ncomp + 2)))
			goto cleanup;
		c.comp_at[c.ncomp++] = i;
	}
	c.comp_at[c.ncomp] = s->nchunks;
	if (c.threads > c.ncomp)
		c.threads = (unsigned)c.ncomp;
	c.comps = calloc(c.ncomp, sizeof(*c.comps));
	c.sus = calloc(c.threads, sizeof(*c.sus));
	c.nsus = calloc(c.threads, sizeof(*c.nsus));
	c.sus_cap = calloc(c.threads, sizeof(*c.sus_cap));
	c.judged = calloc(c.threads, sizeof(*c.judged));
	c.errs = calloc(c.threads, sizeof(*c.errs));
	if (!c.comps || !c.sus || !c.nsus || !c.sus_cap || !c.judged || !c.errs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (unsigned t = 0; t < c.threads; t++) {
		args[t] = (struct thread_arg){ &c, t };
		if (t == 0)
			continue;
		if (pthread_create(&tids[t], NULL, _thread, &args[t])) {
			c.errs[t] = -EAGAIN;
			break;
		}
		started = t;
	}
	_thread(&args[0]);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(tids[t], NULL);
	for (unsigned t = 0; t < c.threads; t++) {
		if (!err)
			err = c.errs[t];
		total += c.nsus[t];
		out->judged += c.judged[t];
	}
	if (err)
		goto cleanup;
	out->suspects = calloc(total + 1, sizeof(*out->suspects));
	if (!out->suspects) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (unsigned t = 0; t < c.threads; t++) {
		if (c.nsus[t])
			memcpy(out->suspects + out->nsuspects, c.sus[t],
			       c.nsus[t] * sizeof(*out->suspects));
		out->nsuspects += c.nsus[t];
	}
	qsort(out->suspects, out->nsuspects, sizeof(*out->suspects), _sus_cmp);
	out->components = c.comps;
	out->ncomponents = c.ncomp;
	c.comps = NULL;
	out->chunks = s->nchunks;
	out->samples = s->nsamples;
	out->labels_cut = s->labels_cut;
	for (size_t i = 0; i < s->nchunks; i++)
		if (!i || !_same_process(&c, c.order[i], c.order[i - 1]))
			out->processes++;
	{
		/* hosts: distinct host ids */
		size_t nn = intern__len(s->names);
		uint8_t *seen = calloc(nn + 1, 1);

		if (!seen) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < s->nchunks; i++) {
			uint32_t h = s->chunks[i].label[FLEET_HOST];

			out->hosts += !seen[h];
			seen[h] = 1;
		}
		free(seen);
	}
	out->start = c.t0;
	out->step = c.step;
	out->end = out->start + (double)(c.ngrid - 1) * c.step;
cleanup:
	if (err)
		fleet_report__release(out);
	if (c.sus)
		for (unsigned t = 0; t < c.threads; t++)
			free(c.sus[t]);
	free(c.sus);
	free(c.nsus);
	free(c.sus_cap);
	free(c.judged);
	free(c.errs);
	free(c.comps);
	free(c.comp_at);
	free(c.rank);
	free(c.order);
	return err;
}

void fleet_report__release(struct fleet_report *r)
{
	if (!r)
		return;
	free(r->suspects);
	free(r->components);
	memset(r, 0, sizeof(*r));
}
