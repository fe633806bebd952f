/* growth — where each process's memory grows, by user stack (tier 0).
 *
 * Fed with the sampled events of the growth probes (tracer/growthprobe.h:
 * brk and anonymous mmap that grew the process, munmap and brk that shrank
 * it, write faults that first touched anonymous memory), each with its
 * user registers and stack copy. growth__add_copy() unwinds the copy with
 * the tracer's unwinder over the process's modules (symbols/symbolize.h:
 * DWARF CFI, so stacks are right without frame pointers), interns the
 * stack per process (symbols/stacks.h) and adds what the sample stands
 * for (snapshot/sampling.h: a sampled event of s bytes stands for
 * s / (1 - exp(-s / sample_bytes)) bytes) to the stack's bytes of that
 * kind. growth__add() is the same from frames already unwound.
 *
 * Reading is plain data: growth__view() copies one process's top stacks,
 * symbolized, sorted by grown bytes (brk + mmap + fault), largest first;
 * growth__render_json() is the JSON API's /api/growth (see docs below).
 *
 * Invariants: per process, the sum over its stacks of each kind's bytes
 * equals the process's bytes of that kind; a process is named by (pid,
 * start_boottime, exec_id): an event of a later process with the same pid,
 * or of the same process after an exec (another image), starts a new
 * entry. At most config.max_procs processes and max_stacks stacks
 * per process are kept; events beyond are counted in growth_stats.dropped.
 * Ownership: the growth object owns its processes (and their symbolizers,
 * opened on a process's first event); a view's strings are the view's,
 * freed by growth_view__release() (NULL-safe, like growth__free()).
 * Errors: 0 or -errno (-ENOMEM, -ENOENT: no such process, -ENOSPC: full).
 */
#ifndef SEEP_TELEMETRY_GROWTH_H
#define SEEP_TELEMETRY_GROWTH_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_telemetry.h"

struct symcache;

struct growth_config {
	uint64_t sample_bytes;	/* the probes' mean bytes between samples (1: every event) */
	size_t max_procs;	/* 0: 1024 */
	size_t max_stacks;	/* per process; 0: 4096 */
	size_t max_frames;	/* per stack; 0: 64 */
};

struct growth_stats {
	uint64_t events;	/* events added */
	uint64_t dropped;	/* not added: max_procs or max_stacks reached */
	uint64_t unwind_failed;	/* copies whose process could not be opened (exited) */
	uint64_t truncated;	/* stacks that stopped before their outermost frame */
};

struct growth;

/* CACHE (may be NULL) must outlive the growth object. */
int growth__new(const struct growth_config *cfg, struct symcache *cache, struct growth **out);
void growth__free(struct growth *g);

/* Adds a sampled event and its stack copy (as growthprobe__poll gives them). */
int growth__add_copy(struct growth *g, const struct seep_tel_growth *ev, const void *stack);
/* Adds a sampled event whose stack is IPS[0..N) (IPS[0]: the pc at the
 * event, then return addresses); EV's stack fields are not read. */
int growth__add(struct growth *g, const struct seep_tel_growth *ev, const uint64_t *ips, size_t n,
		bool truncated);
/* The probes now sample every SAMPLE_BYTES on average (the back-off):
 * the events from now on are weighted with it. */
void growth__set_sample_bytes(struct growth *g, uint64_t sample_bytes);
/* Forgets PID (it exited): its stacks go with it. */
void growth__forget(struct growth *g, int pid);
const struct growth_stats *growth__stats(const struct growth *g);

struct growth_frame_view {
	char *function;		/* NULL if unknown */
	char *module;
	char *file;		/* NULL without debug info */
	int line;
	uint64_t addr;
};

struct growth_stack_view {
	double bytes[SEEP_TEL_GROW_NKINDS];	/* estimated, by enum seep_tel_growth_kind */
	double grown;		/* brk + mmap + fault */
	uint64_t samples;
	bool truncated;
	size_t nframes;
	struct growth_frame_view *frames;	/* innermost first */
};

struct growth_view {
	int pid;
	uint64_t start_boottime;
	char comm[17];
	double bytes[SEEP_TEL_GROW_NKINDS];	/* the process's totals */
	uint64_t samples;
	size_t nstacks;		/* in STACKS (at most TOP) */
	size_t total_stacks;	/* the process's stacks */
	struct growth_stack_view *stacks;	/* sorted by grown, largest first */
};

/* The stack's site: the index of its first frame, innermost first, that
 * is the program's own: not in the C runtime, the dynamic loader, the C++
 * runtime or an allocator library, and not an allocator entry point
 * (elf/allocators.h), so memset or malloc internals at a fault are passed
 * over. Without such a frame, the innermost named one (0 if none). */
size_t growth__site(const struct growth_stack_view *sv);

/* PID's TOP stacks (0: all) into OUT. */
int growth__view(struct growth *g, int pid, size_t top, struct growth_view *out);
void growth_view__release(struct growth_view *v);

/* The processes with growth stacks: their pids into *PIDS (malloc'ed, the
 * caller frees), how many into *N. */
int growth__pids(const struct growth *g, int **pids, size_t *n);

/* /api/growth: PID_ARG NULL: {"sample_bytes", "stats", "processes": [{pid,
 * comm, start_boottime, bytes{...}, samples, stacks}]}; PID_ARG a pid:
 * {pid, comm, start_boottime, sample_bytes, bytes{brk, mmap, fault,
 * brk_shrink, munmap}, samples, total_stacks, stacks: [{bytes{...}, grown,
 * samples, truncated, site (growth__site), frames: [{function, module,
 * file, line, addr}]}]},
 * at most TOP_ARG stacks (NULL: 20); -ENOENT for a pid without growth
 * stacks, -EINVAL for an argument that is not a number. *BODY is
 * malloc'ed JSON text, the caller frees it. */
int growth__render_json(struct growth *g, const char *pid_arg, const char *top_arg, char **body,
			size_t *len);

/* The name of a kind in JSON ("brk", "mmap", "fault", "brk_shrink", "munmap"). */
const char *growth__kind_name(unsigned kind);

#endif
