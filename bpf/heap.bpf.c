// SPDX-License-Identifier: GPL-2.0
/* heap.bpf.c — live heap of traced processes by allocation stack.
 *
 * Uprobes on the allocator's entry points and uretprobes on their returns.
 * An allocation is recorded at return (only successful ones), keyed by
 * (tgid, address) in `live`, and added to its site's totals in
 * `stack_totals`; a free removes it and subtracts. Per-thread state (the
 * calls in flight) lives in task storage: an entry pushes a frame, a return
 * pops it, and only the outermost hooked call is recorded, so malloc calling
 * mmap inside glibc is counted once. Frames carry the stack pointer at entry
 * so a return probe the kernel never delivered is detected and counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "seep_heap.h"
#include "stackcopy.bpf.h"

#define MAP_ANONYMOUS 0x20
#define MAP_STACK 0x20000
/* Places of unsampled calls remembered per thread (see skip_set). */
#define SKIP_PLACES 8
#define STACK_RING_BYTES (16 << 20)
#define MAP_FAILED ((__u64)-1)

char LICENSE[] SEC("license") = "GPL";

struct frame {
	__u64 sp;       /* stack pointer at entry */
	__u64 entry_ip; /* the probed address */
	__u64 size;     /* requested size */
	__u64 arg;      /* old pointer (realloc, mremap) or out-pointer (posix_memalign) */
	struct seep_live old;   /* realloc: the block removed at entry, restored on failure */
	struct seep_stack_key site;
	__u32 kind;
	__u32 has_old;
	__u64 top;      /* at return, DWARF stacks: the stack's top (stack_top) */
};

struct pending {
	__u32 depth;
	__u32 sample_init;
	__s64 sample_left;       /* bytes until the next sample */
	/* the last unsampled call: entry sp, return address, entry, and the
	 * range of its module's image in memory; skip_unread: its return
	 * address was not read (skip_ret is that of an earlier call at the
	 * same sp to the same function, from the same caller's frame but
	 * perhaps another call site); skip_lib: its module is a library */
	__u64 skip_sp, skip_ret, skip_ip, skip_lo, skip_hi;
	__u8 skip_unread, skip_lib;
	/* the places of this thread's recent unsampled calls into libraries
	 * (entry sp and function) with the return address read there last:
	 * round robin from place_next */
	__u32 place_next;
	__u32 unsampled_held;    /* calls_unsampled not yet added to `stats` */
	struct skip_place {
		__u64 sp, ip, ret;
	} place[SKIP_PLACES];
	__u64 xol;               /* the uretprobe trampoline page, once known */
	__u64 stack_lo, stack_hi;  /* this thread's stack mapping; its top (stack_top) */
	__u64 stack_end;
	struct frame f[SEEP_MAX_NEST];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} inflight SEC(".maps");

/* Traced processes (tgid -> start time, unwind mode), read by shared
 * probes only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SEEP_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct seep_target);
} targets SEC(".maps");

/* Processes whose exec() is watched (every traced one): tgid -> execs
 * seen. Written by user space (added, removed) and by process_exec. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SEEP_MAX_WATCHED);
	__type(key, __u32);
	__type(value, __u64);
} watched SEC(".maps");


/* Sites' allocations since attach, per CPU (struct seep_stack_totals_cpu:
 * added to with plain adds by the CPU's owner, atomically by the others);
 * a site's per-CPU values are allocated when it is first seen. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1 << 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct seep_stack_key);
	__type(value, struct seep_stack_totals_cpu);
} stack_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1 << 15);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SEEP_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Stack copies for SEEP_UNWIND_DWARF processes (struct seep_stack_event). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, STACK_RING_BYTES);
} stack_events SEC(".maps");

/* Learned stack-walk rules by (tgid, pc), and the stacks already unwound
 * in user space by (tgid, frames, hash) -> their user-space id (see
 * seep_heap.h). Written by user space only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct seep_pc_key);
	__type(value, struct seep_pc_rule);
} pc_rules SEC(".maps");

/* The rules again, direct-mapped by seep_pc_slot_of() (seep_heap.h): the
 * walk looks here first. Written by user space; cleared by process_exec. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SEEP_PC_CACHE);
	__type(key, __u32);
	__type(value, struct seep_pc_slot);
} pc_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct seep_stack_hkey);
	__type(value, __u32);
} stack_ids SEC(".maps");

/* The learned walk's scratch, per CPU: the stack bytes a walk reads in
 * one go, the frames of the walk under way, and the memo of the last
 * walk that reached the stack's end. A walk joins the memo where it
 * reaches a frame of it in the same state (pc, sp, and rbp where the
 * outer frames' rules read it): from there the last walk's outer frames
 * are taken after checking, word by word, that every stack word they were
 * derived from still holds the value it held (see walk_known). Frames and
 * words are checked, never trusted, so a memo of another thread or
 * process on this CPU is merely not joined. Only the CPU's owner
 * (cpu_own) walks: a walk that preempted another one on this CPU does
 * not touch the scratch it is using. */
#define WALK_WINDOW 4096
/* The first read of a walk without a memo to size it by. */
#define WALK_WINDOW_COLD 4096
#define WALK_FRAMES 128          /* > SEEP_MAX_STACK_DEPTH, a power of two */
/* Memo frames a walk step may pass over while looking for its own. */
#define WALK_JOIN_SKIP 8

/* One frame of a walk: its state, and the stack words its rule read to
 * reach the caller's (addresses 0: none, at the stack's end). */
struct walk_frame {
	__u64 pc, sp, bp;
	__u64 ra_addr, ra_val;
	__u64 bp_addr, bp_val;
	__u8 uses_bp;            /* the rule's CFA is rbp-based */
	__u8 needs_bp;           /* memo: the walk from here reads this frame's rbp */
	__u8 pad[6];
};

struct walk_memo {
	__u32 tgid, n;           /* n frames, f[0] the outermost; n 0: no memo */
	__u64 gen;               /* walk_gen when it was made */
	__u64 top;               /* one past the highest stack word its frames read */
	__s64 id;                /* its stack's id in `stack_ids`, -1: not known */
	__u64 entry_ip;          /* the allocator entered (the hash's seed) */
	__u32 fails;             /* walks in a row that found its outer frames changed */
	struct walk_frame f[WALK_FRAMES];
};

/* The fast join, per CPU: where a call returns (pc, sp, and rbp where the
 * walk reads it) into a stack seen whole before, the entry of that place
 * holds the stack's id and every stack word its frames were derived from
 * (return addresses, and saved rbp where a walk from there reads it), as
 * offsets from sp with the values they held. A return that stands there
 * and finds every word unchanged has that stack: one read and a compare
 * loop, no walk. Direct-mapped by pc and sp; an entry is first written
 * with its place only (`checks` JOIN_SEEN), and with its words when a
 * walk stands there again: a place seen once (most of a varied load's)
 * does not pay for writing them. */
#define JOIN_SLOTS 256
#define JOIN_CHECKS 64
#define JOIN_SEEN (JOIN_CHECKS + 1)   /* place known, words not written */
#define JOIN_NONE (JOIN_CHECKS + 2)   /* no fast join here: a word out of reach */

struct fast_join {
	__u32 tgid, nchk;
	__u64 gen, pc, sp, bp, entry_ip, top;
	__s64 id;
	__u32 needs_bp, pad;
	__u16 chk_off[JOIN_CHECKS];
	__u64 chk_val[JOIN_CHECKS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JOIN_SLOTS);
	__type(key, __u32);
	__type(value, struct fast_join);
} join_cache SEC(".maps");

static __always_inline __u32 join_slot_of(__u64 pc, __u64 sp)
{
	return (__u32)(((pc ^ (sp << 16)) * 0x9e3779b97f4a7c15ULL) >> 56) & (JOIN_SLOTS - 1);
}

/* One walk's state: in the scratch, not on the stack (the exit program,
 * walk_known and a bpf_loop callback share the 512-byte stack). */
