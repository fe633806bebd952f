/* rwproto — remote_write's wire format; see rwproto.h. */
#include "fleet/rwproto.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/remote.pb-c.h"

double rwproto__stale(void)
{
	uint64_t bits = RWPROTO_STALE_BITS;
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

bool rwproto__is_stale(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits == RWPROTO_STALE_BITS;
}

int rwproto__compress(const void *in, size_t len, void **out, size_t *outlen)
{
	size_t cap = snappy_max_compressed_length(len);
	char *buf = malloc(cap ? cap : 1);

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	if (snappy_compress(in, len, buf, &cap) != SNAPPY_OK) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = cap;
	return 0;
}

int rwproto__uncompress(const void *in, size_t len, void **out, size_t *outlen)
{
	size_t n;
	char *buf;

	*out = NULL;
	if (snappy_uncompressed_length(in, len, &n) != SNAPPY_OK ||
	    snappy_validate_compressed_buffer(in, len) != SNAPPY_OK)
		return -EINVAL;
	if (n > (1u << 30))
		return -E2BIG;
	buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	if (snappy_uncompress(in, len, buf, &n) != SNAPPY_OK) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int rwproto__encode(const struct expo_series *s, size_t n, int64_t ts_ms, void **body,
		    size_t *len)
{
	Seep__Remote__WriteRequest req = SEEP__REMOTE__WRITE_REQUEST__INIT;
	Seep__Remote__TimeSeries *ts = calloc(n ? n : 1, sizeof(*ts));
	Seep__Remote__TimeSeries **tsp = calloc(n ? n : 1, sizeof(*tsp));
	Seep__Remote__Sample *sm = calloc(n ? n : 1, sizeof(*sm));
	Seep__Remote__Sample **smp = calloc(n ? n : 1, sizeof(*smp));
	Seep__Remote__Label *lb = NULL, **lbp = NULL;
	size_t nl = 0, o = 0, plen;
	uint8_t *packed = NULL;
	int err = -ENOMEM;

	*body = NULL;
	for (size_t i = 0; i < n; i++)
		nl += s[i].nlabels;
	lb = calloc(nl ? nl : 1, sizeof(*lb));
	lbp = calloc(nl ? nl : 1, sizeof(*lbp));
	if (!ts || !tsp || !sm || !smp || !lb || !lbp)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		seep__remote__time_series__init(&ts[i]);
		seep__remote__sample__init(&sm[i]);
		sm[i].value = s[i].value;
		sm[i].timestamp = ts_ms;
		smp[i] = &sm[i];
		ts[i].samples = &smp[i];
		ts[i].n_samples = 1;
		ts[i].labels = &lbp[o];
		ts[i].n_labels = s[i].nlabels;
		for (size_t k = 0; k < s[i].nlabels; k++, o++) {
			seep__remote__label__init(&lb[o]);
			lb[o].name = (char *)s[i].labels[k].name;
			lb[o].value = (char *)s[i].labels[k].value;
			lbp[o] = &lb[o];
		}
		tsp[i] = &ts[i];
	}
	req.timeseries = tsp;
	req.n_timeseries = n;
	plen = seep__remote__write_request__get_packed_size(&req);
	packed = malloc(plen ? plen : 1);
	if (!packed)
		goto cleanup;
	seep__remote__write_request__pack(&req, packed);
	err = rwproto__compress(packed, plen, body, len);
cleanup:
	free(packed);
	free(ts);
	free(tsp);
	free(sm);
	free(smp);
	free(lb);
	free(lbp);
	return err;
}

int rwproto__decode(const void *body, size_t len, struct rw_decoded *out)
{
	Seep__Remote__WriteRequest *req;
	void *raw;
	size_t rlen, nl = 0, o = 0;
	struct expo_label *labels;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = rwproto__uncompress(body, len, &raw, &rlen)))
		return err;
	req = seep__remote__write_request__unpack(NULL, rlen, raw);
	free(raw);
	if (!req)
		return -EINVAL;
	for (size_t i = 0; i < req->n_timeseries; i++)
		nl += req->timeseries[i]->n_labels;
	out->s = calloc(req->n_timeseries + 1, sizeof(*out->s));
	labels = calloc(nl + 1, sizeof(*labels));
	if (!out->s || !labels) {
		free(labels);
		free(out->s);
		seep__remote__write_request__free_unpacked(req, NULL);
		return -ENOMEM;
	}
	for (size_t i = 0; i < req->n_timeseries; i++) {
		const Seep__Remote__TimeSeries *t = req->timeseries[i];

		out->s[i].labels = labels + o;
		out->s[i].nlabels = t->n_labels;
		for (size_t k = 0; k < t->n_labels; k++, o++)
			labels[o] = (struct expo_label){ t->labels[k]->name, t->labels[k]->value };
		out->s[i].nsamples = t->n_samples;
		if (t->n_samples) {
			out->s[i].value = t->samples[0]->value;
			out->s[i].ts_ms = t->samples[0]->timestamp;
		}
	}
	out->msg = req;
	out->all = labels;
	out->n = req->n_timeseries;
	return 0;
}

void rwproto__decoded_release(struct rw_decoded *d)
{
	if (!d)
		return;
	free(d->all);
	free(d->s);
	if (d->msg)
		seep__remote__write_request__free_unpacked(d->msg, NULL);
	memset(d, 0, sizeof(*d));
}

enum rw_outcome rwproto__classify(long status)
{
	if (status >= 200 && status < 300)
		return RW_SENT;
	if (status == 0 || status == 429 || status >= 500)
		return RW_RETRY;
	return RW_DROP;
}
