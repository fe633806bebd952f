// SPDX-License-Identifier: GPL-2.0
/* telemetry.bpf.c — tier 0: every process's memory counters and lifecycle.
 *
 * tp_btf/rss_stat fires whenever the kernel changes one of a process's mm
 * counters (file, anon, swap, shmem pages); the program copies all four
 * counters into `procs` under the owning process's tgid, so user space
 * reads every process's memory with one map walk per interval, without
 * opening a /proc file. sched_process_fork/exec/exit send lifecycle
 * events on the `events` ring; exit also removes the process from `procs`
 * and hands user space its last counts. Every loss is counted in `stats`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "seep_telemetry.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* set by user space before load */
	__type(key, __u32);
	__type(value, struct seep_tel_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_TEL_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

/* The process an mm belongs to: mm->owner with memory cgroups, else the
 * current task when it runs on that mm. */
static __always_inline struct task_struct *owner_of(struct mm_struct *mm)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	if (bpf_core_field_exists(mm->owner)) {
		struct task_struct *o = BPF_CORE_READ(mm, owner);

		if (o)
			return o;
	}
	if (BPF_CORE_READ(cur, mm) == mm)
		return cur;
	return NULL;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(rss_stat_enter, struct mm_struct *mm, int member)
{
	struct seep_tel_proc *p, fresh = {};
	struct task_struct *t;
	__u32 tgid;

	count(SEEP_TEL_STAT_RSS_EVENTS);
	t = owner_of(mm);
	if (!t) {
		count(SEEP_TEL_STAT_NO_OWNER);
		return 0;
	}
	tgid = BPF_CORE_READ(t, tgid);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p) {
		fresh.start_boottime = BPF_CORE_READ(t, group_leader, start_boottime);
		if (bpf_map_update_elem(&procs, &tgid, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&procs, &tgid)) {
			count(SEEP_TEL_STAT_MAP_FULL);
			return 0;
		}
		p = bpf_map_lookup_elem(&procs, &tgid);
		if (!p)
			return 0;
	}
	p->pages[SEEP_TEL_FILE] = BPF_CORE_READ(mm, rss_stat[0].count);
	p->pages[SEEP_TEL_ANON] = BPF_CORE_READ(mm, rss_stat[1].count);
	p->pages[SEEP_TEL_SWAP] = BPF_CORE_READ(mm, rss_stat[2].count);
	p->pages[SEEP_TEL_SHMEM] = BPF_CORE_READ(mm, rss_stat[3].count);
	p->events++;
	p->last_ns = bpf_ktime_get_boot_ns();
	return 0;
}

static __always_inline struct seep_tel_event *reserve(__u32 type, struct task_struct *t)
{
	struct seep_tel_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(SEEP_TEL_STAT_RING_FULL);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = BPF_CORE_READ(t, tgid);
	e->start_boottime = BPF_CORE_READ(t, group_leader, start_boottime);
	e->ts_ns = bpf_ktime_get_boot_ns();
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
	return e;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork_enter, struct task_struct *parent, struct task_struct *child)
{
	struct seep_tel_event *e;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;	/* a thread */
	e = reserve(SEEP_TEL_FORK, child);
	if (!e)
		return 0;
	/* the child's leader is itself; start_boottime is set before this point */
	e->start_boottime = BPF_CORE_READ(child, start_boottime);
	e->ppid = BPF_CORE_READ(parent, tgid);
	count(SEEP_TEL_STAT_LIFECYCLE);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec_enter, struct task_struct *p, pid_t old_pid)
{
	struct seep_tel_event *e = reserve(SEEP_TEL_EXEC, p);

	if (!e)
		return 0;
	count(SEEP_TEL_STAT_LIFECYCLE);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_enter, struct task_struct *p)
{
	struct seep_tel_event *e;
	struct seep_tel_proc *last;
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (BPF_CORE_READ(p, pid) != tgid)
		return 0;	/* a thread, not the group leader */
	e = reserve(SEEP_TEL_EXIT, p);
	last = bpf_map_lookup_elem(&procs, &tgid);
	if (e && last) {
		e->has_pages = 1;
		e->pages[0] = last->pages[0];
		e->pages[1] = last->pages[1];
		e->pages[2] = last->pages[2];
		e->pages[3] = last->pages[3];
	}
	if (last)
		bpf_map_delete_elem(&procs, &tgid);
	if (!e)
		return 0;
	count(SEEP_TEL_STAT_LIFECYCLE);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
