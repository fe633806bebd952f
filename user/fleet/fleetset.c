/* fleetset — a fleet's process series read back from a TSDB; see fleetset.h. */
#include "fleet/fleetset.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonscan.h"
#include "lib/vec.h"

#define MAX_EXTRA 32
#define T_LIMIT 2.0e9		/* tenths of a second: int32 with a margin (6.3 years) */

struct fleet_set *fleet_set__new(void)
{
	struct fleet_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->names = intern__new();
	if (!s->names) {
		free(s);
		return NULL;
	}
	/* id 0 is "" */
	if (intern__add(s->names, "") < 0) {
		fleet_set__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void fleet_set__free(struct fleet_set *s)
{
	if (!s)
		return;
	intern__free(s->names);
	free(s->chunks);
	free(s->t);
	free(s->v);
	free(s->scratch.t);
	free(s->scratch.v);
	free(s->scratch.arena);
	free(s->scratch.pairs);
	free(s);
}

const char *fleet_set__label(const struct fleet_set *s, const struct fleet_chunk *c,
			     enum fleet_label l)
{
	const char *str = intern__str(s->names, c->label[l]);

	return str ? str : "";
}

/* Room for N more samples. */
static int _reserve(struct fleet_set *s, size_t n)
{
	int err;

	if (n > SIZE_MAX - s->nsamples)
		return -EOVERFLOW;
	err = VEC_RESERVE(s->t, s->t_cap, s->nsamples + n);
	if (!err)
		err = VEC_RESERVE(s->v, s->v_cap, s->nsamples + n);
	return err;
}

/* Appends one sample to the pools (room reserved). */
static int _push(struct fleet_set *s, double t, double v)
{
	double d;

	if (!s->has_t0) {
		s->t0 = floor(t);
		s->has_t0 = 1;
	}
	d = llround((t - s->t0) * 10.0);
	if (!(fabs(d) < T_LIMIT))
		return -ERANGE;
	if (!(fabs(v) <= FLT_MAX))
		return -EDOM;	/* a float would make it infinite */
	s->t[s->nsamples] = (int32_t)d;
	s->v[s->nsamples] = (float)v;
	s->nsamples++;
	return 0;
}

/* A new chunk under LABELS, starting at the pools' end. */
static struct fleet_chunk *_chunk(struct fleet_set *s, const char *const labels[FLEET_NLABELS],
				  int *err)
{
	struct fleet_chunk *c;
	uint32_t ids[FLEET_NLABELS];

	for (int l = 0; l < FLEET_NLABELS; l++) {
		int64_t id = intern__add(s->names, labels[l] ? labels[l] : "");

		if (id < 0) {
			*err = (int)id;
			return NULL;
		}
		ids[l] = (uint32_t)id;
	}
	c = VEC_PUSH(s->chunks, s->nchunks, s->chunks_cap);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(c->label, ids, sizeof(ids));
	c->off = s->nsamples;
	c->n = 0;
	*err = 0;
	return c;
}

int fleet_set__add(struct fleet_set *s, const char *const labels[FLEET_NLABELS],
		   const double *t, const double *v, size_t n)
{
	struct fleet_chunk *c;
	int err = _reserve(s, n);

	if (err)
		return err;
	c = _chunk(s, labels, &err);
	if (!c)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(t[i]) || !isfinite(v[i]))
			continue;
		err = _push(s, t[i], v[i]);
		if (err) {
			s->nsamples = c->off;
			s->nchunks--;
			return err;
		}
	}
	c->n = s->nsamples - c->off;
	s->nchunks++;
	return 0;
}

/* --- reading the TSDB's JSON (lib/jsonscan: no document tree) ------------- */

/* A label of the series being read: offsets into the scratch arena; V is
 * SIZE_MAX when the value is not a string (ignored, as before). */
struct pair {
	size_t k, v;
};

/* The JSON string at JS into the arena; its offset in *OFF. */
static int _arena_string(struct jsonscan *js, struct fleet_scratch *w, size_t *off)
{
	for (;;) {
		size_t n;
		int e = jsonscan__string(js, w->arena + w->arena_len, w->arena_cap - w->arena_len, &n);

		if (!e) {
			*off = w->arena_len;
			w->arena_len += n + 1;
			return 0;
		}
		if (e != -E2BIG)
			return e;
		if ((e = VEC_RESERVE(w->arena, w->arena_cap, w->arena_cap * 2 + 256)))
			return e;
	}
}

