/* tsdb — reads a fleet's process series (fleetset.h) from a TSDB's HTTP
 * API: Prometheus' /api/v1/query_range or VictoriaMetrics' /api/v1/export.
 *
 * The query is FLEET_METRIC{<selector's matchers>,type="anon"}; SELECTOR
 * is a PromQL label selector in braces ('{job="seep"}', '{}').
 *
 * Prometheus answers at most TSDB_MAX_POINTS points per series and query.
 * tsdb__auto_step() picks the step: the finest whole number of seconds, at
 * least MIN_STEP_S, that gives a range no more than TSDB_AUTO_POINTS points
 * (the detectors resample to S/576 anyway); with any step, tsdb__split()
 * cuts the range into chunks of at most TSDB_MAX_POINTS points each,
 * queried one after the other (contiguous, not overlapping: chunk k + 1
 * starts one step after chunk k ends); each answer is held while it is
 * read. VictoriaMetrics' export streams raw samples of the whole range in
 * one answer (JSON lines), read as it arrives: only the line being
 * received is held (at most TSDB_MAX_LINE bytes, one series).
 *
 * Pure except tsdb__read_*; those return 0, -ENODATA when nothing matched,
 * or -errno with the cause in ERR ("cannot query 'URL': ...").
 */
#ifndef SEEP_FLEET_TSDB_H
#define SEEP_FLEET_TSDB_H

#include <stddef.h>

#include "fleet/fleetset.h"

#define TSDB_MAX_POINTS 11000
#define TSDB_AUTO_POINTS 1152
#define TSDB_MAX_LINE (256 << 20)	/* of an export answer (one series) */

double tsdb__auto_step(double range_s, double min_step_s);

struct tsdb_span {
	double start, end;	/* epoch seconds, both included */
};

/* Chunks of [START, END] at STEP into OUT[MAX]: *N of them. -E2BIG when
 * more than MAX would be needed, -EINVAL for a bad range or step. */
int tsdb__split(double start, double end, double step, size_t max_points, struct tsdb_span *out,
		size_t max, size_t *n);

/* The PromQL query for SELECTOR into BUF: 0, or -EINVAL when SELECTOR is
 * not in braces, -ENAMETOOLONG. */
int tsdb__query(const char *selector, char *buf, size_t len);

/* Percent-encodes S (RFC 3986 unreserved characters kept) into BUF. */
int tsdb__escape(const char *s, char *buf, size_t len);

struct tsdb_source {
	const char *url;	/* base URL: http://host:port (a trailing '/' is fine) */
	const char *selector;
	double start, end;	/* epoch seconds */
	double step;		/* Prometheus; 0: auto */
	double timeout_s;	/* per request */
	size_t requests;	/* out: HTTP requests made */
	size_t bytes;		/* out: VictoriaMetrics: the answer's size */
	double step_used;	/* out */
};

int tsdb__read_prometheus(struct tsdb_source *src, struct fleet_set *set, char *err,
			  size_t errlen);
int tsdb__read_victoriametrics(struct tsdb_source *src, struct fleet_set *set, char *err,
			       size_t errlen);

#endif
