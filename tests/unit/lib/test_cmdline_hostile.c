/* cmdline__split on inputs the fuzzer found (tests/fuzz/fuzz_cmdline.c).
 * Each text is split from a heap copy of exactly its size, so the ASan
 * run of `make check` sees any read past its end. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cmdline.h"

static int split_exact(const char *text, char *err, size_t errlen)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n);
	struct cmdline c;
	int ret;

	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	ret = cmdline__split(copy, NULL, NULL, &c, err, errlen);
	cmdline__release(&c);
	free(copy);
	return ret;
}

/* An unbalanced double quote at the very end: the error, and no read past
 * the terminating NUL (ASan: heap-buffer-overflow before the fix). */
Test(cmdline_hostile, unbalanced_double_quote_at_the_end)
{
	const char *texts[] = { "echo \"d", "\"", "a b \"c d", "x \"$", "y \"\\" };
	char err[128];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cr_expect_eq(split_exact(texts[i], err, sizeof(err)), -EINVAL, "'%s'", texts[i]);
		cr_expect(strstr(err, "unbalanced double quote") != NULL, "'%s': %s", texts[i], err);
	}
}