/* A "metric" object (its '{' next) into W->pairs. */
static int _metric(struct jsonscan *js, struct fleet_scratch *w)
{
	char key[FLEET_MAX_KEY];
	int first = 1, e;

	w->npairs = 0;
	if ((e = jsonscan__open(js, '{')))
		return e;
	while ((e = jsonscan__object_next(js, &first, key, sizeof(key))) == 1) {
		struct pair *p = VEC_PUSH(w->pairs, w->npairs, w->pairs_cap);
		size_t n = strlen(key) + 1;

		if (!p || (e = VEC_RESERVE(w->arena, w->arena_cap, w->arena_len + n)))
			return -ENOMEM;
		memcpy(w->arena + w->arena_len, key, n);
		p->k = w->arena_len;
		w->arena_len += n;
		p->v = SIZE_MAX;
		if (jsonscan__peek(js) == '"')
			e = _arena_string(js, w, &p->v);
		else
			e = jsonscan__skip(js);
		if (e)
			return e;
		w->npairs++;
	}
	return e;
}

struct kv {
	const char *k, *v;
};

static int _kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* The process labels of the pairs in W into LABELS, the extra ones joined
 * into W->extra. A key given twice counts once, its last value (as a JSON
 * object reads). Returns 1 when the series is one to read, 0 when it is of
 * another metric or type; *CUT says whether extra labels past MAX_EXTRA or
 * past W->extra's room were left out (the series is still read). */
static int _labels(struct fleet_scratch *w, const char *labels[FLEET_NLABELS], int *cut)
{
	struct kv kv[MAX_EXTRA] = { { 0 } };
	const char *instance = NULL;
	size_t nkv = 0, used = 0;
	char *extra = w->extra;

	memset(labels, 0, sizeof(*labels) * FLEET_NLABELS);
	extra[0] = '\0';
	*cut = 0;
	for (size_t i = 0; i < w->npairs; i++) {
		const char *key = w->arena + w->pairs[i].k, *v;
		int later = 0;

		for (size_t j = i + 1; j < w->npairs && !later; j++)
			later = !strcmp(key, w->arena + w->pairs[j].k);
		if (later || w->pairs[i].v == SIZE_MAX)
			continue;
		v = w->arena + w->pairs[i].v;
		if (!strcmp(key, "__name__")) {
			if (strcmp(v, FLEET_METRIC))
				return 0;
		} else if (!strcmp(key, "type")) {
			if (strcmp(v, FLEET_TYPE))
				return 0;
		} else if (!strcmp(key, "host")) {
			labels[FLEET_HOST] = v;
		} else if (!strcmp(key, "instance")) {
			instance = v;
		} else if (!strcmp(key, "component")) {
			labels[FLEET_COMPONENT] = v;
		} else if (!strcmp(key, "comm")) {
			labels[FLEET_COMM] = v;
		} else if (!strcmp(key, "pid")) {
			labels[FLEET_PID] = v;
		} else if (strcmp(key, "job")) {
			if (nkv < MAX_EXTRA)
				kv[nkv++] = (struct kv){ key, v };
			else
				*cut = 1;
		}
	}
	if (!labels[FLEET_HOST])
		labels[FLEET_HOST] = instance;
	qsort(kv, nkv, sizeof(kv[0]), _kv_cmp);
	for (size_t i = 0; i < nkv && used < sizeof(w->extra); i++) {
		int n = snprintf(extra + used, sizeof(w->extra) - used, "%s%s=%s", i ? "," : "",
				 kv[i].k, kv[i].v);

		if (n < 0 || (size_t)n >= sizeof(w->extra) - used) {
			extra[used] = '\0';
			*cut = 1;
			break;
		}
		used += (size_t)n;
	}
	labels[FLEET_EXTRA] = extra;
	return 1;
}

/* An array of numbers (its '[' next) into *OUT[*N] (growing *CAP);
 * elements that are not numbers read as NAN. */
static int _numbers(struct jsonscan *js, double **out, size_t *n, size_t *cap)
{
	int first = 1, e;

	*n = 0;
	if ((e = jsonscan__open(js, '[')))
		return e;
	while ((e = jsonscan__array_next(js, &first)) == 1) {
		double *d = VEC_PUSH(*out, *n, *cap);

		if (!d)
			return -ENOMEM;
		if ((e = jsonscan__value_number(js, d)))
			return e;
		(*n)++;
	}
	return e;
}

/* Prometheus' [[t, "v"], ...] (its '[' next) into W->t and W->v; an
 * element that is not an array reads as (NAN, NAN). */
