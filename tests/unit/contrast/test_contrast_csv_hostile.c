/* contrast_csv on hostile input: header names must be unique and non-empty,
 * NUL bytes and truncated gzip files are errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contrast/contrast.h"
#include "contrast/contrast_csv.h"
#include "gzipbuf.h"

static char path[64];

static void _write(const void *p, size_t n)
{
	strcpy(path, "/tmp/seep-contrast-hostile-XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static void _cleanup(void)
{
	if (path[0])
		unlink(path);
}

TestSuite(contrast_csv_hostile, .fini = _cleanup);

static const struct contrast_csv_opts opts = { .class_col = "Status", .target = "leak" };

static int _load_text(const char *text, char *err, size_t errlen)
{
	struct contrast_data *d = NULL;
	int ret;

	_write(text, strlen(text));
	ret = contrast_csv__load(path, &opts, &d, err, errlen);
	contrast_data__free(d);
	return ret;
}

Test(contrast_csv_hostile, duplicate_header_name)
{
	char err[256] = "";

	cr_assert_eq(_load_text("Host,Status,Host\nh1,leak,a\nh2,ok,b\n", err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "columns 1 and 3") && strstr(err, "'Host'"), "'%s'", err);
}

Test(contrast_csv_hostile, empty_header_name)
{
	char err[256] = "";

	cr_assert_eq(_load_text("Host,Status,\nh1,leak,a\nh2,ok,b\n", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "column 3") && strstr(err, "no name"), "'%s'", err);
}

Test(contrast_csv_hostile, good_header_still_loads)
{
	char err[256] = "";

	cr_assert_eq(_load_text("Host,Status,Mod\nh1,leak,a\nh2,ok,b\n", err, sizeof(err)), 0, "%s",
		     err);
}

Test(contrast_csv_hostile, nul_byte_in_a_value)
{
	static const char text[] = "Host,Status\nh1\0evil,leak\nh2,ok\n";
	struct contrast_data *d = NULL;
	char err[256] = "";

	_write(text, sizeof(text) - 1);
	cr_assert_eq(contrast_csv__load(path, &opts, &d, err, sizeof(err)), -EINVAL);
	cr_assert_null(d);
	cr_assert(strstr(err, "NUL byte") != NULL, "'%s'", err);
}

Test(contrast_csv_hostile, truncated_gzip)
{
	static char text[1 << 16];
	static unsigned char gz[1 << 16];
	size_t len = (size_t)snprintf(text, sizeof(text), "Host,Status\n");
	struct contrast_data *d = NULL;
	char err[256] = "";

	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "h%d,%s\n", i,
					i % 3 ? "ok" : "leak");
	_write(gz, gzip_buf(text, len, 9, gz, sizeof(gz)) - 4);     /* the length half of the trailer lost */
	cr_assert_eq(contrast_csv__load(path, &opts, &d, err, sizeof(err)), -EINVAL);
	cr_assert_null(d);
	cr_assert(strstr(err, "truncated gzip") != NULL, "'%s'", err);
}
