// SPDX-License-Identifier: GPL-2.0
/* kernel.bpf.c — live kernel allocations by site and kernel stack.
 *
 * tp_btf programs on the allocators' tracepoints: slab (kmem_cache_alloc,
 * which passes the cache since 6.1: sizes and names come from it),
 * kmalloc, pages, per-CPU areas and vmap areas. An allocation is kept in
 * `live` by (address space, address) with its size, time and site; its
 * free removes it. Every event is counted exactly in its site's totals
 * (`sites`); a kernel stack is taken only for events chosen by byte-based
 * Poisson sampling (the rest are told apart by call site). An allocation
 * made in task context is attributed to the task's process and cgroup.
 * Nothing here allocates (preallocated hash maps), so the programs do not
 * feed their own events. The kernel's per-program recursion guard can
 * still skip an event (an allocation inside an interrupt that arrives
 * while the same program runs): user space reads those misses from
 * bpf_prog_info, since a missed free is a false leak.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "seep_kernel.h"

char LICENSE[] SEC("license") = "GPL";

#define ZERO_SIZE_PTR 16ULL
#define PAGE_SHIFT 12

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18);
	__type(key, struct seep_klive_key);
	__type(value, struct seep_klive);
} live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct seep_ksite_key);
	__type(value, struct seep_ksite);
} sites SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct seep_kcache);
} caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1 << 14);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SEEP_KMAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_KKIND__MAX * SEEP_KSTAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Bytes until the next sample, per CPU and kind: a program does not run
 * inside itself on one CPU (the recursion guard), so its slot has one
 * writer at a time. */
struct sampler {
	__s64 left;
	__u64 init;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEP_KKIND__MAX);
	__type(key, __u32);
	__type(value, struct sampler);
} samplers SEC(".maps");

/* THREAD_SIZE: the size of a task's kernel stack (x86-64: 16 KiB, 32 KiB
 * with KASAN). */
const volatile __u64 cfg_thread_size = 16384;
/* Mean bytes between samples; 0 or 1: a stack for every allocation. */
const volatile __u64 cfg_sample_bytes = 0;
/* -ln((i + 0.5) / SEEP_KEXP_TABLE) * SEEP_KEXP_SCALE, filled by user space. */
const volatile __u32 cfg_exp[SEEP_KEXP_TABLE] = {};

static __always_inline void stat_add(__u32 kind, __u32 which, __u64 n)
{
	__u32 i = kind * SEEP_KSTAT__MAX + which;
	__u64 *v = bpf_map_lookup_elem(&stats, &i);

	if (v)
		__sync_fetch_and_add(v, n);  /* another program may interrupt this one */
}

/* Task or interrupt context. The preempt count would say, but it is a
 * per-CPU variable that kallsyms does not list on kernels without
 * CONFIG_KALLSYMS_ALL, so a program cannot name it. The stack says too:
 * hard and soft interrupts (on x86-64, softirqs run from irq exit or
 * local_bh_enable run on the CPU's interrupt stack) and NMIs run on
 * stacks of their own, not on the current task's. The program's own frame
 * may be on a private BPF stack, but its context -- the tracepoint's
 * arguments -- is an array on the stack of the kernel code that fired the
 * tracepoint: where that array is tells. */
static __always_inline __u32 current_ctx(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 base = (__u64)BPF_CORE_READ(task, stack), where = 0;

	/* the context pointer's value as a number (the verifier allows no
	 * arithmetic between it and one) */
	bpf_probe_read_kernel(&where, sizeof(where), &ctx);
	return where - base < cfg_thread_size ? SEEP_KCTX_TASK : SEEP_KCTX_IRQ;
}

static __always_inline __s64 next_gap(void)
{
	return (__s64)((cfg_exp[bpf_get_prandom_u32() & (SEEP_KEXP_TABLE - 1)] *
			cfg_sample_bytes) / SEEP_KEXP_SCALE);
}

