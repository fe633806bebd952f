/* kreport: kgrowth (sites' live bytes across reports) and the folded
 * rendering of kernel sites. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/kreport.h"

static struct kgrowth_mark observe(struct kgrowth *g, uint64_t id, uint64_t bytes)
{
	struct kgrowth_mark m;

	cr_assert_eq(kgrowth__observe(g, id, bytes, &m), 0);
	return m;
}

/* Site 1 grows every report, site 2 grows then shrinks, site 3 is flat. */
Test(kgrowth, growing_only_when_every_interval_grew)
{
	struct kgrowth *g = kgrowth__new();
	struct kgrowth_mark m1, m2, m3;

	cr_assert_not_null(g);
	for (int rep = 0; rep < 5; rep++) {
		m1 = observe(g, 1, 100 + 10 * (uint64_t)rep);
		m2 = observe(g, 2, rep < 3 ? 100 + (uint64_t)rep : 50);
		m3 = observe(g, 3, 100);
		cr_assert_eq(m1.intervals, (uint32_t)rep);
		cr_assert_eq(m1.grew, m1.intervals, "invariant: site 1 grew in each interval");
		cr_assert_leq(m2.grew, m2.intervals);
		cr_assert_eq(m1.growing, rep >= KGROWTH_MIN_INTERVALS);
		cr_assert_eq(m2.growing, rep == 2, "site 2 at report %d", rep);
		cr_assert_not(m3.growing);
		cr_assert_eq(m3.bytes, 0);
		kgrowth__commit(g);
	}
	cr_expect_eq(m1.bytes, 40);
	cr_expect_eq(m2.bytes, -50);
	cr_expect_eq(m2.grew, 2);
	cr_expect_eq(kgrowth__reports(g), 5);
	kgrowth__free(g);
	kgrowth__free(NULL);
}

/* A site missing from a report (it held nothing) starts over. */
Test(kgrowth, absent_site_starts_over)
{
	struct kgrowth *g = kgrowth__new();
	struct kgrowth_mark m;

	for (int rep = 0; rep < 3; rep++) {
		observe(g, 7, 10 * (uint64_t)(rep + 1));
		kgrowth__commit(g);
	}
	kgrowth__commit(g);   /* a report without site 7 */
	m = observe(g, 7, 1000);
	cr_expect_eq(m.intervals, 0);
	cr_expect_eq(m.bytes, 0);
	cr_expect_not(m.growing);
	kgrowth__free(g);
}

/* Many sites: each found again by its id. */
Test(kgrowth, many_sites)
{
	struct kgrowth *g = kgrowth__new();

	for (int rep = 0; rep < 3; rep++) {
		for (uint64_t id = 0; id < 5000; id++) {
			struct kgrowth_mark m = observe(g, id * 0x9e3779b97f4a7c15ULL,
							id + (uint64_t)rep * (id & 1));

			cr_assert_eq(m.intervals, (uint32_t)rep);
			cr_assert_eq(m.growing, rep >= 2 && (id & 1), "site %lu", (unsigned long)id);
		}
		kgrowth__commit(g);
	}
	kgrowth__free(g);
}

Test(kreport, folded_under_process_and_kind)
{
	struct stack_frame f[2] = { { .function = "kmalloc_trace" }, { .function = "alloc_pipe_info" } };
	struct report_stack st[2] = { { .bytes = 4096, .count = 2, .nframes = 2, .frames = f },
				      { .bytes = 100, .count = 1, .nframes = 0 } };
	struct kreport_site ks[2] = {
		{ .kind = SEEP_KKIND_KMALLOC, .ctx = SEEP_KCTX_TASK, .pid = 42, .comm = "leaker",
		  .order = -1 },
		{ .kind = SEEP_KKIND_SLAB, .ctx = SEEP_KCTX_IRQ, .cache = "skbuff_head_cache",
		  .order = -1 },
	};
	struct kreport r = { .sites = ks };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	r.base.nstacks = 2;
	r.base.stacks = st;
	cr_assert_eq(kreport__write(&r, REPORT_FOLDED, out), 0);
	fclose(out);
	cr_expect_str_eq(buf, "leaker 42;[kmalloc];alloc_pipe_info;kmalloc_trace 4096\n"
			      "[interrupt];[slab skbuff_head_cache] 100\n");
	free(buf);
}
