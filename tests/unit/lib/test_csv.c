#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/csv.h"

static char path[64];

static void write_plain(const char *text)
{
	strcpy(path, "/tmp/seep-csv-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void cleanup(void)
{
	unlink(path);
}

TestSuite(csv, .fini = cleanup);

Test(csv, header_and_rows)
{
	char **f;
	size_t n;

	write_plain("epoch_s,value\r\n1,2.5\n\n3,4\n");
	struct csv *c = csv__open(path);
	cr_assert_not_null(c);
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(n, 2);
	cr_assert_eq(csv__column(f, n, "value"), 1);
	cr_assert_eq(csv__column(f, n, "nope"), -1);
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_str_eq(f[0], "1");
	cr_assert_str_eq(f[1], "2.5");
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(csv__line(c), 4);
	cr_assert_str_eq(f[1], "4");
	cr_assert_eq(csv__next(c, &f, &n), 0);
	csv__free(c);
}

Test(csv, quoted_fields)
{
	char **f;
	size_t n;

	write_plain("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,x");
	struct csv *c = csv__open(path);
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(f[0], "a,b");
	cr_assert_str_eq(f[1], "say \"hi\"");
	cr_assert_str_eq(f[2], "two\nlines");
	cr_assert_str_eq(f[3], "");
	cr_assert_str_eq(f[4], "x");
	cr_assert_eq(csv__next(c, &f, &n), 0);
	csv__free(c);
}

Test(csv, malformed_quotes)
{
	char **f;
	size_t n;

	write_plain("a,\"open\n");
	struct csv *c = csv__open(path);
	cr_assert_eq(csv__next(c, &f, &n), -EINVAL);
	cr_assert(strstr(csv__error(c), "unterminated") != NULL);
	csv__free(c);

	write_plain("\"x\"y,1\n");
	c = csv__open(path);
	cr_assert_eq(csv__next(c, &f, &n), -EINVAL);
	cr_assert(strstr(csv__error(c), "line 1") != NULL);
	csv__free(c);
}

Test(csv, gzip_transparent)
{
	char **f;
	size_t n;

	strcpy(path, "/tmp/seep-csvgz-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	gzFile gz = gzdopen(fd, "wb");
	gzputs(gz, "t,v\n10,20\n");
	gzclose(gz);
	struct csv *c = csv__open(path);
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_str_eq(f[1], "20");
	csv__free(c);
}

Test(csv, missing_file)
{
	cr_assert_null(csv__open("/nonexistent/seep.csv"));
	cr_assert_eq(errno, ENOENT);
}
