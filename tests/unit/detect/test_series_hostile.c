/* series__load on hostile input: denormals are numbers, huge and infinite
 * values are refused naming the row, echoed fields are clipped, a truncated
 * gzip file is an error. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "detect/series.h"
#include "gzipbuf.h"

static char dir[64], path[128];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "series-hostile"), 0);
}

static void cleanup(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(series_hostile, .init = setup, .fini = cleanup);

static void write_file(const char *text)
{
	static int seq;
	char name[32];

	snprintf(name, sizeof(name), "%d.csv", seq++);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, name, text), 0);
}

static int load(const char *text, struct series *s, char *err, size_t errlen)
{
	struct series_load_opts o = { 0 };

	write_file(text);
	return series__load(s, path, &o, err, errlen);
}

Test(series_hostile, denormal_is_a_number)
{
	struct series s;
	char err[256] = "";

	cr_assert_eq(load("t,value\n1,5e-324\n2,1\n", &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 2);
	cr_assert_gt(s.v[0], 0);
	series__release(&s);
}

Test(series_hostile, huge_values_next_to_nan_are_refused)
{
	const char *texts[] = { "t,value\n1,nan\n2,1e308\n3,nan\n4,5\n",
				"t,value\n1,nan\n2,-1e308\n3,nan\n4,5\n",
				"t,value\n1,3\n2,1e19\n" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct series s;
		char err[256] = "";

		cr_assert_eq(load(texts[i], &s, err, sizeof(err)), -EINVAL, "case %zu", i);
		cr_assert(strstr(err, "line") && strstr(err, "out of range"), "case %zu: '%s'", i,
			  err);
	}
}

Test(series_hostile, infinity_is_refused)
{
	struct series s;
	char err[256] = "";

	cr_assert_eq(load("t,value\n1,1\n2,1e999\n", &s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 3") != NULL, "'%s'", err);
	cr_assert_eq(load("t,value\n1,1\n2,inf\n", &s, err, sizeof(err)), -EINVAL);
}

Test(series_hostile, long_field_is_clipped_in_the_message)
{
	size_t n = 100000;
	char *text = malloc(n + 64), err[4096] = "";
	struct series s;

	cr_assert_not_null(text);
	strcpy(text, "t,value\n1,");
	size_t len = strlen(text);
	memset(text + len, '7', n);
	text[len + n] = 'x';     /* not a number either */
	strcpy(text + len + n + 1, "\n");
	cr_assert_eq(load(text, &s, err, sizeof(err)), -EINVAL);
	cr_assert_lt(strlen(err), 200, "message of %zu bytes", strlen(err));
	cr_assert(strstr(err, "100001 bytes") != NULL, "'%s'", err);
	free(text);
}

Test(series_hostile, truncated_gzip_is_an_error)
{
	static char text[1 << 16];
	static unsigned char gz[1 << 16];
	size_t len = (size_t)snprintf(text, sizeof(text), "t,value\n");
	struct series s;
	struct series_load_opts o = { 0 };
	char err[256] = "";

	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d,%d\n", i * 60, i % 97);
	size_t gzlen = gzip_buf(text, len, 9, gz, sizeof(gz));

	snprintf(path, sizeof(path), "%s/cut.csv.gz", dir);
	FILE *fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(gz, 1, gzlen / 3, fp), gzlen / 3);
	fclose(fp);
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "truncated gzip") != NULL, "'%s'", err);
}
