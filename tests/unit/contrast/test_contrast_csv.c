/* Unit tests: contrast_csv — loading instances, and clear errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contrast/contrast.h"
#include "contrast/contrast_csv.h"

static char path[64];

static void _write(const char *text)
{
	strcpy(path, "/tmp/seep-contrast-csv-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void _cleanup(void)
{
	if (path[0])
		unlink(path);
}

TestSuite(contrast_csv, .fini = _cleanup);

static const struct contrast_csv_opts base = {
	.class_col = "Status", .target = "leak", .count_col = "Count",
};

Test(contrast_csv, aggregated_rows)
{
	struct contrast_data *d;
	char err[256] = "";

	_write("Host,Status,Count,Module\n"
	       "h1,leak,3,libfoo\n"
	       "h2,ok,5,libfoo\n"
	       "\"h,3\",ok,2,libbar\n"
	       "h1,ok,0,libbar\n");
	cr_assert_eq(contrast_csv__load(path, &base, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(contrast_data__nattrs(d), 2);
	cr_assert_str_eq(contrast_data__attr_name(d, 0), "Host");
	cr_assert_str_eq(contrast_data__attr_name(d, 1), "Module");
	cr_assert_eq(contrast_data__nrows(d), 3);                /* count 0 dropped */
	cr_assert_eq(contrast_data__total(d, CONTRAST_TARGET), 3);
	cr_assert_eq(contrast_data__total(d, CONTRAST_BACKGROUND), 7);
	cr_assert_neq(contrast_data__avp_find(d, 0, "h,3"), CONTRAST_NONE);
	cr_assert_eq(contrast_data__avp_find(d, 0, "h4"), CONTRAST_NONE);
	cr_assert_not(contrast_data__has_metric(d));
	contrast_data__free(d);
}

Test(contrast_csv, attrs_background_metric_buckets)
{
	struct contrast_data *d;
	struct contrast_csv_opts o = base;
	const char *attrs[] = { "Module" };
	char err[256] = "";

	o.attrs = attrs;
	o.nattrs = 1;
	o.background = "before";
	o.metric_col = "Latency";
	_write("Host,Status,Count,Module,Latency\n"
	       "h1,leak,3,libfoo,100-500\n"
	       "h2,before,5,libfoo,<100\n"
	       "h2,other,5,libfoo,12\n"
	       "h3,before,1,libbar,>1000\n");
	cr_assert_eq(contrast_csv__load(path, &o, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(contrast_data__nattrs(d), 1);
	cr_assert_eq(contrast_data__nrows(d), 3);                /* "other" skipped */
	cr_assert_eq(contrast_data__total(d, CONTRAST_BACKGROUND), 6);
	cr_assert(contrast_data__has_metric(d));
	/* Row order after finalize: target, then background by metric. */
	cr_assert_eq(contrast_data__row_metric(d, 0), 500);
	cr_assert_eq(contrast_data__row_metric(d, 1), 100);
	cr_assert_eq(contrast_data__row_metric(d, 2), 1000);
	contrast_data__free(d);
}

struct error_case {
	const char *name, *text;
	int want;
	const char *needle;
};

static const struct error_case error_cases[] = {
	{ "missing class column", "Host,State,Count\nh1,leak,1\n", -ENOENT, "class column 'Status' not found" },
	{ "missing count column", "Host,Status,N\nh1,leak,1\n", -ENOENT, "count column 'Count' not found" },
	{ "unterminated quote", "Host,Status,Count\nh1,leak,1\n\"h2,ok,1\n", -EINVAL, "line 3: unterminated" },
	{ "short record", "Host,Status,Count\nh1,leak,1\nh2,ok\n", -EINVAL, "line 3: expected 3 fields, got 2" },
	{ "bad count", "Host,Status,Count\nh1,leak,1\nh2,ok,many\n", -EINVAL, "line 3: invalid count 'many'" },
	{ "negative count", "Host,Status,Count\nh1,leak,-4\n", -EINVAL, "invalid count '-4'" },
	{ "empty target class", "Host,Status,Count\nh1,ok,1\nh2,ok,1\n", -ENODATA, "no instance of the target class" },
	{ "empty background", "Host,Status,Count\nh1,leak,1\n", -ENODATA, "no instance of the background class" },
	{ "target rows all zero", "Host,Status,Count\nh1,leak,0\nh2,ok,1\n", -ENODATA, "target class" },
	{ "empty file", "", -EINVAL, "is empty" },
	{ "no attributes", "Status,Count\nleak,1\nok,1\n", -EINVAL, "no attribute columns" },
};

Test(contrast_csv, clear_errors)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct contrast_data *d = (void *)1;
		char err[256] = "";

		_write(c->text);
		int ret = contrast_csv__load(path, &base, &d, err, sizeof(err));
		cr_assert_eq(ret, c->want, "%s: got %d (%s)", c->name, ret, err);
		cr_assert_null(d, "%s", c->name);
		cr_assert(strstr(err, c->needle), "%s: message '%s' lacks '%s'", c->name, err, c->needle);
		unlink(path);
	}
}

Test(contrast_csv, class_column_is_not_an_attribute)
{
	struct contrast_data *d;
	struct contrast_csv_opts o = base;
	const char *attrs[] = { "Host", "Status" };
	char err[256] = "";

	o.attrs = attrs;
	o.nattrs = 2;
	_write("Host,Status,Count\nh1,leak,1\nh2,ok,1\n");
	cr_assert_eq(contrast_csv__load(path, &o, &d, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "column 'Status'"), "%s", err);
	o.nattrs = 1;
	cr_assert_eq(contrast_csv__load(path, &o, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(contrast_data__nattrs(d), 1);
	contrast_data__free(d);
}

Test(contrast_csv, missing_file_and_bad_metric)
{
	struct contrast_data *d;
	struct contrast_csv_opts o = base;
	char err[256] = "";

	cr_assert_eq(contrast_csv__load("/nonexistent/x.csv", &base, &d, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open '/nonexistent/x.csv'"), "%s", err);
	o.metric_col = "Bytes";
	_write("Host,Status,Count,Bytes\nh1,leak,1,12k\n");
	cr_assert_eq(contrast_csv__load(path, &o, &d, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 2: invalid metric '12k' in column 'Bytes'"), "%s", err);
}
