/* seep_heap.h — types shared by bpf/heap.bpf.c and user space.
 *
 * The BPF side keeps, per traced process, every live (allocated, not yet
 * freed) block by address (map `live`) and per-stack aggregates (map
 * `stack_totals`); user space reads both for reports. Only fixed-width types,
 * explicit padding, no pointers: the layouts must match on both sides.
 */
#ifndef SEEP_HEAP_H
#define SEEP_HEAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Deepest user stack kept per allocation site (frames, allocator first). */
#define SEEP_MAX_STACK_DEPTH 127
/* Hooked calls one thread can have in flight inside each other. */
#define SEEP_MAX_NEST 4
/* stack_id of an allocation whose stack could not be taken. */
#define SEEP_STACK_LOST (-1)
/* stack_id of an allocation whose stack is unwound in user space from a
 * copy (struct seep_stack_event); the site's `caller` is then the event's
 * sequence number. */
#define SEEP_STACK_DWARF (-2)
/* A stack_id with this bit: back-pressure, the ring had no room even for
 * a short copy, so BPF walked the frame pointers at the allocator's
 * return (bpf_get_stackid) instead; the low bits are the stack's id in
 * `stacks`, whose first frame is the return address, and the site's
 * `caller` is the allocator's entry. Frames past a function built without
 * frame pointers are missing or wrong: reports mark such stacks. */
#define SEEP_STACK_FP_FALLBACK (1 << 30)
/* stack_id of an allocation whose stack BPF walked with rules learned from
 * earlier unwinds (struct seep_pc_rule) and found among the stacks user
 * space unwound before (map `stack_ids`); the site's `caller` is then that
 * stack's id in user space. */
#define SEEP_STACK_UNWOUND (-3)
/* Entries of the table of exponential quantiles used for sampling. */
#define SEEP_EXP_TABLE 1024
/* Fixed-point scale of that table. */
#define SEEP_EXP_SCALE 65536

/* Processes the BPF side can tell apart as traced (shared probes). */
#define SEEP_MAX_TARGETS 4096
/* Processes whose exec() the BPF side watches (map `watched`: tgid ->
 * the number of execs seen since it was added). */
#define SEEP_MAX_WATCHED 65536

/* A traced process, for shared probes: its start time (clock ticks since
 * boot, /proc/PID/stat's field 22), so that a process that reuses the pid
 * of one that exited is not taken for it, and its unwind mode. */
struct seep_target {
	__u64 start_ticks;
	__u8 mode;
	__u8 pad[7];
};
/* Nanoseconds per clock tick of start_ticks (USER_HZ = 100). */
#define SEEP_NS_PER_TICK 10000000ULL

/* Most user stack bytes copied per event. */
#define SEEP_MAX_STACK_COPY 32768

/* The attach cookie of a probe: bits 0-7 the hooked function's kind, 8-13
 * the process's unwind mode, 14 set when the probed module is a shared
 * library (not the program: no code of the program's own lies in its
 * image), 15 set on probes shared by every process that maps the file
 * (the unwind mode, and whether the process is traced at all, are then in
 * the `targets` map), 16-39 the page of the probe in its module's image
 * (the span of its loadable segments) and 40-63 that image's size in
 * pages (0: unknown). From the probed address, BPF then knows the module's
 * range in the process: whether a return address lies in it. */
#define SEEP_COOKIE_KIND_MASK 0xff
#define SEEP_COOKIE_MODE_SHIFT 8
#define SEEP_COOKIE_MODE_MASK 0x3f
#define SEEP_COOKIE_LIBRARY (1ULL << 14)
#define SEEP_COOKIE_SHARED (1ULL << 15)
#define SEEP_COOKIE_PAGE_SHIFT 16
#define SEEP_COOKIE_SPAN_SHIFT 40
#define SEEP_COOKIE_PAGES_MAX 0xffffffULL

/* How a traced process's stacks are taken. */
enum seep_unwind {
	SEEP_UNWIND_FP = 1,      /* frame-pointer walk in the kernel */
	SEEP_UNWIND_DWARF = 2,   /* stack copy, unwound from DWARF CFI in user space */
};

