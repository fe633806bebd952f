/* profpush — heap snapshots to profile stores; see profpush.h. */
#include "fleet/profpush.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fleet/rwproto.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "seep_version.h"

#define MAX_KV 32	/* names and values: 16 labels */

struct item {
	char *path;
	double from_s, until_s;
	char *kv[MAX_KV];	/* name, value, ... (owned) */
	size_t nkv;
};

struct coll_state {
	uint64_t id;
	size_t pushed;
	double last_s;
	char *kv[MAX_KV];
	size_t nkv;
};

struct profpush {
	char pyroscope[2048], parca[2048], app[128];
	char labels_buf[1024];
	const char *extra[MAX_KV];
	size_t nextra;
	char host[256];
	double timeout_s, backoff_s;
	uint32_t retries;
	/* the daemon's side */
	struct coll_state *cs;
	size_t ncs, cs_cap;
	struct hashmap cs_idx;
	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[PROFPUSH_QUEUE];
	size_t qhead, qn;
	bool stop;
	struct profpush_stats st;
	/* the sender's */
	pthread_t thread;
	bool started;
	CURL *curl;
};

static void _item_release(struct item *it)
{
	free(it->path);
	for (size_t i = 0; i < it->nkv; i++)
		free(it->kv[i]);
	memset(it, 0, sizeof(*it));
}

char *profpush__base64(const void *buf, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = left > 1 ? tab[v >> 6 & 63] : '=';
		*o++ = left > 2 ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int profpush__pyroscope_name(const char *app, const char *const *kv, size_t n, char *out,
			     size_t outlen)
{
	size_t o = (size_t)snprintf(out, outlen, "%s{", app);

	for (size_t i = 0; i + 1 < n; i += 2) {
		if (o + strlen(kv[i]) + strlen(kv[i + 1]) + 3 >= outlen)
			return -ENAMETOOLONG;
		o += (size_t)snprintf(out + o, outlen - o, "%s%s=", i ? "," : "", kv[i]);
		for (const char *v = kv[i + 1]; *v; v++)
			out[o++] = strchr(",={}", *v) ? '_' : *v;
		out[o] = '\0';
	}
	if (o + 2 > outlen)
		return -ENAMETOOLONG;
	out[o++] = '}';
	out[o] = '\0';
	return 0;
}

static size_t _discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p, (void)ctx;
	return size * n;
}

