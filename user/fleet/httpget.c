/* httpget — one HTTP GET into memory; see httpget.h. */
#include "fleet/httpget.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static size_t _write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;

	if (b->len + n + 1 > HTTPGET_MAX_BYTES) {
		b->err = -EFBIG;
		return 0;
	}
	if (VEC_RESERVE(b->p, b->cap, b->len + n + 1)) {
		b->err = -ENOMEM;
		return 0;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static int _errno_of(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

/* The transfer options both GETs share. */
static void _setup(CURL *h, const char *url, double timeout_s, char *cerr)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "seep-fleet");
}

struct stream {
	CURL *h;
	httpget_sink sink;
	void *ctx;
	long status;
	char *errbody;
	size_t errlen, errused;
	int err;
};

static size_t _stream_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct stream *st = arg;
	size_t n = size * nmemb;

	if (!st->status)
		curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &st->status);
	if (st->status / 100 == 2) {
		st->err = st->sink(st->ctx, data, n);
		return st->err ? 0 : n;
	}
	if (st->errlen && st->errused + 1 < st->errlen) {
		size_t k = st->errlen - 1 - st->errused;

		k = k < n ? k : n;
		memcpy(st->errbody + st->errused, data, k);
		st->errused += k;
		st->errbody[st->errused] = '\0';
	}
	return n;
}

int httpget__stream(const char *url, double timeout_s, httpget_sink sink, void *ctx,
		    long *status, char *errbody, size_t errbodylen, char *err, size_t errlen)
{
	struct stream st = { .sink = sink, .ctx = ctx, .errbody = errbody, .errlen = errbodylen };
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	int ret = 0;

	*status = 0;
	if (errbodylen)
		errbody[0] = '\0';
	st.h = curl_easy_init();
	if (!st.h) {
		snprintf(err, errlen, "cannot initialize libcurl");
		return -ENOMEM;
	}
	_setup(st.h, url, timeout_s, cerr);
	curl_easy_setopt(st.h, CURLOPT_WRITEFUNCTION, _stream_write);
	curl_easy_setopt(st.h, CURLOPT_WRITEDATA, &st);
	rc = curl_easy_perform(st.h);
	curl_easy_getinfo(st.h, CURLINFO_RESPONSE_CODE, status);
	if (st.err) {
		ret = st.err;	/* the sink's: its message is the caller's */
		err[0] = '\0';
	} else if (rc != CURLE_OK) {
		ret = _errno_of(rc);
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	}
	curl_easy_cleanup(st.h);
	return ret;
}

int httpget__fetch(const char *url, double timeout_s, char **body, size_t *len, long *status,
		   char *err, size_t errlen)
{
	struct buf b = { 0 };
	char cerr[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;
	int ret = 0;

	*body = NULL;
	*len = 0;
	*status = 0;
	h = curl_easy_init();	/* initializes libcurl on the first call */
	if (!h) {
		snprintf(err, errlen, "cannot initialize libcurl");
		return -ENOMEM;
	}
	_setup(h, url, timeout_s, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, _write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ret = b.err ? b.err : _errno_of(rc);
		snprintf(err, errlen, "%s", b.err == -EFBIG ? "answer too large" :
			 b.err ? strerror(-b.err) : cerr[0] ? cerr : curl_easy_strerror(rc));
		free(b.p);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (!b.p && VEC_RESERVE(b.p, b.cap, 1)) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto cleanup;
	}
	b.p[b.len] = '\0';
	*body = b.p;
	*len = b.len;
cleanup:
	curl_easy_cleanup(h);
	return ret;
}
