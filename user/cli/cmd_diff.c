/* cmd_diff — `seep diff`: per-stack heap growth between two snapshots.
 *
 * Reads top to bottom: parse options, resolve the two profiles (two files,
 * or a series directory's first and last snapshots), read them, compute the
 * diff, print it. No root needed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "snapshot/diff.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "snapshot/store.h"

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_FOLDED };

struct diff_opts {
	const char *base, *new, *series;
	enum diff_format format;
	size_t top;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep diff BASE.pb.gz NEW.pb.gz [options]\n"
"       seep diff SERIES_DIR [options]\n"
"\n"
"Per-stack growth of live heap memory between two heap profiles (seep's or\n"
"Go's pprof heap profiles), or between the first and last snapshots of a\n"
"series written by seep record; largest growth first.\n"
"\n"
"  -f, --format FMT       text (default), json (one object) or folded (the\n"
"                         stacks that grew, by bytes grown, for flame graphs)\n"
"  -n, --top N            stacks shown (default 10, 0 = all; text and json)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure (unreadable profile), 2 usage error.\n");
}

static const char *const formats[] = { "text", "json", "folded" };  /* enum diff_format */

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "top", required_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct cli_command command = {
	.name = "diff",
	.shortopts = "f:n:vh",
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct diff_opts *o = ctx;
	uint64_t v;
	size_t f;

	if (c == 'f') {
		if (cli__name(arg, "--format", formats, 3, &f))
			return -EINVAL;
		o->format = (enum diff_format)f;
	} else if (c == 'n') {
		if (cli__count(arg, "--top", 0, 1u << 20, &v))
			return -EINVAL;
		o->top = (size_t)v;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct diff_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->top = 10;
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (argc - optind == 1) {
		o->series = argv[optind];
	} else if (argc - optind == 2) {
		o->base = argv[optind];
		o->new = argv[optind + 1];
	} else {
		cli__error("expected two profiles (BASE NEW) or one series directory, got %d "
			   "arguments", argc - optind);
		return -EINVAL;
	}
	return 0;
}

/* A series diffs its first snapshot against its last. */
static int resolve_series(struct diff_opts *o, char ***paths, size_t *n)
{
	struct stat st;

	if (stat(o->series, &st) || !S_ISDIR(st.st_mode)) {
		cli__error("'%s' is not a series directory (give two profiles, or a directory "
			   "written by seep record)", o->series);
		return -ENOTDIR;
	}
	if (store__list(o->series, paths, n))
		return -ENOENT;
	if (*n < 2) {
		cli__error("series '%s' has %zu snapshot%s: a diff needs two", o->series, *n,
			   *n == 1 ? "" : "s");
		return -ENOENT;
	}
	o->base = (*paths)[0];
	o->new = (*paths)[*n - 1];
	return 0;
}

static int run(struct diff_opts *o)
{
	struct report base = { 0 }, new = { 0 };
	struct diff d = { 0 };
	char **paths = NULL;
	size_t npaths = 0;
	int err;

	if (o->series && (err = resolve_series(o, &paths, &npaths)))
		goto cleanup;
	if ((err = pprof__read_file(o->base, &base)) || (err = pprof__read_file(o->new, &new)))
		goto cleanup;
	if ((err = diff__compute(&base, &new, &d))) {
		cli__error("cannot compute the diff: %s", strerror(-err));
		goto cleanup;
	}
	d.base_name = o->base;
	d.new_name = o->new;
	if (o->format == DIFF_JSON)
		err = diff__write_json(&d, o->top, stdout);
	else if (o->format == DIFF_FOLDED)
		err = diff__write_folded(&d, stdout);
	else
		err = diff__write_text(&d, o->top, stdout);
	if (err)
		err = cli__stdout_failed("the diff", err);
cleanup:
	diff__release(&d);
	report__release(&base);
	report__release(&new);
	store__list_free(paths, npaths);
	return err;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts opts;
	int err = parse_opts(argc, argv, &opts);

	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	return run(&opts) ? EXIT_FAIL : EXIT_OK;
}
