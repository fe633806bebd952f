/* stacktab: rows match across reports by frames, not addresses; stacks of
 * one report that are the same are summed; each column sums to its
 * report's totals; rows come in order of first appearance. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/stacktab.h"
#include "fixtures.h"

static const char *const leak[] = { "malloc", "xstrdup", "handle_request", "main", NULL };
static const char *const cache[] = { "malloc", "cache_put", "main", NULL };
static const char *const shallow[] = { "malloc", "main", NULL };
static const char *const anon[] = { "malloc", "?", "main", NULL };

#define ASLR_A 0x555500000000ULL
#define ASLR_B 0x563400000000ULL
#define ASLR_C 0x7f0000000000ULL

/* The invariant: for each column, the rows sum to the report's totals. */
static void check_sums(struct stacktab *t, const struct report *const *r, size_t ncols)
{
	for (size_t c = 0; c < ncols; c++) {
		uint64_t bytes = 0, count = 0;

		for (size_t i = 0; i < stacktab__rows(t); i++) {
			bytes += stacktab__row(t, i)->bytes[c];
			count += stacktab__row(t, i)->count[c];
		}
		cr_assert_eq(bytes, r[c]->total_bytes, "column %zu: rows sum to %llu bytes, not %llu",
			     c, (unsigned long long)bytes, (unsigned long long)r[c]->total_bytes);
		cr_assert_eq(count, r[c]->total_count, "column %zu: count", c);
	}
	cr_assert_null(stacktab__row(t, stacktab__rows(t)));
}

static const char *fn(struct stacktab *t, size_t row, size_t frame)
{
	const struct report_stack *s = stacktab__row(t, row)->stack;

	return frame < s->nframes ? s->frames[frame].function : NULL;
}

Test(stacktab, matches_by_frames_across_address_spaces)
{
	struct report a, b;
	const struct report *rs[] = { &a, &b };
	struct stacktab *t = stacktab__new(2);

	fx_report(&a, 10, "srv", 1000);
	fx_stack(&a, 1000, 10, ASLR_A, leak);
	fx_stack(&a, 500, 5, ASLR_A, cache);
	fx_report(&b, 11, "srv", 2000);
	fx_stack(&b, 70, 7, ASLR_B, cache);        /* another run, other addresses */
	fx_stack(&b, 3000, 30, ASLR_B, leak);
	fx_stack(&b, 8, 1, ASLR_B, shallow);
	cr_assert_not_null(t);
	cr_assert_eq(stacktab__add(t, 0, &a), 0);
	cr_assert_eq(stacktab__rows(t), 2);
	cr_assert_eq(stacktab__add(t, 1, &b), 0);
	cr_assert_eq(stacktab__rows(t), 3, "leak and cache matched, shallow is new");
	check_sums(t, rs, 2);
	/* order of first appearance; frames from the first report seen */
	cr_assert_str_eq(fn(t, 0, 1), "xstrdup");
	cr_assert_eq(stacktab__row(t, 0)->stack, &a.stacks[0]);
	cr_assert_eq(stacktab__row(t, 0)->bytes[0], 1000);
	cr_assert_eq(stacktab__row(t, 0)->bytes[1], 3000);
	cr_assert_eq(stacktab__row(t, 0)->count[1], 30);
	cr_assert_str_eq(fn(t, 1, 1), "cache_put");
	cr_assert_eq(stacktab__row(t, 1)->bytes[1], 70);
	cr_assert_eq(stacktab__row(t, 2)->stack, &b.stacks[2]);
	cr_assert_eq(stacktab__row(t, 2)->bytes[0], 0, "absent from the first report");
	cr_assert_eq(stacktab__row(t, 2)->bytes[1], 8);
	stacktab__free(t);
	report__release(&a);
	report__release(&b);
	stacktab__free(NULL);
}

Test(stacktab, same_stacks_of_one_report_are_summed)
{
	struct report a;
	const struct report *rs[] = { &a };
	struct stacktab *t = stacktab__new(1);

	fx_report(&a, 10, "srv", 1000);
	fx_stack(&a, 100, 1, ASLR_A, leak);
	fx_stack(&a, 200, 2, ASLR_B, leak);   /* e.g. two callers folded to one stack */
	fx_stack(&a, 40, 4, ASLR_A, shallow);
	fx_stack(&a, 300, 3, ASLR_C, leak);
	cr_assert_eq(stacktab__add(t, 0, &a), 0);
	cr_assert_eq(stacktab__rows(t), 2);
	cr_assert_eq(stacktab__row(t, 0)->bytes[0], 600);
	cr_assert_eq(stacktab__row(t, 0)->count[0], 6);
	check_sums(t, rs, 1);
	stacktab__free(t);
	report__release(&a);
}

