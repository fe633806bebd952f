// SPDX-License-Identifier: GPL-2.0
/* growth.bpf.c — tier 0: where memory grows, by user stack, for any
 * process and any language, without hooking an allocator.
 *
 * tp_btf/sys_exit follows the three system calls through which a process
 * gets or gives back anonymous memory: brk (the break's move, from the
 * break the process had before: map `brks`), mmap of anonymous memory and
 * munmap; tp_btf/page_fault_user follows first touches (a write fault on
 * anonymous memory: the kernel allocates a page). Both sample by bytes
 * (Poisson, mean cfg_growth_sample_bytes, per CPU: a sampled event of s
 * bytes stands for s / (1 - exp(-s / mean)) bytes), and for each sampled
 * event copy the user registers and the user stack to the ring `growth`
 * (struct seep_tel_growth), which user space unwinds from DWARF CFI as it
 * unwinds the heap tracer's copies (symbols/unwind.h): stacks are right on
 * binaries built without frame pointers. Only the processes in
 * `growth_pids` are followed (cfg_growth_mode WATCHED) or every process
 * (ALL). Every loss is counted in `stats`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "seep_heap.h"		/* SEEP_EXP_TABLE, SEEP_EXP_SCALE */
#include "seep_telemetry.h"
#include "stackcopy.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* x86-64 system call numbers */
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define MAP_SHARED 0x01
#define MAP_ANONYMOUS 0x20
#define PF_WRITE 0x2
#define GROWTH_RING_BYTES (8 << 20)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct seep_tel_watch);
} growth_pids SEC(".maps");

/* The last break each process was seen with (key: tgid). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} brks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GROWTH_RING_BYTES);
} growth SEC(".maps");

/* Bytes until the next sample, per CPU: [0] system calls, [1] faults. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __s64);
} sample_left SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_TEL_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* enum seep_tel_growth_mode */
const volatile __u32 cfg_growth_mode = SEEP_TEL_GROWTH_WATCHED;
/* Mean bytes between samples; 0 or 1: every event. */
const volatile __u64 cfg_growth_sample_bytes = 512 * 1024;
/* User stack bytes copied from sp (at most SEEP_TEL_STACK_COPY). */
const volatile __u32 cfg_stack_bytes = SEEP_TEL_STACK_COPY;
/* -ln((i + 0.5) / SEEP_EXP_TABLE) * SEEP_EXP_SCALE, filled in by user space. */
const volatile __u32 cfg_exp[SEEP_EXP_TABLE] = {};

static __always_inline void stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += n;
}

/* True if the current process is followed. */
static __always_inline int followed(struct task_struct *task, __u32 tgid)
{
	struct seep_tel_watch *w;

	if (cfg_growth_mode == SEEP_TEL_GROWTH_ALL)
		return 1;
	w = bpf_map_lookup_elem(&growth_pids, &tgid);
	return w && task->group_leader->start_boottime / SEEP_NS_PER_TICK == w->start_ticks;
}

static __always_inline __s64 exp_gap(void)
{
	return (__s64)((cfg_exp[bpf_get_prandom_u32() & (SEEP_EXP_TABLE - 1)] *
			cfg_growth_sample_bytes) / SEEP_EXP_SCALE);
}

/* Byte-based Poisson sampling on stream WHICH: an event of SIZE bytes is
 * sampled when a sample point falls in it. */
static __always_inline int sampled(__u32 which, __u64 size)
{
	__s64 *left;

	stat_add(SEEP_TEL_STAT_GROWTH_EVENTS, 1);
	stat_add(SEEP_TEL_STAT_GROWTH_BYTES, size);
	if (cfg_growth_sample_bytes <= 1)
		return 1;
	left = bpf_map_lookup_elem(&sample_left, &which);
	if (!left)
		return 0;
	*left -= (__s64)size;
	if (*left > 0)
		return 0;
	*left = exp_gap();	/* memoryless: the next gap starts after this event */
	return 1;
}

/* The top of the stack at SP (stackcopy.bpf.h): 0 if unknown (the copy
 * is then cfg_stack_bytes, shortened if it faults). */
static __always_inline __u64 stack_top(struct task_struct *task, __u64 sp)
{
	struct stackcopy_vma r = {};
	__u64 start = BPF_CORE_READ(task, mm, start_stack);

	/* The main thread's stack needs no lookup. bpf_find_vma cannot run
	 * twice in one event with interrupts off (page_fault_user): the first
	 * call's deferred unlock holds the per-CPU slot (-EBUSY). */
	if (start > sp && start - sp <= (8 << 20))
		return start + STACKCOPY_ABOVE_START;
	bpf_find_vma(task, sp, stackcopy_vma_cb, &r, 0);
	return stackcopy_top(start, sp, &r);
}

/* Sends HDR with LEN stack bytes from HDR->sp in a record with room for
 * ROOM (a constant >= LEN) and, with TOP, HDR->top_len bytes from
 * HDR->top_addr after them. A copy that faults is retried shorter.
 * Returns 0, or -1 if the ring is full. */
