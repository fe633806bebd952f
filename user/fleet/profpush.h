/* profpush — the daemon's heap snapshots pushed to profile stores, as the
 * pprof files the collections wrote (gzip'ed pprof, what `go tool pprof`
 * reads), with the labels the series have.
 *
 * Stores (either or both):
 *   Pyroscope: POST BASE/ingest?name=APP{labels}&from=F&until=U&format=pprof
 *     &spyName=seep, the body the pprof file (Content-Type
 *     application/octet-stream); F and U are the epoch seconds the
 *     snapshot covers (the previous snapshot of its collection, or the
 *     collection's start, to the file's write time).
 *   Parca: POST BASE/api/profiles/writeraw (its profilestore WriteRaw
 *     through the HTTP/JSON gateway a stock Parca serves on its HTTP port),
 *     body {"series":[{"labels":{"labels":[{"name":..,"value":..},..]},
 *     "samples":[{"rawProfile":BASE64}]}]}, __name__ = APP.
 * Labels: host, comm, pid, component, unit, cgroup, build_id (12 hex),
 * trigger, pattern, then the configured extra ones; label values that
 * Pyroscope's name syntax cannot carry (',', '=', '{', '}') become '_'
 * there (Parca gets them as they are); empty values are left out.
 * profpush__sync() is called with the daemon's model whenever the
 * collections may have moved (each interval): every snapshot not yet seen
 * is queued (QUEUE items; past it the oldest is dropped and counted as
 * failed). A sender thread pushes them in order; a push that fails with a
 * 5xx, 429 or a transport error is tried again up to RETRIES times after
 * BACKOFF, BACKOFF*2, ... (counted as retried), a 4xx or the last failure
 * is counted as failed. The daemon's loop never waits on a store.
 * Snapshots written while the daemon stops (a collection's last) are not
 * pushed. Thread-safe for one caller thread. Returns 0 or -errno.
 */
#ifndef SEEP_FLEET_PROFPUSH_H
#define SEEP_FLEET_PROFPUSH_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/model.h"

#define PROFPUSH_QUEUE 32

struct profpush_config {
	const char *pyroscope;		/* base URL; NULL or "": none */
	const char *parca;		/* base URL; NULL or "": none */
	const char *app;		/* application / profile name */
	const char *host;
	const char *labels;		/* "name=value,name=value" */
	double timeout_s;
	uint32_t retries;
	double backoff_s;
};

struct profpush_stats {
	uint64_t sent, failed, retried;	/* pushes (one per store and snapshot) */
	uint64_t queued;		/* snapshots */
	long last_status;
};

struct profpush;

int profpush__new(const struct profpush_config *c, struct profpush **out, char *err,
		  size_t errlen);
void profpush__free(struct profpush *pp);
/* Queues the snapshots of M's collections not seen yet (NOW_S: their
 * until when the file's time cannot be read). */
int profpush__sync(struct profpush *pp, const struct mx_model *m, double now_s);
void profpush__stats(struct profpush *pp, struct profpush_stats *out);

/* For the tests: the Pyroscope name and Parca labels of a label set. */
int profpush__pyroscope_name(const char *app, const char *const *kv, size_t n, char *out,
			     size_t outlen);
/* Base64 (RFC 4648, padded) of LEN bytes: malloc'ed, NUL-terminated. */
char *profpush__base64(const void *buf, size_t len);

#endif
