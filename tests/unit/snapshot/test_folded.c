/* folded: collapsed stacks for flame graphs. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snapshot/folded.h"

static char *folded_of(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(folded__write_report(r, f), 0);
	fclose(f);
	return buf;
}

Test(folded, outermost_first_largest_first)
{
	static const char *const a[] = { "malloc", "xstrdup", "main", NULL };
	static const char *const b[] = { "calloc", "main", NULL };
	struct report r;
	char *text;

	fx_report(&r, 1, "p", 0);
	fx_stack(&r, 100, 1, 0x1000, b);
	fx_stack(&r, 300, 3, 0x1000, a);
	text = folded_of(&r);
	cr_expect_str_eq(text, "main;xstrdup;malloc 300\nmain;calloc 100\n");
	free(text);
	report__release(&r);
}

Test(folded, same_names_summed_unknown_named_by_module)
{
	static const char *const a[] = { "malloc", "?", "main", NULL };
	struct report r;
	char *text, want[128];

	fx_report(&r, 1, "p", 0);
	fx_stack(&r, 100, 1, 0x1000, a);
	fx_stack(&r, 20, 1, 0x9000, a);   /* other addresses, same names */
	text = folded_of(&r);
	snprintf(want, sizeof(want), "main;prog+0x%" PRIx64 ";malloc 120\n",
		 r.stacks[0].frames[1].offset);
	cr_expect_str_eq(text, want);
	free(text);
	report__release(&r);
}

Test(folded, separators_in_names_sanitized_and_empty_values_dropped)
{
	static const char *const a[] = { "operator new(unsigned long)", "f;g", "main", NULL };
	static const char *const z[] = { "malloc", "idle", NULL };
	struct report r;
	char *text;

	fx_report(&r, 1, "p", 0);
	fx_stack(&r, 64, 1, 0x1000, a);
	fx_stack(&r, 0, 0, 0x1000, z);
	text = folded_of(&r);
	cr_expect_str_eq(text, "main;f:g;operator new(unsigned long) 64\n");
	free(text);
	report__release(&r);
}

Test(folded, empty_report_prints_nothing)
{
	struct report r;
	char *text;

	fx_report(&r, 1, "p", 0);
	text = folded_of(&r);
	cr_expect_str_eq(text, "");
	free(text);
}
