/* httpget — one HTTP GET into memory (libcurl), for reading a TSDB's API.
 *
 * httpget__fetch() follows no redirects, times out after TIMEOUT_S
 * seconds (connecting after 5), accepts gzip, and returns the body with
 * any HTTP status: the caller decides what a 4xx/5xx answer means (the
 * Prometheus API explains its errors in the body). A body beyond
 * HTTPGET_MAX_BYTES is -EFBIG.
 * Ownership: *BODY is malloc'ed, NUL-terminated, the caller frees it.
 * Returns 0 or -errno (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 * -EPROTO for other transfer errors) with curl's message in ERR.
 */
#ifndef SEEP_FLEET_HTTPGET_H
#define SEEP_FLEET_HTTPGET_H

#include <stddef.h>

#define HTTPGET_MAX_BYTES (8ULL << 30)

int httpget__fetch(const char *url, double timeout_s, char **body, size_t *len, long *status,
		   char *err, size_t errlen);

/* httpget__stream() hands a 2xx body to SINK piece by piece as it arrives
 * (nothing of it is held here); SINK returns 0, or -errno to stop the
 * transfer (that code is returned, the sink's message is the caller's).
 * Any other status: the body goes to ERRBODY[ERRLEN] (NUL-terminated,
 * cut at ERRLEN - 1 bytes) instead, for the caller's message. */
typedef int (*httpget_sink)(void *ctx, const char *data, size_t len);

int httpget__stream(const char *url, double timeout_s, httpget_sink sink, void *ctx,
		    long *status, char *errbody, size_t errbodylen, char *err, size_t errlen);

#endif
