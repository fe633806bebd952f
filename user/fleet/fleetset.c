/* fleetset — a fleet's process series read back from a TSDB; see fleetset.h. */
#include "fleet/fleetset.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct kv {
	const char *k, *v;
};

static int _kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* The process labels of METRIC (a JSON object of strings) into LABELS,
 * the extra ones joined into EXTRA. Returns 1 when the series is one to
 * read, 0 when it is of another metric or type. */
static int _labels(json_t *metric, const char *labels[FLEET_NLABELS], char *extra,
		   size_t extralen)
{
	struct kv kv[MAX_EXTRA] = { { 0 } };
	const char *key, *instance = NULL;
	size_t nkv = 0, used = 0;
	json_t *val;

	memset(labels, 0, sizeof(*labels) * FLEET_NLABELS);
	extra[0] = '\0';
	json_object_foreach(metric, key, val) {
		const char *v = json_string_value(val);

		if (!v)
			continue;
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
		} else if (strcmp(key, "job") && nkv < MAX_EXTRA) {
			kv[nkv++] = (struct kv){ key, v };
		}
	}
	if (!labels[FLEET_HOST])
		labels[FLEET_HOST] = instance;
	qsort(kv, nkv, sizeof(kv[0]), _kv_cmp);
	for (size_t i = 0; i < nkv && used < extralen; i++) {
		int w = snprintf(extra + used, extralen - used, "%s%s=%s", i ? "," : "", kv[i].k,
				 kv[i].v);

		if (w < 0 || (size_t)w >= extralen - used) {
			extra[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
	labels[FLEET_EXTRA] = extra;
	return 1;
}

static double _num(json_t *j)
{
	if (json_is_number(j))
		return json_number_value(j);
	if (json_is_string(j)) {
		char *end;
		double d = strtod(json_string_value(j), &end);

		return *end ? NAN : d;
	}
	return NAN;
}

/* One export object: {"metric":{},"values":[],"timestamps":[]}. */
static int _export_obj(struct fleet_set *s, json_t *o, size_t line, char *err, size_t errlen)
{
	json_t *metric = json_object_get(o, "metric"), *vals = json_object_get(o, "values");
	json_t *ts = json_object_get(o, "timestamps");
	const char *labels[FLEET_NLABELS];
	char extra[1024];
	struct fleet_chunk *c;
	size_t n;
	int e;

	if (!json_is_object(metric) || !json_is_array(vals) || !json_is_array(ts) ||
	    json_array_size(vals) != json_array_size(ts)) {
		snprintf(err, errlen,
			 "line %zu: not an export series (metric, values, timestamps of one length)",
			 line);
		return -EINVAL;
	}
	if (!_labels(metric, labels, extra, sizeof(extra))) {
		s->skipped++;
		return 0;
	}
	n = json_array_size(vals);
	if ((e = _reserve(s, n)))
		return e;
	c = _chunk(s, labels, &e);
	if (!c)
		return e;
	for (size_t i = 0; i < n; i++) {
		double t = _num(json_array_get(ts, i)) / 1000.0, v = _num(json_array_get(vals, i));

		if (!isfinite(t) || !isfinite(v))
			continue;
		if ((e = _push(s, t, v))) {
			s->nsamples = c->off;
			snprintf(err, errlen, "line %zu: timestamp %.0f ms too far from the others",
				 line, t * 1000);
			return e == -ERANGE ? -EINVAL : e;
		}
	}
	c->n = s->nsamples - c->off;
	s->nchunks++;
	return 0;
}

int fleet_set__read_export(struct fleet_set *s, const char *buf, size_t len, size_t line0,
			   char *err, size_t errlen)
{
	size_t pos = 0, line = line0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, a = pos;
		json_error_t je;
		json_t *o;
		int e;

		while (a < end && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r'))
			a++;
		if (a < end) {
			o = json_loadb(buf + a, end - a, 0, &je);
			if (!o) {
				snprintf(err, errlen, "line %zu: invalid JSON: %s", line, je.text);
				return -EINVAL;
			}
			if (!json_is_object(o)) {
				json_decref(o);
				snprintf(err, errlen, "line %zu: not a JSON object", line);
				return -EINVAL;
			}
			e = _export_obj(s, o, line, err, errlen);
			json_decref(o);
			if (e)
				return e;
		}
		pos = end + 1;
		line++;
	}
	return 0;
}

int fleet_set__read_matrix(struct fleet_set *s, const char *buf, size_t len, char *err,
			   size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, 0, &je), *data, *result, *r;
	const char *status, *type;
	size_t i;
	int e = 0;

	if (!root) {
		snprintf(err, errlen, "invalid JSON at line %d: %s", je.line, je.text);
		return -EINVAL;
	}
	status = json_string_value(json_object_get(root, "status"));
	if (!status || strcmp(status, "success")) {
		const char *why = json_string_value(json_object_get(root, "error"));

		snprintf(err, errlen, "%s", why ? why : "not a Prometheus API answer");
		json_decref(root);
		return -EINVAL;
	}
	data = json_object_get(root, "data");
	type = json_string_value(json_object_get(data, "resultType"));
	result = json_object_get(data, "result");
	if (!type || strcmp(type, "matrix") || !json_is_array(result)) {
		snprintf(err, errlen, "the answer is not a matrix (resultType '%s')",
			 type ? type : "");
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(result, i, r) {
		json_t *metric = json_object_get(r, "metric"), *vals = json_object_get(r, "values");
		const char *labels[FLEET_NLABELS];
		char extra[1024];
		struct fleet_chunk *c;
		json_t *pt;
		size_t k;

		if (!json_is_object(metric) || !json_is_array(vals)) {
			snprintf(err, errlen, "series %zu of the matrix has no metric or values", i);
			e = -EINVAL;
			break;
		}
		if (!_labels(metric, labels, extra, sizeof(extra))) {
			s->skipped++;
			continue;
		}
		if ((e = _reserve(s, json_array_size(vals))))
			break;
		c = _chunk(s, labels, &e);
		if (!c)
			break;
		json_array_foreach(vals, k, pt) {
			double t = _num(json_array_get(pt, 0)), v = _num(json_array_get(pt, 1));

			if (!isfinite(t) || !isfinite(v))
				continue;
			if ((e = _push(s, t, v)))
				break;
		}
		if (e) {
			s->nsamples = c->off;
			snprintf(err, errlen, "series %zu: a timestamp too far from the others", i);
			e = -EINVAL;
			break;
		}
		c->n = s->nsamples - c->off;
		s->nchunks++;
	}
	json_decref(root);
	return e;
}

int fleet_set__merge(struct fleet_set *dst, struct fleet_set *src)
{
	int err = 0;

	for (size_t i = 0; i < src->nchunks && !err; i++) {
		const struct fleet_chunk *c = &src->chunks[i];
		const char *labels[FLEET_NLABELS];
		struct fleet_chunk *d;

		for (int l = 0; l < FLEET_NLABELS; l++)
			labels[l] = fleet_set__label(src, c, (enum fleet_label)l);
		if ((err = _reserve(dst, c->n)))
			break;
		d = _chunk(dst, labels, &err);
		if (!d)
			break;
		for (size_t k = 0; k < c->n && !err; k++)
			err = _push(dst, fleet_set__time(src, c, k), fleet_set__value(src, c, k));
		if (err) {
			dst->nsamples = d->off;
			break;
		}
		d->n = dst->nsamples - d->off;
		dst->nchunks++;
	}
	dst->skipped += src->skipped;
	src->nchunks = src->nsamples = src->skipped = 0;
	return err;
}
