/* cmd_report — `seep report`: the summary of a snapshot series.
 *
 * Reads top to bottom: parse options, list the series' snapshots, read
 * them all, line their stacks up (stacktab), rank the stacks by growth
 * from the first snapshot to the last, print the summary (text or JSON)
 * and draw the chart of the top stacks' live bytes over time. No root.
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
#include "snapshot/stacktab.h"
#include "snapshot/store.h"

struct report_opts {
	const char *dir;
	const char *chart;       /* NULL: no chart */
	char chart_default[4096];
	bool json;
	size_t top;
};

/* The series, read. */
struct series {
	char **paths;
	size_t n;
	struct report *snaps;
	struct stacktab *tab;
	size_t *order;           /* rows by growth, largest first */
	size_t nrows;
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

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
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
	int c, err, verbose = 0;
	bool no_chart = false;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->top = 5;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:c:f:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli__parse_count(optarg, "--top", 64, &v) || !v) {
				if (!v)
					pr_err("invalid value '%s' for --top: at least 1", optarg);
				return -EINVAL;
			}
			o->top = (size_t)v;
			break;
		case 'c':
			o->chart = optarg;
			break;
		case OPT_NO_CHART:
			no_chart = true;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				pr_err("invalid format '%s': expected text or json", optarg);
				return -EINVAL;
			}
			o->json = !strcmp(optarg, "json");
			break;
		default:
			if ((err = cli__common_opt(c, &verbose, usage)))
				return err;
		}
	}
	if (argc - optind != 1) {
		pr_err("expected one series directory");
		usage(stderr);
		return -EINVAL;
	}
	o->dir = argv[optind];
	if (!o->chart) {
		snprintf(o->chart_default, sizeof(o->chart_default), "%s/growth.svg", o->dir);
		o->chart = o->chart_default;
	}
	if (no_chart)
		o->chart = NULL;
	return 0;
}

static void series_release(struct series *s)
{
	for (size_t i = 0; s->snaps && i < s->n; i++)
		report__release(&s->snaps[i]);
	free(s->snaps);
	stacktab__free(s->tab);
	free(s->order);
	store__list_free(s->paths, s->n);
}

static int64_t growth(struct series *s, size_t row)
{
	const struct stacktab_row *r = stacktab__row(s->tab, row);

	return (int64_t)r->bytes[s->n - 1] - (int64_t)r->bytes[0];
}

