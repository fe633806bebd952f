/* chart: SVG and PNG by file name, written whole. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot/chart.h"

static const double x[] = { 0, 10, 20, 30 };
static const double leak[] = { 1 << 20, 2 << 20, 3 << 20, 4 << 20 };
static const double flat[] = { 65536, 65536, 65536, 65536 };
static const struct chart_line lines[] = { { "malloc <- xstrdup", leak },
					   { "realloc <- remember", flat } };
static const struct chart c = { .title = "t", .npoints = 4, .x = x, .nlines = 2,
				.lines = lines };

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	cr_assert_not_null(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

Test(chart, svg_and_png)
{
	char svg[] = "/tmp/seep-chart-XXXXXX.svg", png[] = "/tmp/seep-chart-XXXXXX.png";
	size_t len;
	char *data;

	close(mkstemps(svg, 4));
	close(mkstemps(png, 4));
	cr_assert_eq(chart__write(&c, svg), 0);
	data = slurp(svg, &len);
	cr_expect(strstr(data, "<svg") != NULL, "an SVG document");
	cr_expect(strstr(data, "</svg>") != NULL, "complete");
	free(data);
	cr_assert_eq(chart__write(&c, png), 0);
	data = slurp(png, &len);
	cr_expect_gt(len, 1000);
	cr_expect(!memcmp(data, "\x89PNG", 4));
	free(data);
	unlink(svg);
	unlink(png);
}

Test(chart, other_names_refused)
{
	cr_expect_eq(chart__write(&c, "/tmp/seep-chart.jpg"), -EINVAL);
	cr_expect_eq(access("/tmp/seep-chart.jpg", F_OK), -1);
}

Test(chart, single_point_and_empty_values)
{
	static const double one_x[] = { 0 }, zero[] = { 0 };
	static const struct chart_line l[] = { { "none", zero } };
	struct chart one = { .npoints = 1, .x = one_x, .nlines = 1, .lines = l };
	char svg[] = "/tmp/seep-chart-XXXXXX.svg";

	close(mkstemps(svg, 4));
	cr_expect_eq(chart__write(&one, svg), 0, "no division by zero");
	unlink(svg);
}
