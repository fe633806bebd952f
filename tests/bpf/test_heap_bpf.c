/* BPF tests (root): load the heap tracer, attach to a target held on a pipe,
 * let it run to completion, then check the live blocks the kernel kept,
 * per calling function, to the byte. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/symbolize.h"
#include "testlib.h"
#include "tracer/trace.h"

struct fn_total {
	char fn[64];
	uint64_t bytes, count;
};

struct collect {
	pid_t pid;
	struct symbolizer *sym;
	struct fn_total v[128];
	size_t n;
	uint64_t total_bytes, total_count;
	uint64_t largest;
	uint64_t site_allocs;    /* the sites' allocations since attach */
};

static int collect_block(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct collect *c = ctx;
	struct stack_frame f;
	size_t i;

	if (k->tgid != (uint32_t)c->pid)
		return 0;
	c->total_bytes += v->size;
	c->total_count++;
	if (v->size > c->largest)
		c->largest = v->size;
	cr_assert_eq(symbolizer__frame(c->sym, v->site.caller, true, &f), 0);
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].fn, f.function ? f.function : "?"))
			break;
	if (i == c->n) {
		cr_assert_lt(c->n, 128);
		snprintf(c->v[c->n++].fn, sizeof(c->v[0].fn), "%s", f.function ? f.function : "?");
	}
	c->v[i].bytes += v->size;
	c->v[i].count++;
	free(f.function);
	free(f.module);
	free(f.file);
	return 0;
}

static const struct fn_total *lookup(const struct collect *c, const char *fn)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].fn, fn))
			return &c->v[i];
	return NULL;
}

/* Sums the sites' totals (allocations since attach). */
static int add_site(const struct seep_stack_key *k, const struct seep_stack_totals *v, void *ctx)
{
	struct collect *c = ctx;

	if (k->tgid == (uint32_t)c->pid)
		c->site_allocs += v->alloc_count;
	return 0;
}

/* Runs TARGET under the tracer configured by CFG to completion, every
 * CPU's owner held if HELD; fills C and STATS. */
static void run_traced_as(const char *target, const struct trace_config *cfg, bool held,
			  struct collect *c, uint64_t stats[SEEP_STAT__MAX])
{
	struct trace *t = NULL;
	char *argv[] = { (char *)target, NULL };
	int go;

	cr_assert_eq(trace__new(cfg, &t), 0, "cannot load the BPF program (run as root)");
	if (held)
		cr_assert_eq(trace__hold_owners(t, true), 0);
	c->pid = target_start(argv, &go);
	cr_assert_gt(c->pid, 0);
	cr_assert_eq(target_wait_blocked(c->pid), 0, "the target never got ready");
	cr_assert_gt(trace__add_pid(t, c->pid, SEEP_UNWIND_FP), 0);
	/* Attaching again (seep does when modules change) hooks nothing twice. */
	cr_assert_eq(trace__add_pid(t, c->pid, SEEP_UNWIND_FP), 0);
	c->sym = symbolizer__new(c->pid, NULL);
	cr_assert_not_null(c->sym);
	target_go(go);
	cr_assert_eq(target_wait(c->pid), 0);
	cr_assert_eq(trace__for_each_live(t, collect_block, c), 0);
	cr_assert_eq(trace__for_each_site(t, add_site, c), 0);
	cr_assert_eq(trace__read_stats(t, stats), 0);
	symbolizer__free(c->sym);
	trace__free(t);
}

static void run_traced_cfg(const char *target, const struct trace_config *cfg,
			   struct collect *c, uint64_t stats[SEEP_STAT__MAX])
{
	run_traced_as(target, cfg, false, c, stats);
}

static void run_traced(const char *target, struct collect *c, uint64_t stats[SEEP_STAT__MAX])
{
	struct trace_config cfg = { 0 };

	run_traced_cfg(target, &cfg, c, stats);
}

struct expect {
	const char *fn;
	uint64_t bytes, count;
};

