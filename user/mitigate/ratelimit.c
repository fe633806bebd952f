/* ratelimit — per-target windows, host cap, back-off; see ratelimit.h. */
#include "mitigate/ratelimit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

struct entry {
	char key[320];
	double last_s;
	uint32_t count;
};

struct ratelimit {
	struct ratelimit_params p;
	struct entry *e;
	size_t n, cap;
	struct hashmap by_key;
	double *host;		/* ring of the last host_cap action times */
	uint32_t nhost, hhead;
};

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct ratelimit *r = ctx;

	return !strcmp(r->e[id].key, key);
}

static int64_t _find(const struct ratelimit *r, const char *key)
{
	return hashmap__find(&r->by_key, hash__str(key), key, _eq, (void *)r);
}

int ratelimit__new(const struct ratelimit_params *p, struct ratelimit **out)
{
	struct ratelimit *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->p = *p;
	if (r->p.host_cap < 1)
		r->p.host_cap = 1;
	if (r->p.max_backoff < 1)
		r->p.max_backoff = 1;
	hashmap__init(&r->by_key);
	r->host = calloc(r->p.host_cap, sizeof(*r->host));
	if (!r->host) {
		ratelimit__free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void ratelimit__free(struct ratelimit *r)
{
	if (!r)
		return;
	hashmap__release(&r->by_key);
	free(r->e);
	free(r->host);
	free(r);
}

/* The wait after the COUNT-th action: WINDOW * 2^(COUNT-1), capped. */
static double _wait(const struct ratelimit *r, uint32_t count)
{
	double k = count >= 1 ? ldexp(1, (int)fmin(count - 1, 62)) : 0;

	return r->p.window_s * fmin(k, r->p.max_backoff);
}

enum ratelimit_result ratelimit__check(const struct ratelimit *r, const char *key, double now,
				       double *retry_s)
{
	int64_t id = _find(r, key);
	double from = now;
	enum ratelimit_result res = RL_OK;

	if (id >= 0 && r->e[id].count) {
		const struct entry *e = &r->e[id];
		double next = e->last_s + _wait(r, e->count);

		if (now < next) {
			from = next;
			res = e->count == 1 || now < e->last_s + r->p.window_s ? RL_WINDOW
										 : RL_BACKOFF;
		}
	}
	if (res == RL_OK && r->nhost >= r->p.host_cap) {
		/* the oldest of the last host_cap actions */
		double oldest = r->host[r->hhead];

		if (now < oldest + r->p.window_s) {
			from = oldest + r->p.window_s;
			res = RL_HOST_CAP;
		}
	}
	if (retry_s)
		*retry_s = from;
	return res;
}

/* Forgets the targets whose back-off has run out, to make room. */
static int _prune(struct ratelimit *r, double now)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		if (now < r->e[i].last_s + r->p.window_s * r->p.max_backoff)
			r->e[k++] = r->e[i];
	if (k == r->n)
		return -ENOSPC;
	r->n = k;
	hashmap__clear(&r->by_key);
	for (size_t i = 0; i < r->n; i++)
		if (hashmap__add(&r->by_key, hash__str(r->e[i].key), (uint32_t)i))
			return -ENOMEM;
	return 0;
}

int ratelimit__record(struct ratelimit *r, const char *key, double now)
{
	int64_t id = _find(r, key);
	struct entry *e;
	int err;

	if (id < 0) {
		if (r->n >= RATELIMIT_MAX_KEYS && (err = _prune(r, now)))
			return err;
		if (!(e = VEC_PUSH(r->e, r->n, r->cap)))
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
		if (hashmap__add(&r->by_key, hash__str(key), (uint32_t)r->n))
			return -ENOMEM;
		id = (int64_t)r->n++;
	}
	e = &r->e[id];
	e->count++;
	e->last_s = now;
	r->host[r->hhead] = now;
	r->hhead = (r->hhead + 1) % r->p.host_cap;
	if (r->nhost < r->p.host_cap)
		r->nhost++;
	return 0;
}

uint32_t ratelimit__count(const struct ratelimit *r, const char *key, double *last_s)
{
	int64_t id = _find(r, key);

	if (last_s)
		*last_s = id >= 0 ? r->e[id].last_s : 0;
	return id >= 0 ? r->e[id].count : 0;
}

const char *ratelimit__name(enum ratelimit_result x)
{
	switch (x) {
	case RL_OK:
		return "ok";
	case RL_WINDOW:
		return "rate_limited";
	case RL_BACKOFF:
		return "backoff";
	case RL_HOST_CAP:
		return "host_cap";
	}
	return "unknown";
}
