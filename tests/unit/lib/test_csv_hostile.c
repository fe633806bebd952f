/* csv on hostile input: truncated gzip files and NUL bytes are errors, not
 * a shorter file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/csv.h"
#include "gzipbuf.h"

static char path[64];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

TestSuite(csv_hostile, .fini = cleanup);

static void write_bytes(const void *p, size_t n)
{
	strcpy(path, "/tmp/seep-csvh-XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* A gzip of "t,v\n0,0\n1,1\n..." (ROWS rows) into BUF; its length. */
static size_t make_gzip(unsigned char *buf, size_t cap, int rows)
{
	static char text[1 << 16];
	size_t len = (size_t)snprintf(text, sizeof(text), "t,v\n");

	for (int i = 0; i < rows; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d,%d\n", i, i * 7);
	return gzip_buf(text, len, 9, buf, cap);
}

/* Reads the whole file: the number of records, or the error. */
static int read_all(size_t *records, char *msg, size_t msglen)
{
	struct csv *c = csv__open(path);
	char **f;
	size_t n;
	int ret;

	cr_assert_not_null(c);
	*records = 0;
	while ((ret = csv__next(c, &f, &n)) > 0)
		(*records)++;
	snprintf(msg, msglen, "%s", csv__error(c));
	csv__free(c);
	return ret;
}

Test(csv_hostile, complete_gzip_reads_every_row)
{
	static unsigned char gz[1 << 16];
	size_t len = make_gzip(gz, sizeof(gz), 2000), records;
	char msg[128];

	write_bytes(gz, len);
	cr_assert_eq(read_all(&records, msg, sizeof(msg)), 0);
	cr_assert_eq(records, 2001);
}

/* Every cut, from inside the deflate data to the last trailer byte, is
 * an error naming the truncation: never a shorter file read as whole. */
Test(csv_hostile, truncated_gzip_is_an_error)
{
	static unsigned char gz[1 << 16];
	size_t len = make_gzip(gz, sizeof(gz), 2000), records;
	size_t cuts[] = { len / 3, len / 2, len - 9, len - 8, len - 4, len - 1 };
	char msg[128];

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		write_bytes(gz, cuts[i]);
		int ret = read_all(&records, msg, sizeof(msg));

		cr_assert_eq(ret, -EINVAL, "cut at %zu of %zu: ret %d after %zu records", cuts[i],
			     len, ret, records);
		cr_assert(strstr(msg, "truncated gzip") != NULL, "cut at %zu: '%s'", cuts[i], msg);
		unlink(path);
		path[0] = '\0';
	}
}

Test(csv_hostile, nul_byte_is_an_error)
{
	static const char text[] = "a,b\nx\0y,2\n";
	size_t records;
	char msg[128];

	write_bytes(text, sizeof(text) - 1);
	cr_assert_eq(read_all(&records, msg, sizeof(msg)), -EINVAL);
	cr_assert_eq(records, 1);
	cr_assert(strstr(msg, "line 2: NUL byte") != NULL, "'%s'", msg);
}

Test(csv_hostile, nul_byte_in_quotes_is_an_error)
{
	static const char text[] = "a,b\n\"x\0y\",2\n";
	size_t records;
	char msg[128];

	write_bytes(text, sizeof(text) - 1);
	cr_assert_eq(read_all(&records, msg, sizeof(msg)), -EINVAL);
	cr_assert(strstr(msg, "NUL byte") != NULL, "'%s'", msg);
}
