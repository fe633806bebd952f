/* End to end: hostile and damaged input files. Each command must refuse
 * them with exit 1 and a message that says what is wrong (under --format
 * json, one object with "error"), quickly and without eating memory:
 * truncated gzip files, crafted profiles that decode to gigabytes, a
 * series whose index is corrupt or names missing snapshots, duplicate
 * header names, values beyond range. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "scratch.h"
#include "testlib.h"
#include "gzipbuf.h"

#define SEEP_BIN SEEP_BUILD_DIR "/seep"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "hostile"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(hostile_files, .init = setup, .fini = teardown);

static const char *path_in(const char *name)
{
	static char paths[8][160];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, 160, "%s/%s", dir, name);
	return p;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* The gzip of TEXT, cut to KEEP of its bytes (KEEP < 0: that many fewer). */
static const char *cut_gzip(const char *name, const char *text, long keep)
{
	static unsigned char gz[1 << 20];
	const char *p = path_in(name);
	size_t len = gzip_buf(text, strlen(text), 9, gz, sizeof(gz));

	len = keep < 0 ? len - (size_t)-keep : (size_t)keep;
	write_bytes(p, gz, len);
	return p;
}

/* Runs seep ARGS... --format json: the exit status, and the error's text
 * (the caller frees it; NULL if stdout is not one object with "error"). */
static int run_json(char **error, char *const args[])
{
	char *argv[16] = { SEEP_BIN };
	json_t *j;
	struct run r;
	int n = 1, status;

	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n++] = "--format";
	argv[n++] = "json";
	argv[n] = NULL;
	run_cmd(argv, NULL, &r);
	j = json_loads(r.out, 0, NULL);
	*error = json_string_value(json_object_get(j, "error"))
			 ? strdup(json_string_value(json_object_get(j, "error")))
			 : NULL;
	json_decref(j);
	status = r.status;
	run_release(&r);
	return status;
}

#define EXPECT_REFUSED(what, needle, ...)                                                      \
	do {                                                                                   \
		char *err_;                                                                    \
		int st_ = run_json(&err_, (char *const[]){ __VA_ARGS__, NULL });               \
		cr_expect_eq(st_, 1, "%s: exit %d, want 1 (error: %s)", what, st_,             \
			     err_ ? err_ : "none");                                            \
		cr_expect(err_ && strstr(err_, needle), "%s: error '%s' does not say '%s'",    \
			  what, err_ ? err_ : "none", needle);                                 \
		free(err_);                                                                    \
	} while (0)

/* A series of N rows "t,v" that rises steadily. */
static char *rows(int n)
{
	size_t cap = (size_t)n * 32 + 64, len;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	len = (size_t)snprintf(s, cap, "timestamp,value\n");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%d,%d\n", 1600000000 + 300 * i, 10 + i);
	return s;
}

Test(hostile_files, detect_truncated_gzip)
{
	char *text = rows(5000);

	EXPECT_REFUSED("cut in the data", "truncated gzip", "detect",
		       (char *)cut_gzip("a.csv.gz", text, 4000));
	EXPECT_REFUSED("trailer cut", "truncated gzip", "detect",
		       (char *)cut_gzip("b.csv.gz", text, -3));
	free(text);
}

Test(hostile_files, detect_values_out_of_range)
{
	const char *p = path_in("huge.csv");
	const char text[] = "timestamp,value\n1600000000,nan\n1600000300,1e308\n1600000600,nan\n"
			    "1600000900,-1e308\n1600001200,5\n";

	write_bytes(p, text, sizeof(text) - 1);
	EXPECT_REFUSED("1e308", "line 3", "detect", (char *)p);
}

Test(hostile_files, contrast_truncated_gzip_and_bad_headers)
{
	static char text[1 << 17];
	size_t len = (size_t)snprintf(text, sizeof(text), "Host,Status\n");
	const char *dup = path_in("dup.csv"), *empty = path_in("empty.csv");

	for (int i = 0; i < 4000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "h%d,%s\n", i % 50,
					i % 7 ? "ok" : "leak");
	EXPECT_REFUSED("truncated", "truncated gzip", "contrast",
		       (char *)cut_gzip("c.csv.gz", text, -4), "--class-col", "Status", "--target",
		       "leak");
	write_bytes(dup, "Host,Status,Host\nh1,leak,a\nh2,ok,b\n", 35);
	EXPECT_REFUSED("duplicate", "both named 'Host'", "contrast", (char *)dup, "--class-col",
		       "Status", "--target", "leak");
	write_bytes(empty, "Host,,Status\nh1,x,leak\nh2,y,ok\n", 31);
	EXPECT_REFUSED("empty name", "no name", "contrast", (char *)empty, "--class-col", "Status",
		       "--target", "leak");
}

/* A gzip'd profile of millions of empty strings (a few tens of KB on
 * disk): refused at once, not decoded into gigabytes. */
Test(hostile_files, diff_string_bomb, .timeout = 30)
{
	static const unsigned char head[] = {
		0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,            /* sample_type {1, 2} */
		0x32, 0x00, 0x32, 0x0b, 'i', 'n', 'u', 's', 'e', '_', 's', 'p', 'a', 'c', 'e',
		0x32, 0x05, 'b', 'y', 't', 'e', 's',
	};
	size_t n = 26u << 20, len = sizeof(head) + 2 * n;
	unsigned char *plain = malloc(len), *gz;
	uLongf gzlen = compressBound(len) + 64;
	const char *p = path_in("bomb.pb.gz");

	cr_assert_not_null(plain);
	memcpy(plain, head, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		plain[sizeof(head) + 2 * i] = 0x32;
		plain[sizeof(head) + 2 * i + 1] = 0;
	}
	gz = malloc(gzlen);
	cr_assert_not_null(gz);
	gzlen = gzip_buf(plain, len, 9, gz, gzlen);
	cr_assert_lt(gzlen, 256 * 1024, "%lu bytes", gzlen);
	write_bytes(p, gz, gzlen);
	free(plain);
	free(gz);
	EXPECT_REFUSED("bomb", "too large for its size", "diff", (char *)p, (char *)p);
}

Test(hostile_files, report_corrupt_index)
{
	const char *s = path_in("series");
	char idx[200];

	cr_assert_eq(mkdir(s, 0755), 0);
	snprintf(idx, sizeof(idx), "%s/index.json", s);
	write_bytes(idx, "{\"format\": \"seep-series\", \"snapshots\": [", 40);
	EXPECT_REFUSED("cut index", "index.json is corrupt", "report", "--no-chart", (char *)s);
}
