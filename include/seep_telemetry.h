/* seep_telemetry.h — tier-0 telemetry records shared by bpf/telemetry.bpf.c
 * and user/tracer/telemetry.c: per-process RSS counters aggregated in BPF
 * (map `procs`, key: tgid) and process lifecycle events (ring `events`).
 * Fixed-width types only, explicit padding; sizes are asserted in user space.
 */
#ifndef SEEP_TELEMETRY_SHARED_H
#define SEEP_TELEMETRY_SHARED_H

/* The kernel's mm counters (enum MM_*), in pages. */
enum seep_tel_member {
	SEEP_TEL_FILE = 0,
	SEEP_TEL_ANON = 1,
	SEEP_TEL_SWAP = 2,
	SEEP_TEL_SHMEM = 3,
	SEEP_TEL_NMEMBERS = 4,
};

/* Value of `procs`: the last counts seen by rss_stat for one process. The
 * counts are the shared part of the kernel's per-CPU counters: each can
 * lag the exact value by up to the counter batch per CPU. */
struct seep_tel_proc {
	__u64 start_boottime;	/* group leader's start, ns since boot */
	__s64 pages[SEEP_TEL_NMEMBERS];
	__u64 events;		/* rss_stat events counted into it */
	__u64 last_ns;		/* bpf_ktime_get_boot_ns() of the last one */
};

enum seep_tel_event_type {
	SEEP_TEL_FORK = 1,	/* a new process (not a thread) */
	SEEP_TEL_EXEC = 2,
	SEEP_TEL_EXIT = 3,	/* the group leader exited */
};

struct seep_tel_event {
	__u32 type;
	__u32 pid;		/* tgid */
	__u32 ppid;		/* FORK: the parent's tgid */
	__u32 has_pages;	/* EXIT: pages[] holds the last counts */
	__u64 start_boottime;
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() */
	__s64 pages[SEEP_TEL_NMEMBERS];
	char comm[16];
};

/* Per-CPU counters in `stats`: nothing is dropped silently. */
enum seep_tel_stat {
	SEEP_TEL_STAT_RSS_EVENTS = 0,	/* rss_stat events seen */
	SEEP_TEL_STAT_MAP_FULL,		/* a process not counted: `procs` full */
	SEEP_TEL_STAT_NO_OWNER,		/* an mm whose process could not be named */
	SEEP_TEL_STAT_RING_FULL,	/* a lifecycle event lost: ring full */
	SEEP_TEL_STAT_LIFECYCLE,	/* lifecycle events sent */
	SEEP_TEL_NSTATS,
};

#endif