/* The hooked functions. The order is the ABI of `kind` fields. */
enum seep_kind {
	SEEP_KIND_MALLOC = 0,
	SEEP_KIND_CALLOC,
	SEEP_KIND_REALLOC,
	SEEP_KIND_REALLOCARRAY,
	SEEP_KIND_POSIX_MEMALIGN,
	SEEP_KIND_MEMALIGN,      /* before aligned_alloc: glibc's is an alias of it */
	SEEP_KIND_ALIGNED_ALLOC,
	SEEP_KIND_VALLOC,
	SEEP_KIND_PVALLOC,
	SEEP_KIND_MMAP,
	SEEP_KIND_MREMAP,
	SEEP_KIND_NEW,           /* C++ operator new / new[], where it bypasses malloc */
	SEEP_KIND_FREE,
	SEEP_KIND_MUNMAP,
	SEEP_KIND_DELETE,        /* C++ operator delete / delete[] likewise */
	SEEP_KIND__MAX,
};

/* Counters in the per-CPU `stats` array; every report shows them. */
enum seep_stat {
	SEEP_STAT_ALLOCS = 0,        /* allocations recorded */
	SEEP_STAT_ALLOC_BYTES,       /* bytes of those */
	SEEP_STAT_FREES,             /* frees matched to a recorded allocation */
	SEEP_STAT_FREES_UNTRACKED,   /* frees of blocks not recorded (made before attach) */
	SEEP_STAT_FAILED_ALLOCS,     /* calls that failed (NULL / MAP_FAILED): not recorded */
	SEEP_STAT_NESTED,            /* hooked calls inside another hooked call: not recorded twice */
	SEEP_STAT_MUNMAP_PARTIAL,    /* munmaps of part of a recorded mapping (record shrunk) */
	SEEP_STAT_DROP_LIVE_FULL,    /* drop: `live` map full, allocation not recorded */
	SEEP_STAT_DROP_LIVE_FULL_BYTES,
	SEEP_STAT_DROP_AGG_FULL,     /* drop: `stack_totals` full, stack totals incomplete */
	SEEP_STAT_DROP_STACK_LOST,   /* drop: stack not taken, allocation kept as "[stack lost]" */
	SEEP_STAT_DROP_MISSED_RETURN,/* drop: a return probe never fired for an entry */
	SEEP_STAT_DROP_NEST_FULL,    /* drop: more than SEEP_MAX_NEST calls in flight on a thread */
	SEEP_STAT_DROP_NO_TASK_STORAGE, /* drop: per-thread state could not be created */
	SEEP_STAT_UNSAMPLED,         /* allocating calls not sampled (--sample-bytes) */
	SEEP_STAT_STACK_EVENTS,      /* stack copies sent to user space */
	SEEP_STAT_DROP_RINGBUF_FULL, /* drop: stack copy lost (ring buffer full): "[stack lost]" */
	SEEP_STAT_STACKS_WALKED,     /* stacks walked in BPF and found known: no copy */
	SEEP_STAT_DEGRADED_SHORT,    /* degraded: no room for the whole copy, its first 2 KiB sent */
	SEEP_STAT_DEGRADED_FP,       /* degraded: no room for any copy, frame-pointer walk kept */
	SEEP_STAT_WALKS_JOINED,      /* walks that took the last walk's outer frames, checked */
	SEEP_STAT_WALKS_OUTER_CHANGED, /* walks that reached it but found a word changed */
	SEEP_STAT_LIVE_SPILLED,      /* recorded in `live_spill`: their bucket of `live` was full */
	SEEP_STAT_NESTED_ASSUMED,    /* mappings by an allocator library taken as its own unproven */
	SEEP_STAT__MAX,
};

/* The learned stack walk. For each pc that a stack unwound in user space
 * passed through (as libdwfl looks it up: a frame's return address minus
 * one, the innermost frame's own pc), user space installs the rule its CFI
 * gives there, when the rule is one of the common x86-64 forms: the CFA is
 * rsp or rbp plus an offset, the return address is at CFA - 8, rbp is kept
 * or saved at CFA + rbp_off; or the return address is undefined (the
 * outermost frame). BPF walks a new stack with these rules, hashing the
 * pcs as it goes (seep_stack_hash), and looks the hash up in `stack_ids`:
 * a stack user space unwound before, with the same frames, costs no copy
 * and no unwind. Any pc without a rule, or a hash not found, falls back to
 * the copy. User space installs rules only after replaying them over the
 * copy and getting exactly libdwfl's frames. */
enum seep_cfa_reg {
	SEEP_CFA_RBP = 6,       /* DWARF register numbers */
	SEEP_CFA_RSP = 7,
};

