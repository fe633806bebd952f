/* diff: per-stack growth, matching across address spaces, sorting. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/diff.h"
#include "fixtures.h"

static const char *const leak[] = { "malloc", "xstrdup", "handle_request", "main", NULL };
static const char *const cache[] = { "malloc", "cache_put", "main", NULL };
static const char *const churn[] = { "calloc", "churn", "main", NULL };
static const char *const gone[] = { "realloc", "old_buffer", "main", NULL };
static const char *const fresh[] = { "malloc", "new_feature", "main", NULL };

#define BASE_ASLR 0x555500000000ULL
#define NEW_ASLR 0x563400000000ULL   /* another run: other addresses */

static void two(struct report *base, struct report *new)
{
	fx_report(base, 10, "srv", 1000);
	fx_stack(base, 100 << 10, 100, BASE_ASLR, leak);
	fx_stack(base, 50 << 10, 5, BASE_ASLR, cache);
	fx_stack(base, 4096, 4, BASE_ASLR, churn);
	fx_stack(base, 8192, 1, BASE_ASLR, gone);
	fx_report(new, 10, "srv", 1060);
	fx_stack(new, 60 << 10, 6, NEW_ASLR, cache);
	fx_stack(new, 4096, 4, NEW_ASLR, churn);
	fx_stack(new, 1100 << 10, 1100, NEW_ASLR, leak);
	fx_stack(new, 2048, 2, NEW_ASLR, fresh);
}

/* The invariants every diff keeps. */
static void check_invariants(const struct diff *d)
{
	int64_t sum = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct diff_row *r = &d->rows[i];

		sum += r->delta_bytes;
		cr_expect_eq(r->delta_bytes, (int64_t)r->new_bytes - (int64_t)r->base_bytes);
		if (i)
			cr_expect_geq(d->rows[i - 1].delta_bytes, r->delta_bytes, "sorted at %zu", i);
	}
	cr_expect_eq(sum, (int64_t)d->new->total_bytes - (int64_t)d->base->total_bytes);
	cr_expect_eq(sum, d->delta_bytes);
}

static const char *fn(const struct diff_row *r, size_t i)
{
	return i < r->stack->nframes ? r->stack->frames[i].function : NULL;
}

Test(diff, leak_first_then_sorted_by_growth)
{
	struct report base, new;
	struct diff d;

	two(&base, &new);
	cr_assert_eq(diff__compute(&base, &new, &d), 0);
	check_invariants(&d);
	cr_assert_eq(d.n, 5, "stacks match across addresses: 4 + 1 new");
	cr_expect_str_eq(fn(&d.rows[0], 1), "xstrdup");
	cr_expect_eq(d.rows[0].delta_bytes, 1000 << 10);
	cr_expect_eq(d.rows[0].delta_count, 1000);
	cr_expect_str_eq(fn(&d.rows[1], 1), "cache_put");
	cr_expect_str_eq(fn(&d.rows[2], 1), "new_feature");
	cr_expect_eq(d.rows[2].base_bytes, 0);
	cr_expect_str_eq(fn(&d.rows[3], 1), "churn");
	cr_expect_eq(d.rows[3].delta_bytes, 0);
	cr_expect_str_eq(fn(&d.rows[4], 1), "old_buffer", "freed since: last");
	cr_expect_eq(d.rows[4].delta_bytes, -8192);
	cr_expect_eq(d.rows[4].new_bytes, 0);
	diff__release(&d);
	report__release(&base);
	report__release(&new);
}

Test(diff, same_stack_twice_in_one_report_is_summed)
{
	struct report base, new;
	struct diff d;

	fx_report(&base, 1, "p", 0);
	fx_stack(&base, 10, 1, BASE_ASLR, leak);
	fx_report(&new, 1, "p", 1);
	fx_stack(&new, 10, 1, BASE_ASLR, leak);
	fx_stack(&new, 30, 3, NEW_ASLR, leak);   /* e.g. Go: same stack, other labels */
	cr_assert_eq(diff__compute(&base, &new, &d), 0);
	cr_assert_eq(d.n, 1);
	cr_expect_eq(d.rows[0].new_bytes, 40);
	cr_expect_eq(d.rows[0].delta_count, 3);
	check_invariants(&d);
	diff__release(&d);
	report__release(&base);
	report__release(&new);
}

Test(diff, empty_reports)
{
	struct report base, new;
	struct diff d;

	fx_report(&base, 1, "p", 0);
	fx_report(&new, 1, "p", 1);
	cr_assert_eq(diff__compute(&base, &new, &d), 0);
	cr_expect_eq(d.n, 0);
	check_invariants(&d);
	diff__release(&d);
}

static char *render(const struct diff *d, int which)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (which == 0)
		cr_assert_eq(diff__write_json(d, 2, f), 0);
	else
		cr_assert_eq(diff__write_folded(d, f), 0);
	fclose(f);
	return buf;
}

Test(diff, json_top_and_values)
{
	struct report base, new;
	struct diff d;
	json_t *root, *top;
	char *text;

	two(&base, &new);
	cr_assert_eq(diff__compute(&base, &new, &d), 0);
	text = render(&d, 0);
	root = json_loads(text, 0, NULL);
	cr_assert_not_null(root, "%s", text);
	cr_expect_eq(json_integer_value(json_object_get(root, "stacks_total")), 5);
	cr_expect_eq(json_array_size(json_object_get(root, "stacks")), 2, "--top 2");
	top = json_array_get(json_object_get(root, "stacks"), 0);
	cr_expect_eq(json_integer_value(json_object_get(top, "delta_bytes")), 1000 << 10);
	cr_expect_eq(json_integer_value(json_object_get(top, "base_count")), 100);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(
		json_object_get(top, "frames"), 1), "function")), "xstrdup");
	cr_expect_eq(json_integer_value(json_object_get(root, "delta_bytes")),
		     (json_int_t)new.total_bytes - (json_int_t)base.total_bytes);
	json_decref(root);
	free(text);
	diff__release(&d);
	report__release(&base);
	report__release(&new);
}

Test(diff, folded_shows_growth_only)
{
	struct report base, new;
	struct diff d;
	char *text;

	two(&base, &new);
	cr_assert_eq(diff__compute(&base, &new, &d), 0);
	text = render(&d, 1);
	cr_expect_str_eq(text, "main;handle_request;xstrdup;malloc 1024000\n"
			       "main;cache_put;malloc 10240\n"
			       "main;new_feature;malloc 2048\n");
	free(text);
	diff__release(&d);
	report__release(&base);
	report__release(&new);
}
