/* telemetry — the tier-0 BPF programs (bpf/telemetry.bpf.c): load, attach,
 * read, detach.
 *
 * telemetry__open() loads and attaches rss_stat and the lifecycle
 * tracepoints, and turns on the kernel's BPF run-time statistics
 * (BPF_STATS_RUN_TIME) for as long as the object lives, so
 * telemetry__costs() can say what each program costs. telemetry__free()
 * detaches every program and closes every map and link: after it, no seep
 * BPF program of this object is left in the kernel.
 * Reading: telemetry__poll() hands the lifecycle events waiting in the
 * ring to FN (non-blocking); telemetry__walk() hands every process of the
 * `procs` map to FN. telemetry__detach_rss() is the back-off step: it
 * detaches rss_stat alone (counts then come from /proc);
 * telemetry__attach_rss() undoes it. The skeleton plumbing (ring,
 * statistics, costs, attach/detach) is tracer/progset.h's.
 * Returns 0 or -errno; open writes a message into ERR on failure.
 */
#ifndef SEEP_TRACER_TELEMETRY_H
#define SEEP_TRACER_TELEMETRY_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_telemetry.h"
#include "tracer/progset.h"

struct telemetry;

struct telemetry_opts {
	uint32_t max_procs;	/* entries of `procs` (default 16384) */
};

int telemetry__open(const struct telemetry_opts *opts, struct telemetry **out, char *err,
		    size_t errlen);
void telemetry__free(struct telemetry *t);

typedef void telemetry_event_fn(const struct seep_tel_event *e, void *ctx);
/* Returns the number of events handed to FN, or -errno. */
int telemetry__poll(struct telemetry *t, telemetry_event_fn *fn, void *ctx);

typedef void telemetry_proc_fn(uint32_t tgid, const struct seep_tel_proc *p, void *ctx);
int telemetry__walk(struct telemetry *t, telemetry_proc_fn *fn, void *ctx);
/* Forgets TGID in `procs` (user space saw it gone without an exit event). */
void telemetry__forget(struct telemetry *t, uint32_t tgid);

/* The `stats` counters summed over CPUs. */
int telemetry__stats(struct telemetry *t, uint64_t out[SEEP_TEL_NSTATS]);

#define TELEMETRY_NPROGS 4
/* Fills OUT[TELEMETRY_NPROGS]; *STATS_ON says whether run-time stats are on
 * (bpf_enable_stats may be refused). */
int telemetry__costs(struct telemetry *t, struct telemetry_cost out[TELEMETRY_NPROGS],
		     int *stats_on);

int telemetry__detach_rss(struct telemetry *t);
/* The back-off's recovery: attaches rss_stat again (0 if it is attached). */
int telemetry__attach_rss(struct telemetry *t);
int telemetry__rss_attached(const struct telemetry *t);
/* The back-off's last step: detaches sched_process_fork/exec/exit (with
 * rss_stat detached as well, the collector then reads /proc alone);
 * attach undoes it, all three or none. */
int telemetry__detach_lifecycle(struct telemetry *t);
int telemetry__attach_lifecycle(struct telemetry *t);
int telemetry__lifecycle_attached(const struct telemetry *t);

#endif
