/* kledger: which kernel sites may be pruned between reads, and each
 * site's missed-free figures from the free programs' recursion misses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "snapshot/kledger.h"

static const uint64_t none[SEEP_KSPACE__MAX];

struct read {
	struct kledger_missed m;
	bool prunable;
};

static struct read site(struct kledger *l, uint64_t id, uint32_t space, int64_t live,
			uint64_t allocs, bool gone)
{
	struct read r;

	cr_assert_eq(kledger__read(l, id, space, live, allocs, gone, &r.m, &r.prunable), 0);
	return r;
}

Test(kledger, prunes_only_idle_empty_sites_or_those_of_gone_processes)
{
	struct kledger *l = kledger__new();

	cr_assert_not_null(l);
	kledger__begin(l, none, none);
	cr_expect_not(site(l, 1, SEEP_KSPACE_SLAB, 0, 5, false).prunable, "first seen: not idle yet");
	cr_expect_not(site(l, 2, SEEP_KSPACE_SLAB, 3, 5, false).prunable, "holds objects");
	cr_expect(site(l, 3, SEEP_KSPACE_SLAB, 0, 5, true).prunable, "its process is gone");
	cr_expect_not(site(l, 4, SEEP_KSPACE_SLAB, 2, 2, true).prunable, "gone, but holds objects");
	kledger__end(l);
	cr_expect_eq(kledger__sites(l), 4);

	kledger__begin(l, none, none);
	cr_expect(site(l, 1, SEEP_KSPACE_SLAB, 0, 5, false).prunable, "empty, no allocation since");
	cr_expect_not(site(l, 2, SEEP_KSPACE_SLAB, 0, 6, false).prunable, "allocated since");
	kledger__end(l);
	cr_expect_eq(kledger__sites(l), 2, "sites not read are forgotten");

	kledger__begin(l, none, none);
	cr_expect(site(l, 2, SEEP_KSPACE_SLAB, 0, 6, false).prunable);
	cr_expect_not(site(l, 3, SEEP_KSPACE_SLAB, 0, 5, false).prunable,
		      "forgotten, then seen again: new");
	kledger__end(l);
	cr_expect_eq(kledger__reads(l), 3);
	cr_expect_eq(kledger__read(l, 9, SEEP_KSPACE__MAX, 0, 0, false, NULL, NULL), -EINVAL);
	kledger__free(l);
	kledger__free(NULL);
}

Test(kledger, a_miss_is_charged_by_share_of_frees_and_bounded_by_live_objects)
{
	struct kledger *l = kledger__new();
	uint64_t misses[SEEP_KSPACE__MAX] = { 0 }, frees[SEEP_KSPACE__MAX] = { 0 };
	struct read leaker, churner, idle, page;

	kledger__begin(l, misses, frees);
	site(l, 1, SEEP_KSPACE_SLAB, 10, 10, false);     /* leaker: never frees */
	site(l, 2, SEEP_KSPACE_SLAB, 5, 100, false);     /* churner: 95 frees so far */
	site(l, 3, SEEP_KSPACE_SLAB, 0, 4, false);       /* held nothing since */
	site(l, 4, SEEP_KSPACE_PAGE, 7, 7, false);
	kledger__end(l);

	/* 4 slab frees missed out of 1000 seen in the period; none of pages */
	misses[SEEP_KSPACE_SLAB] = 4;
	frees[SEEP_KSPACE_SLAB] = 1000;
	frees[SEEP_KSPACE_PAGE] = 50;
	kledger__begin(l, misses, frees);
	leaker = site(l, 1, SEEP_KSPACE_SLAB, 20, 20, false);
	churner = site(l, 2, SEEP_KSPACE_SLAB, 5, 600, false);    /* 500 frees in the period */
	idle = site(l, 3, SEEP_KSPACE_SLAB, 0, 4, false);
	page = site(l, 4, SEEP_KSPACE_PAGE, 7, 7, false);
	kledger__end(l);

	cr_expect_eq(leaker.m.at_most, 4, "held objects: up to every miss");
	cr_expect_float_eq(leaker.m.expected, 0, 1e-9, "frees nothing: expected to have lost none");
	cr_expect_eq(churner.m.at_most, 4);
	cr_expect_float_eq(churner.m.expected, 2.0, 1e-9, "half the space's frees: half the misses");
	cr_expect_eq(idle.m.at_most, 0, "held nothing throughout");
	cr_expect_eq(page.m.at_most, 0, "another key space");

	/* a second period: figures add up, capped at the live count */
	misses[SEEP_KSPACE_SLAB] = 10;
	frees[SEEP_KSPACE_SLAB] = 1100;
	kledger__begin(l, misses, frees);
	churner = site(l, 2, SEEP_KSPACE_SLAB, 3, 700, false);    /* 102 frees of 100 */
	kledger__end(l);
	cr_expect_eq(churner.m.at_most, 3, "10 misses, but only 3 live objects");
	cr_expect_float_eq(churner.m.expected, 3, 1e-9, "2 + 6 * 102 / 100, capped at 3");
	kledger__free(l);
}
