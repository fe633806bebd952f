/* Unit tests for diagnose/stackseries: stacks lined up across snapshots,
 * absent stacks, the sampling variance. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "diagnose/stackseries.h"
#include "snapshot/sampling.h"

static struct stack_frame fa[] = { { .function = "malloc" }, { .function = "leak", .file = "a.c", .line = 3 } };
static struct stack_frame fb[] = { { .function = "malloc" }, { .function = "cache", .file = "a.c", .line = 9 } };

static struct report_stack st(struct stack_frame *f, uint64_t bytes, uint64_t count, double age,
			      uint64_t alloc)
{
	return (struct report_stack){ .bytes = bytes, .count = count, .oldest_age_s = age,
				      .alloc_bytes = alloc, .nframes = 2, .frames = f };
}

Test(stackseries, stacks_line_up_and_absent_ones_hold_nothing)
{
	struct report_stack s0[] = { st(fa, 100, 1, 1, 100), st(fb, 50, 1, 1, 50) };
	struct report_stack s1[] = { st(fa, 200, 2, 2, 200), st(fa, 10, 1, 0.5, 10) };
	struct report_stack s2[] = { st(fb, 70, 1, 0.1, 500) };
	struct report r[3] = { { .nstacks = 2, .stacks = s0 }, { .nstacks = 2, .stacks = s1 },
			       { .nstacks = 1, .stacks = s2 } };
	const struct report *snaps[3] = { &r[0], &r[1], &r[2] };
	struct stackseries *s;
	const struct stack_series *a, *b;

	cr_assert_eq(stackseries__build(snaps, 3, &s), 0);
	cr_assert_eq(stackseries__rows(s), 2);
	a = stackseries__row(s, 0);
	b = stackseries__row(s, 1);
	cr_expect_str_eq(a->key, "malloc@:0;leak@a.c:3");
	cr_expect_eq(stackseries__find(s, a->key), 0);
	cr_expect_eq(stackseries__find(s, "nope"), -ENOENT);
	cr_expect_float_eq(a->bytes[1], 210, 0, "same stacks of one snapshot are summed");
	cr_expect_float_eq(a->age[1], 2, 0, "the oldest of them");
	cr_expect_float_eq(a->bytes[2], 0, 0);
	cr_expect(isnan(a->age[2]));
	cr_expect_float_eq(a->alloc[2], 210, 0, "the last total is kept");
	cr_expect_float_eq(b->bytes[1], 0, 0);
	cr_expect_float_eq(b->alloc[1], 50, 0);
	cr_expect_float_eq(b->alloc[2], 500, 0);
	for (int c = 0; c < 3; c++) {
		double sum = 0, want = 0;

		for (size_t i = 0; i < stackseries__rows(s); i++)
			sum += stackseries__row(s, i)->bytes[c];
		for (size_t k = 0; k < r[c].nstacks; k++)
			want += (double)r[c].stacks[k].bytes;
		cr_expect_float_eq(sum, want, 0, "column %d sums to its snapshot", c);
		cr_expect_float_eq(a->var[c] + b->var[c], 0, 0, "exact snapshots: no variance");
	}
	stackseries__free(s);
	stackseries__free(NULL);
}

Test(stackseries, sampled_snapshot_gives_the_estimates_variance)
{
	/* 64 blocks of 1 KiB estimated, one sample per 64 KiB */
	struct report_stack s0[] = { st(fa, 65536, 64, 1, 65536) };
	struct report r = { .sample_bytes = 65536, .nstacks = 1, .stacks = s0 };
	const struct report *snaps[1] = { &r };
	struct sample_weight w = sampling__weight(1024, 65536);
	struct stackseries *s;

	cr_assert_eq(stackseries__build(snaps, 1, &s), 0);
	cr_expect_float_eq(stackseries__row(s, 0)->var[0], 64 * w.p * w.var_bytes, 1e-6);
	cr_expect_gt(stackseries__row(s, 0)->var[0], 1e9, "sd of tens of KiB");
	stackseries__free(s);
}
