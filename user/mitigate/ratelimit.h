/* ratelimit — how often mitigation may act: per target, host-wide, with
 * exponential back-off.
 *
 * A target (a key: "unit:cron.service", "cgroup:/app", ...) that was acted
 * on N times, last at T, may be acted on again from T + WINDOW * 2^(N-1)
 * on (the first repeat waits one window, the next two, then four, ... up
 * to MAX_BACKOFF windows); the host as a whole takes at most HOST_CAP
 * actions in any WINDOW. ratelimit__check() only asks; ratelimit__record()
 * counts an action. Targets not acted on for MAX_BACKOFF windows are
 * forgotten when the table is full (at most RATELIMIT_MAX_KEYS).
 * Ownership: the limiter copies keys; ratelimit__free() accepts NULL.
 * Functions return 0 or -errno.
 */
#ifndef SEEP_MITIGATE_RATELIMIT_H
#define SEEP_MITIGATE_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_MAX_KEYS 4096

struct ratelimit_params {
	double window_s;
	uint32_t host_cap;	/* actions in any window, all targets together */
	uint32_t max_backoff;	/* windows; the longest wait between two actions */
};

enum ratelimit_result { RL_OK, RL_WINDOW, RL_BACKOFF, RL_HOST_CAP };

struct ratelimit;

int ratelimit__new(const struct ratelimit_params *p, struct ratelimit **out);
void ratelimit__free(struct ratelimit *r);
/* May KEY be acted on at NOW? *RETRY_S (may be NULL) gets the time from
 * which it may (NOW when RL_OK). */
enum ratelimit_result ratelimit__check(const struct ratelimit *r, const char *key, double now,
				       double *retry_s);
/* Counts an action on KEY at NOW: 0, -ENOMEM, -ENOSPC (table full of
 * targets still in their back-off). */
int ratelimit__record(struct ratelimit *r, const char *key, double now);
/* Actions recorded on KEY and the time of the last (0, 0 when none). */
uint32_t ratelimit__count(const struct ratelimit *r, const char *key, double *last_s);
const char *ratelimit__name(enum ratelimit_result x);

#endif
