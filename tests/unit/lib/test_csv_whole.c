/* csv reads regular files whole (libdeflate for gzip) and streams pipes
 * (zlib): both ways give the same records, the same errors, and gzip
 * read whole behaves as zlib reads it (members in a row, bytes after
 * the last ignored, every cut an error naming the truncation, a bad
 * check an error of its own). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/csv.h"
#include "gzipbuf.h"

static char dir[64];
static char path[128], fifo[128];

static void setup(void)
{
	strcpy(dir, "/tmp/seep-csvw-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/in.csv", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
}

static void teardown(void)
{
	unlink(path);
	unlink(fifo);
	rmdir(dir);
}

TestSuite(csv_whole, .init = setup, .fini = teardown, .timeout = 30);

static void put(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert(fd >= 0);
	cr_assert(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* Every record of SRC (a path) as "f1|f2|...\n" lines into a malloc'd
 * string; *RET the final return of csv__next, MSG its error. */
static char *records(const char *src, int *ret, char *msg, size_t msglen)
{
	struct csv *c = csv__open(src);
	size_t len = 0, cap = 1 << 16, nf;
	char *out = malloc(cap), **f;

	cr_assert_not_null(c, "open '%s': %s", src, strerror(errno));
	cr_assert_not_null(out);
	out[0] = '\0';
	while ((*ret = csv__next(c, &f, &nf)) > 0) {
		for (size_t i = 0; i < nf; i++) {
			size_t fl = strlen(f[i]);

			while (len + fl + 32 > cap)
				cr_assert_not_null(out = realloc(out, cap *= 2));
			len += (size_t)sprintf(out + len, "%s%s", i ? "|" : "", f[i]);
		}
		len += (size_t)sprintf(out + len, "@%zu\n", csv__line(c));
	}
	snprintf(msg, msglen, "%s", csv__error(c));
	csv__free(c);
	return out;
}

/* The records of BYTES[0, N) read whole from a regular file and streamed
 * through a FIFO must agree, records, return and message (STRICT: zlib's
 * streaming can say a bad check before it gives the data it checks, in
 * words of its own: then only the return); the whole reading's records
 * are returned (malloc'd). */
static char *both_ways_(const void *bytes, size_t n, int *ret, char *msg, size_t msglen,
			int strict)
{
	char smsg[256];
	int sret;
	pid_t pid;
	char *whole, *streamed;

	put(bytes, n);
	whole = records(path, ret, msg, msglen);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	pid = fork();
	if (!pid) {
		int fd = open(fifo, O_WRONLY);
		const char *p = bytes;

		for (size_t at = 0; fd >= 0 && at < n;) {
			ssize_t w = write(fd, p + at, n - at);

			if (w <= 0)
				_exit(1);
			at += (size_t)w;
		}
		_exit(0);
	}
	streamed = records(fifo, &sret, smsg, sizeof(smsg));
	waitpid(pid, NULL, 0);
	unlink(fifo);
	cr_expect_eq(*ret, sret, "whole %d, streamed %d", *ret, sret);
	if (strict) {
		cr_expect_str_eq(whole, streamed);
		cr_expect_str_eq(msg, smsg);
	}
	free(streamed);
	return whole;
}

#define both_ways(b, n, r, m, l) both_ways_(b, n, r, m, l, 1)

static char *rows_text(int rows, size_t *len, const char *eol)
{
	size_t cap = (size_t)rows * 40 + 64, n = 0;
	char *t = malloc(cap);

	cr_assert_not_null(t);
	n += (size_t)sprintf(t, "t,v%s", eol);
	for (int i = 0; i < rows; i++)
		n += (size_t)sprintf(t + n, "%d,%d.%03d%s", 1600000000 + i, i % 97, i % 1000, eol);
	*len = n;
	return t;
}

