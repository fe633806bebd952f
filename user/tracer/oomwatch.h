/* oomwatch — the OOM killer's victims (bpf/oom.bpf.c), on an event loop.
 *
 * oomwatch__new() loads and attaches tp_btf/mark_victim and registers its
 * ring on LOOP: FN is called, from the loop, with each victim's tgid as
 * soon as the kernel marks it (before the victim has its SIGKILL handled:
 * the victim's memory is still there, but it may be gone by the time FN
 * runs). oomwatch__free() removes the ring from the loop and detaches the
 * program: after it, no program of this object is left in the kernel.
 * oomwatch__stats() reads the per-CPU counters (victims seen, events
 * dropped for a full ring).
 * Returns 0 or -errno; new writes a message into ERR on failure.
 * Ownership: the caller frees the watch (NULL-safe) before the loop.
 */
#ifndef SEEP_TRACER_OOMWATCH_H
#define SEEP_TRACER_OOMWATCH_H

#include <stddef.h>
#include <stdint.h>

struct evloop;
struct oomwatch;

/* The kernel chose PID (a tgid) as an OOM victim; RSS_BYTES its resident
 * memory at the time. */
typedef void oomwatch_fn(int pid, uint64_t rss_bytes, void *ctx);

int oomwatch__new(struct evloop *loop, oomwatch_fn *fn, void *ctx, struct oomwatch **out,
		  char *err, size_t errlen);
void oomwatch__free(struct oomwatch *w);
/* Victims seen and events lost (ring full), summed over CPUs. */
int oomwatch__stats(struct oomwatch *w, uint64_t *victims, uint64_t *dropped);

#endif
