/* model — what the daemon knows at one instant, as plain data for the
 * exporters (/metrics, the JSON API).
 *
 * The daemon fills one struct mx_model per interval (it owns the arrays
 * and their strings) and the exporters only read it; nothing here refers
 * to the daemon's own types. Units are base units: bytes, seconds.
 * Processes are sorted by rss, largest first; the exporters show the first
 * top_n of them and say how many they left out.
 */
#ifndef SEEP_MX_MODEL_H
#define SEEP_MX_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mx_proc {
	int pid;
	uint64_t start;		/* ticks since boot (/proc/PID/stat field 22) */
	double start_s;		/* epoch seconds */
	const char *comm;
	uint32_t component;	/* index into components */
	uint64_t anon, file, shmem, swap;
	bool suspect;
};

struct mx_component {
	const char *key, *comm, *build_id, *unit, *cgroup;
	uint32_t live;
	uint64_t rss, swap;
	uint64_t started, exited, short_lived;
	bool pivot_ready, pivot_anomalous;
	double pivot_severity;
	double pivot_lo, pivot_hi;	/* the worst bucket's edges, bytes */
	double pivot_z;
	bool suspect;		/* the component series itself is leaking */
};

struct mx_cgroup {
	const char *path;
	uint64_t usage, limit;	/* limit UINT64_MAX: none */
};

/* One of a process suspect's growth stacks (telemetry/growth.h): where
 * its memory grew, by user stack. */
struct mx_growth_stack {
	double grown_bytes;	/* estimated brk + mmap + fault bytes */
	uint64_t samples;
	size_t nfunctions;
	const char *const *functions;	/* innermost first; NULL: not symbolized */
	size_t site;		/* the first of the program's own (growth__site) */
};

struct mx_suspect {
	const char *kind;	/* "process" or "component" */
	int pid;		/* 0 for a component */
	uint64_t start;
	const char *comm;
	const char *component;	/* component key */
	double from_s, to_s;	/* the leaking window, epoch seconds */
	double first_s;		/* when it was first suspected */
	const char *pattern, *algo;
	double severity;	/* 0..1 */
	double slope_bytes_per_s;
	double r2;
	double time_to_threshold_s;	/* INFINITY when never */
	double threshold_bytes;
	double rss_bytes;	/* now */
	double pivot_severity;
	bool active;		/* still leaking at the last evaluation */
	bool alive;		/* the process still runs */
	const struct mx_growth_stack *growth;	/* largest first; processes only */
	size_t ngrowth;
};

struct mx_prog {
	const char *name;
	bool attached;
	uint64_t run_time_ns, run_cnt, recursion_misses;
};

struct mx_self {
	double cpu_seconds;		/* the daemon's user + system CPU */
	uint64_t rss_bytes;
	uint64_t rss_peak_bytes;	/* the high-water mark (VmHWM) */
	uint64_t rss_budget_bytes;	/* budget.rss */
	uint64_t rss_over_budget;	/* intervals that ended above it */
	uint64_t heap_bytes;		/* malloc'ed and in use (mallinfo2) */
	uint64_t store_memory_bytes;	/* SQLite's allocations */
	uint64_t backoff_shrinks;	/* interval stretch halved back */
	/* the memory cap (budget.rss_cap) and what it shed */
	uint64_t rss_cap_bytes, rss_cap_intervals, cap_components, cap_series;
	uint64_t components_pruned;	/* idle components forgotten, by age or the cap */
	const char *bpf_step;		/* the BPF back-off step ("full" .. "none") */
	uint32_t bpf_downs, bpf_ups;	/* BPF back-off steps taken and undone */
	double interval_s;		/* configured */
	double effective_interval_s;	/* after back-off */
	int backoff_level;		/* 0: none; 1: interval raised; 2: a BPF step taken */
	double cpu_budget;		/* share of one core */
	double cpu_share;		/* measured over the last intervals */
	double bpf_cpu_share;
	uint64_t samples;
	double sample_seconds, detect_seconds, store_seconds;	/* the last interval's */
	uint64_t store_bytes, store_commits, store_errors;
	uint64_t proc_reads, proc_errors, pid_reuse;
	bool bpf_loaded, rss_bpf, bpf_stats_on;
	uint64_t bpf_rss_events, bpf_map_full, bpf_no_owner, bpf_ring_full, bpf_lifecycle;
	uint64_t detect_runs;
	const struct mx_prog *progs;
	size_t nprogs;
	/* growth stacks (telemetry.growth_stacks) */
	const char *growth_mode;	/* "off", "suspects" or "all" */
	bool growth_loaded;
	uint64_t growth_watched;	/* processes followed now (suspects mode) */
	uint64_t growth_bpf_events, growth_bpf_samples, growth_bpf_ring_full;
	uint64_t growth_stacks_added, growth_dropped, growth_unwind_failed, growth_truncated;
};

