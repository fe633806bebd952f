/* remote_write — series to a remote_write receiver; see remote_write.h. */
#include "fleet/remote_write.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/expo.h"
#include "fleet/rwproto.h"
#include "fleet/spool.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/rng.h"
#include "lib/vec.h"
#include "seep_version.h"

#define MAX_EXTRA 16

struct req {
	void *body;
	size_t len;
	uint32_t nsamples;
};

struct remote_write {
	/* configuration (copies) */
	char url[2048];
	char labels_buf[1024];
	struct expo_label extra[MAX_EXTRA];
	size_t nextra;
	double interval_s, timeout_s, min_backoff_s, max_backoff_s;
	/* the daemon's side */
	struct expo_set prev;		/* the last push's series */
	double last_push;
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req q[REMOTE_WRITE_QUEUE];
	size_t qhead, qn;
	bool stop;
	struct remote_write_stats st;
	uint64_t spool_dropped;		/* samples the spool dropped */
	/* the sender's own */
	pthread_t thread;
	bool started;
	struct spool *sp;
	CURL *curl;
	struct curl_slist *headers;
	double next_try;		/* monotonic seconds */
	int attempts;
	uint64_t rng;
};

static double _mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* "name=value,name=value" into RW's extra labels (after the host's). */
static int _parse_labels(struct remote_write *rw, const char *s, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	snprintf(rw->labels_buf, sizeof(rw->labels_buf), "%s", s ? s : "");
	for (tok = strtok_r(rw->labels_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		bool ok = eq && eq > tok && (isalpha((unsigned char)tok[0]) || tok[0] == '_');

		for (char *p = tok; ok && p < eq; p++)
			ok = isalnum((unsigned char)*p) || *p == '_';
		if (!ok || !eq[1] || !strncmp(tok, "__", 2)) {
			snprintf(err, errlen, "bad label '%s' in 'remote_write.labels' (want"
				 " name=value,...; names [a-zA-Z_][a-zA-Z0-9_]*, not __*)", tok);
			return -EINVAL;
		}
		if (rw->nextra == MAX_EXTRA) {
			snprintf(err, errlen, "too many labels in 'remote_write.labels' (at most %d)",
				 MAX_EXTRA - 1);
			return -EINVAL;
		}
		*eq = '\0';
		rw->extra[rw->nextra++] = (struct expo_label){ tok, eq + 1 };
	}
	return 0;
}

static size_t _discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p, (void)ctx;
	return size * n;
}