static int by_growth(const void *a, const void *b, void *ctx)
{
	int64_t x = growth(ctx, *(const size_t *)a), y = growth(ctx, *(const size_t *)b);

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int series_read(const char *dir, struct series *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	if ((err = store__list(dir, &s->paths, &s->n)))
		return err;
	if (!s->n) {
		pr_err("series '%s' has no snapshots", dir);
		return -ENOENT;
	}
	s->snaps = calloc(s->n, sizeof(*s->snaps));
	s->tab = stacktab__new(s->n);
	if (!s->snaps || !s->tab)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if ((err = pprof__read_file(s->paths[i], &s->snaps[i])) ||
		    (err = stacktab__add(s->tab, i, &s->snaps[i])))
			return err;
	s->nrows = stacktab__rows(s->tab);
	s->order = calloc(s->nrows ? s->nrows : 1, sizeof(*s->order));
	if (!s->order)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrows; i++)
		s->order[i] = i;
	qsort_r(s->order, s->nrows, sizeof(*s->order), by_growth, s);
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

static double elapsed(const struct series *s, size_t i)
{
	return s->snaps[i].time - s->snaps[0].time;
}

static size_t shown_rows(const struct series *s, size_t top)
{
	return top < s->nrows ? top : s->nrows;
}

static void print_text(struct series *s, const struct report_opts *o)
{
	const struct report *first = &s->snaps[0], *last = &s->snaps[s->n - 1];
	double span = elapsed(s, s->n - 1);
	char a[32], b[32], d[32], label[512];

	fmt__bytes((int64_t)first->total_bytes, false, a, sizeof(a));
	fmt__bytes((int64_t)last->total_bytes, false, b, sizeof(b));
	fmt__bytes((int64_t)last->total_bytes - (int64_t)first->total_bytes, true, d,
			 sizeof(d));
	printf("series %s: pid %d (%s), %zu snapshots over %.1f s\n", o->dir, last->pid,
	       last->comm, s->n, span);
	printf("live: %s -> %s (%s", a, b, d);
	if (span > 0) {
		fmt__bytes((int64_t)(((double)last->total_bytes - (double)first->total_bytes) /
					   span * 60), true, d, sizeof(d));
		printf(", %s/min", d);
	}
	printf("); %zu stacks\n", s->nrows);
	for (size_t k = 0; k < shown_rows(s, o->top); k++) {
		const struct stacktab_row *r = stacktab__row(s->tab, s->order[k]);
		size_t grew = 0;

		for (size_t i = 1; i < s->n; i++)
			grew += r->bytes[i] > r->bytes[i - 1];
		stack_label(r->stack, label, sizeof(label));
		fmt__bytes(growth(s, s->order[k]), true, d, sizeof(d));
		fmt__bytes((int64_t)r->bytes[s->n - 1], false, b, sizeof(b));
		printf("\n  #%zu %s (now %s live), grew in %zu of %zu intervals\n    %s\n    live:",
		       k + 1, d, b, grew, s->n - 1, label);
		for (size_t i = 0; i < s->n; i++) {
			fmt__bytes((int64_t)r->bytes[i], false, a, sizeof(a));
			printf("%s %s", i ? "," : "", a);
		}
		putchar('\n');
	}
	if (o->chart)
		printf("\nchart: %s\n", o->chart);
}

static int print_json(struct series *s, const struct report_opts *o)
{
	json_t *snaps = json_array(), *stacks = json_array(), *root;

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(snaps, json_pack("{s:s, s:f, s:f, s:I, s:I}", "file",
			s->paths[i], "time", round(s->snaps[i].time * 1000) / 1000,
			"elapsed_s", round(elapsed(s, i) * 1000) / 1000,
			"total_bytes", (json_int_t)s->snaps[i].total_bytes,
			"total_count", (json_int_t)s->snaps[i].total_count));
	for (size_t k = 0; k < shown_rows(s, o->top); k++) {
		const struct stacktab_row *r = stacktab__row(s->tab, s->order[k]);
		json_t *bytes = json_array(), *count = json_array(), *frames = json_array();

		for (size_t i = 0; i < s->n; i++) {
			json_array_append_new(bytes, json_integer((json_int_t)r->bytes[i]));
			json_array_append_new(count, json_integer((json_int_t)r->count[i]));
		}
		for (size_t j = 0; j < r->stack->nframes; j++)
			json_array_append_new(frames, report__frame_json(&r->stack->frames[j]));
		json_array_append_new(stacks, json_pack("{s:I, s:o, s:o, s:o}", "growth_bytes",
			(json_int_t)growth(s, s->order[k]), "bytes", bytes, "count", count,
			"frames", frames));
	}
	root = json_pack("{s:s, s:i, s:s, s:o, s:I, s:o, s:o}", "series", o->dir,
			 "pid", s->snaps[s->n - 1].pid, "comm", s->snaps[s->n - 1].comm,
			 "snapshots", snaps, "stacks_total", (json_int_t)s->nrows, "stacks", stacks,
			 "chart", o->chart ? json_string(o->chart) : json_null());
	return report__print_json(root, stdout);
}

static int draw(struct series *s, const struct report_opts *o)
{
	size_t nl = shown_rows(s, o->top);
	double *x = calloc(s->n, sizeof(double)), *y = calloc(s->n * (nl ? nl : 1), sizeof(double));
	struct chart_line *lines = calloc(nl ? nl : 1, sizeof(*lines));
	char (*labels)[512] = calloc(nl ? nl : 1, sizeof(*labels)), title[128];
	struct chart c = { .title = title, .npoints = s->n, .x = x, .nlines = nl, .lines = lines };
	int err = -ENOMEM;

	if (!x || !y || !lines || !labels)
		goto cleanup;
	snprintf(title, sizeof(title), "live heap of pid %d (%s): top stacks by growth",
		 s->snaps[s->n - 1].pid, s->snaps[s->n - 1].comm);
	for (size_t i = 0; i < s->n; i++)
		x[i] = elapsed(s, i);
	for (size_t k = 0; k < nl; k++) {
		const struct stacktab_row *r = stacktab__row(s->tab, s->order[k]);

		for (size_t i = 0; i < s->n; i++)
			y[k * s->n + i] = (double)r->bytes[i];
		stack_label(r->stack, labels[k], sizeof(labels[k]));
		lines[k] = (struct chart_line){ .label = labels[k], .y = &y[k * s->n] };
	}
	err = chart__write(&c, o->chart);
cleanup:
	free(x);
	free(y);
	free(lines);
	free(labels);
	return err;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts opts;
	struct series s;
	int err = parse_opts(argc, argv, &opts);

	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	err = series_read(opts.dir, &s);
	if (!err && opts.chart)
		err = draw(&s, &opts);
	if (!err) {
		if (opts.json)
			err = print_json(&s, &opts);
		else
			print_text(&s, &opts);
	}
	if (err == -ENOMEM)
		pr_err("out of memory");
	series_release(&s);
	return err ? EXIT_FAIL : EXIT_OK;
}