struct walk {
	__u64 pc, sp, bp, hash;
	__u64 sp0, window;       /* the scratch holds WINDOW bytes from sp0 */
	__u32 tgid, n;           /* frames walked (hashed) so far */
	__u32 base;              /* frames walked before this bpf_loop */
	int done;                /* 1: the stack ended; -1: cannot walk it */
	int cursor;              /* the memo frame to compare next; -1: none */
	int joined;              /* the memo frame the walk reached; -1: none */
	int memo_n;
	int changed;             /* a word the memo's outer frames read differs */
};

struct walk_scratch {
	__u64 buf[WALK_WINDOW / 8];          /* the stack from the walk's sp0 */
	struct walk_frame cur[WALK_FRAMES];  /* the walk under way, innermost first */
	struct walk_memo memo;
	struct walk w;                        /* the walk under way */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} walk_scratch SEC(".maps");

/* Bumped whenever rules or known stacks may have been withdrawn (exec,
 * user space forgetting a process's walk): memos made before are not
 * joined. */
__u64 walk_gen;

/* The size of `stack_events` (user space may shrink it: tests of
 * back-pressure). */
const volatile __u32 cfg_ring_bytes = STACK_RING_BYTES;
/* User stack bytes copied per event (at most SEEP_MAX_STACK_COPY). */
const volatile __u32 cfg_stack_bytes = 16384;
/* Mean bytes between samples; 0 or 1: record every allocation. */
const volatile __u64 cfg_sample_bytes = 0;
/* -ln((i + 0.5) / SEEP_EXP_TABLE) * SEEP_EXP_SCALE: exponential quantiles,
 * filled in by user space. */
const volatile __u32 cfg_exp[SEEP_EXP_TABLE] = {};
/* The pid namespace seep runs in (device and inode of its
 * /proc/self/ns/pid; 0: the initial one): processes are keyed by their
 * pids there, the pids user space sees in its /proc. */
const volatile __u64 cfg_pidns_dev = 0;
const volatile __u64 cfg_pidns_ino = 0;

extern bool bpf_session_is_return(void) __ksym __weak;

/* Sequence numbers of copied stacks. */
__u64 stack_seq;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		__sync_fetch_and_add(v, n);
}

/* The CPU's owner: what one program at a time on each CPU holds while it
 * records an allocation, claimed by a compare-and-swap of `held`. A
 * program preempted while holding it keeps it; another that runs on the
 * CPU meanwhile finds it held and takes the shared path (atomic adds,
 * no walk). The owner writes its counters with plain adds: no other
 * program writes them (an atomic add costs some 25 ns here; a record
 * made six of them). User space adds these counters to `stats`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seep_cpu_own);
} cpu_own SEC(".maps");

static __always_inline struct seep_cpu_own *own_claim(void)
{
	__u32 zero = 0;
	struct seep_cpu_own *o = bpf_map_lookup_elem(&cpu_own, &zero);

	if (!o || __sync_val_compare_and_swap(&o->held, 0, 1) != 0)
		return NULL;
	return o;
}

static __always_inline void own_release(struct seep_cpu_own *o)
{
	/* only this CPU's programs read it: program order is enough */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&o->held = 0;
}

/* Adds N to counter WHICH: the owner's own (O), or `stats` without one. */
static __always_inline void stat_by(struct seep_cpu_own *o, __u32 which, __u64 n)
{
	if (o && which < SEEP_STAT__MAX)
		o->stats[which] += n;
	else
		stat_add(which, n);
}

#include "livetab.bpf.h"

/* The clock of block timestamps, per CPU: CLOCK_MONOTONIC as read at the
 * first allocation of the current tick (jiffy) on this CPU, so a stamp is
 * never ahead of the allocation and at most one tick (1-10 ms) behind it.
 * Reading the jiffies is a load; reading the clock source (a VM's
 * pvclock) costs tens of ns. A probe preempted mid-update at worst stamps
 * with a reading of the same tick. */
struct block_clock {
	__u64 jiffies, ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct block_clock);
} block_clock SEC(".maps");

