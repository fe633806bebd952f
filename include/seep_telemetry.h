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

/* Growth stacks: where memory grows, per process, without hooking any
 * allocator. Programs on the brk, mmap and munmap syscalls' exits and on
 * user page faults sample the bytes they map, unmap or first touch
 * (Poisson sampling by bytes, mean cfg_growth_sample_bytes, as the heap
 * tracer samples allocations), and send each sampled event's user
 * registers and a copy of its user stack on the ring `growth`, for
 * unwinding from DWARF CFI in user space (symbols/unwind.h). */
enum seep_tel_growth_kind {
	SEEP_TEL_GROW_BRK = 0,		/* the heap's break moved up */
	SEEP_TEL_GROW_MMAP = 1,		/* an anonymous private mapping */
	SEEP_TEL_GROW_FAULT = 2,	/* a write fault on anonymous memory (first touch) */
	SEEP_TEL_SHRINK_BRK = 3,	/* the break moved down */
	SEEP_TEL_SHRINK_MUNMAP = 4,	/* munmap */
	SEEP_TEL_GROW_NKINDS = 5,
};

/* Which processes the growth programs sample (cfg_growth_mode). */
enum seep_tel_growth_mode {
	SEEP_TEL_GROWTH_OFF = 0,	/* programs not loaded */
	SEEP_TEL_GROWTH_WATCHED = 1,	/* processes in the map `growth_pids` only */
	SEEP_TEL_GROWTH_ALL = 2,	/* every process */
};

/* Value of `growth_pids` (key: tgid): the watched process's start, in
 * clock ticks since boot (/proc/PID/stat field 22; the group leader's
 * start_boottime / SEEP_NS_PER_TICK), so a reused pid is not followed. */
struct seep_tel_watch {
	__u64 start_ticks;
};

/* Most user stack bytes copied from sp, and from the stack's top. */
#define SEEP_TEL_STACK_COPY 16384
#define SEEP_TEL_TOP_COPY 4096

/* A sampled growth event, followed in its ring record by stack_len bytes
 * copied from sp, and top_len bytes from top_addr at top_off bytes into
 * the data (the stack's outermost frames, when it went on past the copy).
 * ip/sp/bp are the user registers: for a syscall its return address in the
 * C library's wrapper, for a fault the faulting instruction. */
struct seep_tel_growth {
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 start_boottime;	/* group leader's start, ns since boot */
	__u64 ts_ns;		/* bpf_ktime_get_boot_ns() */
	__u64 exec_id;		/* the thread's self_exec_id: changes at each exec */
	__u64 addr;		/* mapping, old break or faulting address */
	__u64 size;		/* bytes the event grew or shrank (a fault: a page) */
	__u64 ip, sp, bp;
	__u32 kind;		/* enum seep_tel_growth_kind */
	__u32 stack_len;
	__u64 top_addr;
	__u32 top_len;
	__u32 top_off;
	char comm[16];
};

/* Per-CPU counters in `stats`: nothing is dropped silently. */
enum seep_tel_stat {
	SEEP_TEL_STAT_RSS_EVENTS = 0,	/* rss_stat events seen */
	SEEP_TEL_STAT_MAP_FULL,		/* a process not counted: `procs` full */
	SEEP_TEL_STAT_NO_OWNER,		/* an mm whose process could not be named */
	SEEP_TEL_STAT_RING_FULL,	/* a lifecycle event lost: ring full */
	SEEP_TEL_STAT_LIFECYCLE,	/* lifecycle events sent */
	SEEP_TEL_STAT_GROWTH_EVENTS,	/* brk/mmap/munmap/fault events of sampled processes */
	SEEP_TEL_STAT_GROWTH_BYTES,	/* their bytes (faults: pages of any kind) */
	SEEP_TEL_STAT_GROWTH_SAMPLES,	/* stacks sent on `growth` */
	SEEP_TEL_STAT_GROWTH_RING_FULL,	/* a sampled stack lost: ring `growth` full */
	SEEP_TEL_STAT_GROWTH_NOT_ANON,	/* sampled faults on file, shared or read: not growth */
	SEEP_TEL_STAT_BRK_NO_BASE,	/* a break move whose previous break was not known */
	SEEP_TEL_STAT_BRK_MAP_FULL,	/* `brks` full: a process's break not followed */
	SEEP_TEL_STAT_GROWTH_VMA_BUSY,	/* sampled write faults kept without the anon check */
	SEEP_TEL_NSTATS,
};

#endif
