/* Unit tests: series loading (header, ISO-8601, unsorted, duplicates,
 * missing values, errors) and pre-processing (resample, median smoothing). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "detect/series.h"

static char dir[64], path[128];

static void write_file(const char *text)
{
	static int seq;
	char name[32];

	snprintf(name, sizeof(name), "%d.csv", seq++);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, name, text), 0);
}

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "series"), 0);
}

static void cleanup(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

/* Invariant after every load or resample: strictly increasing time. */
static void assert_sorted(const struct series *s)
{
	for (size_t i = 1; i < s->n; i++)
		cr_assert_lt(s->t[i - 1], s->t[i], "t[%zu] = %f after %f", i, s->t[i], s->t[i - 1]);
}

TestSuite(series, .init = setup, .fini = cleanup);

Test(series, header_and_epoch_seconds)
{
	struct series s;
	char err[256];

	write_file("epoch_s,mem_util_percent,split\n100,1.5,train\n110,2.5,train\n120,4,test\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 3);
	cr_assert_float_eq(s.t[0], 100, 1e-9);
	cr_assert_float_eq(s.v[1], 2.5, 1e-9);
	cr_assert_float_eq(s.v[2], 4, 1e-9);
	series__release(&s);
	cr_assert_null(s.t);
}

Test(series, no_header_and_iso_timestamps)
{
	struct series s;
	char err[256];

	write_file("2018-01-01 00:05:00,84\n2018-01-01T00:10:00Z,85\n2018-01-01T01:15:00+01:00,86\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 3);
	cr_assert_float_eq(s.t[0], 1514765100, 1e-9);
	cr_assert_float_eq(s.t[1], 1514765400, 1e-9);
	cr_assert_float_eq(s.t[2], 1514765700, 1e-9);
	series__release(&s);
}

Test(series, parse_time_forms)
{
	double t;

	cr_assert_eq(series__parse_time("1514765100", &t), 0);
	cr_assert_float_eq(t, 1514765100, 1e-9);
	cr_assert_eq(series__parse_time("1514765100250", &t), 0);	/* ms */
	cr_assert_float_eq(t, 1514765100.25, 1e-6);
	cr_assert_eq(series__parse_time("1514765100000000000", &t), 0);	/* ns */
	cr_assert_float_eq(t, 1514765100, 1e-6);
	cr_assert_eq(series__parse_time("2018-01-01T00:05:00.5Z", &t), 0);
	cr_assert_float_eq(t, 1514765100.5, 1e-9);
	cr_assert_eq(series__parse_time("2018-01-01T00:05:00-0130", &t), 0);
	cr_assert_float_eq(t, 1514765100 + 5400, 1e-9);
	cr_assert_eq(series__parse_time("2018-01-01", &t), 0);
	cr_assert_float_eq(t, 1514764800, 1e-9);
	cr_assert_eq(series__parse_time("2018-13-01 00:00:00", &t), -EINVAL);
	cr_assert_eq(series__parse_time("yesterday", &t), -EINVAL);
	cr_assert_eq(series__parse_time("", &t), -EINVAL);
}

Test(series, named_column)
{
	struct series_load_opts o = { .column = "rss" };
	struct series s;
	char err[256];

	write_file("time,cpu,rss\n0,1,100\n10,2,200\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(s.v[1], 200, 1e-9);
	series__release(&s);
	o.column = "nope";
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'nope'"), "%s", err);
}

Test(series, unsorted_rows_are_sorted)
{
	struct series_load_opts o = { 0 };
	struct series s;
	char err[256];

	write_file("t,value\n30,3\n10,1\n20,2\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.unsorted, 1);
	cr_assert_eq(s.n, 3);
	assert_sorted(&s);
	for (size_t i = 0; i < 3; i++)
		cr_assert_float_eq(s.v[i], (double)(i + 1), 1e-9);
	series__release(&s);
}

Test(series, duplicate_timestamps_are_averaged)
{
	struct series_load_opts o = { 0 };
	struct series s;
	char err[256];

	write_file("10,1\n20,2\n10,3\n20,4\n20,9\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(o.duplicates, 3);
	cr_assert_float_eq(s.v[0], 2, 1e-9);
	cr_assert_float_eq(s.v[1], 5, 1e-9);
	assert_sorted(&s);
	series__release(&s);
}

Test(series, nan_and_missing_values_are_skipped)
{
	struct series_load_opts o = { 0 };
	struct series s;
	char err[256];

	write_file("t,value\n0,1\n10,\n20,NaN\n30,nan\n40,NA\n50,6\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(o.missing, 4);
	cr_assert_float_eq(s.t[1], 50, 1e-9);
	series__release(&s);
}

Test(series, empty_file_is_an_error)
{
	struct series s;
	char err[256] = "";

	write_file("");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no samples"), "%s", err);
	write_file("timestamp,value\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no samples"), "%s", err);
}

Test(series, non_numeric_value_names_the_line)
{
	struct series s;
	char err[256] = "";

	write_file("timestamp,value\n0,1\n10,12abc\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 3"), "%s", err);
	cr_assert(strstr(err, "'12abc'"), "%s", err);
	cr_assert_null(s.t);
}

Test(series, bad_timestamp_names_the_line)
{
	struct series s;
	char err[256] = "";

	write_file("0,1\nsoon,2\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 2"), "%s", err);
	cr_assert(strstr(err, "timestamp"), "%s", err);
}

Test(series, missing_file)
{
	struct series s;
	char err[256] = "";

	cr_assert_eq(series__load(&s, "/nonexistent/x.csv", NULL, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/x.csv"), "%s", err);
}

Test(series, resample_means_bins_and_interpolates_gaps)
{
	struct series in, out;

	cr_assert_eq(series__init(&in, 5), 0);
	/* bins of 300 s: [0,300) holds 1 and 3, 300 is empty, [600,900) holds 10,
	 * [900,1200) empty, [1200,1500) holds 20 */
	double t[] = { 10, 200, 610, 1250, 1260 }, v[] = { 1, 3, 10, 18, 22 };
	memcpy(in.t, t, sizeof(t));
	memcpy(in.v, v, sizeof(v));
	cr_assert_eq(series__resample(&in, 300, &out), 0);
	cr_assert_eq(out.n, 5);
	cr_assert_float_eq(out.step, 300, 1e-9);
	assert_sorted(&out);
	cr_assert_float_eq(out.t[0], 0, 1e-9);
	cr_assert_float_eq(out.v[0], 2, 1e-9);
	cr_assert_float_eq(out.v[1], 6, 1e-9);	/* halfway from 2 to 10 */
	cr_assert_float_eq(out.v[2], 10, 1e-9);
	cr_assert_float_eq(out.v[3], 15, 1e-9);
	cr_assert_float_eq(out.v[4], 20, 1e-9);
	series__release(&in);
	series__release(&out);
}

Test(series, median_smooth_trailing_window)
{
	struct series s;
	double v[] = { 1, 100, 2, 3, 50, 4 }, want[] = { 1, 50.5, 2, 3, 3, 4 };

	cr_assert_eq(series__init(&s, 6), 0);
	memcpy(s.v, v, sizeof(v));
	cr_assert_eq(series__median_smooth(&s, 3), 0);
	for (size_t i = 0; i < 6; i++)
		cr_assert_float_eq(s.v[i], want[i], 1e-9, "v[%zu] = %f", i, s.v[i]);
	/* window 1 changes nothing */
	cr_assert_eq(series__median_smooth(&s, 1), 0);
	cr_assert_float_eq(s.v[1], 50.5, 1e-9);
	series__release(&s);
}

Test(series, slice_copies_a_range)
{
	struct series s, part;

	cr_assert_eq(series__init(&s, 4), 0);
	for (size_t i = 0; i < 4; i++) {
		s.t[i] = (double)i;
		s.v[i] = (double)i * 10;
	}
	cr_assert_eq(series__slice(&s, 1, 3, &part), 0);
	cr_assert_eq(part.n, 2);
	cr_assert_float_eq(part.v[0], 10, 1e-9);
	cr_assert_float_eq(part.v[1], 20, 1e-9);
	cr_assert_eq(series__slice(&s, 3, 5, &part), -EINVAL);
	series__release(&s);
	series__release(&part);
	series__release(NULL);
}

Test(series, max_gap_finds_the_longest_pause)
{
	struct series s;
	size_t at = 99;

	cr_assert_eq(series__init(&s, 4), 0);
	s.t[0] = 0, s.t[1] = 300, s.t[2] = 9000, s.t[3] = 9300;
	cr_assert_float_eq(series__max_gap(&s, &at), 8700, 1e-9);
	cr_assert_eq(at, 1);
	s.n = 1;
	cr_assert_float_eq(series__max_gap(&s, NULL), 0, 1e-9);
	s.n = 4;
	series__release(&s);
}

Test(series, many_rows_in_any_order)
{
	struct series_load_opts o = { 0 };
	size_t n = 5000, len = 0;
	struct series s;
	char err[256];
	char *text = malloc(n * 32 + 16);

	cr_assert_not_null(text);
	len += (size_t)sprintf(text, "t,value\n");
	/* 5000 rows, every timestamp once, in a scrambled order (7919 is prime
	 * to 5000), and the value twice the time */
	for (size_t i = 0; i < n; i++) {
		size_t t = (i * 7919) % n;

		len += (size_t)sprintf(text + len, "%zu,%zu\n", t * 10, t * 20);
	}
	write_file(text);
	free(text);
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s.n, n);
	cr_assert_eq(o.unsorted, 1);
	cr_assert_eq(o.duplicates, 0);
	assert_sorted(&s);
	for (size_t i = 0; i < n; i++) {
		cr_assert_float_eq(s.t[i], (double)i * 10, 1e-9);
		cr_assert_float_eq(s.v[i], (double)i * 20, 1e-9);
	}
	series__release(&s);
}

Test(series, header_errors_name_the_problem)
{
	struct series_load_opts o = { .column = "rss" };
	struct series s;
	char err[256];

	/* a column asked for, but the first row is data */
	write_file("0,1\n10,2\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "has no header: cannot select column 'rss'"), "%s", err);
	cr_assert_null(s.t);
	/* a header with one column has no value column */
	write_file("time\n0\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 1: no value column"), "%s", err);
	/* a short row */
	write_file("time,value\n0,1\n10\n");
	cr_assert_eq(series__load(&s, path, NULL, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 3: expected at least 2 fields, got 1"), "%s", err);
	/* only missing values: no samples */
	write_file("time,value\n0,nan\n10,NA\n");
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), -EINVAL);
	o.column = NULL;
	cr_assert_eq(series__load(&s, path, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no samples"), "%s", err);
	cr_assert_eq(o.missing, 2);
}