/* One POST: the HTTP status, or 0 on a transport error. */
static long _post(struct remote_write *rw, const struct req *r)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(rw->curl, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(rw->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	rc = curl_easy_perform(rw->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(rw->curl, CURLINFO_RESPONSE_CODE, &status);
	pthread_mutex_lock(&rw->mu);
	rw->st.requests++;
	rw->st.last_status = status;
	pthread_mutex_unlock(&rw->mu);
	if (rc != CURLE_OK)
		pr_debug("remote_write: cannot send to '%s': %s", rw->url, curl_easy_strerror(rc));
	return status;
}

/* The spool's counters, copied where the daemon's thread reads them. */
static void _sync_spool(struct remote_write *rw)
{
	struct spool_stats ss;

	spool__stats(rw->sp, &ss);
	pthread_mutex_lock(&rw->mu);
	rw->st.spool_bytes = ss.bytes;
	rw->st.spool_records = ss.records;
	rw->st.torn = ss.torn;
	rw->spool_dropped = ss.dropped_samples;
	pthread_mutex_unlock(&rw->mu);
}

static void _count(struct remote_write *rw, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&rw->mu);
	*field += n;
	pthread_mutex_unlock(&rw->mu);
}

/* A retryable failure: the next try after an exponential back-off with
 * jitter (a wait drawn from the upper half of the doubled delay). */
static void _backoff(struct remote_write *rw, long status)
{
	double d = rw->min_backoff_s * pow(2, rw->attempts < 30 ? rw->attempts : 30);

	if (d > rw->max_backoff_s)
		d = rw->max_backoff_s;
	d = d / 2 + d / 2 * rng__unit(&rw->rng);
	if (!rw->attempts)
		pr_warn("remote_write: '%s' answered %ld%s: spooling, retrying in %.1f s",
			rw->url, status, status ? "" : " (no connection)", d);
	rw->attempts++;
	rw->next_try = _mono() + d;
}

static void _spool(struct remote_write *rw, const struct req *r)
{
	int err = spool__append(rw->sp, r->body, r->len, r->nsamples);

	if (err) {
		if (err != -ENOSPC)	/* -ENOSPC: counted by the spool */
			_count(rw, &rw->st.dropped, r->nsamples);
		pr_warn("remote_write: cannot spool a request of %u samples: %s", r->nsamples,
			strerror(-err));
	}
	_count(rw, &rw->st.spooled, 1);
	_sync_spool(rw);
}

/* A request from the queue: sent now, or spooled behind what waits. */
static void _handle(struct remote_write *rw, const struct req *r)
{
	struct spool_stats ss;
	long status;

	spool__stats(rw->sp, &ss);
	if (ss.records || _mono() < rw->next_try) {
		_spool(rw, r);
		return;
	}
	status = _post(rw, r);
	switch (rwproto__classify(status)) {
	case RW_SENT:
		_count(rw, &rw->st.sent, r->nsamples);
		rw->attempts = 0;
		break;
	case RW_DROP:
		pr_warn("remote_write: '%s' refused a request of %u samples (HTTP %ld): dropped",
			rw->url, r->nsamples, status);
		_count(rw, &rw->st.failed, r->nsamples);
		break;
	case RW_RETRY:
		_spool(rw, r);
		_backoff(rw, status);
		break;
	}
}

/* Replays the spool, oldest first, until it is empty or a try fails. */
static void _drain(struct remote_write *rw)
{
	for (;;) {
		struct req r = { 0 };
		long status;
		int err;

		if (_mono() < rw->next_try)
			return;
		pthread_mutex_lock(&rw->mu);
		err = rw->stop;
		pthread_mutex_unlock(&rw->mu);
		if (err)
			return;
		err = spool__peek(rw->sp, &r.body, &r.len, &r.nsamples);
		_sync_spool(rw);
		if (err) {
			if (err != -ENOENT)
				pr_warn("remote_write: cannot read the spool: %s", strerror(-err));
			return;
		}
		status = _post(rw, &r);
		switch (rwproto__classify(status)) {
		case RW_SENT:
			_count(rw, &rw->st.sent, r.nsamples);
			_count(rw, &rw->st.retried, r.nsamples);
			spool__pop(rw->sp);
			_sync_spool(rw);
			if (rw->attempts)
				pr_info("remote_write: '%s' is back, replaying the spool", rw->url);
			rw->attempts = 0;
			break;
		case RW_DROP:
			_count(rw, &rw->st.failed, r.nsamples);
			spool__pop(rw->sp);
			_sync_spool(rw);
			break;
		case RW_RETRY:
			_backoff(rw, status);
			free(r.body);
			return;
		}
		free(r.body);
	}
}

static void *_sender(void *arg)
{
	struct remote_write *rw = arg;
	struct req local[REMOTE_WRITE_QUEUE];

	pthread_mutex_lock(&rw->mu);
	for (;;) {
		size_t n = 0;
		struct spool_stats ss;

		spool__stats(rw->sp, &ss);
		while (!rw->stop && !rw->qn) {
			double wait;
			struct timespec ts;

			spool__stats(rw->sp, &ss);
			if (ss.records && _mono() >= rw->next_try)
				break;
			wait = ss.records ? rw->next_try - _mono() : 3600;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)wait;
			ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&rw->cv, &rw->mu, &ts);
		}
		while (rw->qn) {
			local[n++] = rw->q[rw->qhead];
			rw->qhead = (rw->qhead + 1) % REMOTE_WRITE_QUEUE;
			rw->qn--;
		}
		if (rw->stop) {
			pthread_mutex_unlock(&rw->mu);
			for (size_t i = 0; i < n; i++) {	/* kept for the next run */
				_spool(rw, &local[i]);
				free(local[i].body);
			}
			return NULL;
		}
		pthread_mutex_unlock(&rw->mu);
		for (size_t i = 0; i < n; i++) {
			_handle(rw, &local[i]);
			free(local[i].body);
		}
		_drain(rw);
		pthread_mutex_lock(&rw->mu);
	}
}

