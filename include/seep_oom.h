/* seep_oom.h — the OOM victim record shared by bpf/oom.bpf.c and
 * user/tracer/oomwatch.c: one event on the ring `events` each time the
 * kernel's OOM killer marks a victim (tracepoint oom/mark_victim), sent
 * before the victim gets its SIGKILL. Fixed-width types, explicit padding;
 * the size is asserted in user space. */
#ifndef SEEP_OOM_SHARED_H
#define SEEP_OOM_SHARED_H

struct seep_oom_event {
	__u32 pid;		/* the victim's tgid */
	__u32 uid;
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() */
	__s64 total_vm_pages;	/* the victim's mm at the time, 0 without one */
	__s64 rss_pages;	/* file + anon + shmem */
};

enum seep_oom_stat {
	SEEP_OOM_EVENTS = 0,	/* victims seen */
	SEEP_OOM_RING_FULL = 1,	/* events dropped: the ring was full */
	SEEP_OOM_NSTATS = 2,
};

#endif
