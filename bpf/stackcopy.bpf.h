/* stackcopy.bpf.h — copying a user stack for unwinding in user space,
 * shared by heap.bpf.c (an allocation's stack) and growth.bpf.c (a growth
 * event's stack).
 *
 * A copy is the stack from sp up to its top, at most a cap, in a ring
 * record whose room is a constant (the caller picks it from a few sizes,
 * so that a shallow stack does not take a deep one's room); a stack
 * deeper than the cap also sends its top part (its outermost frames), so
 * that a frame with a large local array does not cut the stack. The top
 * of a stack is the end of its mapping or, for the main thread, a little
 * above the process's initial stack pointer (argc and the first argv
 * pointers; above lie the argument and environment strings and the
 * auxiliary vector, which no unwind reads).
 * The record layouts are the callers' (struct seep_stack_event,
 * struct seep_tel_growth): these helpers fill the stack bytes and return
 * lengths; the callers keep their own maps, stats and wake-up policy.
 * Include after vmlinux.h and bpf_helpers.h.
 */
#ifndef SEEP_STACKCOPY_BPF_H
#define SEEP_STACKCOPY_BPF_H

/* Bytes above the initial stack pointer counted as the main thread's
 * stack (argc, the first argv pointers). */
#define STACKCOPY_ABOVE_START 64
#define STACKCOPY_VM_SHARED 0x8

/* A stack's mapping, as bpf_find_vma's callback finds it. */
struct stackcopy_vma {
	__u64 lo, hi;
	__u32 anon;              /* private anonymous memory (growth's faults ask) */
	__u32 pad;
};

static long stackcopy_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct stackcopy_vma *r = data;

	r->lo = vma->vm_start;
	r->hi = vma->vm_end;
	r->anon = !vma->vm_file && !(vma->vm_flags & STACKCOPY_VM_SHARED);
	return 0;
}

/* The top of the stack at SP in mapping R (R->hi 0: unknown), the
 * process's initial stack pointer being START: 0 if unknown. */
static __always_inline __u64 stackcopy_top(__u64 start, __u64 sp, const struct stackcopy_vma *r)
{
	if (start > sp && start + STACKCOPY_ABOVE_START <= r->hi)
		return start + STACKCOPY_ABOVE_START;
	return r->hi;
}

/* What to copy of the stack at SP whose top is END (0: unknown): LEN
 * bytes from sp (at most CAP), and for a stack deeper than CAP its top
 * TOP_LEN bytes (at most TOP_MAX) from TOP_ADDR, never overlapping the
 * first part. */
struct stackcopy_plan {
	__u64 len;
	__u64 top_addr;
	__u32 top_len;
	int deep;                /* the stack goes on past CAP: TOP_* are set */
};

static __always_inline void stackcopy_plan(__u64 sp, __u64 end, __u64 cap, __u64 top_max,
					   struct stackcopy_plan *p)
{
	p->len = cap;
	p->top_addr = 0;
	p->top_len = 0;
	p->deep = 0;
	if (end <= sp)
		return;
	if (end - sp < cap)
		p->len = end - sp;
	if (end - sp > cap) {
		p->deep = 1;
		p->top_addr = end - top_max;
		if (p->top_addr < sp + cap)
			p->top_addr = sp + cap;
		p->top_len = (__u32)(end - p->top_addr);
	}
}

/* Copies LEN bytes (cut to ROOM, a constant) of the stack at SP into DST;
 * a read that faults (the stack's top was not known) is retried with half
 * as much, at most TRIES times, down to 256 bytes. Returns the bytes
 * copied, 0 if none. */
static __always_inline __u32 stackcopy_read(void *dst, __u64 len, const __u64 room, __u64 sp,
					    const int tries)
{
	for (int i = 0; i < tries; i++) {
		if (len > room)
			len = room;
		if (!bpf_probe_read_user(dst, len, (void *)sp))
			return (__u32)len;
		len >>= 1;
		if (len < 256)
			return 0;
	}
	return 0;
}

/* Copies the top part (P->top_len bytes, cut to TOP_MAX, a constant, from
 * P->top_addr) into DST: the bytes copied, 0 if the read faulted. */
static __always_inline __u32 stackcopy_read_top(void *dst, const struct stackcopy_plan *p,
						const __u64 top_max)
{
	__u64 tlen = p->top_len;

	if (tlen > top_max)
		tlen = top_max;
	asm volatile("" : "+r"(tlen));  /* the bounded copy is the one passed on */
	if (!tlen || bpf_probe_read_user(dst, tlen, (void *)p->top_addr))
		return 0;
	return (__u32)tlen;
}

#endif