static bool _key_eq(uint32_t id, const void *key, void *ctx)
{
	const struct expo_set *set = ctx;
	const struct expo_series *k = key, *s = &set->s[id];

	return s->keylen == k->keylen && !memcmp(s->key, k->key, k->keylen);
}

int remote_write__new(const struct remote_write_config *c, struct remote_write **out,
		      char *err, size_t errlen)
{
	struct remote_write *rw = calloc(1, sizeof(*rw));
	pthread_condattr_t ca;
	char hdr[64];
	int rc;

	*out = NULL;
	if (!rw)
		return -ENOMEM;
	pthread_mutex_init(&rw->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rw->cv, &ca);
	pthread_condattr_destroy(&ca);
	rw->last_push = -INFINITY;
	if (strncmp(c->url, "http://", 7) && strncmp(c->url, "https://", 8)) {
		snprintf(err, errlen, "bad value '%s' for 'remote_write.url' (an http:// or"
			 " https:// URL)", c->url);
		rc = -EINVAL;
		goto cleanup;
	}
	snprintf(rw->url, sizeof(rw->url), "%s", c->url);
	if (c->host && c->host[0])
		rw->extra[rw->nextra++] = (struct expo_label){ "host", c->host };
	if ((rc = _parse_labels(rw, c->labels, err, errlen)))
		goto cleanup;
	rw->interval_s = c->interval_s;
	rw->timeout_s = c->timeout_s > 0 ? c->timeout_s : 10;
	rw->min_backoff_s = c->min_backoff_s > 0 ? c->min_backoff_s : 0.5;
	rw->max_backoff_s = c->max_backoff_s >= rw->min_backoff_s ? c->max_backoff_s
								    : rw->min_backoff_s;
	rw->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)rw;
	if ((rc = spool__open(c->spool_dir, c->spool_max_bytes, &rw->sp, err, errlen)))
		goto cleanup;
	_sync_spool(rw);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(rw->curl = curl_easy_init())) {
		snprintf(err, errlen, "cannot set up libcurl for 'remote_write.url'");
		rc = -ENOMEM;
		goto cleanup;
	}
	rw->headers = curl_slist_append(rw->headers, "Content-Encoding: snappy");
	rw->headers = curl_slist_append(rw->headers, "Content-Type: application/x-protobuf");
	snprintf(hdr, sizeof(hdr), "X-Prometheus-Remote-Write-Version: 0.1.0");
	rw->headers = curl_slist_append(rw->headers, hdr);
	if (!rw->headers) {
		rc = -ENOMEM;
		goto cleanup;
	}
	curl_easy_setopt(rw->curl, CURLOPT_URL, rw->url);
	curl_easy_setopt(rw->curl, CURLOPT_HTTPHEADER, rw->headers);
	curl_easy_setopt(rw->curl, CURLOPT_USERAGENT, "seep/" SEEP_VERSION " remote_write");
	curl_easy_setopt(rw->curl, CURLOPT_TIMEOUT_MS, (long)(rw->timeout_s * 1000));
	curl_easy_setopt(rw->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(rw->timeout_s * 1000));
	curl_easy_setopt(rw->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rw->curl, CURLOPT_WRITEFUNCTION, _discard);
	curl_easy_setopt(rw->curl, CURLOPT_POST, 1L);
	if ((rc = -pthread_create(&rw->thread, NULL, _sender, rw))) {
		snprintf(err, errlen, "cannot start the remote_write sender: %s", strerror(-rc));
		goto cleanup;
	}
	rw->started = true;
	*out = rw;
	return 0;
cleanup:
	remote_write__free(rw);
	return rc;
}