static int _points(struct jsonscan *js, struct fleet_scratch *w, size_t *n)
{
	int first = 1, e;

	*n = 0;
	if ((e = jsonscan__open(js, '[')))
		return e;
	while ((e = jsonscan__array_next(js, &first)) == 1) {
		double pt[2] = { NAN, NAN };

		if ((e = VEC_RESERVE(w->t, w->t_cap, *n + 1)) ||
		    (e = VEC_RESERVE(w->v, w->v_cap, *n + 1)))
			return e;
		if (jsonscan__peek(js) == '[') {
			int f = 1;
			size_t k = 0;

			if ((e = jsonscan__open(js, '[')))
				return e;
			for (; (e = jsonscan__array_next(js, &f)) == 1; k++) {
				double d;

				if ((e = jsonscan__value_number(js, &d)))
					return e;
				if (k < 2)
					pt[k] = d;
			}
			if (e)
				return e;
		} else if ((e = jsonscan__skip(js))) {
			return e;
		}
		w->t[*n] = pt[0];
		w->v[*n] = pt[1];
		(*n)++;
	}
	return e;
}

/* One chunk of the N samples in W (T in epoch seconds times DIV) under
 * LABELS; -ERANGE for a time too far from the set's others, -EDOM for a
 * value beyond float's range (*BAD is the one). */
static int _commit(struct fleet_set *s, const char *const labels[FLEET_NLABELS],
		   const struct fleet_scratch *w, size_t n, double div, double *bad)
{
	struct fleet_chunk *c;
	int e;

	if ((e = _reserve(s, n)))
		return e;
	c = _chunk(s, labels, &e);
	if (!c)
		return e;
	for (size_t i = 0; i < n; i++) {
		double t = w->t[i] / div, v = w->v[i];

		if (!isfinite(t) || !isfinite(v))
			continue;
		if ((e = _push(s, t, v))) {
			s->nsamples = c->off;
			*bad = e == -EDOM ? w->v[i] : w->t[i];
			return e;
		}
	}
	c->n = s->nsamples - c->off;
	s->nchunks++;
	return 0;
}

/* The message of a scanner error E at LINE into ERR; the code to return. */
static int _scan_error(const struct jsonscan *js, int e, size_t line, char *err, size_t errlen)
{
	if (e == -E2BIG)
		snprintf(err, errlen, "line %zu: a key longer than %d bytes", line,
			 FLEET_MAX_KEY - 1);
	else if (e == -EINVAL)
		snprintf(err, errlen, "line %zu: invalid JSON: %s at byte %zu", line,
			 js->why ? js->why : "malformed", js->at + 1);
	else
		return e;
	return -EINVAL;
}

/* One export line: {"metric":{},"values":[],"timestamps":[]}. */
static int _export_line(struct fleet_set *s, const char *text, size_t len, size_t line,
			char *err, size_t errlen)
{
	struct fleet_scratch *w = &s->scratch;
	const char *labels[FLEET_NLABELS];
	int first = 1, metric = 0, values = 0, times = 0, cut, e;
	size_t nv = 0, nt = 0;
	double bad;
	struct jsonscan js;
	char key[FLEET_MAX_KEY];

	jsonscan__init(&js, text, len);
	w->arena_len = 0;
	if (jsonscan__peek(&js) != '{') {
		e = jsonscan__skip(&js);
		if (!e)
			e = jsonscan__end(&js);
		if (e)
			return _scan_error(&js, e, line, err, errlen);
		snprintf(err, errlen, "line %zu: not a JSON object", line);
		return -EINVAL;
	}
	e = jsonscan__open(&js, '{');
	while (!e && (e = jsonscan__object_next(&js, &first, key, sizeof(key))) == 1) {
		int c = jsonscan__peek(&js);

		/* a key given twice: its last value counts */
		if (!strcmp(key, "metric") && c == '{')
			e = _metric(&js, w), metric = 1;
		else if (!strcmp(key, "values") && c == '[')
			e = _numbers(&js, &w->v, &nv, &w->v_cap), values = 1;
		else if (!strcmp(key, "timestamps") && c == '[')
			e = _numbers(&js, &w->t, &nt, &w->t_cap), times = 1;
		else {
			metric &= strcmp(key, "metric") != 0;
			values &= strcmp(key, "values") != 0;
			times &= strcmp(key, "timestamps") != 0;
			e = jsonscan__skip(&js);
		}
	}
	if (!e)
		e = jsonscan__end(&js);
	if (e)
		return _scan_error(&js, e, line, err, errlen);
	if (!metric || !values || !times || nv != nt) {
		snprintf(err, errlen,
			 "line %zu: not an export series (metric, values, timestamps of one length)",
			 line);
		return -EINVAL;
	}
	if (!_labels(w, labels, &cut)) {
		s->skipped++;
		return 0;
	}
	e = _commit(s, labels, w, nv, 1000.0, &bad);
	if (!e)
		s->labels_cut += (size_t)cut;
	if (e == -ERANGE) {
		snprintf(err, errlen, "line %zu: timestamp %.0f ms too far from the others", line,
			 bad);
		return -EINVAL;
	}
	if (e == -EDOM) {
		snprintf(err, errlen, "line %zu: value %g beyond the float range", line, bad);
		return -EINVAL;
	}
	return e;
}