Test(heap_bpf, every_allocator_exact)
{
	static const struct expect want[] = {
		{ "do_malloc", 1000, 10 },
		{ "do_calloc", 990, 10 },
		{ "do_realloc_chain", 64, 1 },
		{ "do_realloc_zero", 0, 0 },
		{ "do_reallocarray", 80, 1 },
		{ "do_posix_memalign", 3000, 3 },
		{ "do_aligned_alloc", 256, 2 },
		{ "do_memalign", 192, 2 },
		{ "do_valloc", 5000, 1 },
		{ "do_pvalloc", 100, 1 },
		{ "do_mmap", 16384 + 8192, 2 },
		{ "do_file_mmap", 0, 0 },
		{ "do_mremap", 65536, 1 },
		{ "do_large_malloc", 1 << 20, 1 },
		{ "do_failed", 0, 0 },
	};
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };

	run_traced(TARGET("alloc_each"), &c, stats);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct fn_total *got = lookup(&c, want[i].fn);

		cr_expect_eq(got ? got->bytes : 0, want[i].bytes, "%s: %lu bytes, want %lu",
			     want[i].fn, got ? (unsigned long)got->bytes : 0UL,
			     (unsigned long)want[i].bytes);
		cr_expect_eq(got ? got->count : 0, want[i].count, "%s: %lu blocks, want %lu",
			     want[i].fn, got ? (unsigned long)got->count : 0UL,
			     (unsigned long)want[i].count);
	}
	cr_expect_geq(stats[SEEP_STAT_FAILED_ALLOCS], 2, "malloc(huge) and calloc overflow fail");
	cr_expect_geq(stats[SEEP_STAT_FREES_UNTRACKED], 1, "free of the block made before attach");
	cr_expect_geq(stats[SEEP_STAT_NESTED], 1, "malloc(1 MiB) mmaps inside glibc");
	cr_expect_geq(stats[SEEP_STAT_MUNMAP_PARTIAL], 1);
	cr_expect_eq(stats[SEEP_STAT_DROP_MISSED_RETURN], 0);
	cr_expect_eq(stats[SEEP_STAT_DROP_LIVE_FULL], 0);
	cr_expect_eq(stats[SEEP_STAT_DROP_STACK_LOST], 0);
	cr_expect_eq(stats[SEEP_STAT_DROP_NEST_FULL], 0);
}

/* The threads target's blocks, to the byte: 4 threads of 1000 live
 * blocks, their churn freed. */
static void expect_threads(const struct collect *c, const uint64_t stats[SEEP_STAT__MAX])
{
	const struct fn_total *a = lookup(c, "thread_alloc"), *w = lookup(c, "worker");

	cr_assert_not_null(a);
	cr_expect_eq(a->bytes, 4 * 1000 * 64);
	cr_expect_eq(a->count, 4 * 1000);
	cr_assert_not_null(w);
	cr_expect_eq(w->bytes, 4 * 1000 * sizeof(void *));
	cr_expect_eq(w->count, 4);
	cr_expect_null(lookup(c, "thread_churn"), "churn is freed");
	cr_expect_eq(lookup(c, "thread_hello") ? lookup(c, "thread_hello")->bytes : 0, 4 * 16);
	cr_expect_eq(stats[SEEP_STAT_DROP_MISSED_RETURN], 0);
	cr_expect_eq(stats[SEEP_STAT_DROP_NO_TASK_STORAGE], 0);
	cr_expect_eq(stats[SEEP_STAT_DROP_LIVE_FULL], 0);
}

Test(heap_bpf, threads_exact)
{
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };

	run_traced(TARGET("threads"), &c, stats);
	expect_threads(&c, stats);
	cr_expect_eq(stats[SEEP_STAT_LIVE_SPILLED], 0, "a table sized for 1M blocks holds 4012");
	cr_expect_eq(c.site_allocs, stats[SEEP_STAT_ALLOCS], "every allocation in its site");
}

/* Every CPU's owner held, as by a program preempted while recording:
 * each allocation takes the shared path (atomic counts into `stats` and
 * the sites' shared halves) and is counted the same, to the byte. */
Test(heap_bpf, threads_exact_without_owner)
{
	struct trace_config cfg = { 0 };
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };

	run_traced_as(TARGET("threads"), &cfg, true, &c, stats);
	expect_threads(&c, stats);
	cr_expect_geq(stats[SEEP_STAT_ALLOCS], 4 * 1000 + 4);
	cr_expect_eq(c.site_allocs, stats[SEEP_STAT_ALLOCS], "every allocation in its site");
}

/* A table sized for 2048 blocks (586 buckets of 7 slots) holding the
 * ~4012 live at once: about 7 to a bucket, so many buckets fill and
 * their blocks spill into the hash map; the spilled ones are freed and
 * read back like the others. */
Test(heap_bpf, threads_exact_through_spill)
{
	struct trace_config cfg = { .max_live = 2048 };
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };

	run_traced_cfg(TARGET("threads"), &cfg, &c, stats);
	expect_threads(&c, stats);
	cr_expect_gt(stats[SEEP_STAT_LIVE_SPILLED], 0);
}

