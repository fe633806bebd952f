/* Unit tests for the reachability part of a report's renderings: the
 * "reach" object and each stack's verdict in JSON, the two sections in
 * text; nothing of it without a scan. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snapshot/report.h"

static const char *const lost_fns[] = { "malloc", "push", "main", NULL };
static const char *const kept_fns[] = { "malloc", "_IO_file_doallocate", "main", NULL };

static char *render(const struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(report__write(r, fmt, f), 0);
	fclose(f);
	return buf;
}

static void scanned(struct report *r)
{
	fx_report(r, 42, "sl_list", 1700000000.0);
	fx_stack(r, 32, 1, 0, lost_fns);
	fx_stack(r, 4096, 1, 0, kept_fns);
	r->stacks[0].lost = true;
	r->reach = (struct report_reach){
		.done = true, .exact = true, .pause_ns = 12345678, .scanned_bytes = 106000,
		.root_bytes = 100000, .stack_bytes = 4096, .threads = 1, .lost_bytes = 32,
		.lost_blocks = 1, .lost_stacks = 1, .reachable_bytes = 4096, .reachable_blocks = 1,
	};
}

Test(report_reach, json_has_the_scan_and_each_stacks_verdict)
{
	struct report r;
	char *text;
	json_t *j, *reach;

	scanned(&r);
	text = render(&r, REPORT_JSON);
	j = json_loads(text, 0, NULL);
	cr_assert_not_null(j, "%s", text);
	reach = json_object_get(j, "reach");
	cr_assert(json_is_object(reach));
	cr_expect(json_is_true(json_object_get(reach, "exact")));
	cr_expect_float_eq(json_real_value(json_object_get(reach, "pause_ms")), 12.346, 1e-9);
	cr_expect_eq(json_integer_value(json_object_get(reach, "lost_bytes")), 32);
	cr_expect_eq(json_integer_value(json_object_get(reach, "lost_stacks")), 1);
	cr_expect_eq(json_integer_value(json_object_get(reach, "scanned_bytes")), 106000);
	cr_expect_str_eq(json_string_value(json_object_get(
		json_array_get(json_object_get(j, "stacks"), 0), "reach")), "lost");
	cr_expect_str_eq(json_string_value(json_object_get(
		json_array_get(json_object_get(j, "stacks"), 1), "reach")), "reachable");
	json_decref(j);
	free(text);
	report__release(&r);
}

Test(report_reach, text_says_lost_first_then_reachable)
{
	struct report r;
	char *text, *lost, *kept;

	scanned(&r);
	text = render(&r, REPORT_TEXT);
	lost = strstr(text, "== definitely lost ==");
	kept = strstr(text, "== still reachable (not leaks) ==");
	cr_assert_not_null(lost, "%s", text);
	cr_assert_not_null(kept, "%s", text);
	cr_expect_lt(lost, strstr(text, "push"));
	cr_expect_lt(strstr(text, "push"), kept);
	cr_expect_lt(kept, strstr(text, "_IO_file_doallocate"));
	cr_expect_not_null(strstr(text, "32 B definitely lost in 1 blocks"), "%s", text);
	cr_expect_not_null(strstr(text, "process held 12.346 ms"), "%s", text);
	free(text);
	report__release(&r);
}

Test(report_reach, nothing_without_a_scan)
{
	struct report r;
	char *json, *text;
	json_t *j;

	fx_report(&r, 42, "sl_list", 1700000000.0);
	fx_stack(&r, 4096, 1, 0, kept_fns);
	json = render(&r, REPORT_JSON);
	text = render(&r, REPORT_TEXT);
	j = json_loads(json, 0, NULL);
	cr_assert_not_null(j);
	cr_expect_null(json_object_get(j, "reach"));
	cr_expect_null(json_object_get(json_array_get(json_object_get(j, "stacks"), 0), "reach"));
	cr_expect_null(strstr(text, "reachab"), "%s", text);
	json_decref(j);
	free(json);
	free(text);
	report__release(&r);
}

Test(report_reach, append_moves_stacks)
{
	struct report a, b;

	fx_report(&a, 1, "a", 0);
	fx_report(&b, 1, "b", 0);
	fx_stack(&a, 10, 1, 0, lost_fns);
	fx_stack(&b, 20, 1, 0, kept_fns);
	fx_stack(&b, 30, 1, 0, kept_fns);
	cr_assert_eq(report__append_stacks(&a, &b), 0);
	cr_expect_eq(a.nstacks, 3);
	cr_expect_eq(b.nstacks, 0);
	cr_expect_null(b.stacks);
	cr_expect_eq(a.stacks[2].bytes, 30);
	cr_expect_eq(report__append_stacks(&a, &b), 0, "nothing to move");
	report__release(&a);
	report__release(&b);
}