/* Byte-based Poisson sampling: an allocation of SIZE bytes is sampled
 * when a sample point (exponential gaps of mean cfg_sample_bytes) falls
 * in it, with probability 1 - exp(-SIZE / mean). */
static __always_inline int sampled(__u32 kind, __u64 size)
{
	struct sampler *s;

	if (cfg_sample_bytes <= 1)
		return 1;
	s = bpf_map_lookup_elem(&samplers, &kind);
	if (!s)
		return 0;
	if (!s->init) {
		s->left = next_gap();
		s->init = 1;
	}
	s->left -= (__s64)size;
	if (s->left > 0)
		return 0;
	s->left = next_gap();  /* memoryless: the next gap starts here */
	return 1;
}

/* Names the slab cache CACHE once (when one of its sites is created). */
static __always_inline void name_cache(struct kmem_cache *cache)
{
	__u64 key = (__u64)cache;
	struct seep_kcache c = {};

	if (bpf_map_lookup_elem(&caches, &key))
		return;
	c.object_size = BPF_CORE_READ(cache, object_size);
	c.size = BPF_CORE_READ(cache, size);
	bpf_probe_read_kernel_str(c.name, sizeof(c.name), BPF_CORE_READ(cache, name));
	if (bpf_map_update_elem(&caches, &key, &c, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&caches, &key))
		stat_add(SEEP_KKIND_SLAB, SEEP_KSTAT_DROP_CACHE_FULL, 1);
}

/* Adds BYTES and COUNT to SITE's totals; IS_ALLOC also to the cumulative
 * ones. A site is created only by an allocation. Returns 1 when user
 * space pruned the site while an allocation was being counted in it (the
 * counts were taken back out: the caller counts again), else 0. */
static __always_inline int totals_try(const struct seep_ksite_key *site, __s64 bytes,
				      __s64 count, int is_alloc, struct kmem_cache *cache)
{
	struct seep_ksite *t = bpf_map_lookup_elem(&sites, site);

	if (!t) {
		struct seep_ksite init = {};

		if (!is_alloc) {  /* the allocation's site is gone: its totals are lost */
			stat_add(site->kind, SEEP_KSTAT_DROP_SITE_LOST, 1);
			return 0;
		}
		if (site->ctx == SEEP_KCTX_TASK) {
			init.cgroup_id = bpf_get_current_cgroup_id();
			bpf_get_current_comm(init.comm, sizeof(init.comm));
		}
		if (bpf_map_update_elem(&sites, site, &init, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&sites, site)) {
			stat_add(site->kind, SEEP_KSTAT_DROP_SITE_FULL, 1);
			return 0;
		}
		if (cache)
			name_cache(cache);
		t = bpf_map_lookup_elem(&sites, site);
		if (!t)
			return 1;
	}
	__sync_fetch_and_add(&t->live_bytes, bytes);
	__sync_fetch_and_add(&t->live_count, count);
	if (!is_alloc)
		return 0;  /* a site holding a live record is never pruned */
	__sync_fetch_and_add(&t->alloc_bytes, bytes);
	__sync_fetch_and_add(&t->alloc_count, 1);
	/* Pruned meanwhile? The entry updated may be free or another site's
	 * now: the counts come back out of it (the sum there is unchanged). */
	if (bpf_map_lookup_elem(&sites, site) == t)
		return 0;
	__sync_fetch_and_add(&t->live_bytes, -bytes);
	__sync_fetch_and_add(&t->live_count, -count);
	__sync_fetch_and_add(&t->alloc_bytes, -bytes);
	__sync_fetch_and_add(&t->alloc_count, -1);
	return 1;
}

static __always_inline void totals_add(const struct seep_ksite_key *site, __s64 bytes,
				       __s64 count, int is_alloc, struct kmem_cache *cache)
{
	if (!totals_try(site, bytes, count, is_alloc, cache))
		return;
	stat_add(site->kind, SEEP_KSTAT_SITE_RETRIED, 1);
	if (totals_try(site, bytes, count, is_alloc, cache))  /* pruned twice: give up */
		stat_add(site->kind, SEEP_KSTAT_DROP_SITE_FULL, 1);
}