static __always_inline int send_copy(const struct seep_tel_growth *hdr, __u64 len,
				     const __u64 room, const int top)
{
	const __u64 size = sizeof(struct seep_tel_growth) + room + (top ? SEEP_TEL_TOP_COPY : 0);
	struct seep_tel_growth *ev = bpf_ringbuf_reserve(&growth, size, 0);
	struct stackcopy_plan plan = { .top_addr = hdr->top_addr, .top_len = hdr->top_len };

	if (!ev)
		return -1;
	*ev = *hdr;
	ev->stack_len = stackcopy_read(ev + 1, len, room, hdr->sp, 6);
	ev->top_off = (__u32)room;
	ev->top_len = top ? stackcopy_read_top((char *)(ev + 1) + room, &plan,
					       SEEP_TEL_TOP_COPY) : 0;
	/* samples are rare: wake the reader for each */
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Sends a sampled event of KIND: SIZE bytes at ADDR, user registers REGS. */
static __always_inline void send(struct task_struct *task, struct pt_regs *regs, __u32 kind,
				 __u64 addr, __u64 size)
{
	const __u64 cap = cfg_stack_bytes <= SEEP_TEL_STACK_COPY ? cfg_stack_bytes
								 : SEEP_TEL_STACK_COPY;
	__u64 id = bpf_get_current_pid_tgid();
	struct stackcopy_plan plan;
	struct seep_tel_growth hdr = {
		.pid = id >> 32,
		.tid = (__u32)id,
		.start_boottime = task->group_leader->start_boottime,
		.ts_ns = bpf_ktime_get_boot_ns(),
		.exec_id = task->self_exec_id,
		.addr = addr,
		.size = size,
		.ip = regs->ip,
		.sp = regs->sp,
		.bp = regs->bp,
		.kind = kind,
	};
	int err;

	bpf_get_current_comm(hdr.comm, sizeof(hdr.comm));
	stackcopy_plan(hdr.sp, stack_top(task, hdr.sp), cap, SEEP_TEL_TOP_COPY, &plan);
	if (plan.deep) {
		hdr.top_addr = plan.top_addr;
		hdr.top_len = plan.top_len;
		err = send_copy(&hdr, plan.len, SEEP_TEL_STACK_COPY, 1);
	} else if (plan.len <= 4096) {
		err = send_copy(&hdr, plan.len, 4096, 0);
	} else {
		err = send_copy(&hdr, plan.len, SEEP_TEL_STACK_COPY, 0);
	}
	stat_add(err ? SEEP_TEL_STAT_GROWTH_RING_FULL : SEEP_TEL_STAT_GROWTH_SAMPLES, 1);
}

/* brk: the move from the break the process was last seen with. */
static __always_inline void on_brk(struct task_struct *task, struct pt_regs *regs, __u32 tgid,
				   __u64 now)
{
	__u64 *prev = bpf_map_lookup_elem(&brks, &tgid), before;

	if (!prev) {
		if (bpf_map_update_elem(&brks, &tgid, &now, BPF_ANY))
			stat_add(SEEP_TEL_STAT_BRK_MAP_FULL, 1);
		else if (regs->di)	/* brk(0) asks; anything else moved it */
			stat_add(SEEP_TEL_STAT_BRK_NO_BASE, 1);
		return;
	}
	before = *prev;
	if (before == now)
		return;
	*prev = now;
	if (now > before) {
		if (sampled(0, now - before))
			send(task, regs, SEEP_TEL_GROW_BRK, before, now - before);
	} else if (sampled(0, before - now)) {
		send(task, regs, SEEP_TEL_SHRINK_BRK, now, before - now);
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_growth, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	struct task_struct *task;
	__u64 size;
	__u32 tgid;

	if (nr != NR_BRK && nr != NR_MMAP && nr != NR_MUNMAP)
		return 0;
	task = bpf_get_current_task_btf();
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!followed(task, tgid))
		return 0;
	if (nr == NR_BRK) {
		on_brk(task, regs, tgid, (__u64)ret);
		return 0;
	}
	if (ret < 0 && ret > -4096)
		return 0;	/* failed */
	size = (regs->si + 4095) & ~4095ULL;
	if (nr == NR_MMAP) {
		if (!(regs->r10 & MAP_ANONYMOUS) || (regs->r10 & MAP_SHARED))
			return 0;	/* file or shared memory: not the process's own */
		if (sampled(0, size))
			send(task, regs, SEEP_TEL_GROW_MMAP, (__u64)ret, size);
		return 0;
	}
	if (sampled(0, size))
		send(task, regs, SEEP_TEL_SHRINK_MUNMAP, regs->di, size);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user_growth, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct stackcopy_vma r = {};
	long err;

	if (!followed(task, tgid))
		return 0;
	if (!sampled(1, 4096))
		return 0;
	/* Sampled among all faults, kept when it is a first touch of the
	 * process's anonymous memory: an unbiased estimate of those. */
	if (!(error_code & PF_WRITE)) {
		stat_add(SEEP_TEL_STAT_GROWTH_NOT_ANON, 1);
		return 0;
	}
	/* -EBUSY: the previous lookup's deferred unlock still holds this
	 * CPU's slot (faults run with interrupts off); a write fault is
	 * then kept unchecked rather than dropped (dropping would bias the
	 * estimate down by how often samples come close together). */
	err = bpf_find_vma(task, address, stackcopy_vma_cb, &r, 0);
	if (err == -16)
		stat_add(SEEP_TEL_STAT_GROWTH_VMA_BUSY, 1);
	else if (err || !r.anon) {
		stat_add(SEEP_TEL_STAT_GROWTH_NOT_ANON, 1);
		return 0;
	}
	send(task, regs, SEEP_TEL_GROW_FAULT, address & ~4095ULL, 4096);
	return 0;
}
