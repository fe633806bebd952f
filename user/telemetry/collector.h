/* collector — tier 0: every process's and cgroup's memory, every interval.
 *
 * collector__sample() takes one sample of the host: host MemAvailable,
 * every cgroup of the memory controller (to config.cgroup_depth), and
 * every process (anon, file, shmem, swap bytes). Processes are named by
 * (pid, start time): a pid reused by a new process is a new entry, and
 * the old one is reported as exited. Each process belongs to a component
 * (comm, executable build ID, systemd unit or else cgroup); components add
 * their live members up, and count processes started and exited, including
 * short-lived ones that never got a process entry of their own (they lived
 * less than config.fold_s, or ended between two samples: seen only
 * through the BPF lifecycle events). A component with no live member and
 * no start or exit for config.component_ttl_s is forgotten: its slot is
 * free (serial 0, skipped by every reader) until a new component takes it
 * under a new serial, so the components held are bounded by what is
 * alive, not by what the host ever ran.
 * With BPF (config.use_bpf, tracer/telemetry.h), memory comes from the
 * rss_stat counters aggregated in BPF and lifecycle from sched_process_*;
 * /proc is read only for new processes and for processes the counters
 * have not seen (their memory has not changed since). Without it, or when
 * BPF cannot load, /proc/PID/stat and status are read every sample.
 *
 * Ownership: the collector owns every entry; pointers it returns are valid
 * until the next collector__sample(). Functions return 0 or -errno.
 */
#ifndef SEEP_COLLECTOR_H
#define SEEP_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/cgroup.h"
#include "sys/meminfo.h"
#include "sys/procstatus.h"

struct collector_config {
	const char *proc;	/* "/proc" */
	const char *mounts;	/* "/proc/self/mounts" */
	bool use_bpf;
	uint32_t max_procs;	/* BPF map size (16384) */
	double fold_s;		/* younger processes fold into their component only */
	int cgroup_depth;	/* cgroups below the root to walk (3) */
	double component_ttl_s;	/* a component idle this long is forgotten (0: never) */
	const char *scope_cgroup;	/* only processes in this cgroup or below it belong
					 * to components (NULL or "": all); the caller's
					 * string, read at every identification */
};

struct collector_proc {
	int pid;
	uint64_t start;		/* /proc/PID/stat field 22, ticks since boot */
	char comm[17];
	char cgroup[256];
	char unit[128];
	char build_id[129];	/* hex; "" when the executable has none */
	uint32_t component;	/* index into the components */
	struct procmem mem;	/* bytes */
	double start_s;		/* epoch seconds of the process's start */
	double first_s;		/* first sample that saw it */
	uint64_t cpu_ticks;	/* utime + stime (/proc mode; 0 with BPF) */
	bool alive;
	bool bpf;		/* memory came from the BPF counters this sample */
	bool folded;		/* younger than fold_s: not reported on its own yet */
};

struct collector_component {
	char key[512];		/* "comm|build_id|unit or cgroup" */
	char comm[17], build_id[129], unit[128], cgroup[256];
	uint32_t live;		/* live member processes */
	uint64_t rss;		/* their anon + file + shmem bytes */
	uint64_t swap;
	uint64_t started, exited;	/* member processes, since the daemon started */
	uint64_t short_lived;	/* members that ended younger than fold_s */
	uint64_t serial;	/* unique per component; 0: a free slot (pruned) */
	double last_s;		/* last sample with a live member, a start or an exit */
	uint64_t seen_started, seen_exited;	/* started, exited at that sample */
};

struct collector_cgroup {
	char path[256];
	struct cgroup_usage use;
};

/* A process that ended (or was found reused) in the last sample. */
struct collector_exit {
	int pid;
	uint64_t start;
	uint32_t component;
	double end_s;
	bool folded;
};

struct collector_stats {
	uint64_t samples;
	uint64_t proc_reads;	/* /proc/PID files read */
	uint64_t proc_errors;	/* processes that vanished while read */
	uint64_t pid_reuse;	/* pids found reused by a new process */
	uint64_t components_pruned;	/* idle components forgotten (component_ttl_s) */
	uint64_t bpf_events;	/* lifecycle events handled */
	uint64_t bpf_stats[8];	/* the BPF `stats` counters (seep_tel_stat) */
	bool bpf_on;		/* BPF tier 0 loaded */
	bool rss_bpf;		/* rss_stat attached (not backed off) */
	double last_sample_s;	/* wall time of the last sample, seconds it took */
	double last_cost_s;
};

struct collector;

int collector__new(const struct collector_config *cfg, struct collector **out, char *err,
		   size_t errlen);
void collector__free(struct collector *c);

int collector__sample(struct collector *c, double now);

const struct meminfo *collector__host(const struct collector *c);
bool collector__has_cgroups(const struct collector *c);
/* Is P in the configured scope_cgroup or below it (true when none is set)? */
bool collector__in_scope(const struct collector *c, const struct collector_proc *p);

/* Processes: NPROCS slots, of which those with alive set are current. */
size_t collector__nprocs(const struct collector *c);
const struct collector_proc *collector__proc(const struct collector *c, size_t i);
size_t collector__ncomponents(const struct collector *c);
const struct collector_component *collector__component(const struct collector *c, size_t i);
size_t collector__ncgroups(const struct collector *c);
const struct collector_cgroup *collector__cgroup(const struct collector *c, size_t i);
/* The processes that ended in the last sample. */
const struct collector_exit *collector__exits(const struct collector *c, size_t *n);
const struct collector_stats *collector__stats(const struct collector *c);

/* The memory cap: every component without a live member that nothing
 * touched in the last sample is forgotten now, whatever its age. Returns
 * how many. */
size_t collector__prune_idle(struct collector *c);
/* Back-off: stop the rss_stat program (memory from /proc from then on). */
int collector__rss_off(struct collector *c);
/* Recovery: rss_stat attached again (-EOPNOTSUPP without BPF). */
int collector__rss_on(struct collector *c);
/* The back-off's last step, with rss_stat off (-EBUSY otherwise): the
 * lifecycle programs detached, processes seen coming and going in /proc
 * alone (short-lived ones between two samples are not counted); _on
 * attaches them again (-EOPNOTSUPP without BPF). */
int collector__lifecycle_off(struct collector *c);
int collector__lifecycle_on(struct collector *c);
/* What the BPF programs cost: fills OUT (TELEMETRY_NPROGS entries at most);
 * 0 entries without BPF. */
struct telemetry_cost;
int collector__bpf_costs(struct collector *c, struct telemetry_cost *out, size_t max, size_t *n,
			 int *stats_on);

#endif