/* Records an allocation of SIZE bytes at ADDR in SPACE, of KIND, from
 * CALL_SITE; CACHE_KEY distinguishes sites (the slab cache, the page
 * order). CTX is the tracepoint's context, for the stack. */
static __always_inline void record(void *ctx, __u32 kind, __u32 space, __u64 addr, __u64 size,
				   __u64 call_site, __u64 cache_key, struct kmem_cache *cache)
{
	struct seep_klive_key key = { .space = space, .addr = addr };
	struct seep_klive val = {
		.size = size,
		.ts_ns = bpf_ktime_get_ns(),
		.site = {
			.kind = kind,
			.stack_id = SEEP_KSTACK_UNSAMPLED,
			.ctx = current_ctx(ctx),
			.call_site = call_site,
			.cache = cache_key,
		},
	};
	struct seep_klive *old;

	if (val.site.ctx == SEEP_KCTX_TASK)
		val.site.tgid = bpf_get_current_pid_tgid() >> 32;
	else
		stat_add(kind, SEEP_KSTAT_IRQ_ALLOCS, 1);
	if (sampled(kind, size)) {
		long id = bpf_get_stackid(ctx, &stacks, 0);

		stat_add(kind, SEEP_KSTAT_SAMPLED, 1);
		if (id < 0) {
			val.site.stack_id = SEEP_KSTACK_LOST;
			stat_add(kind, SEEP_KSTAT_DROP_STACK_LOST, 1);
		} else {
			val.site.stack_id = (__s32)id;
		}
	}
	/* An address still recorded: its free was never seen. Its record
	 * goes, and its site's totals with it. */
	old = bpf_map_lookup_elem(&live, &key);
	if (old) {
		struct seep_klive copy = *old;

		if (!bpf_map_delete_elem(&live, &key)) {
			totals_add(&copy.site, -(__s64)copy.size, -1, 0, NULL);
			stat_add(copy.site.kind, SEEP_KSTAT_REPLACED, 1);
		}
	}
	if (bpf_map_update_elem(&live, &key, &val, BPF_ANY)) {
		stat_add(kind, SEEP_KSTAT_DROP_LIVE_FULL, 1);
		stat_add(kind, SEEP_KSTAT_DROP_LIVE_FULL_BYTES, size);
		return;
	}
	stat_add(kind, SEEP_KSTAT_ALLOCS, 1);
	stat_add(kind, SEEP_KSTAT_ALLOC_BYTES, size);
	totals_add(&val.site, (__s64)size, 1, 1, cache);
}

/* Removes the record of ADDR in SPACE; FREE_KIND is the kind charged with
 * an untracked free. */
static __always_inline void forget(__u32 space, __u64 addr, __u32 free_kind)
{
	struct seep_klive_key key = { .space = space, .addr = addr };
	struct seep_klive *v = bpf_map_lookup_elem(&live, &key);
	struct seep_klive copy;

	if (!v) {
		stat_add(free_kind, SEEP_KSTAT_FREES_UNTRACKED, 1);
		return;
	}
	copy = *v;
	if (bpf_map_delete_elem(&live, &key))  /* another CPU won the race */
		return;
	totals_add(&copy.site, -(__s64)copy.size, -1, 0, NULL);
	stat_add(copy.site.kind, SEEP_KSTAT_FREES, 1);
}

/* A page's key: its struct page's index in the memory map (the pfn plus
 * a constant). The argument is a typed pointer, on which the verifier
 * allows no arithmetic: its value is copied out first. */