void remote_write__free(struct remote_write *rw)
{
	if (!rw)
		return;
	if (rw->started) {
		pthread_mutex_lock(&rw->mu);
		rw->stop = true;
		pthread_cond_signal(&rw->cv);
		pthread_mutex_unlock(&rw->mu);
		pthread_join(rw->thread, NULL);
	}
	for (size_t i = 0; i < rw->qn; i++)
		free(rw->q[(rw->qhead + i) % REMOTE_WRITE_QUEUE].body);
	if (rw->curl) {
		curl_easy_cleanup(rw->curl);
		curl_global_cleanup();
	}
	curl_slist_free_all(rw->headers);
	spool__free(rw->sp);
	expo__release(&rw->prev);
	pthread_cond_destroy(&rw->cv);
	pthread_mutex_destroy(&rw->mu);
	free(rw);
}

int remote_write__push(struct remote_write *rw, const char *exposition, double now_s)
{
	struct expo_set cur = { 0 }, stale = { 0 };
	struct hashmap idx;
	struct req r = { 0 };
	char msg[256];
	struct expo_series *all = NULL;
	size_t nall;
	int err;

	/* a tick may come a little early: half a percent of slack */
	if (now_s - rw->last_push < rw->interval_s * 0.995)
		return 0;
	hashmap__init(&idx);
	err = expo__parse(exposition, rw->extra, rw->nextra, &cur, msg, sizeof(msg));
	if (err) {
		pr_warn("remote_write: %s", msg);
		goto cleanup;
	}
	for (size_t i = 0; i < cur.n; i++) {
		if (hashmap__find(&idx, cur.s[i].hash, &cur.s[i], _key_eq, &cur) >= 0)
			continue;	/* the same labels twice: the first wins */
		if ((err = hashmap__add(&idx, cur.s[i].hash, (uint32_t)i)))
			goto cleanup;
	}
	/* the previous push's series that are gone end with a stale marker */
	for (size_t i = 0; i < rw->prev.n; i++) {
		const struct expo_series *p = &rw->prev.s[i];
		struct expo_series *s;

		if (hashmap__find(&idx, p->hash, p, _key_eq, &cur) >= 0)
			continue;
		s = VEC_PUSH(stale.s, stale.n, stale.cap);
		if (!s) {
			err = -ENOMEM;
			goto cleanup;
		}
		if ((err = expo__from_key(p->key, p->keylen, rwproto__stale(), s)))
			goto cleanup;
		stale.n++;
	}
	nall = cur.n + stale.n;
	all = malloc((nall ? nall : 1) * sizeof(*all));
	if (!all) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (cur.n)
		memcpy(all, cur.s, cur.n * sizeof(*all));
	if (stale.n)
		memcpy(all + cur.n, stale.s, stale.n * sizeof(*all));
	err = rwproto__encode(all, nall, (int64_t)llround(now_s * 1000), &r.body, &r.len);
	if (err)
		goto cleanup;
	r.nsamples = (uint32_t)nall;
	pthread_mutex_lock(&rw->mu);
	if (rw->qn == REMOTE_WRITE_QUEUE) {	/* the sender is stuck: the oldest goes */
		struct req *old = &rw->q[rw->qhead];

		rw->st.dropped += old->nsamples;
		free(old->body);
		rw->qhead = (rw->qhead + 1) % REMOTE_WRITE_QUEUE;
		rw->qn--;
	}
	rw->q[(rw->qhead + rw->qn) % REMOTE_WRITE_QUEUE] = r;
	rw->qn++;
	rw->st.stale += stale.n;
	pthread_cond_signal(&rw->cv);
	pthread_mutex_unlock(&rw->mu);
	r.body = NULL;
	rw->last_push = now_s;
	/* this push's series are the next one's previous */
	expo__release(&rw->prev);
	rw->prev = cur;
	memset(&cur, 0, sizeof(cur));
cleanup:
	free(r.body);
	free(all);
	expo__release(&stale);
	expo__release(&cur);
	hashmap__release(&idx);
	return err;
}

void remote_write__stats(struct remote_write *rw, struct remote_write_stats *out)
{
	pthread_mutex_lock(&rw->mu);
	*out = rw->st;
	out->dropped += rw->spool_dropped;
	pthread_mutex_unlock(&rw->mu);
}