Test(csv_whole, plain_and_gzip_give_the_same_records)
{
	size_t n, gn;
	char *text = rows_text(50000, &n, "\n"), msg[256], gmsg[256];
	unsigned char *gz = malloc(n + 1024);
	int ret, gret;

	cr_assert_not_null(gz);
	gn = gzip_buf(text, n, 6, gz, n + 1024);
	char *plain = both_ways(text, n, &ret, msg, sizeof(msg));
	char *fromgz = both_ways(gz, gn, &gret, gmsg, sizeof(gmsg));

	cr_assert_eq(ret, 0);
	cr_assert_eq(gret, 0);
	cr_assert_str_eq(plain, fromgz);
	cr_assert(strstr(plain, "1600049999|44.999@50001\n"), "last record missing");
	free(plain);
	free(fromgz);
	free(gz);
	free(text);
}

Test(csv_whole, gzip_members_in_a_row_and_trailing_bytes)
{
	const char *a = "t,v\n1,1\n2,2\n", *b = "3,3\n4,4\n";
	unsigned char gz[4096];
	size_t n = gzip_buf(a, strlen(a), 6, gz, sizeof(gz));
	char msg[256];
	int ret;

	n += gzip_buf(b, strlen(b), 6, gz + n, sizeof(gz) - n);
	char *two = both_ways(gz, n, &ret, msg, sizeof(msg));

	cr_assert_eq(ret, 0, "%s", msg);
	cr_assert_str_eq(two, "t|v@1\n1|1@2\n2|2@3\n3|3@4\n4|4@5\n");
	free(two);
	/* zlib ignores what follows the last member when it is no gzip header */
	memcpy(gz + n, "garbage\n", 8);
	two = both_ways(gz, n + 8, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0, "%s", msg);
	cr_assert_str_eq(two, "t|v@1\n1|1@2\n2|2@3\n3|3@4\n4|4@5\n");
	free(two);
}

/* Every cut of a gzip file, in its header, its data or its trailer, is the
 * truncation error, read whole or streamed; the records before the cut are
 * the same both ways. */
Test(csv_whole, every_cut_of_a_gzip_is_the_truncation_error)
{
	size_t n, gn;
	char *text = rows_text(3000, &n, "\n"), msg[256];
	unsigned char *gz = malloc(n + 1024);
	int ret;

	cr_assert_not_null(gz);
	gn = gzip_buf(text, n, 6, gz, n + 1024);
	for (size_t cut = 2; cut < gn; cut += cut < 40 ? 1 : cut > gn - 12 ? 1 : 97) {
		char *r = both_ways(gz, cut, &ret, msg, sizeof(msg));

		cr_assert_eq(ret, -EINVAL, "cut at %zu of %zu: %d", cut, gn, ret);
		cr_assert(strstr(msg, "truncated gzip"), "cut at %zu: '%s'", cut, msg);
		free(r);
	}
	free(gz);
	free(text);
}

Test(csv_whole, a_bad_check_is_an_error)
{
	size_t n, gn;
	char *text = rows_text(100, &n, "\n"), msg[256];
	unsigned char gz[8192];
	int ret;

	gn = gzip_buf(text, n, 6, gz, sizeof(gz));
	gz[gn - 8] ^= 0x55;	/* the CRC-32 */
	char *r = both_ways_(gz, gn, &ret, msg, sizeof(msg), 0);

	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(msg, "incorrect data check"), "'%s'", msg);
	cr_assert_null(strstr(msg, "truncated"), "'%s'", msg);
	free(r);
	free(text);
}

Test(csv_whole, crlf_blank_and_empty)
{
	size_t n;
	char *text = rows_text(1000, &n, "\r\n"), msg[256], *r;
	int ret;

	r = both_ways(text, n, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0);
	cr_assert(strstr(r, "1600000999|29.999@1001\n"), "CRLF record wrong");
	cr_assert_null(strchr(r, '\r'));
	free(r);
	r = both_ways("", 0, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0);
	cr_assert_str_eq(r, "");
	free(r);
	r = both_ways("\n\r\n\n", 4, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0);
	cr_assert_str_eq(r, "");
	free(r);
	/* no line end after the last record */
	r = both_ways("a,b\n1,2", 7, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0);
	cr_assert_str_eq(r, "a|b@1\n1|2@2\n");
	free(r);
	free(text);
}