int fleet_set__read_export(struct fleet_set *s, const char *buf, size_t len, size_t line0,
			   char *err, size_t errlen)
{
	size_t pos = 0, line = line0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, a = pos;

		while (a < end && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r'))
			a++;
		if (a < end) {
			int e = _export_line(s, buf + a, end - a, line, err, errlen);

			if (e)
				return e;
		}
		pos = end + 1;
		line++;
	}
	return 0;
}

/* A short string value (its '"' next) into BUF, or "?" when it does not fit;
 * anything else is passed over and gives "". */
static int _short_string(struct jsonscan *js, char *buf, size_t len)
{
	int e;

	buf[0] = '\0';
	if (jsonscan__peek(js) != '"')
		return jsonscan__skip(js);
	e = jsonscan__string(js, buf, len, NULL);
	if (e == -E2BIG) {
		snprintf(buf, len, "?");
		return jsonscan__string(js, NULL, 0, NULL);
	}
	return e;
}

struct matrix {
	int result;		/* data.result was an array */
	size_t series, bad;	/* series read; the first without metric or values + 1 */
	char type[32];
};

/* One element of data.result. */
static int _matrix_series(struct fleet_set *s, struct jsonscan *js, struct matrix *m)
{
	struct fleet_scratch *w = &s->scratch;
	const char *labels[FLEET_NLABELS];
	int first = 1, metric = 0, values = 0, cut, e;
	size_t n = 0;
	double bad;
	char key[FLEET_MAX_KEY];

	w->arena_len = 0;
	m->series++;
	if (jsonscan__peek(js) != '{') {
		m->bad = m->bad ? m->bad : m->series;
		return jsonscan__skip(js);
	}
	if ((e = jsonscan__open(js, '{')))
		return e;
	while ((e = jsonscan__object_next(js, &first, key, sizeof(key))) == 1) {
		int c = jsonscan__peek(js);

		if (!strcmp(key, "metric") && c == '{')
			e = _metric(js, w), metric = 1;
		else if (!strcmp(key, "values") && c == '[')
			e = _points(js, w, &n), values = 1;
		else {
			metric &= strcmp(key, "metric") != 0;
			values &= strcmp(key, "values") != 0;
			e = jsonscan__skip(js);
		}
		if (e)
			return e;
	}
	if (e)
		return e;
	if (!metric || !values) {
		m->bad = m->bad ? m->bad : m->series;
		return 0;
	}
	if (!_labels(w, labels, &cut)) {
		s->skipped++;
		return 0;
	}
	e = _commit(s, labels, w, n, 1, &bad);
	if (!e)
		s->labels_cut += (size_t)cut;
	return e;
}

/* The "data" object (its '{' next). */
static int _matrix_data(struct fleet_set *s, struct jsonscan *js, struct matrix *m)
{
	int first = 1, e;
	char key[FLEET_MAX_KEY];

	if ((e = jsonscan__open(js, '{')))
		return e;
	while ((e = jsonscan__object_next(js, &first, key, sizeof(key))) == 1) {
		if (!strcmp(key, "resultType")) {
			e = _short_string(js, m->type, sizeof(m->type));
		} else if (!strcmp(key, "result") && jsonscan__peek(js) == '[') {
			int f = 1;

			m->result = 1;
			if ((e = jsonscan__open(js, '[')))
				return e;
			while ((e = jsonscan__array_next(js, &f)) == 1)
				if ((e = _matrix_series(s, js, m)))
					return e;
		} else {
			e = jsonscan__skip(js);
		}
		if (e)
			return e;
	}
	return e;
}

