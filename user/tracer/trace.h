/* trace — the heap tracer's BPF side, seen from user space.
 *
 * Owns the heap skeleton: opens it with the configured map sizes, loads it,
 * attaches uprobes to the allocator functions of each traced process, and
 * reads back the live blocks, the per-site totals, the stacks and the drop
 * counters. Probes are attached per process (the kernel then plants
 * breakpoints only in that process) and once per (file, offset) in it;
 * or, with shared_probes, once per (device, inode, offset) for every
 * process that maps the file, the BPF side keeping only traced processes
 * (a map of their pids and start times, so that a process reusing a
 * traced pid is not counted): one kernel consumer per probe however many
 * processes are traced, at the price of a breakpoint hit in the others.
 * Errors are logged here with their cause; functions return 0 or -errno.
 */
#ifndef SEEP_TRACE_H
#define SEEP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "seep_heap.h"

#define TRACE_MAX_LIVE_EXACT (1u << 20)
#define TRACE_MAX_LIVE_SAMPLED (1u << 16)

struct trace_config {
	uint32_t max_live;       /* blocks tracked at once, all processes (0: the
				  * default of the mode, TRACE_MAX_LIVE_*); the live
				  * table takes ~146 bytes of kernel memory per block */
	uint32_t max_sites;      /* allocation sites (stack, caller) */
	uint32_t max_stacks;     /* distinct user stacks */
	uint32_t stack_bytes;    /* stack bytes copied per DWARF event (0: default) */
	uint32_t ring_bytes;     /* size of the stack-copy ring: a power of two, at least a
				  * page (0: the default, 16 MiB); small ones force
				  * back-pressure (tests) */
	uint64_t sample_bytes;   /* mean bytes between samples; 0 or 1: every allocation */
	bool no_sessions;        /* use uprobe + uretprobe pairs even where sessions work */
	bool shared_probes;      /* one set of probes per file, for every process mapping it */
	bool no_stack_walk;      /* never teach BPF the walk of known stacks: copy them all */
};

struct trace;

int trace__new(const struct trace_config *cfg, struct trace **out);
void trace__free(struct trace *t);
/* Detaches every allocator probe now (the processes stop trapping) and
 * keeps the maps: what they hold can still be read, as of this moment
 * (frees after it are not seen). For a trace about to be freed: what was
 * hooked is not hooked again. */
void trace__unhook(struct trace *t);

/* Starts tracing PID, taking its stacks as MODE says: returns the number
 * of functions newly hooked (>= 0: 0 when called again for new modules, or
 * with shared probes for files already hooked), or -ESRCH (no such
 * process), -ENOENT (no allocator found), -ENOSPC (too many processes for
 * shared probes), -EPERM, -errno. */
int trace__add_pid(struct trace *t, pid_t pid, enum seep_unwind mode);
/* Stops counting PID and drops its blocks and sites from the maps. */
int trace__forget_pid(struct trace *t, pid_t pid);

typedef int (*trace_live_fn)(const struct seep_live_key *key, const struct seep_live *val,
			     void *ctx);
typedef int (*trace_site_fn)(const struct seep_stack_key *key,
			     const struct seep_stack_totals *val, void *ctx);
int trace__for_each_live(struct trace *t, trace_live_fn fn, void *ctx);
int trace__for_each_site(struct trace *t, trace_site_fn fn, void *ctx);

/* Stack copies of SEEP_UNWIND_DWARF processes: FN is called for each from
 * trace__consume_events(); STACK holds ev->stack_len bytes, and
 * ev->top_len more at STACK + ev->top_off when the stack was deeper than
 * the copy (checked against the record's size). */
typedef int (*trace_event_fn)(const struct seep_stack_event *ev, const void *stack, void *ctx);
int trace__set_event_handler(struct trace *t, trace_event_fn fn, void *ctx);
/* exec() of a traced process (seep_heap.h's seep_exec_event): FN is called
 * from trace__consume_events(), in ring order (after the old image's stack
 * copies, before the new image's). The BPF side has dropped the old
 * image's blocks, sites and walk already. */
typedef int (*trace_exec_fn)(const struct seep_exec_event *ev, void *ctx);
void trace__set_exec_handler(struct trace *t, trace_exec_fn fn, void *ctx);
/* The execs of PID the BPF side has seen since trace__add_pid() (an event
 * lost to a full ring is found here). 0, -ENOENT (not watched), -errno. */
int trace__execs(struct trace *t, pid_t pid, uint64_t *n);
/* A file descriptor that polls readable when events wait (-1 if none). */
int trace__events_fd(const struct trace *t);
/* Hands waiting stack copies to the handler for at most BUDGET_NS: where
 * processes allocate faster than seep unwinds, the rest waits (and the ring
 * buffer's overflow is counted in BPF) rather than keep seep from its
 * deadlines. Returns 1 if copies are left (the caller should not sleep:
 * BPF wakes the reader only when the ring crosses a quarter full), 0 when
 * the ring is drained, or -errno. */
int trace__consume_events(struct trace *t, uint64_t budget_ns);

/* The BPF stack walk of PID (seep_heap.h): installs the N RULES of a stack
 * user space unwound, then the stack itself (NFRAMES frames hashing to
 * HASH) as ID; from then on BPF takes that stack without a copy. 0 or
 * -errno (-E2BIG: the maps are full; the stack keeps being copied). */
struct stackwalk_rule;
int trace__learn_stack(struct trace *t, pid_t pid, const struct stackwalk_rule *rules, size_t n,
		       uint32_t nframes, uint64_t hash, uint32_t id);
/* Forgets PID's walk rules and known stacks (its modules changed). */
int trace__forget_stacks(struct trace *t, pid_t pid);

/* Copies the user stack STACK_ID into IPS (innermost first); returns the
 * number of frames, 0 if the stack is unknown. */
size_t trace__stack(struct trace *t, int32_t stack_id, uint64_t *ips, size_t max);
/* Sums the per-CPU counters. */
int trace__read_stats(struct trace *t, uint64_t stats[SEEP_STAT__MAX]);
/* Marks every CPU's owner (bpf/heap.bpf.c cpu_own) held or free. Held,
 * every allocation is recorded as by a program that preempted a holder:
 * atomic counts, no walk (tests of that path). 0 or -errno. */
int trace__hold_owners(struct trace *t, bool held);

/* The run time and run count of the tracer's programs, summed (the kernel
 * counts run time only while BPF_STATS_RUN_TIME is enabled by someone). */
int trace__run_time(struct trace *t, uint64_t *run_time_ns, uint64_t *run_cnt);

/* Environment checks, each logs one clear line on failure. */
int trace__check_privileges(void);
int trace__check_btf(void);

#endif
