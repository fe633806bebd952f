/* growthprobe — the growth-stack BPF programs (bpf/growth.bpf.c): load,
 * attach, follow processes, read the sampled stacks, detach.
 *
 * A BPF object of its own, beside the telemetry one (tracer/telemetry.h),
 * so that the growth tier is turned on, backed off and costed on its own.
 * growthprobe__open() loads and attaches tp_btf/sys_exit (brk, mmap,
 * munmap) and tp_btf/page_fault_user, and turns on the kernel's BPF
 * run-time statistics for as long as the object lives.
 * growthprobe__free() detaches both and closes every map and link.
 * In mode SEEP_TEL_GROWTH_WATCHED only the processes given to
 * growthprobe__watch() (by tgid and start time: a reused pid is not
 * followed) are sampled; in SEEP_TEL_GROWTH_ALL every process.
 * growthprobe__poll() hands each sampled event waiting in the ring to FN,
 * with its stack copy (valid during the call only; the record was checked:
 * stack_len and top_off + top_len lie inside it). Non-blocking; the ring's
 * fd (growthprobe__fd) polls readable when events wait.
 * The skeleton plumbing is tracer/progset.h's.
 * Returns 0 or -errno; open writes a message into ERR on failure.
 */
#ifndef SEEP_TRACER_GROWTHPROBE_H
#define SEEP_TRACER_GROWTHPROBE_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_telemetry.h"
#include "tracer/telemetry.h"

struct growthprobe;

struct growthprobe_opts {
	uint32_t mode;		/* SEEP_TEL_GROWTH_WATCHED (0 too) or _ALL */
	uint64_t sample_bytes;	/* mean bytes between samples (0: 512 KiB; 1: every event) */
	uint32_t stack_bytes;	/* stack bytes copied from sp (0: SEEP_TEL_STACK_COPY) */
	uint32_t max_watch;	/* entries of `growth_pids` (0: 4096) */
	uint32_t ring_bytes;	/* ring `growth`, rounded up to a power of two of pages
				 * (0: 1 MiB when WATCHED, 4 MiB for ALL, at 512 KiB
				 * sampling; finer sampling, more, up to 8 MiB) */
};

int growthprobe__open(const struct growthprobe_opts *opts, struct growthprobe **out, char *err,
		      size_t errlen);
void growthprobe__free(struct growthprobe *p);

/* Follows TGID, which started START_TICKS clock ticks after boot
 * (/proc/PID/stat field 22, collector_proc.start). -E2BIG when the map is
 * full. */
int growthprobe__watch(struct growthprobe *p, uint32_t tgid, uint64_t start_ticks);
int growthprobe__unwatch(struct growthprobe *p, uint32_t tgid);

typedef void growthprobe_fn(const struct seep_tel_growth *ev, const void *stack, void *ctx);
/* At most GROWTHPROBE_POLL_MAX events a call: each is unwound by FN, and a
 * load that fills the ring as fast as it is read must not keep the
 * caller's loop (its interval timer, its HTTP) from running; the rest
 * waits in the ring, whose fd stays readable. */
#define GROWTHPROBE_POLL_MAX 256
/* Returns the number of events handed to FN, or -errno. */
int growthprobe__poll(struct growthprobe *p, growthprobe_fn *fn, void *ctx);
int growthprobe__fd(const struct growthprobe *p);
uint64_t growthprobe__sample_bytes(const struct growthprobe *p);

/* The `stats` counters summed over CPUs. */
int growthprobe__stats(struct growthprobe *p, uint64_t out[SEEP_TEL_NSTATS]);
#define GROWTHPROBE_NPROGS 2
/* Fills OUT[GROWTHPROBE_NPROGS] (sys_exit_growth, page_fault_user_growth). */
int growthprobe__costs(struct growthprobe *p, struct telemetry_cost out[GROWTHPROBE_NPROGS],
		       int *stats_on);
/* Back-off: detaches both programs (the maps stay readable);
 * growthprobe__attach() undoes it (both or none). */
int growthprobe__detach(struct growthprobe *p);
int growthprobe__attach(struct growthprobe *p);
int growthprobe__attached(const struct growthprobe *p);
/* Back-off's first step: the object again with SAMPLE_BYTES (the mean is
 * read-only once loaded), every process followed still followed,
 * detached if it was. The ring is a new one: growthprobe__fd() changes
 * and a sample waiting in the old ring is lost. Should the new object
 * fail to load, P has none and only growthprobe__free() may be called. */
int growthprobe__resample(struct growthprobe *p, uint64_t sample_bytes, char *err,
			  size_t errlen);

#endif