/* A heap snapshot series of one process (daemon/collect.h). */
struct mx_collection {
	uint64_t id;
	int pid;
	uint64_t start;
	const char *comm;
	const char *trigger;	/* "leak", "request", "pressure" */
	const char *pattern;	/* the rule it follows: steady, stair, spike, sawtooth */
	const char *state;	/* "running" or "complete" */
	const char *reason;	/* why it stopped (NULL while running) */
	double severity;
	double started_s, ended_s;	/* epoch seconds; ended 0 while running */
	const char *dir;	/* the series directory */
	const char *const *snapshots;	/* its files, oldest first */
	size_t nsnapshots;
	uint64_t bytes;		/* of the snapshot files */
	uint64_t live_bytes;	/* sampled live heap in the last snapshot */
	uint64_t sample_bytes;	/* the tracer's mean bytes between samples now */
	double bpf_cpu_ratio;	/* heap probes' BPF run time / the target's CPU (last window) */
	double traps_cpu_ratio;	/* their hits x the trap cost / the target's CPU (same) */
	double cost_cpu_ratio;	/* the sum: what the CPU budget compares */
	uint64_t hits, bpf_ns, cpu_ns;	/* probe hits, BPF run time, target CPU: totals */
	uint32_t budget_actions;
};

#define MX_NTRIGGERS 5
#define MX_NREASONS 11

struct mx_collect_stats {
	const char *const *trigger_names;	/* MX_NTRIGGERS */
	const char *const *reason_names;	/* MX_NREASONS */
	uint64_t triggers[MX_NTRIGGERS];	/* triggers that started a collection */
	uint64_t refused;	/* triggers refused: at the limit of running collections */
	uint64_t started;
	uint64_t completed[MX_NREASONS];	/* by why they stopped */
	uint64_t snapshots, snapshot_bytes;
	uint64_t sample_raised, budget_detached;	/* budget actions */
	uint64_t budget_detached_traps;	/* detached at once: the traps alone over */
	double trap_ns;		/* one probe hit's trap, as the budget counts it */
	double cpu_budget;	/* collect.cpu */
	const char *trap_source;	/* "config", "stored", "calibrated", "calibrating", "unmeasured" */
	uint64_t psi_events;
	size_t running;
};

/* One decision of tier 4 (daemon/mitigation.h), taken or not. */
struct mx_mitigation {
	double t_s;
	const char *target;	/* "process:PID:START", "component:KEY" */
	const char *subject;	/* "unit:U", "cgroup:C", "pid:P", "kernel" */
	const char *kind, *comm, *unit, *cgroup;
	int pid;
	uint64_t start;
	const char *action;	/* none, notify, restart, brake */
	const char *outcome;	/* done, failed, dry_run, notified, awaiting_snapshot, gated, ... */
	const char *code, *reason, *detail;
	bool dry_run;
};

#define MX_MIT_NACTIONS 4
#define MX_MIT_NOUTCOMES 13

struct mx_mitigate_stats {
	bool enabled, dry_run;
	double window_s;
	const char *const *action_names;	/* MX_MIT_NACTIONS */
	const char *const *outcome_names;	/* MX_MIT_NOUTCOMES */
	uint64_t decisions[MX_MIT_NACTIONS][MX_MIT_NOUTCOMES];	/* recorded decisions */
	uint64_t executor_calls, executor_errors;
};

/* Series and snapshots out of the host (fleet/remote_write.h,
 * fleet/profpush.h): their counters, zero when off. */
struct mx_fleet {
	bool rw_on;			/* [remote_write] url set */
	uint64_t rw_sent, rw_failed, rw_retried, rw_dropped;	/* samples */
	uint64_t rw_spool_bytes, rw_spool_records;
	bool push_on;			/* [profiles] a store set */
	uint64_t push_sent, push_failed, push_retried;	/* snapshot pushes */
};

struct mx_model {
	double now_s;
	const char *host;		/* the host label (daemon.host); NULL: none */
	size_t max_series;		/* series budget of the entity families; 0: none */
	struct mx_fleet fleet;
	uint64_t host_total, host_available;
	const struct mx_proc *procs;	/* sorted by rss, largest first */
	size_t nprocs;
	const struct mx_component *components;
	size_t ncomponents;
	const struct mx_cgroup *cgroups;
	size_t ncgroups;
	const struct mx_suspect *suspects;
	size_t nsuspects;
	size_t top_n;			/* processes exported by /metrics */
	size_t max_cgroups;		/* cgroups exported by /metrics */
	const struct mx_collection *collections;	/* oldest first */
	size_t ncollections;
	struct mx_collect_stats collect;
	const struct mx_mitigation *mitigations;	/* oldest first */
	size_t nmitigations;
	struct mx_mitigate_stats mitigate;
	struct mx_self self;
};

#endif