struct seep_pc_key {
	__u32 tgid;
	__u32 pad;
	__u64 pc;
};

struct seep_pc_rule {
	__s32 cfa_off;
	__s32 rbp_off;          /* where rbp is saved, from the CFA (rbp_saved) */
	__u8 cfa_reg;           /* enum seep_cfa_reg */
	__u8 rbp_saved;
	__u8 outermost;         /* no return address: the stack ends here */
	__u8 pad[5];
};

/* A direct-mapped cache of those rules (map `pc_cache`, an array of
 * SEEP_PC_CACHE slots, slot seep_pc_slot_of()): the walk looks a pc up
 * there first -- an array index, no key hashed, no bucket chain compared --
 * and in `pc_rules` when the slot holds another pc (pc 0: empty). User
 * space writes each rule to both, pc_rules first; of two pcs sharing a
 * slot the later one written wins the slot, the other is found in
 * pc_rules. A slot is written as a whole but not atomically: a walk
 * racing the write of its slot may read a mixed rule, which leads it off
 * the stack's frames, to a hash not in `stack_ids`: the copy then. */
#define SEEP_PC_CACHE_BITS 16
#define SEEP_PC_CACHE (1u << SEEP_PC_CACHE_BITS)

struct seep_pc_slot {
	__u64 pc;
	__u32 tgid;
	__u32 pad;
	struct seep_pc_rule rule;
};

static inline __u32 seep_pc_slot_of(__u32 tgid, __u64 pc)
{
	__u64 h = (pc ^ ((__u64)tgid << 40)) * 0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> (64 - SEEP_PC_CACHE_BITS));
}

/* Key of `stack_ids`: a stack of NFRAMES return addresses (the allocator's
 * entry not counted) whose seep_stack_hash is HASH. */
struct seep_stack_hkey {
	__u32 tgid;
	__u32 nframes;
	__u64 hash;
};

#define SEEP_STACK_HASH_SEED 0x5eed57ac6b1d0a3fULL
/* One step of the stack hash, the same in BPF and user space: over the
 * allocator's entry, then each frame's pc, innermost first. */
static inline __u64 seep_stack_hash(__u64 h, __u64 v)
{
	h ^= v * 0x9e3779b97f4a7c15ULL;
	h = (h << 27) | (h >> 37);
	return h * 0xc2b2ae3d27d4eb4fULL + 0x165667b19e3779f9ULL;
}

/* Key of `live`: one block of one process. A heap block and a mapping
 * are told apart in the key (MAPPING: 1 for mmap and mremap records), so
 * that free() removes a heap block with one delete, no look-up first, and
 * never a mapping at the same address. */
struct seep_live_key {
	__u32 tgid;
	__u32 mapping;
	__u64 addr;
};

/* Key of `stack_totals`: an allocation site of one process. The kernel's
 * frame-pointer walk from a function-entry probe misses the immediate caller
 * (its return address is at the stack pointer, not behind a frame), so the
 * caller is kept beside the stack id and spliced in after frame 0. */
struct seep_stack_key {
	__u32 tgid;
	__s32 stack_id;
	__u64 caller;
};

/* Value of `live`. */
struct seep_live {
	__u64 size;
	/* CLOCK_MONOTONIC at allocation, to a tick (1-10 ms): never
	 * ahead of it, at most a tick behind (heap.bpf.c block_time_ns) */
	__u64 ts_ns;
	struct seep_stack_key site;
	__u32 kind;                 /* enum seep_kind */
	__u32 pad;
};

/* The live table (bpf/livetab.bpf.h): `live` is an array of buckets of
 * SEEP_LIVE_WAYS slots, a block's bucket chosen by a hash of its key; a
 * bucket with no free slot spills into the hash map `live_spill`. A
 * bucket's first cache line holds its slots' state words, each a
 * generation (bumped at every claim), a 16-bit tag of the key's hash and,
 * in the low two bits, EMPTY, BUSY (being written) or LIVE; the records
 * follow, one cache line each, so a look-up reads the states' line and
 * only the records whose tag matches. Every change of a slot is a
 * compare-and-swap of its state, so no lock is taken, and a reader that
 * finds the same LIVE state before and after reading a record read it
 * whole. User space maps the array (BPF_F_MMAPABLE). */