/* A frame without a function is matched by its module's base name and
 * offset: the same file elsewhere matches, another offset does not. */
Test(stacktab, unnamed_frames_match_by_module_and_offset)
{
	struct report a, b;
	const struct report *rs[] = { &a, &b };
	struct stacktab *t = stacktab__new(2);

	fx_report(&a, 10, "srv", 1000);
	fx_stack(&a, 100, 1, ASLR_A, anon);
	fx_report(&b, 10, "srv", 1000);
	fx_stack(&b, 200, 2, ASLR_B, anon);
	fx_stack(&b, 300, 3, ASLR_B, anon);
	free(b.stacks[0].frames[1].module);
	b.stacks[0].frames[1].module = strdup("/opt/other/prog");   /* same base name */
	b.stacks[1].frames[1].offset += 0x10;                        /* another place */
	cr_assert_eq(stacktab__add(t, 0, &a), 0);
	cr_assert_eq(stacktab__add(t, 1, &b), 0);
	cr_assert_eq(stacktab__rows(t), 2);
	cr_assert_eq(stacktab__row(t, 0)->bytes[1], 200);
	cr_assert_eq(stacktab__row(t, 1)->bytes[0], 0);
	cr_assert_eq(stacktab__row(t, 1)->bytes[1], 300);
	check_sums(t, rs, 2);
	stacktab__free(t);
	report__release(&a);
	report__release(&b);
}

/* A source line is part of a frame: the same function at another line is
 * another stack. */
Test(stacktab, lines_tell_frames_apart)
{
	struct report a;
	const struct report *rs[] = { &a };
	struct stacktab *t = stacktab__new(1);

	fx_report(&a, 10, "srv", 1000);
	fx_stack(&a, 100, 1, ASLR_A, cache);
	fx_stack(&a, 100, 1, ASLR_A, cache);
	a.stacks[1].frames[1].line++;
	cr_assert_eq(stacktab__add(t, 0, &a), 0);
	cr_assert_eq(stacktab__rows(t), 2);
	check_sums(t, rs, 1);
	stacktab__free(t);
	report__release(&a);
}

Test(stacktab, bad_column)
{
	struct report a;
	struct stacktab *t = stacktab__new(2);

	fx_report(&a, 10, "srv", 1000);
	fx_stack(&a, 100, 1, ASLR_A, cache);
	cr_assert_eq(stacktab__add(t, 2, &a), -EINVAL);
	cr_assert_eq(stacktab__rows(t), 0);
	stacktab__free(t);
	report__release(&a);
}

/* Many stacks over three columns, each report holding a different subset
 * at its own addresses: every distinct stack is one row. */
Test(stacktab, many_stacks)
{
	enum { NSTACKS = 2000, NCOLS = 3 };
	struct report r[NCOLS];
	const struct report *rs[NCOLS] = { &r[0], &r[1], &r[2] };
	static const uint64_t base[NCOLS] = { ASLR_A, ASLR_B, ASLR_C };
	struct stacktab *t = stacktab__new(NCOLS);
	char name[NSTACKS][16];
	bool seen[NSTACKS] = { false };
	size_t distinct = 0;

	for (int i = 0; i < NSTACKS; i++)
		snprintf(name[i], sizeof(name[i]), "fn%d", i);
	for (int c = 0; c < NCOLS; c++) {
		fx_report(&r[c], 10, "srv", 1000 + c);
		for (int i = c; i < NSTACKS; i += c + 1) {
			const char *fns[] = { "malloc", name[i], "main", NULL };

			fx_stack(&r[c], (uint64_t)(i + 1) * 16, (uint64_t)c + 1, base[c], fns);
			distinct += !seen[i];
			seen[i] = true;
		}
		cr_assert_eq(stacktab__add(t, (size_t)c, &r[c]), 0);
	}
	cr_assert_eq(stacktab__rows(t), distinct);
	check_sums(t, rs, NCOLS);
	for (size_t i = 0; i < stacktab__rows(t); i++) {
		const struct stacktab_row *row = stacktab__row(t, i);
		int k = atoi(fn(t, i, 1) + 2);

		for (int c = 0; c < NCOLS; c++)
			cr_assert_eq(row->bytes[c], k % (c + 1) == c && k >= c ? (uint64_t)(k + 1) * 16 : 0,
				     "row %zu (fn%d), column %d", i, k, c);
	}
	stacktab__free(t);
	for (int c = 0; c < NCOLS; c++)
		report__release(&r[c]);
}
