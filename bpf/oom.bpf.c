// SPDX-License-Identifier: GPL-2.0
/* oom.bpf.c — the OOM killer's victims, as the kernel marks them.
 *
 * tp_btf/mark_victim fires in mark_oom_victim(), which the OOM killer (the
 * global one and a memory cgroup's) calls for the task it chose just
 * before it sends the SIGKILL: the program sends the victim's tgid on the
 * ring `events`, so the daemon can write the last heap snapshot of a
 * process it traces before the process is gone. Every event and every
 * drop is counted in `stats`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "seep_oom.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_OOM_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *task, uid_t uid)
{
	struct seep_oom_event *e;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	count(SEEP_OOM_EVENTS);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(SEEP_OOM_RING_FULL);
		return 0;
	}
	e->pid = BPF_CORE_READ(task, tgid);
	e->uid = uid;
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->total_vm_pages = mm ? (__s64)BPF_CORE_READ(mm, total_vm) : 0;
	e->rss_pages = mm ? BPF_CORE_READ(mm, rss_stat[0].count) +
				    BPF_CORE_READ(mm, rss_stat[1].count) +
				    BPF_CORE_READ(mm, rss_stat[3].count) : 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