#define SEEP_LIVE_WAYS 7
#define SEEP_LIVE_EMPTY 0ULL
#define SEEP_LIVE_BUSY 1ULL
#define SEEP_LIVE_LIVE 2ULL
#define SEEP_LIVE_STATE_MASK 3ULL
#define SEEP_LIVE_TAG_SHIFT 2
#define SEEP_LIVE_TAG_MASK (0xffffULL << SEEP_LIVE_TAG_SHIFT)
#define SEEP_LIVE_GEN_MASK (~0ULL << 18)
#define SEEP_LIVE_GEN_STEP (1ULL << 18)

struct seep_live_rec {
	struct seep_live_key key;
	struct seep_live val;
	__u64 pad;                 /* a record to a cache line */
};

struct seep_live_bucket {
	__u64 state[SEEP_LIVE_WAYS];
	__u64 pad;
	struct seep_live_rec rec[SEEP_LIVE_WAYS];
};

/* A key's place: its bucket of NBUCKETS, from the high half of a
 * multiplicative hash (scaled to the range: any number of buckets), and
 * its tag (in state-word position), from the low half; the same in BPF
 * and user space. */
static inline __u64 seep_live_hash(const struct seep_live_key *k)
{
	return (k->addr ^ ((__u64)k->tgid << 40) ^ ((__u64)k->mapping << 39)) *
	       0x9e3779b97f4a7c15ULL;
}

static inline __u32 seep_live_bucket_of(__u64 h, __u32 nbuckets)
{
	return (__u32)(((h >> 32) * (__u64)nbuckets) >> 32);
}

static inline __u64 seep_live_tag_of(__u64 h)
{
	return ((h >> 16) << SEEP_LIVE_TAG_SHIFT) & SEEP_LIVE_TAG_MASK;
}

/* A site's recorded allocations since attach, as user space reads them
 * from `stack_totals` (the sum of struct seep_stack_totals_cpu over every
 * CPU; what is live by site is counted from the live table). */
struct seep_stack_totals {
	__u64 alloc_bytes;
	__u64 alloc_count;
};

/* Value of `cpu_own` (bpf/heap.bpf.c), per CPU: held while a program
 * records an allocation, and the counters only that holder adds to. */
struct seep_cpu_own {
	__u64 held;
	__u64 stats[SEEP_STAT__MAX];
};

/* What `stack_totals` holds per CPU: the counts the CPU's owner adds
 * (plain adds) and those other programs add meanwhile (atomically); a
 * site's totals are the sum of both over every CPU. */
struct seep_stack_totals_cpu {
	__u64 alloc_bytes;
	__u64 alloc_count;
	__u64 shared_bytes;
	__u64 shared_count;
};

/* Bytes copied from the top of a stack deeper than the copy from sp. */
#define SEEP_STACK_TOP_COPY 8192

/* A recorded allocation's stack, copied for unwinding in user space: the
 * registers at the allocator's return (ip is the return address, in the
 * caller) and the stack from sp up. Followed by stack_len bytes; when the
 * stack went on past them, top_len (<= SEEP_STACK_TOP_COPY) more bytes
 * from top_addr (the stack's top: its outermost frames) at top_off bytes
 * into the data, so that a frame with a large local array does not cut
 * the stack. The stack's top is the end of its mapping, or for the main
 * thread the process's initial stack pointer (above it lie only argv,
 * the environment and the auxiliary vector). */
struct seep_stack_event {
	__u32 tgid;
	__u32 tid;
	__u64 seq;                  /* == the live block's site.caller */
	__u64 addr;
	__u64 size;
	__u64 entry_ip;             /* the allocator's entry (the probed address) */
	__u64 ip, sp, bp;
	__u32 kind;
	__u32 stack_len;
	__u64 top_addr;
	__u32 top_len;
	__u32 top_off;
};

/* An exec() of a watched process, sent on the stack ring (so that it
 * comes after every copy the old image sent and before the new image's):
 * a record of exactly this size, shorter than any stack copy. By then the
 * BPF side has closed out the old image: its live blocks and sites, walk
 * rules and known stacks are deleted from the maps (the counts below),
 * and the exec is counted in `watched`. */
struct seep_exec_event {
	__u32 tgid;
	__u32 pad;
	__u64 ts_ns;                /* CLOCK_MONOTONIC of the exec */
	__u64 execs;                /* execs of this process seen so far, this one included */
	__u64 blocks;               /* live blocks of the old image dropped */
	__u64 bytes;                /* their bytes */
};

#endif
