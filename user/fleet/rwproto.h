/* rwproto — the remote_write 1.0 wire format: a WriteRequest (remote.proto)
 * of series, snappy block-compressed, and what a receiver's answer means.
 *
 * rwproto__encode() writes one sample per series, all at TS_MS, into a
 * compressed request body (malloc'ed, the caller frees). A series whose
 * value is RWPROTO_STALE carries the staleness marker (the NaN with the
 * bit pattern 0x7ff0000000000002 Prometheus uses: the series ended).
 * rwproto__decode() reads a body back (tests, the spool's checks).
 * rwproto__classify(): 2xx sent; 5xx and 429 (too many requests) retried
 * later; any other status dropped (the spec: a 4xx will not succeed
 * however often it is sent); a transport error (STATUS 0) retried.
 * Returns 0 or -errno.
 */
#ifndef SEEP_FLEET_RWPROTO_H
#define SEEP_FLEET_RWPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/expo.h"

#define RWPROTO_STALE_BITS 0x7ff0000000000002ULL

enum rw_outcome { RW_SENT, RW_RETRY, RW_DROP };

double rwproto__stale(void);
bool rwproto__is_stale(double v);

int rwproto__encode(const struct expo_series *s, size_t n, int64_t ts_ms, void **body,
		    size_t *len);

/* A decoded request: series with their labels and one sample each. */
struct rw_decoded_series {
	struct expo_label *labels;	/* point into the message */
	size_t nlabels;
	double value;
	int64_t ts_ms;
	size_t nsamples;
};
struct rw_decoded {
	void *msg;			/* the protobuf-c message */
	struct expo_label *all;		/* every series' labels */
	struct rw_decoded_series *s;
	size_t n;
};
int rwproto__decode(const void *body, size_t len, struct rw_decoded *out);
void rwproto__decoded_release(struct rw_decoded *d);

/* Snappy block format. */
int rwproto__compress(const void *in, size_t len, void **out, size_t *outlen);
int rwproto__uncompress(const void *in, size_t len, void **out, size_t *outlen);

enum rw_outcome rwproto__classify(long status);

#endif
