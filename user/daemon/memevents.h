/* memevents — memory events of the cgroups that have a limit: the limit
 * reached, an OOM in the cgroup, a process OOM-killed in it.
 *
 * The daemon names the cgroups to watch at every interval, between
 * memevents__begin() and memevents__end() (memevents__watch() for each
 * cgroup with a memory limit): new ones get watched, the ones not named
 * again are dropped, a changed limit is watched anew. Events come on the
 * daemon's loop and go to FN with the cgroup's path and one of:
 *   "limit"    usage reached the limit (v2: memory.events "max" rose;
 *              v1: memory.usage_in_bytes crossed SHARE of the limit
 *              upwards, an eventfd threshold of cgroup.event_control)
 *   "oom"      the cgroup hit OOM (v2: "oom" rose; v1: the eventfd of
 *              memory.oom_control)
 *   "oom_kill" a process of it was OOM-killed (v2: "oom_kill" rose;
 *              v1: memory.oom_control's oom_kill count rose)
 *   "pressure" v2 only, with a trigger set (memevents__set_psi): the
 *              cgroup's memory.pressure crossed it (psi(7))
 * v2 watches memory.events for POLLPRI (the kernel's file-modified
 * notification) and compares its counters with the last read; v1 has no
 * memory.events and uses cgroup.event_control. memevents__check(), once
 * an interval, compares memory.events again (a notification missed is not
 * an event lost) and, where a file cannot be polled (not kernfs: the unit
 * tests' cgroupfs-shaped directory), stands in for the notifications: the
 * counters for memory.events, the "some" total for memory.pressure (an
 * event when it rose by the trigger's stall per window elapsed, at least
 * one window's). A kernel without the
 * memory controller, or without cgroup.event_control on v1, has no
 * events: memevents__new() says so (-ENOENT, -EOPNOTSUPP).
 * Ownership: memevents__free() (NULL-safe) closes every descriptor and
 * removes them from the loop, which must outlive it. Returns 0 or -errno.
 */
#ifndef SEEP_DAEMON_MEMEVENTS_H
#define SEEP_DAEMON_MEMEVENTS_H

#include <stddef.h>
#include <stdint.h>

struct evloop;
struct memevents;

typedef void memevents_fn(const char *cgroup, const char *event, void *ctx);

/* MOUNTS: a /proc/self/mounts file; SHARE: v1's limit threshold (0..1]. */
int memevents__new(const char *mounts, struct evloop *loop, double share, memevents_fn *fn,
		   void *ctx, struct memevents **out, char *err, size_t errlen);
void memevents__free(struct memevents *m);
/* 1 or 2: the cgroup version of the memory controller. */
int memevents__version(const struct memevents *m);

void memevents__begin(struct memevents *m);
/* Watches CGROUP (its path below the hierarchy's root) with LIMIT bytes. */
int memevents__watch(struct memevents *m, const char *cgroup, uint64_t limit);
void memevents__end(struct memevents *m);
/* The PSI trigger ("some|full STALL_US WINDOW_US") written to each v2
 * cgroup's memory.pressure from the next memevents__watch() on; "" or
 * NULL: none. -EINVAL for a trigger that does not parse. */
int memevents__set_psi(struct memevents *m, const char *trigger);
/* Once an interval: see above. */
void memevents__check(struct memevents *m);
/* Cgroups watched now. */
size_t memevents__count(const struct memevents *m);

#endif