Test(heap_bpf, full_live_map_is_counted)
{
	struct trace_config cfg = { .max_live = 64 };
	uint64_t stats[SEEP_STAT__MAX], kept;
	struct trace *t = NULL;
	char *argv[] = { TARGET("threads"), NULL };
	int go;
	pid_t pid;

	cr_assert_eq(trace__new(&cfg, &t), 0);
	pid = target_start(argv, &go);
	cr_assert_eq(target_wait_blocked(pid), 0, "the target never got ready");
	cr_assert_gt(trace__add_pid(t, pid, SEEP_UNWIND_FP), 0);
	target_go(go);
	cr_assert_eq(target_wait(pid), 0);
	cr_assert_eq(trace__read_stats(t, stats), 0);
	/* 4 x 1000 live blocks cannot fit in a table sized for 64 (19
	 * buckets of 7 slots and a spill map of 64: 64 to 197 blocks, by
	 * how they fall in the buckets): the rest is counted. */
	kept = stats[SEEP_STAT_ALLOCS] - stats[SEEP_STAT_FREES];
	cr_expect_leq(kept, 19 * 7 + 64);
	cr_expect_geq(kept, 64);
	cr_expect_geq(stats[SEEP_STAT_DROP_LIVE_FULL], 4000 - kept);
	cr_expect_geq(stats[SEEP_STAT_DROP_LIVE_FULL_BYTES], (4000 - kept) * 64);
	trace__free(t);
}

Test(heap_bpf, no_allocator_and_missing_pid)
{
	struct trace_config cfg = { 0 };
	struct trace *t = NULL;
	char *argv[] = { TARGET("noalloc"), NULL };
	int go;
	pid_t pid;

	cr_assert_eq(trace__new(&cfg, &t), 0);
	pid = target_start(argv, &go);
	cr_assert_eq(target_wait_blocked(pid), 0, "the target never got ready");
	cr_expect_eq(trace__add_pid(t, pid, SEEP_UNWIND_FP), -ENOENT);
	kill(pid, SIGKILL);
	target_wait(pid);
	cr_expect_eq(trace__add_pid(t, pid, SEEP_UNWIND_FP), -ESRCH, "reaped: no such process");
	trace__free(t);
}

/* glibc reserves a 128 MiB arena with mmap inside the first malloc of a new
 * thread: nested in the allocator, never recorded, whether the malloc was
 * sampled (return hooked) or not (return skipped, the marker tells), with
 * uprobe sessions or uprobe + uretprobe pairs. */
struct mode_case {
	uint64_t sample_bytes;
	bool no_sessions;
};

ParameterizedTestParameters(heap_bpf, nested_arena_mmap_not_recorded)
{
	static struct mode_case cases[] = {
		{ 0, false }, { 0, true }, { 4096, false }, { 4096, true },
	};

	return cr_make_param_array(struct mode_case, cases, 4);
}

ParameterizedTest(struct mode_case *m, heap_bpf, nested_arena_mmap_not_recorded)
{
	struct trace_config cfg = { .sample_bytes = m->sample_bytes, .no_sessions = m->no_sessions };
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };
	const struct fn_total *a;

	run_traced_cfg(TARGET("threads"), &cfg, &c, stats);
	cr_expect_lt(c.largest, 32 << 20, "sample %lu, sessions %d: a %lu-byte block recorded",
		     (unsigned long)m->sample_bytes, !m->no_sessions, (unsigned long)c.largest);
	cr_expect_geq(stats[SEEP_STAT_NESTED], 1, "sample %lu, sessions %d: the arena mmap was seen as nested",
		       (unsigned long)m->sample_bytes, !m->no_sessions);
	cr_expect_eq(stats[SEEP_STAT_DROP_MISSED_RETURN], 0);
	/* 4000 blocks of 64 bytes sampled every 4 KiB: about 62 recorded */
	a = lookup(&c, "thread_alloc");
	cr_assert_not_null(a);
	if (!m->sample_bytes) {
		cr_expect_eq(a->count, 4000, "exact: every block");
	} else {
		cr_expect_lt(a->count, 4000, "sampled: some blocks");
		/* each worker calls malloc 2002 times; what a thread holds of
		 * its unsampled count is added at its exit */
		cr_expect_geq(stats[SEEP_STAT_UNSAMPLED] + stats[SEEP_STAT_ALLOCS], 4 * 2002,
			      "%lu unsampled, %lu recorded", (unsigned long)stats[SEEP_STAT_UNSAMPLED],
			      (unsigned long)stats[SEEP_STAT_ALLOCS]);
	}
}

/* A malloc whose return address was not read (the place cache of
 * skip_set: the same sp and function as a call from another call site)
 * still has its mmap taken as nested: no mapping of a BIG block (BIG plus
 * glibc's header, rounded to a page) is recorded beside the blocks, with
 * uprobe sessions (the slot proves nothing: taken as the allocator's own,
 * counted) or uprobe + uretprobe pairs (the trampoline in the slot
 * proves it). Sampled every 16 MiB, some 6 % of the mmaps would be
 * sampled if taken as calls of their own. The count of assumed ones holds
 * with the suite's tests run one at a time: a concurrent test's uretprobe
 * on malloc (shared probes hook every process) puts the trampoline in the
 * slot, which proves them instead. */