static long _post(struct profpush *pp, const char *url, const char *type, const void *body,
		  size_t len)
{
	struct curl_slist *h = NULL;
	char ct[128];
	long status = 0;
	CURLcode rc;

	snprintf(ct, sizeof(ct), "Content-Type: %s", type);
	h = curl_slist_append(h, ct);
	curl_easy_reset(pp->curl);
	curl_easy_setopt(pp->curl, CURLOPT_URL, url);
	curl_easy_setopt(pp->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(pp->curl, CURLOPT_USERAGENT, "seep/" SEEP_VERSION " profpush");
	curl_easy_setopt(pp->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(pp->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(pp->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(pp->curl, CURLOPT_TIMEOUT_MS, (long)(pp->timeout_s * 1000));
	curl_easy_setopt(pp->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(pp->curl, CURLOPT_WRITEFUNCTION, _discard);
	rc = curl_easy_perform(pp->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(pp->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	pthread_mutex_lock(&pp->mu);
	pp->st.last_status = status;
	pthread_mutex_unlock(&pp->mu);
	return status;
}

/* Waits S seconds unless stopping: false when stopping. */
static bool _sleep(struct profpush *pp, double s)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)s;
	ts.tv_nsec += (long)((s - floor(s)) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pp->mu);
	while (!pp->stop && pthread_cond_timedwait(&pp->cv, &pp->mu, &ts) != ETIMEDOUT)
		;
	stop = pp->stop;
	pthread_mutex_unlock(&pp->mu);
	return !stop;
}

static void _count(struct profpush *pp, uint64_t *field)
{
	pthread_mutex_lock(&pp->mu);
	(*field)++;
	pthread_mutex_unlock(&pp->mu);
}

/* One push with its retries. */
static void _push_one(struct profpush *pp, const char *url, const char *type, const void *body,
		      size_t len)
{
	double wait = pp->backoff_s;

	for (uint32_t attempt = 0;; attempt++) {
		long status = _post(pp, url, type, body, len);
		enum rw_outcome o = rwproto__classify(status);

		if (o == RW_SENT) {
			_count(pp, &pp->st.sent);
			return;
		}
		if (o == RW_DROP || attempt >= pp->retries || !_sleep(pp, wait)) {
			pr_warn("profpush: cannot push a snapshot to '%s': %s %ld", url,
				status ? "HTTP" : "no connection", status);
			_count(pp, &pp->st.failed);
			return;
		}
		_count(pp, &pp->st.retried);
		wait *= 2;
	}
}

static int _read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat s;
	int err = 0;

	*buf = NULL;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &s) || s.st_size <= 0 || s.st_size > (1 << 30)) {
		fclose(f);
		return -EINVAL;
	}
	*buf = malloc((size_t)s.st_size);
	if (!*buf)
		err = -ENOMEM;
	else if (fread(*buf, 1, (size_t)s.st_size, f) != (size_t)s.st_size)
		err = -EIO;
	fclose(f);
	if (err) {
		free(*buf);
		*buf = NULL;
		return err;
	}
	*len = (size_t)s.st_size;
	return 0;
}

static void _push(struct profpush *pp, const struct item *it)
{
	char *body = NULL, *b64 = NULL, *json = NULL;
	size_t len = 0;
	int err = _read_file(it->path, &body, &len);

	if (err) {
		pr_warn("profpush: cannot read snapshot '%s': %s", it->path, strerror(-err));
		_count(pp, &pp->st.failed);
		return;
	}
	if (pp->pyroscope[0]) {
		char name[4096], *ename, url[8192];

		if (profpush__pyroscope_name(pp->app, (const char *const *)it->kv, it->nkv, name,
					     sizeof(name)) ||
		    !(ename = curl_easy_escape(pp->curl, name, 0))) {
			_count(pp, &pp->st.failed);
		} else {
			snprintf(url, sizeof(url),
				 "%s/ingest?name=%s&from=%lld&until=%lld&format=pprof&spyName=seep",
				 pp->pyroscope, ename, (long long)floor(it->from_s),
				 (long long)ceil(it->until_s));
			curl_free(ename);
			_push_one(pp, url, "application/octet-stream", body, len);
		}
	}
	if (pp->parca[0]) {
		json_t *labels = json_array(), *root;
		char url[2100];

		json_array_append_new(labels, json_pack("{s:s,s:s}", "name", "__name__", "value",
							pp->app));
		for (size_t i = 0; i + 1 < it->nkv; i += 2)
			json_array_append_new(labels, json_pack("{s:s,s:s}", "name", it->kv[i],
								"value", it->kv[i + 1]));
		b64 = profpush__base64(body, len);
		root = b64 ? json_pack("{s:[{s:{s:O},s:[{s:s}]}]}", "series", "labels", "labels",
				       labels, "samples", "rawProfile", b64)
			   : NULL;
		json_decref(labels);
		json = root ? json_dumps(root, JSON_COMPACT) : NULL;
		json_decref(root);
		if (!json) {
			_count(pp, &pp->st.failed);
		} else {
			snprintf(url, sizeof(url), "%s/api/profiles/writeraw", pp->parca);
			_push_one(pp, url, "application/json", json, strlen(json));
		}
	}
	free(json);
	free(b64);
	free(body);
}

static void *_sender(void *arg)
{
	struct profpush *pp = arg;

	pthread_mutex_lock(&pp->mu);
	for (;;) {
		struct item it;

		while (!pp->stop && !pp->qn)
			pthread_cond_wait(&pp->cv, &pp->mu);
		if (pp->stop)
			break;
		it = pp->q[pp->qhead];
		pp->qhead = (pp->qhead + 1) % PROFPUSH_QUEUE;
		pp->qn--;
		pthread_mutex_unlock(&pp->mu);
		_push(pp, &it);
		_item_release(&it);
		pthread_mutex_lock(&pp->mu);
	}
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

static void _strip(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
	for (size_t n = strlen(dst); n && dst[n - 1] == '/'; n--)
		dst[n - 1] = '\0';
}

int profpush__new(const struct profpush_config *c, struct profpush **out, char *err,
		  size_t errlen)
{
	struct profpush *pp = calloc(1, sizeof(*pp));
	pthread_condattr_t ca;
	char *save = NULL, *tok;
	int rc = 0;

	*out = NULL;
	if (!pp)
		return -ENOMEM;
	pthread_mutex_init(&pp->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pp->cv, &ca);
	pthread_condattr_destroy(&ca);
	hashmap__init(&pp->cs_idx);
	_strip(pp->pyroscope, sizeof(pp->pyroscope), c->pyroscope);
	_strip(pp->parca, sizeof(pp->parca), c->parca);
	for (int i = 0; i < 2; i++) {
		const char *u = i ? pp->parca : pp->pyroscope;

		if (u[0] && strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) {
			snprintf(err, errlen, "bad value '%s' for 'profiles.%s' (an http:// or"
				 " https:// URL)", u, i ? "parca" : "pyroscope");
			rc = -EINVAL;
			goto cleanup;
		}
	}
	snprintf(pp->app, sizeof(pp->app), "%s", c->app && c->app[0] ? c->app : "seep_heap");
	for (const char *p = pp->app; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) {
			snprintf(err, errlen, "bad value '%s' for 'profiles.app' (letters, digits,"
				 " '_', '.', '-')", pp->app);
			rc = -EINVAL;
			goto cleanup;
		}
	snprintf(pp->host, sizeof(pp->host), "%s", c->host ? c->host : "");
	snprintf(pp->labels_buf, sizeof(pp->labels_buf), "%s", c->labels ? c->labels : "");
	for (tok = strtok_r(pp->labels_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		bool ok = eq && eq > tok && eq[1] && (isalpha((unsigned char)*tok) || *tok == '_') &&
			  strncmp(tok, "__", 2);

		for (char *p = tok; ok && p < eq; p++)
			ok = isalnum((unsigned char)*p) || *p == '_';
		if (!ok || pp->nextra + 2 > MAX_KV - 18) {
			snprintf(err, errlen, "bad label '%s' in 'profiles.labels' (want"
				 " name=value,...; at most 7)", tok);
			rc = -EINVAL;
			goto cleanup;
		}
		*eq = '\0';
		pp->extra[pp->nextra++] = tok;
		pp->extra[pp->nextra++] = eq + 1;
	}
	pp->timeout_s = c->timeout_s > 0 ? c->timeout_s : 10;
	pp->backoff_s = c->backoff_s > 0 ? c->backoff_s : 1;
	pp->retries = c->retries;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(pp->curl = curl_easy_init())) {
		snprintf(err, errlen, "cannot set up libcurl for the profile push");
		rc = -ENOMEM;
		goto cleanup;
	}
	if ((rc = -pthread_create(&pp->thread, NULL, _sender, pp))) {
		snprintf(err, errlen, "cannot start the profile push: %s", strerror(-rc));
		goto cleanup;
	}
	pp->started = true;
	*out = pp;
	return 0;
cleanup:
	profpush__free(pp);
	return rc;
}

void profpush__free(struct profpush *pp)
{
	if (!pp)
		return;
	if (pp->started) {
		pthread_mutex_lock(&pp->mu);
		pp->stop = true;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		pthread_join(pp->thread, NULL);
	}
	for (size_t i = 0; i < pp->qn; i++)
		_item_release(&pp->q[(pp->qhead + i) % PROFPUSH_QUEUE]);
	if (pp->curl) {
		curl_easy_cleanup(pp->curl);
		curl_global_cleanup();
	}
	for (size_t i = 0; i < pp->ncs; i++)
		for (size_t k = 0; k < pp->cs[i].nkv; k++)
			free(pp->cs[i].kv[k]);
	free(pp->cs);
	hashmap__release(&pp->cs_idx);
	pthread_cond_destroy(&pp->cv);
	pthread_mutex_destroy(&pp->mu);
	free(pp);
}

static bool _cs_eq(uint32_t id, const void *key, void *ctx)
{
	const struct profpush *pp = ctx;

	return pp->cs[id].id == *(const uint64_t *)key;
}

static int _kv(char **kv, size_t *n, const char *name, const char *value)
{
	if (!value || !value[0] || *n + 2 > MAX_KV)
		return 0;
	if (!(kv[*n] = strdup(name)) || !(kv[*n + 1] = strdup(value))) {
		free(kv[*n]);
		kv[*n] = NULL;
		return -ENOMEM;
	}
	*n += 2;
	return 0;
}

/* A collection's labels, taken when it is first seen (its process and
 * component may be gone by its last snapshot). */
static int _labels(struct profpush *pp, const struct mx_model *m, const struct mx_collection *c,
		   struct coll_state *s)
{
	const struct mx_component *k = NULL;
	char pid[16], bid[13];
	int err;

	for (size_t i = 0; i < m->nprocs && !k; i++)
		if (m->procs[i].pid == c->pid && (!c->start || m->procs[i].start == c->start) &&
		    m->procs[i].component < m->ncomponents)
			k = &m->components[m->procs[i].component];
	snprintf(pid, sizeof(pid), "%d", c->pid);
	snprintf(bid, sizeof(bid), "%s", k && k->build_id ? k->build_id : "");
	if ((err = _kv(s->kv, &s->nkv, "host", pp->host)) ||
	    (err = _kv(s->kv, &s->nkv, "comm", c->comm)) ||
	    (err = _kv(s->kv, &s->nkv, "pid", pid)) ||
	    (err = _kv(s->kv, &s->nkv, "component", k ? k->key : NULL)) ||
	    (err = _kv(s->kv, &s->nkv, "unit", k ? k->unit : NULL)) ||
	    (err = _kv(s->kv, &s->nkv, "cgroup", k ? k->cgroup : NULL)) ||
	    (err = _kv(s->kv, &s->nkv, "build_id", bid)) ||
	    (err = _kv(s->kv, &s->nkv, "trigger", c->trigger)) ||
	    (err = _kv(s->kv, &s->nkv, "pattern", c->pattern)))
		return err;
	for (size_t i = 0; i + 1 < pp->nextra; i += 2)
		if ((err = _kv(s->kv, &s->nkv, pp->extra[i], pp->extra[i + 1])))
			return err;
	return 0;
}

static int _enqueue(struct profpush *pp, const struct coll_state *s, const char *path,
		    double from_s, double until_s)
{
	struct item it = { .from_s = from_s, .until_s = until_s };

	if (!(it.path = strdup(path)))
		return -ENOMEM;
	for (size_t i = 0; i < s->nkv; i++) {
		if (!(it.kv[i] = strdup(s->kv[i]))) {
			_item_release(&it);
			return -ENOMEM;
		}
		it.nkv++;
	}
	pthread_mutex_lock(&pp->mu);
	if (pp->qn == PROFPUSH_QUEUE) {	/* the stores are slow: the oldest goes */
		_item_release(&pp->q[pp->qhead]);
		pp->qhead = (pp->qhead + 1) % PROFPUSH_QUEUE;
		pp->qn--;
		pp->st.failed++;
	}
	pp->q[(pp->qhead + pp->qn) % PROFPUSH_QUEUE] = it;
	pp->qn++;
	pp->st.queued++;
	pthread_cond_signal(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	return 0;
}

int profpush__sync(struct profpush *pp, const struct mx_model *m, double now_s)
{
	for (size_t i = 0; i < m->ncollections; i++) {
		const struct mx_collection *c = &m->collections[i];
		int64_t id = hashmap__find(&pp->cs_idx, hash__bytes(&c->id, sizeof(c->id)), &c->id, _cs_eq, pp);
		struct coll_state *s;
		int err;

		if (id < 0) {
			s = VEC_PUSH(pp->cs, pp->ncs, pp->cs_cap);
			if (!s)
				return -ENOMEM;
			memset(s, 0, sizeof(*s));
			s->id = c->id;
			s->last_s = c->started_s;
			if ((err = hashmap__add(&pp->cs_idx, hash__bytes(&c->id, sizeof(c->id)), (uint32_t)pp->ncs)))
				return err;
			id = (int64_t)pp->ncs++;
			if ((err = _labels(pp, m, c, s)))
				return err;
		}
		s = &pp->cs[id];
		for (; s->pushed < c->nsnapshots; s->pushed++) {
			struct stat st;
			double until = now_s;

			if (!stat(c->snapshots[s->pushed], &st))
				until = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
			if (until < s->last_s)
				until = s->last_s;
			if ((err = _enqueue(pp, s, c->snapshots[s->pushed], s->last_s, until)))
				return err;
			s->last_s = until;
		}
	}
	return 0;
}

void profpush__stats(struct profpush *pp, struct profpush_stats *out)
{
	pthread_mutex_lock(&pp->mu);
	*out = pp->st;
	pthread_mutex_unlock(&pp->mu);
}
