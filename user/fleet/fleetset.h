/* fleetset — the per-process memory series of a fleet, as read back from a
 * TSDB: one entry per (host, component, comm, pid, other labels) and chunk
 * of samples.
 *
 * What is read: the daemon's seep_process_memory_bytes, type "anon" (the
 * memory a leak grows). A series' labels name its process: `host` (the
 * `instance` label when there is no `host`), `component`, `comm`, `pid`,
 * and the rest (except __name__, type, job and instance) as one canonical
 * "k=v,..." string sorted by key, so that a label set with more labels
 * (unit, cgroup, build id) still tells processes apart. A series of another
 * metric name or another type is skipped (counted).
 *
 * Two readers fill a set: VictoriaMetrics' /api/v1/export answer (JSON
 * lines {"metric":{...},"values":[...],"timestamps":[ms...]}) and
 * Prometheus' /api/v1/query_range answer (a "matrix"). Both may be called
 * many times on one set (one query per time chunk): a process's chunks are
 * joined by fleet_set__process_samples().
 *
 * Storage: samples in two pools (times as int32 tenths of a second from the
 * set's first sample, values as float: 8 bytes a sample); a time more than
 * 6 years away from the first is -ERANGE, a value beyond float's range
 * (3.4e38) -EDOM (the readers report both as -EINVAL with a message).
 * Strings are interned once.
 *
 * Ownership: the set owns everything; strings and arrays it returns stay
 * valid until fleet_set__free() (which accepts NULL) or, for arrays, the
 * next add. Functions return 0 or -errno; -EINVAL (bad JSON) writes a
 * message naming the line into the caller's buffer.
 */
#ifndef SEEP_FLEET_FLEETSET_H
#define SEEP_FLEET_FLEETSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/intern.h"

#define FLEET_METRIC "seep_process_memory_bytes"
#define FLEET_TYPE "anon"

enum fleet_label { FLEET_HOST, FLEET_COMPONENT, FLEET_COMM, FLEET_PID, FLEET_EXTRA,
		   FLEET_NLABELS };

struct fleet_chunk {
	uint32_t label[FLEET_NLABELS];	/* interned ids */
	size_t off, n;			/* samples in the pools */
};

#define FLEET_MAX_KEY 1024	/* a JSON key (label name) of the answers, NUL included */

/* The readers' working memory, reused from series to series. */
struct fleet_scratch {
	double *t, *v;
	size_t t_cap, v_cap;
	char *arena;			/* the labels of the series being read */
	size_t arena_len, arena_cap;
	struct pair *pairs;
	size_t npairs, pairs_cap;
	char extra[1024];
};

struct fleet_set {
	struct intern *names;
	struct fleet_chunk *chunks;
	size_t nchunks, chunks_cap;
	int32_t *t;			/* tenths of a second from t0 */
	float *v;
	size_t nsamples, t_cap, v_cap;
	double t0;			/* epoch seconds; set by the first sample */
	int has_t0;
	size_t skipped;			/* series of another metric or type */
	size_t labels_cut;		/* series read without some extra labels (> 32, > 1 KiB) */
	struct fleet_scratch scratch;
};

struct fleet_set *fleet_set__new(void);	/* NULL with errno set */
void fleet_set__free(struct fleet_set *s);

/* Appends one chunk of N samples (T epoch seconds, V bytes) under LABELS
 * (strings; NULL reads as ""). */
int fleet_set__add(struct fleet_set *s, const char *const labels[FLEET_NLABELS],
		   const double *t, const double *v, size_t n);

/* Every line of a VictoriaMetrics export answer BUF[LEN] (blank lines
 * allowed). LINE0 numbers the first line in messages. */
int fleet_set__read_export(struct fleet_set *s, const char *buf, size_t len, size_t line0,
			   char *err, size_t errlen);
/* A Prometheus query_range answer: its status must be "success" and its
 * data a matrix (an error answer gives its "error" text in ERR). */
int fleet_set__read_matrix(struct fleet_set *s, const char *buf, size_t len, char *err,
			   size_t errlen);

/* Moves every chunk of SRC into DST (SRC is left empty). */
int fleet_set__merge(struct fleet_set *dst, struct fleet_set *src);

const char *fleet_set__label(const struct fleet_set *s, const struct fleet_chunk *c,
			     enum fleet_label l);
/* Sample I of chunk C: epoch seconds and value. */
static inline double fleet_set__time(const struct fleet_set *s, const struct fleet_chunk *c,
				     size_t i)
{
	return s->t0 + s->t[c->off + i] / 10.0;
}

static inline double fleet_set__value(const struct fleet_set *s, const struct fleet_chunk *c,
				      size_t i)
{
	return s->v[c->off + i];
}

#endif
