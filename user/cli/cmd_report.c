/* cmd_report — `seep report`: the summary of a snapshot series.
 *
 * Reads top to bottom: parse options, load the series ranked by growth
 * (snapshot/timeline), draw the chart of the top stacks' live bytes over
 * time, print the summary (text or JSON). No root.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/chart.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "snapshot/timeline.h"

struct report_opts {
	const char *dir;
	const char *chart;       /* NULL: no chart */
	char chart_default[4096];
	bool json;
	size_t top;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep report DIR [options]\n"
"\n"
"Summarizes a snapshot series written by seep record: live heap over time,\n"
"the stacks that grew most, and a chart of their live bytes over time.\n"
"\n"
"  -n, --top N            stacks in the summary and the chart (default 5)\n"
"  -c, --chart FILE       the chart: FILE.svg or FILE.png (default\n"
"                         DIR/growth.svg)\n"
"      --no-chart         no chart\n"
"  -f, --format FMT       text (default) or json\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const char *const formats[] = { "text", "json" };

enum { OPT_NO_CHART = 256 };

static const struct option longopts[] = {
	{ "top", required_argument, NULL, 'n' },
	{ "chart", required_argument, NULL, 'c' },
	{ "no-chart", no_argument, NULL, OPT_NO_CHART },
	{ "format", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct cli_command command = {
	.name = "report",
	.shortopts = "n:c:f:vh",
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

struct parse_state {
	struct report_opts *o;
	bool no_chart;
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct parse_state *ps = ctx;
	uint64_t v;
	size_t f;

	switch (c) {
	case 'n':
		if (cli__count(arg, "--top", 1, 64, &v))
			return -EINVAL;
		ps->o->top = (size_t)v;
		return 0;
	case 'c':
		ps->o->chart = arg;
		return 0;
	case OPT_NO_CHART:
		ps->no_chart = true;
		return 0;
	case 'f':
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		ps->o->json = f == 1;
		return 0;
	default:
		return 0;
	}
}

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	struct parse_state ps = { .o = o };
	int err;

	memset(o, 0, sizeof(*o));
	o->top = 5;
	if ((err = cli__parse(&command, argc, argv, on_opt, &ps)))
		return err;
	if (argc - optind != 1) {
		cli__error("expected one series directory, got %d arguments", argc - optind);
		return -EINVAL;
	}
	o->dir = argv[optind];
	if (!o->chart) {
		snprintf(o->chart_default, sizeof(o->chart_default), "%s/growth.svg", o->dir);
		o->chart = o->chart_default;
	}
	if (ps.no_chart)
		o->chart = NULL;
	return 0;
}

/* "malloc <- xstrdup <- handle_request": the first named frames. */
static void stack_label(const struct report_stack *st, char *buf, size_t len)
{
	size_t pos = 0;
	int shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < st->nframes && shown < 4 && pos < len; i++) {
		if (!st->frames[i].function)
			continue;
		pos += snprintf(buf + pos, len - pos, "%s%s", shown ? " <- " : "",
				st->frames[i].function);
		shown++;
	}
	if (!shown)
		snprintf(buf, len, "(no symbols)");
}

static size_t shown_rows(const struct timeline *t, size_t top)
{
	return top < timeline__stacks(t) ? top : timeline__stacks(t);
}

static void print_text(const struct timeline *t, const struct report_opts *o)
{
	size_t n = timeline__snapshots(t);
	const struct report *first = timeline__snapshot(t, 0), *last = timeline__snapshot(t, n - 1);
	double span = timeline__elapsed(t, n - 1);
	char a[32], b[32], d[32], label[512];

	fmt__bytes((int64_t)first->total_bytes, false, a, sizeof(a));
	fmt__bytes((int64_t)last->total_bytes, false, b, sizeof(b));
	fmt__bytes((int64_t)last->total_bytes - (int64_t)first->total_bytes, true, d, sizeof(d));
	printf("series %s: pid %d (%s), %zu snapshots over %.1f s\n", o->dir, last->pid,
	       last->comm, n, span);
	printf("live: %s -> %s (%s", a, b, d);
	if (span > 0) {
		fmt__bytes((int64_t)(((double)last->total_bytes - (double)first->total_bytes) /
				     span * 60), true, d, sizeof(d));
		printf(", %s/min", d);
	}
	printf("); %zu stacks\n", timeline__stacks(t));
	for (size_t k = 0; k < shown_rows(t, o->top); k++) {
		const struct stacktab_row *r = timeline__ranked(t, k);

		stack_label(r->stack, label, sizeof(label));
		fmt__bytes(timeline__growth(t, k), true, d, sizeof(d));
		fmt__bytes((int64_t)r->bytes[n - 1], false, b, sizeof(b));
		printf("\n  #%zu %s (now %s live), grew in %zu of %zu intervals\n    %s\n    live:",
		       k + 1, d, b, timeline__grew(t, k), n - 1, label);
		for (size_t i = 0; i < n; i++) {
			fmt__bytes((int64_t)r->bytes[i], false, a, sizeof(a));
			printf("%s %s", i ? "," : "", a);
		}
		putchar('\n');
	}
	if (o->chart)
		printf("\nchart: %s\n", o->chart);
}

static int print_json(const struct timeline *t, const struct report_opts *o)
{
	size_t n = timeline__snapshots(t);
	const struct report *last = timeline__snapshot(t, n - 1);
	json_t *snaps = json_array(), *stacks = json_array(), *root;

	for (size_t i = 0; i < n; i++) {
		const struct report *r = timeline__snapshot(t, i);

		json_array_append_new(snaps, json_pack("{s:s, s:f, s:f, s:I, s:I}", "file",
			timeline__path(t, i), "time", round(r->time * 1000) / 1000,
			"elapsed_s", round(timeline__elapsed(t, i) * 1000) / 1000,
			"total_bytes", (json_int_t)r->total_bytes,
			"total_count", (json_int_t)r->total_count));
	}
	for (size_t k = 0; k < shown_rows(t, o->top); k++) {
		const struct stacktab_row *r = timeline__ranked(t, k);
		json_t *bytes = json_array(), *count = json_array(), *frames = json_array();

		for (size_t i = 0; i < n; i++) {
			json_array_append_new(bytes, json_integer((json_int_t)r->bytes[i]));
			json_array_append_new(count, json_integer((json_int_t)r->count[i]));
		}
		for (size_t j = 0; j < r->stack->nframes; j++)
			json_array_append_new(frames, report__frame_json(&r->stack->frames[j]));
		json_array_append_new(stacks, json_pack("{s:I, s:o, s:o, s:o}", "growth_bytes",
			(json_int_t)timeline__growth(t, k), "bytes", bytes, "count", count,
			"frames", frames));
	}
	root = json_pack("{s:s, s:i, s:s, s:o, s:I, s:o, s:o}", "series", o->dir,
			 "pid", last->pid, "comm", last->comm, "snapshots", snaps,
			 "stacks_total", (json_int_t)timeline__stacks(t), "stacks", stacks,
			 "chart", o->chart ? json_string(o->chart) : json_null());
	return report__print_json(root, stdout);
}

static int draw(const struct timeline *t, const struct report_opts *o)
{
	size_t n = timeline__snapshots(t), nl = shown_rows(t, o->top);
	const struct report *last = timeline__snapshot(t, n - 1);
	double *x = calloc(n, sizeof(double)), *y = calloc(n * (nl ? nl : 1), sizeof(double));
	struct chart_line *lines = calloc(nl ? nl : 1, sizeof(*lines));
	char (*labels)[512] = calloc(nl ? nl : 1, sizeof(*labels)), title[128];
	struct chart c = { .title = title, .npoints = n, .x = x, .nlines = nl, .lines = lines };
	int err = -ENOMEM;

	if (!x || !y || !lines || !labels)
		goto cleanup;
	snprintf(title, sizeof(title), "live heap of pid %d (%s): top stacks by growth",
		 last->pid, last->comm);
	for (size_t i = 0; i < n; i++)
		x[i] = timeline__elapsed(t, i);
	for (size_t k = 0; k < nl; k++) {
		const struct stacktab_row *r = timeline__ranked(t, k);

		for (size_t i = 0; i < n; i++)
			y[k * n + i] = (double)r->bytes[i];
		stack_label(r->stack, labels[k], sizeof(labels[k]));
		lines[k] = (struct chart_line){ .label = labels[k], .y = &y[k * n] };
	}
	err = chart__write(&c, o->chart);
cleanup:
	free(x);
	free(y);
	free(lines);
	free(labels);
	return err;
}

/* The chart first, then the summary, which names the chart only when it
 * was written. A chart that cannot be written does not keep the summary
 * back: the default one (DIR/growth.svg, e.g. a series of root's read by
 * another user) is a warning and success; one asked for with --chart is an
 * error after the summary (exit status 1). */
int cmd_report(int argc, char **argv)
{
	struct report_opts opts;
	struct timeline *t = NULL;
	const char *chart;
	int err = parse_opts(argc, argv, &opts), chart_err = 0;

	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if ((err = timeline__load(opts.dir, &t)))
		goto cleanup;
	chart = opts.chart;
	if (chart && (chart_err = draw(t, &opts))) {
		opts.chart = NULL;
		if (chart_err == -ENOMEM)
			goto cleanup;
		if (chart == opts.chart_default)
			pr_warn("no chart: cannot write '%s' (--chart FILE puts it elsewhere, "
				"--no-chart leaves it out)", chart);
	}
	if (opts.json)
		err = print_json(t, &opts);
	else
		print_text(t, &opts);
	err = err ? cli__stdout_failed("the report", err) : cli__stdout_flush("the report");
	if (!err && chart_err && chart != opts.chart_default)
		err = chart_err;   /* logged by chart__write */
cleanup:
	if (err == -ENOMEM || chart_err == -ENOMEM)
		cli__error("cannot report on series '%s': %s", opts.dir, strerror(ENOMEM));
	timeline__free(t);
	return err || chart_err == -ENOMEM ? EXIT_FAIL : EXIT_OK;
}