ParameterizedTestParameters(heap_bpf, unread_place_keeps_mmap_nested)
{
	static bool no_sessions[] = { false, true };

	return cr_make_param_array(bool, no_sessions, 2);
}

ParameterizedTest(bool *no_sessions, heap_bpf, unread_place_keeps_mmap_nested)
{
	struct trace_config cfg = { .sample_bytes = 16 << 20, .no_sessions = *no_sessions };
	uint64_t stats[SEEP_STAT__MAX];
	struct collect c = { 0 };

	run_traced_cfg(TARGET("two_sites"), &cfg, &c, stats);
	cr_expect_leq(c.largest, 1 << 20, "sessions %d: a %lu-byte mapping recorded", !*no_sessions,
		      (unsigned long)c.largest);
	cr_expect_geq(stats[SEEP_STAT_NESTED], 400, "sessions %d: %lu of 400 mmaps nested",
		      !*no_sessions, (unsigned long)stats[SEEP_STAT_NESTED]);
	cr_expect_gt(stats[SEEP_STAT_UNSAMPLED], 700);
	if (*no_sessions)
		cr_expect_eq(stats[SEEP_STAT_NESTED_ASSUMED], 0, "the trampoline proves them");
	else
		cr_expect_gt(stats[SEEP_STAT_NESTED_ASSUMED], 100, "unread places: %lu assumed",
			     (unsigned long)stats[SEEP_STAT_NESTED_ASSUMED]);
	cr_expect_eq(stats[SEEP_STAT_DROP_MISSED_RETURN], 0);
}

/* Shared probes: one set per file for every process that maps it. Two
 * traced processes and an untraced one run the same program at once: the
 * second traced process hooks nothing new, both are counted exactly, the
 * untraced one not at all; with uprobe sessions or uprobe + uretprobe
 * pairs (whose return probes then fire in every process). */
ParameterizedTestParameters(heap_bpf, shared_probes_count_traced_processes_only)
{
	static bool no_sessions[] = { false, true };

	return cr_make_param_array(bool, no_sessions, 2);
}

ParameterizedTest(bool *no_sessions, heap_bpf, shared_probes_count_traced_processes_only)
{
	struct trace_config cfg = { .shared_probes = true, .no_sessions = *no_sessions };
	struct trace *t = NULL;
	char *argv[] = { TARGET("alloc_each"), NULL };
	struct collect c[3] = { { 0 } };
	uint64_t stats[SEEP_STAT__MAX];
	int go[3];

	cr_assert_eq(trace__new(&cfg, &t), 0, "cannot load the BPF program (run as root)");
	for (int i = 0; i < 3; i++)
		c[i].pid = target_start(argv, &go[i]);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(target_wait_blocked(c[i].pid), 0, "target %d never got ready", i);
	cr_assert_gt(trace__add_pid(t, c[0].pid, SEEP_UNWIND_FP), 0);
	cr_assert_eq(trace__add_pid(t, c[1].pid, SEEP_UNWIND_FP), 0, "libc is hooked already");
	for (int i = 0; i < 3; i++) {
		c[i].sym = symbolizer__new(c[i].pid, NULL);
		cr_assert_not_null(c[i].sym);
	}
	for (int i = 0; i < 3; i++)
		target_go(go[i]);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(target_wait(c[i].pid), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(trace__for_each_live(t, collect_block, &c[i]), 0);
	cr_assert_eq(trace__read_stats(t, stats), 0);
	for (int i = 0; i < 2; i++) {
		const struct fn_total *m = lookup(&c[i], "do_malloc"), *v = lookup(&c[i], "do_valloc");

		cr_assert_not_null(m, "traced process %d", i);
		cr_expect_eq(m->bytes, 1000);
		cr_expect_eq(m->count, 10);
		cr_assert_not_null(v);
		cr_expect_eq(v->bytes, 5000);
	}
	cr_expect_eq(c[2].total_count, 0, "the untraced process left no block");
	cr_expect_eq(c[0].total_bytes, c[1].total_bytes);
	cr_expect_eq(stats[SEEP_STAT_DROP_MISSED_RETURN], 0);
	/* forgotten: its blocks are dropped, its pid leaves the targets */
	cr_assert_eq(trace__forget_pid(t, c[0].pid), 0);
	c[0].total_count = 0;
	cr_assert_eq(trace__for_each_live(t, collect_block, &c[0]), 0);
	cr_expect_eq(c[0].total_count, 0);
	for (int i = 0; i < 3; i++)
		symbolizer__free(c[i].sym);
	trace__free(t);
}