int fleet_set__read_matrix(struct fleet_set *s, const char *buf, size_t len, char *err,
			   size_t errlen)
{
	size_t chunks = s->nchunks, samples = s->nsamples, skipped = s->skipped;
	size_t cut = s->labels_cut;
	struct matrix m = { 0 };
	struct jsonscan js;
	char key[FLEET_MAX_KEY], status[32] = "", why[512] = "";
	int first = 1, e;

	jsonscan__init(&js, buf, len);
	e = jsonscan__open(&js, '{');
	while (!e && (e = jsonscan__object_next(&js, &first, key, sizeof(key))) == 1) {
		if (!strcmp(key, "status"))
			e = _short_string(&js, status, sizeof(status));
		else if (!strcmp(key, "error"))
			e = _short_string(&js, why, sizeof(why));
		else if (!strcmp(key, "data") && jsonscan__peek(&js) == '{')
			e = _matrix_data(s, &js, &m);
		else
			e = jsonscan__skip(&js);
	}
	if (!e)
		e = jsonscan__end(&js);
	if (e == -EINVAL || e == -E2BIG) {
		snprintf(err, errlen, "invalid JSON: %s at byte %zu",
			 e == -E2BIG ? "a key too long" : js.why ? js.why : "malformed", js.at + 1);
		e = -EINVAL;
	} else if (e == -ERANGE) {
		snprintf(err, errlen, "series %zu: a timestamp too far from the others", m.series - 1);
		e = -EINVAL;
	} else if (e == -EDOM) {
		snprintf(err, errlen, "series %zu: a value beyond the float range", m.series - 1);
		e = -EINVAL;
	} else if (!e && strcmp(status, "success")) {
		snprintf(err, errlen, "%s", why[0] ? why : "not a Prometheus API answer");
		e = -EINVAL;
	} else if (!e && (strcmp(m.type, "matrix") || !m.result)) {
		snprintf(err, errlen, "the answer is not a matrix (resultType '%s')", m.type);
		e = -EINVAL;
	} else if (!e && m.bad) {
		snprintf(err, errlen, "series %zu of the matrix has no metric or values", m.bad - 1);
		e = -EINVAL;
	}
	if (e) {
		/* nothing of a bad answer stays */
		s->nchunks = chunks;
		s->nsamples = samples;
		s->skipped = skipped;
		s->labels_cut = cut;
	}
	return e;
}

/* --- merging ------------------------------------------------------------------ */

int fleet_set__merge(struct fleet_set *dst, struct fleet_set *src)
{
	size_t nn = intern__len(src->names);
	uint32_t *map = malloc((nn + 1) * sizeof(*map));
	int64_t shift;
	int err = 0;

	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < nn && !err; i++) {
		int64_t id = intern__add(dst->names, intern__str(src->names, i));

		if (id < 0)
			err = (int)id;
		else
			map[i] = (uint32_t)id;
	}
	if (!err && src->nsamples && !dst->has_t0) {
		dst->t0 = src->t0;
		dst->has_t0 = 1;
	}
	/* both t0 are whole seconds: the shift is exact */
	shift = src->nsamples ? (int64_t)llround((src->t0 - dst->t0) * 10.0) : 0;
	if (!err)
		err = _reserve(dst, src->nsamples);
	if (!err && VEC_RESERVE(dst->chunks, dst->chunks_cap, dst->nchunks + src->nchunks))
		err = -ENOMEM;
	for (size_t i = 0; i < src->nchunks && !err; i++) {
		const struct fleet_chunk *c = &src->chunks[i];
		struct fleet_chunk *d = &dst->chunks[dst->nchunks];

		for (int l = 0; l < FLEET_NLABELS; l++)
			d->label[l] = map[c->label[l]];
		d->off = dst->nsamples;
		d->n = c->n;
		for (size_t k = 0; k < c->n; k++) {
			int64_t t = src->t[c->off + k] + shift;

			if (!(llabs(t) < (int64_t)T_LIMIT)) {
				err = -ERANGE;
				break;
			}
			dst->t[d->off + k] = (int32_t)t;
			dst->v[d->off + k] = src->v[c->off + k];
		}
		if (!err) {
			dst->nsamples += c->n;
			dst->nchunks++;
		}
	}
	free(map);
	dst->skipped += src->skipped;
	dst->labels_cut += src->labels_cut;
	src->nchunks = src->nsamples = src->skipped = src->labels_cut = 0;
	return err;
}