static __always_inline __u64 block_time_ns(void)
{
	__u32 zero = 0;
	struct block_clock *c = bpf_map_lookup_elem(&block_clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_ns();
	if (c->jiffies != j) {
		c->ns = bpf_ktime_get_ns();
		c->jiffies = j;
	}
	return c->ns;
}

/* Probes are attached per traced process (the kernel fires them in no
 * other), so the current process is a traced one, or shared by every
 * process mapping the file (SEEP_COOKIE_SHARED), which then asks the
 * targets map; the attach cookie holds the hooked function's kind and the
 * process's unwind mode. */
static __always_inline __u64 current_pid_tgid(void)
{
	struct bpf_pidns_info ns;

	if (!cfg_pidns_ino)
		return bpf_get_current_pid_tgid();
	/* outside seep's namespace: tgid 0, a process seep cannot trace */
	if (bpf_get_ns_current_pid_tgid(cfg_pidns_dev, cfg_pidns_ino, &ns, sizeof(ns)))
		return 0;
	return (__u64)ns.tgid << 32 | ns.pid;
}

static __always_inline __u32 current_tgid(void)
{
	return current_pid_tgid() >> 32;
}

static __always_inline __u32 cookie_kind(__u64 cookie)
{
	return (__u32)cookie & SEEP_COOKIE_KIND_MASK;
}

/* The current process's unwind mode, 0 if it is not traced (for shared
 * probes: not in the targets map, or a later process with its pid). */
static __always_inline __u8 traced_mode(__u64 cookie, __u32 tgid)
{
	struct seep_target *t;
	struct task_struct *task;

	if (!(cookie & SEEP_COOKIE_SHARED))
		return (__u8)((cookie >> SEEP_COOKIE_MODE_SHIFT) & SEEP_COOKIE_MODE_MASK);
	t = bpf_map_lookup_elem(&targets, &tgid);
	if (!t)
		return 0;
	task = bpf_get_current_task_btf();
	if (task->group_leader->start_boottime / SEEP_NS_PER_TICK != t->start_ticks)
		return 0;
	return t->mode;
}

/* The range of the probed module's image in memory, from the probe's
 * address IP; everything when the cookie does not say. */
static __always_inline void cookie_image(__u64 cookie, __u64 ip, __u64 *lo, __u64 *hi)
{
	__u64 page = (cookie >> SEEP_COOKIE_PAGE_SHIFT) & SEEP_COOKIE_PAGES_MAX;
	__u64 span = cookie >> SEEP_COOKIE_SPAN_SHIFT;

	if (!span) {
		*lo = 0;
		*hi = (__u64)-1;
		return;
	}
	*lo = (ip & ~4095ULL) - (page << 12);
	*hi = *lo + (span << 12);
}

static __always_inline int is_mapping(__u32 kind)
{
	return kind == SEEP_KIND_MMAP || kind == SEEP_KIND_MREMAP;
}

static __always_inline struct pending *pending_get(int create)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_task_storage_get(&inflight, task, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* Adds a recorded allocation of SIZE bytes to its site's totals since
 * attach. Only allocations are totalled: the live blocks by site are
 * counted from `live` itself when user space reads it, so a free touches
 * no site. */
static __always_inline void totals_add(struct seep_cpu_own *o, const struct seep_stack_key *site,
				       __u64 size)
{
	struct seep_stack_totals_cpu *t;

	if (site->stack_id == SEEP_STACK_DWARF)  /* totalled in user space */
		return;
	t = bpf_map_lookup_elem(&stack_totals, site);
	if (!t) {
		struct seep_stack_totals_cpu zero = {};

		if (bpf_map_update_elem(&stack_totals, site, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&stack_totals, site)) {
			stat_by(o, SEEP_STAT_DROP_AGG_FULL, 1);
			return;
		}
		t = bpf_map_lookup_elem(&stack_totals, site);
		if (!t)
			return;
	}
	if (o) {
		t->alloc_bytes += size;
		t->alloc_count++;
	} else {
		__sync_fetch_and_add(&t->shared_bytes, size);
		__sync_fetch_and_add(&t->shared_count, 1);
	}
}

/* Sends the stack copy of LEN bytes at HDR->sp in a ring buffer record with
 * room for ROOM (a constant, >= LEN), and, with TOP set, HDR->top_len bytes
 * from HDR->top_addr after it. If the copy faults (the mapping's end was
 * not known), shorter ones are tried. Returns 0, or -1 if the ring buffer
 * is full. */
static __always_inline int send_copy(const struct seep_stack_event *hdr, __u64 len,
				      const __u64 room, const int top)
{
	const __u64 size = sizeof(struct seep_stack_event) + room + (top ? SEEP_STACK_TOP_COPY : 0);
	struct seep_stack_event *ev = bpf_ringbuf_reserve(&stack_events, size, 0);
	struct stackcopy_plan plan = { .top_addr = hdr->top_addr, .top_len = hdr->top_len };
	__u64 avail;

	if (!ev)
		return -1;
	*ev = *hdr;
	ev->stack_len = stackcopy_read(ev + 1, len, room, hdr->sp, 8);
	ev->top_off = (__u32)room;
	ev->top_len = top ? stackcopy_read_top((char *)(ev + 1) + room, &plan,
					       SEEP_STACK_TOP_COPY) : 0;
	/* Waking the reader for every event would cost the traced thread a
	 * cross-CPU wakeup per allocation: wake it when this record takes the
	 * ring past a quarter full -- only then, not for every record while
	 * it stays past (a reader that is behind does not sleep: its poll
	 * returns while data waits) -- or when it is the only record (the
	 * reader is idle: a stack it has not seen, whose walk rules it should
	 * learn soon, so that the next allocations from it need no copy). It
	 * also drains the ring every second and before reports. */
	avail = bpf_ringbuf_query(&stack_events, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(ev, avail <= size + 8 ||
				       (avail >= cfg_ring_bytes / 4 &&
					avail - (size + 8) < cfg_ring_bytes / 4)
			       ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

/* The top of the stack at SP (stackcopy.bpf.h), 0 if unknown. */
static __always_inline __u64 stack_top(__u64 sp, struct pending *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct stackcopy_vma r = {};
	__u64 end;

	/* a thread's stack stays in one mapping: looked up once per thread */
	if (p && sp >= p->stack_lo && sp < p->stack_hi)
		return p->stack_end;
	bpf_find_vma(task, sp, stackcopy_vma_cb, &r, 0);
	end = stackcopy_top(BPF_CORE_READ(task, mm, start_stack), sp, &r);
	if (p && r.hi > sp) {
		p->stack_lo = r.lo;
		p->stack_hi = r.hi;
		p->stack_end = end;
	}
	return end;
}

/* Copies the stack at the allocator's return into the ring buffer for
 * unwinding in user space: up to the stack's top, at most cfg_stack_bytes
 * from sp, in a record sized by powers of two from 2 KiB so that a
 * shallow stack does not take a deep one's room (the ring holds more of
 * them and the reader is woken less often). A deeper stack also sends its
 * top SEEP_STACK_TOP_COPY bytes: a frame with a large local array (the
 * middle of the stack) then does not cut the outer frames off. When the
 * ring has no room for the whole copy, its first 2 KiB are sent (counted).
 * Returns 0, or -1 if not even those fit. */
static __always_inline int send_stack(struct pt_regs *ctx, __u64 seq, __u64 addr, __u64 size,
				       const struct frame *f)
{
	const __u64 cap = cfg_stack_bytes <= SEEP_MAX_STACK_COPY ? cfg_stack_bytes
								 : SEEP_MAX_STACK_COPY;
	struct seep_stack_event hdr = {
		.tgid = f->site.tgid,
		.tid = (__u32)current_pid_tgid(),
		.seq = seq,
		.addr = addr,
		.size = size,
		.entry_ip = f->entry_ip,
		.ip = PT_REGS_IP(ctx),
		.sp = PT_REGS_SP(ctx),
		.bp = PT_REGS_FP(ctx),
		.kind = f->kind,
	};
	struct stackcopy_plan plan;
	__u64 len;
	int err;

	stackcopy_plan(hdr.sp, f->top, cap, SEEP_STACK_TOP_COPY, &plan);
	len = plan.len;
	if (plan.deep) {
		hdr.top_addr = plan.top_addr;
		hdr.top_len = plan.top_len;
		if (cap <= 2048)
			err = send_copy(&hdr, len, 2048, 1);
		else if (cap <= 4096)
			err = send_copy(&hdr, len, 4096, 1);
		else if (cap <= 8192)
			err = send_copy(&hdr, len, 8192, 1);
		else if (cap <= 16384)
			err = send_copy(&hdr, len, 16384, 1);
		else
			err = send_copy(&hdr, len, SEEP_MAX_STACK_COPY, 1);
	} else if (len <= 2048) {
		err = send_copy(&hdr, len, 2048, 0);
	} else if (len <= 4096) {
		err = send_copy(&hdr, len, 4096, 0);
	} else if (len <= 8192) {
		err = send_copy(&hdr, len, 8192, 0);
	} else if (len <= 16384) {
		err = send_copy(&hdr, len, 16384, 0);
	} else {
		err = send_copy(&hdr, len, SEEP_MAX_STACK_COPY, 0);
	}
	if (err && len > 2048) {
		/* back-pressure: no room for the whole copy; its first 2 KiB
		 * (the innermost frames) rather than nothing */
		hdr.top_len = 0;
		err = send_copy(&hdr, 2048, 2048, 0);
		if (!err)
			stat_add(SEEP_STAT_DEGRADED_SHORT, 1);
	}
	if (!err)
		stat_add(SEEP_STAT_STACK_EVENTS, 1);
	return err;
}

/* The state of a stack walk (bpf_loop). */
/* I & (WALK_FRAMES - 1), kept by the compiler even where it knows I is
 * smaller: the verifier may have lost that bound in another register. */
static __always_inline __u64 frame_at(__u64 i)
{
	asm volatile("%[i] &= %[m]" : [i] "+r"(i) : [m] "i"(WALK_FRAMES - 1));
	return i;
}

/* The word at ADDR of the walked stack: from the window read at the start
 * (as a word: the stack words a rule reads are 8-aligned from sp, and a
 * byte-wise copy costs the walk some 20 instructions a word), else from
 * the process. Returns 0 or -1. */
static __always_inline int walk_word(const struct walk *w, const struct walk_scratch *s,
				     __u64 addr, __u64 *out)
{
	__u64 off = addr - w->sp0;

	if (addr >= w->sp0 && !(off & 7) && off <= WALK_WINDOW - 8 && off + 8 <= w->window) {
		*out = s->buf[off / 8];
		return 0;
	}
	return bpf_probe_read_user(out, sizeof(*out), (void *)addr) ? -1 : 0;
}

/* True if the walk, in its state now, stands at a frame of the memo (the
 * cursor, moved out past the memo's deeper frames): same pc and sp, and
 * the same rbp where the outer frames' rules read it. */
static __always_inline int walk_at_memo(struct walk *w, const struct walk_scratch *s, __u32 idx)
{
	const struct walk_frame *m;

	for (int j = 0; j < WALK_JOIN_SKIP; j++) {
		if (w->cursor < 0)
			return 0;
		m = &s->memo.f[frame_at(w->cursor)];
		if (m->sp >= w->sp)
			break;
		w->cursor--;
	}
	if (w->cursor < 0)
		return 0;
	m = &s->memo.f[frame_at(w->cursor)];
	if (m->sp != w->sp || m->pc != w->pc || (m->needs_bp && m->bp != w->bp))
		return 0;
	/* the innermost frame's rule is the one at its pc, the others' at pc - 1 */
	if ((idx == 0) != (w->cursor == w->memo_n - 1))
		return 0;
	return idx + w->cursor + 1 <= SEEP_MAX_STACK_DEPTH;
}

/* One frame: the rule at its pc gives the CFA, the caller's pc at CFA - 8,
 * the caller's sp (the CFA) and rbp; the frame goes to the scratch's
 * `cur` for the next memo. Stops where the walk reaches the memo. */
static long walk_step(__u64 i, void *ctx)
{
	__u32 zero = 0, idx, slot;
	struct walk_scratch *s = bpf_map_lookup_elem(&walk_scratch, &zero);
	struct walk *w = s ? &s->w : NULL;
	struct seep_pc_key k;
	struct walk_frame *cf;
	struct seep_pc_slot *c;
	struct seep_pc_rule *r;
	__u64 cfa, ra;

	(void)ctx;
	if (!w)
		return 1;
	/* the frame's index from the loop's (not from w->n, which the
	 * verifier would follow frame by frame through all 127) */
	idx = w->base + (__u32)i;
	if (idx >= SEEP_MAX_STACK_DEPTH) {
		w->done = -1;
		return 1;
	}
	k = (struct seep_pc_key){ .tgid = w->tgid, .pc = idx ? w->pc - 1 : w->pc };
	if (walk_at_memo(w, s, idx)) {
		w->joined = w->cursor;
		return 1;
	}
	w->hash = seep_stack_hash(w->hash, w->pc);
	w->n = idx + 1;
	slot = seep_pc_slot_of(k.tgid, k.pc);
	c = bpf_map_lookup_elem(&pc_cache, &slot);
	if (c && c->pc == k.pc && c->tgid == k.tgid)
		r = &c->rule;
	else
		r = bpf_map_lookup_elem(&pc_rules, &k);
	if (!r) {
		w->done = -1;
		return 1;
	}
	cf = &s->cur[frame_at(idx)];
	cf->pc = w->pc;
	cf->sp = w->sp;
	cf->bp = w->bp;
	cf->ra_addr = 0;
	cf->ra_val = 0;
	cf->bp_addr = 0;
	cf->bp_val = 0;
	cf->uses_bp = 0;
	if (r->outermost) {
		w->done = 1;
		return 1;
	}
	cf->uses_bp = r->cfa_reg == SEEP_CFA_RBP;
	cfa = (cf->uses_bp ? w->bp : w->sp) + (__s64)r->cfa_off;
	if (walk_word(w, s, cfa - 8, &ra)) {
		w->done = -1;
		return 1;
	}
	cf->ra_addr = cfa - 8;
	cf->ra_val = ra;
	if (r->rbp_saved) {
		cf->bp_addr = cfa + (__s64)r->rbp_off;
		if (walk_word(w, s, cf->bp_addr, &w->bp)) {
			w->done = -1;
			return 1;
		}
		cf->bp_val = w->bp;
	}
	w->sp = cfa;
	w->pc = ra;
	if (!ra)             /* no caller: the unwind ends there too */
		w->done = 1;
	return w->done ? 1 : 0;
}

/* One of the memo's frames from the joined one out: the walk stands at
 * it; the words its rule read must hold what they held (else `changed`,
 * and the walk goes on from this frame with the rules), then its pc goes
 * into the hash and the walk to its caller (rbp as it really is: a frame
 * that does not save it passes on the walk's own). The saved rbp must
 * hold its value only where the caller's rbp is read by the walk from
 * there (the caller's needs_bp: an rbp-based CFA out there): elsewhere
 * rbp is a general register (a loop's counter, a client's fd in an event
 * loop), its saved value changes from call to call and no frame depends
 * on it. The walk goes on with the value it reads, so that a walk
 * resuming with the rules further out has rbp as it is. */
static long walk_verify(__u64 i, void *ctx)
{
	__u32 zero = 0;
	struct walk_scratch *s = bpf_map_lookup_elem(&walk_scratch, &zero);
	struct walk *w = s ? &s->w : NULL;
	const struct walk_frame *m;
	int at;
	__u64 v;

	(void)ctx;
	if (!w)
		return 1;
	at = w->joined - (int)i;
	if (at < 0) {
		w->done = -1;
		return 1;
	}
	m = &s->memo.f[frame_at(at)];
	w->pc = m->pc;
	w->sp = m->sp;
	if (m->ra_addr && (walk_word(w, s, m->ra_addr, &v) || v != m->ra_val)) {
		w->changed = 1;
		return 1;
	}
	if (m->bp_addr) {
		if (walk_word(w, s, m->bp_addr, &v) ||
		    (v != m->bp_val && at > 0 && s->memo.f[frame_at(at - 1)].needs_bp)) {
			w->changed = 1;
			return 1;
		}
		w->bp = v;
	}
	w->hash = seep_stack_hash(w->hash, m->pc);
	w->n++;
	return 0;
}

/* Writing the memo: COUNT frames of `cur` (innermost first) become the
 * memo's frames BASE.. (outermost first), under the BASE frames kept. */
struct memo_put {
	__u32 base, count;
	__u64 top;
	__u8 needs;              /* the frame just outside reads its rbp */
};

static long memo_put_step(__u64 i, void *ctx)
{
	struct memo_put *mp = ctx;
	__u32 zero = 0;
	struct walk_scratch *s = bpf_map_lookup_elem(&walk_scratch, &zero);
	const struct walk_frame *c;
	struct walk_frame *d;

	if (!s || i >= mp->count)
		return 1;
	c = &s->cur[frame_at(mp->count - 1 - i)];
	d = &s->memo.f[frame_at(mp->base + i)];
	*d = *c;
	/* a frame's rbp is read by its own rule, or passed on to its caller
	 * when it does not save it */
	mp->needs = c->uses_bp || (!c->bp_addr && mp->needs);
	d->needs_bp = mp->needs;
	if (c->ra_addr + 8 > mp->top)
		mp->top = c->ra_addr + 8;
	if (c->bp_addr + 8 > mp->top)
		mp->top = c->bp_addr + 8;
	return 0;
}

/* Writing a join entry's checks from the memo's frames, the outermost
 * first: BASE is the innermost frame's sp. */
struct join_put {
	__u64 base;
	__u32 n, slot;
};

static __always_inline int join_chk_add(struct fast_join *j, __u64 base, __u64 addr, __u64 val)
{
	__u64 off = addr - base;
	__u32 k = j->nchk;

	if (addr < base || (off & 7) || off > WALK_WINDOW - 8 || k >= JOIN_CHECKS) {
		j->nchk = JOIN_NONE;
		return 1;
	}
	j->chk_off[k] = (__u16)off;
	j->chk_val[k] = val;
	j->nchk = k + 1;
	return 0;
}

static long join_chk_step(__u64 i, void *ctx)
{
	const struct join_put *jp = ctx;
	__u32 zero = 0, slot = jp->slot;
	struct walk_scratch *s = bpf_map_lookup_elem(&walk_scratch, &zero);
	struct fast_join *j = bpf_map_lookup_elem(&join_cache, &slot);
	const struct walk_frame *f;

	if (!s || !j || i >= jp->n)
		return 1;
	f = &s->memo.f[frame_at(i)];
	if (f->ra_addr && join_chk_add(j, jp->base, f->ra_addr, f->ra_val))
		return 1;
	/* as walk_verify: the saved rbp counts where the caller's walk reads it */
	if (f->bp_addr && i > 0 && s->memo.f[frame_at(i - 1)].needs_bp &&
	    join_chk_add(j, jp->base, f->bp_addr, f->bp_val))
		return 1;
	return 0;
}

/* True if every word of J's checks, in the window of W, holds its value. */
static __always_inline int join_checks_hold(const struct fast_join *j,
					    const struct walk_scratch *s, const struct walk *w)
{
#pragma clang loop unroll(disable)
	for (__u32 k = 0; k < JOIN_CHECKS; k++) {
		__u64 off;

		if (k >= j->nchk)
			return 1;
		off = j->chk_off[k] & (WALK_WINDOW - 8);
		if (off + 8 > w->window || s->buf[off / 8] != j->chk_val[k])
			return 0;
	}
	return 1;
}

/* After a walk that found its stack known and wrote the memo: the join
 * entry of where the call returned gets the place, and its words the
 * second time a walk stands there (see fast_join). */
static __always_inline void join_learn(struct fast_join *j, __u32 slot,
				       const struct walk_scratch *s, const struct walk *w,
				       __u64 entry_ip, __u64 gen)
{
	const struct walk_frame *in = &s->memo.f[frame_at(s->memo.n - 1)];
	struct join_put jp = { .base = w->sp0, .n = s->memo.n, .slot = slot };

	if (j->tgid != w->tgid || j->gen != gen || j->pc != in->pc || j->sp != w->sp0 ||
	    j->entry_ip != entry_ip) {
		j->tgid = w->tgid;
		j->gen = gen;
		j->pc = in->pc;
		j->sp = w->sp0;
		j->entry_ip = entry_ip;
		j->nchk = JOIN_SEEN;
		return;
	}
	if (j->nchk == JOIN_NONE)   /* a word out of reach: the walk stays */
		return;
	j->bp = in->bp;
	j->needs_bp = in->needs_bp;
	j->top = s->memo.top;
	j->id = s->memo.id;
	j->nchk = 0;
	bpf_loop(jp.n, join_chk_step, &jp, 0);
}

/* Walks the stack at the allocator's return with the learned rules; on a
 * stack user space unwound before, returns its id, else -1. A BPF
 * subprogram, verified once (not at each of record()'s inlined copies).
 * Where the walk reaches a frame of the last walk on this CPU in the same
 * state, that walk's outer frames are taken, once every stack word they
 * were derived from is checked unchanged (`walks_joined`); on a word that
 * changed the walk goes on from there with the rules
 * (`walks_outer_changed`): the same frames as a walk without the memo,
 * either way. */
__noinline __s64 walk_known(struct pt_regs *ctx, __u32 tgid, __u64 entry_ip, __u64 top)
{
	struct seep_stack_hkey hk = { .tgid = tgid };
	__u64 gen = walk_gen, want = WALK_WINDOW_COLD;
	__u32 zero = 0, inner, *v;
	struct walk_scratch *s = bpf_map_lookup_elem(&walk_scratch, &zero);
	__u32 slot = join_slot_of(PT_REGS_IP(ctx), PT_REGS_SP(ctx));
	struct fast_join *j = bpf_map_lookup_elem(&join_cache, &slot);
	struct seep_cpu_own *o = bpf_map_lookup_elem(&cpu_own, &zero);
	struct memo_put mp = {};
	struct walk *w;
	int joinable;
	__s64 found;

	if (!ctx || !s || !j || !o)
		return -1;
	w = &s->w;
	*w = (struct walk){
		.pc = PT_REGS_IP(ctx), .sp = PT_REGS_SP(ctx), .bp = PT_REGS_FP(ctx),
		.sp0 = PT_REGS_SP(ctx), .tgid = tgid,
		.hash = seep_stack_hash(SEEP_STACK_HASH_SEED, entry_ip),
		.cursor = -1, .joined = -1,
	};
	joinable = j->nchk <= JOIN_CHECKS && j->tgid == w->tgid && j->gen == gen &&
		   j->pc == w->pc && j->sp == w->sp && j->entry_ip == entry_ip &&
		   (!j->needs_bp || j->bp == w->bp);
	if (s->memo.n && s->memo.n <= SEEP_MAX_STACK_DEPTH && s->memo.tgid == w->tgid &&
	    s->memo.gen == gen) {
		w->memo_n = (int)s->memo.n;
		w->cursor = w->memo_n - 1;
		/* read what the memo's frames read, and no more */
		if (s->memo.top > w->sp0)
			want = s->memo.top - w->sp0;
	}
	/* one read serves the fast join and the walk after a failed one: on
	 * this machine a read costs the same whatever its size, to a page */
	if (joinable && j->top > w->sp0 && j->top - w->sp0 > want)
		want = j->top - w->sp0;
	w->window = top > w->sp0 ? top - w->sp0 : 0;
	if (w->window > want)
		w->window = want;
	if (w->window > WALK_WINDOW)
		w->window = WALK_WINDOW;
	if (bpf_probe_read_user(s->buf, w->window, (void *)w->sp0))
		w->window = 0;
	/* the fast join: every word the stack seen here was derived from
	 * holds what it held: the same frames, the same stack */
	if (joinable && join_checks_hold(j, s, w)) {
		stat_by(o, SEEP_STAT_WALKS_JOINED, 1);
		return j->id;
	}
	bpf_loop(SEEP_MAX_STACK_DEPTH, walk_step, NULL, 0);
	inner = w->n;
	if (w->joined >= 0) {
		bpf_loop((__u32)w->joined + 1, walk_verify, NULL, 0);
		if (w->changed) {
			/* from the first frame whose words changed, with the
			 * rules; the memo stays (the next call may be from the
			 * same outer frames again: callers taking turns) */
			stat_by(o, SEEP_STAT_WALKS_OUTER_CHANGED, 1);
			w->cursor = -1;
			w->base = w->n;
			bpf_loop(SEEP_MAX_STACK_DEPTH, walk_step, NULL, 0);
		} else if (!w->done) {
			w->done = 1;
			stat_by(o, SEEP_STAT_WALKS_JOINED, 1);
		}
	}
	if (w->done != 1) {
		return -1;
	}
	if (w->joined >= 0 && !w->changed && !inner && s->memo.id >= 0 &&
	    s->memo.entry_ip == entry_ip) {
		found = s->memo.id;   /* the last walk's stack, whole */
	} else {
		hk.nframes = w->n;
		hk.hash = w->hash;
		v = bpf_map_lookup_elem(&stack_ids, &hk);
		found = v ? (__s64)*v : -1;
	}
	if (w->changed) {
		/* the memo stays as it was, for callers taking turns; after a
		 * second change in a row the next walk makes a new one */
		if (++s->memo.fails >= 2)
			s->memo.n = 0;
		return found;
	}
	if (w->joined >= 0) {
		mp.base = (__u32)w->joined + 1;
		mp.count = inner;
		mp.top = s->memo.top;
		mp.needs = s->memo.f[frame_at(w->joined)].needs_bp;
	} else {
		mp.count = w->n;
	}
	bpf_loop(mp.count, memo_put_step, &mp, 0);
	s->memo.n = mp.base + mp.count;
	s->memo.tgid = w->tgid;
	s->memo.gen = gen;
	s->memo.top = mp.top;
	s->memo.id = found;
	s->memo.entry_ip = entry_ip;
	s->memo.fails = 0;
	if (found >= 0)
		join_learn(j, slot, s, w, entry_ip, gen);
	return found;
}

/* Records a successful allocation of SIZE bytes at ADDR from frame F, as
 * the CPU's owner O (NULL: another program on this CPU is; no walk then,
 * the stack is copied). */
static __always_inline void record_as(struct pt_regs *ctx, struct seep_cpu_own *o, __u32 tgid,
				      __u64 addr, __u64 size, const struct frame *f)
{
	struct seep_live_key key = { .tgid = tgid, .mapping = is_mapping(f->kind), .addr = addr };
	struct seep_live val = {
		.size = size,
		.ts_ns = block_time_ns(),
		.site = f->site,
		.kind = f->kind,
	};

	if (f->site.stack_id == SEEP_STACK_DWARF) {
		__s64 id = o ? walk_known(ctx, tgid, f->entry_ip, f->top) : -1;

		if (id >= 0) {
			val.site.stack_id = SEEP_STACK_UNWOUND;
			val.site.caller = (__u64)id;
		} else {
			val.site.caller = __sync_fetch_and_add(&stack_seq, 1) + 1;
		}
	}

	if (livetab_put(&key, &val)) {
		stat_by(o, SEEP_STAT_DROP_LIVE_FULL, 1);
		stat_by(o, SEEP_STAT_DROP_LIVE_FULL_BYTES, size);
		return;
	}
	stat_by(o, SEEP_STAT_ALLOCS, 1);
	stat_by(o, SEEP_STAT_ALLOC_BYTES, size);
	if (val.site.stack_id == SEEP_STACK_DWARF) {
		if (!send_stack(ctx, val.site.caller, addr, size, f))
			return;
		/* back-pressure, last step before the stack is lost: the frame
		 * pointers walked at the return (exact where every function on
		 * the stack keeps them), marked as such. No other thread knows
		 * the block's address before this return: the record is still
		 * the one made above, unless an exec purged it. */
		val.site.stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (val.site.stack_id < 0) {
			stat_by(o, SEEP_STAT_DROP_RINGBUF_FULL, 1);
			return;
		}
		val.site.stack_id |= SEEP_STACK_FP_FALLBACK;
		val.site.caller = f->entry_ip;
		if (livetab_put_as(&key, &val, 1))
			return;
		stat_by(o, SEEP_STAT_DEGRADED_FP, 1);
	} else if (val.site.stack_id == SEEP_STACK_UNWOUND) {
		stat_by(o, SEEP_STAT_STACKS_WALKED, 1);
	}
	totals_add(o, &val.site, size);
}

static __always_inline void record(struct pt_regs *ctx, __u32 tgid, __u64 addr, __u64 size,
				   const struct frame *f)
{
	struct seep_cpu_own *o = own_claim();

	record_as(ctx, o, tgid, addr, size, f);
	if (o)
		own_release(o);
}

/* Removes the record of ADDR of the class MAPPING (heap block 0, mapping
 * 1: the key tells them apart); copies it to OUT when given. Returns 1 if
 * one was removed. Without OUT it is one delete: no look-up first. */
static __always_inline int forget(__u32 tgid, __u64 addr, int mapping, struct seep_live *out)
{
	struct seep_live_key key = { .tgid = tgid, .mapping = mapping, .addr = addr };

	if (!livetab_take(&key, out))  /* none, or another thread won the race */
		return 0;
	stat_add(SEEP_STAT_FREES, 1);
	return 1;
}

/* True if RET is the uretprobe trampoline: the kernel rewrote a return
 * address to hook a return (slot 0 of the task's XOL page, which the
 * kernel creates on first need and keeps for the life of the mm). */
static __always_inline int is_trampoline(struct pending *p, __u64 ret)
{
	__u64 xol = p->xol;

	if (!xol) {
		struct task_struct *task = bpf_get_current_task_btf();

		xol = (__u64)BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
		p->xol = xol;
	}
	return xol && ret >= xol && ret < xol + 4096;
}

/* The return address of a call, at its entry's stack pointer: read from
 * the process on first need only (reading user memory is the dearest step
 * of an entry, and a recorded call with a DWARF stack needs it only in a
 * tail call or inside an unsampled call). */
struct retaddr {
	__u64 sp, val;
	int known;
};

static __always_inline __u64 retaddr_get(struct retaddr *r)
{
	if (!r->known) {
		r->val = 0;
		bpf_probe_read_user(&r->val, sizeof(r->val), (void *)r->sp);
		r->known = 1;
	}
	return r->val;
}

/* Drops frames whose return was never delivered: a frame is stale when the
 * new entry's stack pointer is above the one it was entered with, or equal
 * to it without being a tail call. In a tail call (glibc's realloc(NULL, n)
 * jumps to malloc) the outer frame's return address, at the same stack
 * pointer, has already been replaced by the uretprobe trampoline; both
 * returns then fire, innermost first, at the same stack pointer. */
static __always_inline void drop_stale(struct pending *p, __u64 sp, struct retaddr *ret)
{
	int tail = -1;

	for (int i = 0; i < SEEP_MAX_NEST; i++) {
		__u32 d = p->depth;

		if (d == 0 || d > SEEP_MAX_NEST)
			break;
		if (p->f[d - 1].sp > sp)
			break;
		if (p->f[d - 1].sp == sp) {
			if (tail < 0)
				tail = is_trampoline(p, retaddr_get(ret));
			if (tail)
				break;
		}
		p->depth = d - 1;
		stat_add(SEEP_STAT_DROP_MISSED_RETURN, 1);
	}
}

/* Byte-based Poisson sampling: a call of SIZE bytes is sampled when a
 * sample point (exponential gaps of mean cfg_sample_bytes) falls in it,
 * with probability 1 - exp(-SIZE / mean). */
static __always_inline int sampled(struct pending *p, __u64 size)
{
	if (cfg_sample_bytes <= 1)
		return 1;
	if (!p->sample_init) {
		p->sample_left = (cfg_exp[bpf_get_prandom_u32() & (SEEP_EXP_TABLE - 1)] *
				  cfg_sample_bytes) / SEEP_EXP_SCALE;
		p->sample_init = 1;
	}
	p->sample_left -= (__s64)size;
	if (p->sample_left > 0)
		return 0;
	/* memoryless: the next gap starts where this allocation ends */
	p->sample_left = (cfg_exp[bpf_get_prandom_u32() & (SEEP_EXP_TABLE - 1)] *
			  cfg_sample_bytes) / SEEP_EXP_SCALE;
	return 1;
}

/* True if a call of KIND entering IP at SP, returning to RET, runs inside
 * the last unsampled call (no frame was pushed for it): that call's return
 * address slot still holds its return address (a session skipped the
 * return) or the uretprobe trampoline (a uretprobe hooked it) -- any call
 * made since it returned would have overwritten the slot with its own
 * return address -- and the new call is either at the same depth but
 * another function: a tail call (glibc's realloc(NULL, n) jumps to malloc,
 * mimalloc's malloc to mi_malloc), whose slot is its own; or deeper and
 * called from the unsampled call's module (the allocator's own code:
 * malloc's mmap). The same function at the same depth is the next call
 * from the same call site. Reading user memory costs more than the rest of
 * the path, so the deeper calls from other modules -- the application's --
 * are told apart by their return address alone.
 *
 * When the unsampled call's own return address was not read (skip_unread:
 * a place seen before, see skip_set) and the slot
 * holds neither the address read before nor the trampoline, the slot
 * proves nothing: that call may come from another call site of the same
 * frame. Then an anonymous mapping made from the allocator library's code
 * (not a thread stack, MAP_STACK) is taken as the allocator's own, counted
 * (nested_assumed): outside its calls such a library maps memory for
 * itself alone (jemalloc's extents, glibc's arenas) or for thread stacks.
 * Any other call is taken as not nested: a tail call or a call from inside
 * the allocator after an unread repeat would then be sampled on its own. */
static __always_inline int inside_skipped(struct pending *p, __u32 kind, __u64 sp, __u64 ip,
					  __u64 arg, struct retaddr *r)
{
	__u64 slot, ret;

	if (!p->skip_sp || sp > p->skip_sp)
		return 0;
	if (sp == p->skip_sp && ip == p->skip_ip)
		return 0;
	slot = ret = retaddr_get(r);
	if (sp != p->skip_sp &&
	    (ret - p->skip_lo >= p->skip_hi - p->skip_lo ||
	     bpf_probe_read_user(&slot, sizeof(slot), (void *)p->skip_sp)))
		return 0;
	if (slot == p->skip_ret || is_trampoline(p, slot))
		return 1;
	if (!p->skip_unread || sp == p->skip_sp || !p->skip_lib || kind != SEEP_KIND_MMAP ||
	    (arg & MAP_STACK))
		return 0;
	stat_add(SEEP_STAT_NESTED_ASSUMED, 1);
	return 1;
}

/* calls_unsampled is counted per thread, in its task storage (no atomic
 * add per call: ~15 ns of the ~100 an unsampled call costs in BPF), and
 * added to `stats` UNSAMPLED_BATCH at a time, when the thread exits and
 * when its process calls exec: a live process's count lags by less than
 * UNSAMPLED_BATCH per thread. */
#define UNSAMPLED_BATCH 64

static __always_inline void unsampled_flush(struct pending *p)
{
	if (p->unsampled_held) {
		stat_add(SEEP_STAT_UNSAMPLED, p->unsampled_held);
		p->unsampled_held = 0;
	}
}

/* Makes the unsampled call entering IP at SP, returning to R->val, the
 * last one (skip_*). The return address is read unless the call is into a
 * library from a place of SKIP_PLACES where one was read before (the same
 * sp and function: a loop's next call, the same caller's frame), whose
 * address it then keeps, unread: the read is most of an unsampled call's
 * cost, and the slot it gives is looked at only if a hooked call is made
 * inside this one (see inside_skipped). In the program's own module no
 * mapping is presumed the allocator's: always read. */
static __always_inline void skip_set(struct pending *p, __u64 cookie, __u64 sp, __u64 ip,
				     struct retaddr *r)
{
	int lib = (cookie & SEEP_COOKIE_LIBRARY) != 0;
	__u32 at = SKIP_PLACES;

	if (lib) {
		for (__u32 i = 0; i < SKIP_PLACES; i++) {
			if (p->place[i].sp == sp && p->place[i].ip == ip) {
				at = i;
				break;
			}
		}
	}
	if (at < SKIP_PLACES && !r->known) {
		p->skip_ret = p->place[at].ret;
		p->skip_unread = 1;
	} else {
		p->skip_ret = retaddr_get(r);
		p->skip_unread = 0;
		if (lib) {
			if (at >= SKIP_PLACES)
				at = p->place_next++ % SKIP_PLACES;
			p->place[at].sp = sp;
			p->place[at].ip = ip;
			p->place[at].ret = p->skip_ret;
		}
	}
	p->skip_sp = sp;
	p->skip_ip = ip;
	p->skip_lib = lib;
	cookie_image(cookie, ip, &p->skip_lo, &p->skip_hi);
}

/* An allocating call's entry. Returns 1 if its return need not be seen
 * (a session then skips the return probe), 0 otherwise. */
static __always_inline int alloc_enter(struct pt_regs *ctx, __u64 cookie, __u64 size, __u64 arg)
{
	/* the tgid is asked for only where needed: by a shared probe here, by
	 * a recorded call below (an unsampled one needs none) */
	__u32 kind = cookie_kind(cookie), tgid = (cookie & SEEP_COOKIE_SHARED) ? current_tgid() : 0;
	__u8 mode = traced_mode(cookie, tgid);
	struct pending *p;
	struct frame *f;
	__u64 sp = PT_REGS_SP(ctx), ip = PT_REGS_IP(ctx);
	struct retaddr ret = { .sp = sp };
	__u32 d;

	if (!mode)
		return 1;
	p = pending_get(1);
	if (!p) {
		stat_add(SEEP_STAT_DROP_NO_TASK_STORAGE, 1);
		return 1;
	}
	drop_stale(p, sp, &ret);
	d = p->depth;
	if (d == 0) {
		/* a call inside an unsampled one (malloc's mmap) is its business */
		if (inside_skipped(p, kind, sp, ip, arg, &ret)) {
			stat_add(SEEP_STAT_NESTED, 1);
			return 1;
		}
		if (!sampled(p, size)) {
			skip_set(p, cookie, sp, ip, &ret);
			if (++p->unsampled_held >= UNSAMPLED_BATCH)
				unsampled_flush(p);
			if (kind == SEEP_KIND_REALLOC || kind == SEEP_KIND_REALLOCARRAY)
				forget(tgid ?: current_tgid(), arg, 0, NULL);  /* the old block goes either way */
			return 1;
		}
	}
	if (!tgid)
		tgid = current_tgid();
	if (d >= SEEP_MAX_NEST) {
		stat_add(SEEP_STAT_DROP_NEST_FULL, 1);
		return 1;
	}
	f = &p->f[d];
	f->sp = sp;
	f->entry_ip = ip;
	f->size = size;
	f->arg = arg;
	f->kind = kind;
	f->has_old = 0;
	f->site.tgid = tgid;
	f->site.stack_id = SEEP_STACK_LOST;
	f->site.caller = 0;
	p->depth = d + 1;
	if (d > 0)  /* nested: the outer call records the memory */
		return 0;
	if (mode == SEEP_UNWIND_DWARF) {
		/* The stack is copied at return, for the recorded calls only. */
		f->site.stack_id = SEEP_STACK_DWARF;
	} else {
		f->site.stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (f->site.stack_id < 0) {
			f->site.stack_id = SEEP_STACK_LOST;
			stat_add(SEEP_STAT_DROP_STACK_LOST, 1);
		}
		f->site.caller = retaddr_get(&ret);
	}

	if (kind == SEEP_KIND_REALLOC || kind == SEEP_KIND_REALLOCARRAY) {
		/* Forget the old block before the allocator can hand its address
		 * to another thread; restored at return if realloc fails. */
		if (arg && forget(tgid, arg, 0, &f->old))
			f->has_old = 1;
		else if (arg)
			stat_add(SEEP_STAT_FREES_UNTRACKED, 1);
	}
	return 0;
}

/* Pops the frame this return belongs to. Returns it when the call is the
 * outermost hooked call (to be recorded), NULL otherwise. The frame stays
 * in the thread's task storage, where only this thread's next entry can
 * overwrite it: it is used in place, not copied (a copy on the BPF stack
 * would not leave room for the walk's frames under the 512-byte limit). */
static __always_inline struct frame *pop_frame(struct pt_regs *ctx)
{
	struct pending *p = pending_get(0);
	__u64 sp = PT_REGS_SP(ctx);
	struct frame *out;
	__u32 d;

	if (!p)
		return NULL;
	/* A return pops the entry's return address: sp == entry sp + 8. */
	for (int i = 0; i < SEEP_MAX_NEST; i++) {
		d = p->depth;
		if (d == 0 || d > SEEP_MAX_NEST)
			return NULL;
		if (p->f[d - 1].sp + 8 >= sp)
			break;
		p->depth = d - 1;
		stat_add(SEEP_STAT_DROP_MISSED_RETURN, 1);
	}
	d = p->depth;
	if (d == 0 || d > SEEP_MAX_NEST)
		return NULL;
	if (p->f[d - 1].sp + 8 != sp)  /* return of a call that was never pushed */
		return NULL;
	p->depth = d - 1;
	if (d > 1) {
		stat_add(SEEP_STAT_NESTED, 1);
		return NULL;
	}
	out = &p->f[0];
	if (out->site.stack_id == SEEP_STACK_DWARF)
		out->top = stack_top(sp, p);
	return out;
}

static __always_inline void restore_old(const struct frame *f)
{
	struct seep_live_key key = { .tgid = f->site.tgid, .addr = f->arg };

	if (!f->has_old)
		return;
	if (livetab_put(&key, &f->old)) {
		stat_add(SEEP_STAT_DROP_LIVE_FULL, 1);
		stat_add(SEEP_STAT_DROP_LIVE_FULL_BYTES, f->old.size);
		return;
	}
	stat_add(SEEP_STAT_FREES, (__u64)-1);
}

static __always_inline int alloc_exit(struct pt_regs *ctx, __u64 ret)
{
	struct frame *f = pop_frame(ctx);

	if (!f)
		return 0;
	switch (f->kind) {
	case SEEP_KIND_POSIX_MEMALIGN: {
		__u64 addr = 0;

		if (ret != 0 || bpf_probe_read_user(&addr, sizeof(addr), (void *)f->arg) || !addr) {
			stat_add(SEEP_STAT_FAILED_ALLOCS, 1);
			return 0;
		}
		record(ctx, f->site.tgid, addr, f->size, f);
		return 0;
	}
	case SEEP_KIND_MMAP:
		if (ret == MAP_FAILED) {
			stat_add(SEEP_STAT_FAILED_ALLOCS, 1);
			return 0;
		}
		record(ctx, f->site.tgid, ret, f->size, f);
		return 0;
	case SEEP_KIND_MREMAP:
		if (ret == MAP_FAILED) {
			stat_add(SEEP_STAT_FAILED_ALLOCS, 1);
			return 0;
		}
		/* Only mappings seep recorded are followed (not file mappings). */
		if (forget(f->site.tgid, f->arg, 1, NULL))
			record(ctx, f->site.tgid, ret, f->size, f);
		return 0;
	case SEEP_KIND_REALLOC:
	case SEEP_KIND_REALLOCARRAY:
		if (!ret) {
			if (f->size == 0 && f->arg)  /* realloc(p, 0) freed p */
				return 0;
			stat_add(SEEP_STAT_FAILED_ALLOCS, 1);
			restore_old(f);
			return 0;
		}
		record(ctx, f->site.tgid, ret, f->size, f);
		return 0;
	default:
		if (!ret) {
			stat_add(SEEP_STAT_FAILED_ALLOCS, 1);
			return 0;
		}
		record(ctx, f->site.tgid, ret, f->size, f);
		return 0;
	}
}

static __always_inline __u64 mul_size(__u64 n, __u64 size)
{
	/* An overflowing product makes the allocator fail; the size is moot. */
	__u64 limit;

	if (!size)
		return 0;
	limit = ((__u64)-1) / size;
	asm volatile("" : "+r"(limit));  /* keep the division: BPF has no 128-bit multiply */
	if (n > limit)
		return (__u64)-1;
	return n * size;
}

/* The arguments of an allocating call of KIND: its size and, for realloc
 * and mremap, the old address, for posix_memalign the out-pointer.
 * Returns 0 for a call not to follow (a file mapping). */
static __always_inline int alloc_args(struct pt_regs *ctx, __u32 kind, __u64 *size, __u64 *arg)
{
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);

	*arg = 0;
	switch (kind) {
	case SEEP_KIND_CALLOC:
		*size = mul_size(a1, a2);
		return 1;
	case SEEP_KIND_REALLOC:
		*arg = a1;
		*size = a2;
		return 1;
	case SEEP_KIND_REALLOCARRAY:
		*arg = a1;
		*size = mul_size(a2, a3);
		return 1;
	case SEEP_KIND_POSIX_MEMALIGN:
		*arg = a1;
		*size = a3;
		return 1;
	case SEEP_KIND_ALIGNED_ALLOC:
	case SEEP_KIND_MEMALIGN:
		*size = a2;
		return 1;
	case SEEP_KIND_MMAP:
		*size = a2;
		*arg = PT_REGS_PARM4(ctx);  /* the flags */
		return (*arg & MAP_ANONYMOUS) != 0;
	case SEEP_KIND_MREMAP:
		*arg = a1;
		*size = a3;
		return 1;
	default:  /* malloc, valloc, pvalloc */
		*size = a1;
		return 1;
	}
}

/* Entry of an allocating function; the attach cookie says which. */
SEC("uprobe")
int alloc_enter_prog(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), size, arg;

	if (alloc_args(ctx, cookie_kind(cookie), &size, &arg))
		alloc_enter(ctx, cookie, size, arg);
	return 0;
}

/* One return program serves every allocating function: the frame says
 * which call it was. */
SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit_prog, __u64 ret)
{
	return alloc_exit(ctx, ret);
}

/* Entry and return in one uprobe session: an entry that returns 1 makes
 * the kernel skip the return probe, so unsampled calls do not pay for it.
 * Loaded with expected attach type BPF_TRACE_UPROBE_SESSION by user space. */
SEC("uprobe")
int alloc_session_prog(struct pt_regs *ctx)
{
	__u64 cookie, size, arg;

	if (bpf_session_is_return())
		return alloc_exit(ctx, PT_REGS_RC(ctx));
	cookie = bpf_get_attach_cookie(ctx);
	if (!alloc_args(ctx, cookie_kind(cookie), &size, &arg))
		return 1;
	return alloc_enter(ctx, cookie, size, arg);
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	__u32 tgid = current_tgid();

	if (!ptr || !traced_mode(bpf_get_attach_cookie(ctx), tgid))
		return 0;
	if (!forget(tgid, ptr, 0, NULL))
		stat_add(SEEP_STAT_FREES_UNTRACKED, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(munmap_enter, __u64 addr, __u64 len)
{
	struct seep_live_key key = {};
	struct seep_live copy;
	__u32 tgid = current_tgid();

	if (!addr || !traced_mode(bpf_get_attach_cookie(ctx), tgid))
		return 0;
	key.tgid = tgid;
	key.mapping = 1;
	key.addr = addr;
	if (!livetab_get(&key, &copy))
		return 0;  /* not a mapping seep recorded (file, or inside free) */
	len = (len + 4095) & ~4095ULL;
	if (len >= copy.size) {
		forget(tgid, addr, 1, NULL);
		return 0;
	}
	/* Part of the front of the mapping goes: the rest stays recorded. */
	if (!livetab_take(&key, &copy))
		return 0;
	copy.size -= len;
	key.addr = addr + len;
	if (livetab_put(&key, &copy)) {
		stat_add(SEEP_STAT_DROP_LIVE_FULL, 1);
		stat_add(SEEP_STAT_DROP_LIVE_FULL_BYTES, copy.size);
	}
	stat_add(SEEP_STAT_MUNMAP_PARTIAL, 1);
	return 0;
}

/* --- exec(): a new heap ---------------------------------------------------- */

struct exec_purge {
	__u32 tgid;
};

static long purge_site(struct bpf_map *map, struct seep_stack_key *k, void *v,
		       struct exec_purge *p)
{
	if (k->tgid == p->tgid)
		bpf_map_delete_elem(map, k);
	return 0;
}

static long purge_rule(struct bpf_map *map, struct seep_pc_key *k, void *v, struct exec_purge *p)
{
	if (k->tgid == p->tgid)
		bpf_map_delete_elem(map, k);
	return 0;
}

static long purge_slot(struct bpf_map *map, __u32 *k, struct seep_pc_slot *v,
		       struct exec_purge *p)
{
	if (v->tgid == p->tgid && v->pc)
		v->pc = 0;
	return 0;
}

static long purge_known(struct bpf_map *map, struct seep_stack_hkey *k, void *v,
			struct exec_purge *p)
{
	if (k->tgid == p->tgid)
		bpf_map_delete_elem(map, k);
	return 0;
}

/* A thread exits: what it holds of calls_unsampled goes to `stats` (any
 * thread of the host: the look-up finds state only in traced ones). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit)
{
	struct pending *p = pending_get(0);

	if (p)
		unsampled_flush(p);
	return 0;
}

/* A watched process called exec(): past the point of no return, one
 * thread left. The old image's heap is gone with it: its blocks, sites,
 * walk rules and known stacks are deleted here, at the exact moment (an
 * allocation of the new image cannot be among them), the thread's state
 * (its stack mapping, the uretprobe page) is dropped, and user space is
 * told on the stack ring, after every copy the old image sent. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_purge purge = { .tgid = current_tgid() };
	struct livetab_purge gone = { .tgid = purge.tgid };
	struct seep_exec_event *ev;
	__u64 *execs, n;

	if (!purge.tgid)
		return 0;
	execs = bpf_map_lookup_elem(&watched, &purge.tgid);
	if (!execs)
		return 0;
	n = __sync_add_and_fetch(execs, 1);
	__sync_fetch_and_add(&walk_gen, 1);  /* the memos are of the old image */
	{
		struct pending *t = pending_get(0);

		if (t)
			unsampled_flush(t);
	}
	bpf_task_storage_delete(&inflight, bpf_get_current_task_btf());
	livetab_purge(&gone);
	bpf_for_each_map_elem(&stack_totals, purge_site, &purge, 0);
	bpf_for_each_map_elem(&pc_rules, purge_rule, &purge, 0);
	bpf_for_each_map_elem(&pc_cache, purge_slot, &purge, 0);
	bpf_for_each_map_elem(&stack_ids, purge_known, &purge, 0);
	ev = bpf_ringbuf_reserve(&stack_events, sizeof(*ev), 0);
	if (!ev) {
		/* user space finds the exec in `watched` at its next refresh */
		stat_add(SEEP_STAT_DROP_RINGBUF_FULL, 1);
		return 0;
	}
	ev->tgid = purge.tgid;
	ev->pad = 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->execs = n;
	ev->blocks = gone.blocks;
	ev->bytes = gone.bytes;
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	return 0;
}