/* A 3 MB field and a 20,000-field line: longer than any streaming block. */
Test(csv_whole, huge_lines)
{
	size_t big = 3 << 20, n = 0;
	char *text = malloc(big + 200000), msg[256], *r;
	int ret;

	cr_assert_not_null(text);
	n += (size_t)sprintf(text, "x,");
	memset(text + n, 'q', big);
	n += big;
	text[n++] = '\n';
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "%s%d", i ? "," : "", i % 10);
	text[n++] = '\n';
	r = both_ways(text, n, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, 0, "%s", msg);
	cr_assert_eq(strspn(r + 2, "q"), big);
	cr_assert(strstr(r, "|7|8|9@2\n"), "the wide line's end is missing");
	free(r);
	free(text);
}

Test(csv_whole, malformed_is_the_same_error_both_ways)
{
	char msg[256], *r;
	int ret;

	r = both_ways("a,b\n1,\"x\n", 9, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(msg, "unterminated quoted field"), "'%s'", msg);
	free(r);
	r = both_ways("a,b\n1,2\n3,\0\n", 12, &ret, msg, sizeof(msg));
	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(msg, "NUL byte"), "'%s'", msg);
	free(r);
}

/* The output of a gzip file whose trailer gives no usable size hint fills
 * the buffer guessed for it exactly: the last record, without a line
 * end, still gets its NUL in a byte of its own (ASan sees the overrun). */
Test(csv_whole, output_that_fills_the_guessed_buffer)
{
	static char text[8192];
	static unsigned char gz[16384];
	int found = 0;

	/* rows of 0s and 1s deflate about 5:1, so some length is exactly
	 * 4 × its compressed size + 1; the second member is empty, so the
	 * hint is 0 and that is the size guessed */
	for (size_t len = 200; len < sizeof(text) && !found; len++) {
		uint64_t r = 99;
		size_t n = 0, gn;

		for (size_t i = 0; i < len; i++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			text[i] = i % 9 == 8 ? '\n' : i % 9 == 4 ? ',' : (char)('0' + (r >> 60) % 2);
		}
		text[len - 1] = '7';	/* no line end after the last record */
		n = gzip_buf(text, len, 6, gz, sizeof(gz));
		gn = n + gzip_buf("", 0, 6, gz + n, sizeof(gz) - n);
		if (len != 4 * gn + 1)
			continue;
		found = 1;
		char msg[256], *rec;
		int ret;

		rec = both_ways(gz, gn, &ret, msg, sizeof(msg));
		cr_assert_eq(ret, 0, "%s", msg);
		cr_assert_eq(strlen(rec) > 0, 1);
		free(rec);
	}
	cr_assert(found, "no text length fills the guessed buffer exactly");
}

/* Random bytes drawn from what CSV is made of (delimiters, quotes, CR, LF,
 * NUL, blanks, letters), plain and gzip'd: read whole and streamed, the
 * records, returns and messages agree every time. */
Test(csv_whole, random_input_reads_the_same_both_ways)
{
	static const char alphabet[] = "ab1,,,\"\"\r\n\n\n \x00";
	static char text[4096];
	static unsigned char gz[8192];
	uint64_t r = 2026;

	for (int round = 0; round < 300; round++) {
		size_t len;
		char msg[256], *rec;
		int ret;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		len = (size_t)(r >> 33) % sizeof(text);
		for (size_t i = 0; i < len; i++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			/* mostly plain bytes, so that records reach the fast path */
			text[i] = (r >> 60) < 10 ? "abc12345xy"[(r >> 56) % 10]
						 : alphabet[(r >> 40) % (sizeof(alphabet) - 1)];
		}
		rec = both_ways(text, len, &ret, msg, sizeof(msg));
		free(rec);
		if (round % 3 == 0) {
			size_t gn = gzip_buf(text, len, 6, gz, sizeof(gz));

			rec = both_ways(gz, gn, &ret, msg, sizeof(msg));
			free(rec);
		}
	}
}
