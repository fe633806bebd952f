/* evloop — one event loop: file descriptors and timers, on epoll.
 *
 * Whatever needs waiting for registers here: a file descriptor with the
 * epoll events it waits for and a callback; a timer (embedded by its
 * owner, re-armable) with a CLOCK_MONOTONIC deadline and a callback. One
 * loop serves every tracing session, timer, signal fd or socket of a
 * program. evloop__run_once() waits once and runs what is ready: the
 * callbacks of the ready file descriptors, then those of the timers due.
 * Callbacks may add and remove file descriptors and arm and disarm timers
 * (their own included) while the loop runs: an event of a descriptor
 * removed earlier in the same pass is dropped, and a timer armed during a
 * pass fires in a later pass at the earliest. A callback's error (-errno)
 * ends the pass and is returned.
 * Invariants: a descriptor is registered at most once; a timer is armed in
 * at most one loop, once. Single-threaded: a loop and what is registered
 * in it are used by one thread at a time.
 * Ownership: the loop owns only its own tables; descriptors stay the
 * caller's (remove them before closing them), timers are the caller's
 * memory (disarm one before freeing it). evloop__free() accepts NULL.
 */
#ifndef SEEP_EVLOOP_H
#define SEEP_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct evloop_timer;

/* FD is ready with EVENTS (EPOLLIN, EPOLLHUP, ...): 0 or -errno. */
typedef int evloop_fd_fn(int fd, uint32_t events, void *ctx);
/* T is due (it is disarmed before the call): 0 or -errno. */
typedef int evloop_timer_fn(struct evloop_timer *t, void *ctx);

struct evloop_timer {
	evloop_timer_fn *fn;
	void *ctx;
	uint64_t deadline_ns;    /* CLOCK_MONOTONIC */
	uint64_t pass;           /* the loop's pass count when armed */
	size_t slot;             /* 1 + index among the armed timers; 0: not armed */
};

int evloop__new(struct evloop **out);
void evloop__free(struct evloop *l);

/* Watches FD for EVENTS: 0, -EEXIST (FD is watched already), -errno. */
int evloop__add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_fn *fn, void *ctx);
/* Stops watching FD: 0 or -ENOENT. */
int evloop__remove_fd(struct evloop *l, int fd);
size_t evloop__fds(const struct evloop *l);

/* A timer calling FN(T, CTX), not armed. */
void evloop__timer_init(struct evloop_timer *t, evloop_timer_fn *fn, void *ctx);
/* Arms T for DEADLINE_NS (an armed T moves): 0 or -ENOMEM. */
int evloop__arm(struct evloop *l, struct evloop_timer *t, uint64_t deadline_ns);
/* Disarms T (no-op if not armed). */
void evloop__disarm(struct evloop *l, struct evloop_timer *t);
static inline bool evloop__armed(const struct evloop_timer *t)
{
	return t->slot != 0;
}
/* The earliest deadline of the armed timers, UINT64_MAX if none. */
uint64_t evloop__next_deadline(const struct evloop *l);

/* Waits until a descriptor is ready, a timer is due or DEADLINE_NS
 * (CLOCK_MONOTONIC; UINT64_MAX: no limit) has come, and runs the ready
 * callbacks. Returns 0 (also when a signal interrupted the wait: the
 * caller looks at its signal flag), or the first callback's -errno. */
int evloop__run_once(struct evloop *l, uint64_t deadline_ns);
/* Runs passes until evloop__stop() or a callback's error: 0 or -errno. */
int evloop__run(struct evloop *l);
/* Ends evloop__run() after the current pass (from a callback). */
void evloop__stop(struct evloop *l);

#endif