static __always_inline __u64 page_key(struct page *page)
{
	__u64 p = 0;

	bpf_probe_read_kernel(&p, sizeof(p), &page);
	return p / bpf_core_type_size(struct page);
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kmem_cache_alloc_tp, unsigned long call_site, const void *ptr,
	     struct kmem_cache *s, gfp_t gfp_flags, int node)
{
	if (!ptr) {
		stat_add(SEEP_KKIND_SLAB, SEEP_KSTAT_FAILED_ALLOCS, 1);
		return 0;
	}
	record(ctx, SEEP_KKIND_SLAB, SEEP_KSPACE_SLAB, (__u64)ptr, BPF_CORE_READ(s, size),
	       call_site, (__u64)s, s);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kmem_cache_free_tp, unsigned long call_site, const void *ptr,
	     const struct kmem_cache *s)
{
	if (ptr)
		forget(SEEP_KSPACE_SLAB, (__u64)ptr, SEEP_KKIND_SLAB);
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kmalloc_tp, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	if ((__u64)ptr <= ZERO_SIZE_PTR) {
		if (!ptr)
			stat_add(SEEP_KKIND_KMALLOC, SEEP_KSTAT_FAILED_ALLOCS, 1);
		return 0;
	}
	record(ctx, SEEP_KKIND_KMALLOC, SEEP_KSPACE_SLAB, (__u64)ptr, bytes_alloc, call_site, 0,
	       NULL);
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kfree_tp, unsigned long call_site, const void *ptr)
{
	if ((__u64)ptr > ZERO_SIZE_PTR)
		forget(SEEP_KSPACE_SLAB, (__u64)ptr, SEEP_KKIND_KMALLOC);
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(mm_page_alloc_tp, struct page *page, unsigned int order, gfp_t gfp_flags,
	     int migratetype)
{
	if (!page) {
		stat_add(SEEP_KKIND_PAGE, SEEP_KSTAT_FAILED_ALLOCS, 1);
		return 0;
	}
	record(ctx, SEEP_KKIND_PAGE, SEEP_KSPACE_PAGE, page_key(page),
	       (__u64)1 << (PAGE_SHIFT + (order & 31)), 0, order, NULL);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(mm_page_free_tp, struct page *page, unsigned int order)
{
	forget(SEEP_KSPACE_PAGE, page_key(page), SEEP_KKIND_PAGE);
	return 0;
}

SEC("tp_btf/percpu_alloc_percpu")
int BPF_PROG(percpu_alloc_percpu_tp, unsigned long call_site, bool reserved, bool is_atomic,
	     size_t size, size_t align, void *base_addr, int off, void *ptr, size_t bytes_alloc,
	     gfp_t gfp_flags)
{
	if (!ptr) {
		stat_add(SEEP_KKIND_PERCPU, SEEP_KSTAT_FAILED_ALLOCS, 1);
		return 0;
	}
	record(ctx, SEEP_KKIND_PERCPU, SEEP_KSPACE_PERCPU, (__u64)ptr, bytes_alloc, call_site, 0,
	       NULL);
	return 0;
}

SEC("tp_btf/percpu_free_percpu")
int BPF_PROG(percpu_free_percpu_tp, void *base_addr, int off, void *ptr)
{
	if (ptr)
		forget(SEEP_KSPACE_PERCPU, (__u64)ptr, SEEP_KKIND_PERCPU);
	return 0;
}

SEC("tp_btf/alloc_vmap_area")
int BPF_PROG(alloc_vmap_area_tp, unsigned long addr, unsigned long size, unsigned long align,
	     unsigned long vstart, unsigned long vend, int failed)
{
	if (failed) {
		stat_add(SEEP_KKIND_VMALLOC, SEEP_KSTAT_FAILED_ALLOCS, 1);
		return 0;
	}
	record(ctx, SEEP_KKIND_VMALLOC, SEEP_KSPACE_VMAP, addr, size, 0, 0, NULL);
	return 0;
}

SEC("tp_btf/free_vmap_area_noflush")
int BPF_PROG(free_vmap_area_noflush_tp, unsigned long va_start, unsigned long nr_lazy,
	     unsigned long nr_lazy_max)
{
	forget(SEEP_KSPACE_VMAP, va_start, SEEP_KKIND_VMALLOC);
	return 0;
}
