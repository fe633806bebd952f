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

#endif
