/* seep_kernel.h — types shared by bpf/kernel.bpf.c and user space.
 *
 * The BPF side follows the kernel's allocators through their tracepoints
 * (tp_btf): every allocation made after attach is kept in `live` by
 * (address space, address) until it is freed, and counted, exactly, in
 * its site's totals (`sites`). A site is (kind, call site, stack, process,
 * context, cache or page order). Kernel stacks are taken only for events
 * chosen by byte-based Poisson sampling (mean cfg_sample_bytes; 0 or 1:
 * every event); the other events' sites have stack_id
 * SEEP_KSTACK_UNSAMPLED and are told apart by their call site only.
 * Only fixed-width types, explicit padding, no pointers: the layouts must
 * match on both sides.
 */
#ifndef SEEP_KERNEL_H
#define SEEP_KERNEL_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Deepest kernel stack kept per site (the kernel's own limit is 127). */
#define SEEP_KMAX_STACK_DEPTH 64
/* stack_id of a sampled event whose stack could not be taken. */
#define SEEP_KSTACK_LOST (-1)
/* stack_id of an event that was not sampled: no stack was taken. */
#define SEEP_KSTACK_UNSAMPLED (-2)
/* Longest slab cache name kept (with its NUL). */
#define SEEP_KCACHE_NAME 32
/* Entries of the table of exponential quantiles used for sampling (the
 * same table and scale as the heap tracer's). */
#define SEEP_KEXP_TABLE 1024
#define SEEP_KEXP_SCALE 65536

/* Allocation kinds. The order is the ABI of `kind` fields. */
enum seep_kkind {
	SEEP_KKIND_SLAB = 0,     /* kmem_cache_alloc / kmem_cache_free */
	SEEP_KKIND_KMALLOC,      /* kmalloc / kfree */
	SEEP_KKIND_PAGE,         /* mm_page_alloc / mm_page_free */
	SEEP_KKIND_PERCPU,       /* percpu_alloc_percpu / percpu_free_percpu */
	SEEP_KKIND_VMALLOC,      /* alloc_vmap_area / free_vmap_area_noflush */
	SEEP_KKIND__MAX,
};

/* Key spaces of `live`: slab objects of kmalloc and kmem_cache are one
 * space (kfree frees either), page frames another (the address is the
 * struct page's index in the memory map: the pfn plus a constant), per-CPU
 * pointers and vmap areas theirs. */
enum seep_kspace {
	SEEP_KSPACE_SLAB = 0,
	SEEP_KSPACE_PAGE,
	SEEP_KSPACE_PERCPU,
	SEEP_KSPACE_VMAP,
	SEEP_KSPACE__MAX,
};

/* The context an allocation was made in: the current task's (a process,
 * or a kernel thread such as ksoftirqd or a kworker), or an interrupt's
 * (hard or soft IRQ, NMI: running on an interrupt stack). Only in task
 * context do tgid, comm and cgroup name who caused it; otherwise tgid is 0. */
enum seep_kctx {
	SEEP_KCTX_TASK = 0,
	SEEP_KCTX_IRQ,
	SEEP_KCTX__MAX,
};

/* Counters in the per-CPU `stats` array, per kind: index
 * kind * SEEP_KSTAT__MAX + stat. Every report shows them. */
enum seep_kstat {
	SEEP_KSTAT_ALLOCS = 0,          /* allocations recorded */
	SEEP_KSTAT_ALLOC_BYTES,         /* bytes of those */
	SEEP_KSTAT_FREES,               /* frees matched to a recorded allocation */
	SEEP_KSTAT_FREES_UNTRACKED,     /* frees of objects not recorded (made before attach) */
	SEEP_KSTAT_FAILED_ALLOCS,       /* allocations that failed: not recorded */
	SEEP_KSTAT_SAMPLED,             /* allocations whose stack was taken */
	SEEP_KSTAT_IRQ_ALLOCS,          /* allocations made in interrupt context */
	SEEP_KSTAT_REPLACED,            /* an address allocated again while recorded live:
					   its free was not seen (the old record is dropped) */
	SEEP_KSTAT_DROP_LIVE_FULL,      /* drop: `live` full, allocation not recorded */
	SEEP_KSTAT_DROP_LIVE_FULL_BYTES,
	SEEP_KSTAT_DROP_SITE_FULL,      /* drop: `sites` full, the site's totals incomplete */
	SEEP_KSTAT_DROP_STACK_LOST,     /* drop: sampled, but the stack could not be taken */
	SEEP_KSTAT_DROP_CACHE_FULL,     /* drop: `caches` full, a slab cache left unnamed */
	SEEP_KSTAT_SITE_RETRIED,        /* an allocation's site was pruned by user space while
					   the allocation was counted in it: counted again */
	SEEP_KSTAT_DROP_SITE_LOST,      /* drop: a live record's site was gone when its free
					   (or reuse) came: that site's live totals were lost */
	SEEP_KSTAT__MAX,
};

/* Key of `live`. */
struct seep_klive_key {
	__u32 space;                /* enum seep_kspace */
	__u32 pad;
	__u64 addr;
};

/* Key of `sites`. CACHE is the struct kmem_cache's address for slab
 * allocations (named in `caches`), the page order for pages, else 0. */
struct seep_ksite_key {
	__u32 kind;                 /* enum seep_kkind */
	__s32 stack_id;             /* in `stacks`, or SEEP_KSTACK_* */
	__u32 tgid;                 /* 0 outside task context */
	__u32 ctx;                  /* enum seep_kctx */
	__u64 call_site;            /* the allocator's caller (0 for pages, vmap areas) */
	__u64 cache;
};

/* Value of `live`. */
struct seep_klive {
	__u64 size;                 /* bytes the allocation holds */
	__u64 ts_ns;                /* CLOCK_MONOTONIC at allocation */
	struct seep_ksite_key site;
};

/* Value of `sites`: counts updated atomically on every recorded event;
 * COMM and CGROUP_ID set when the site is first seen (task context).
 * Pruning: user space deletes a site that holds nothing (live_count 0)
 * and saw no allocation since its previous read, or whose process is
 * gone, after reading it again just before. An allocation that counted
 * itself in a site while it was being deleted sees, on looking the site
 * up again, that the entry it updated is no longer the site's: it takes
 * its counts back out and counts itself again (SEEP_KSTAT_SITE_RETRIED). */
struct seep_ksite {
	__s64 live_bytes;
	__s64 live_count;
	__u64 alloc_bytes;          /* cumulative, since attach */
	__u64 alloc_count;
	__u64 cgroup_id;            /* cgroup v2 id of the task, 0 outside task context */
	char comm[16];
};

/* Value of `caches`, by struct kmem_cache address. */
struct seep_kcache {
	__u32 object_size;          /* bytes the caller asked for */
	__u32 size;                 /* bytes each object takes in the slab */
	char name[SEEP_KCACHE_NAME];
};

#endif
