/* cmd_record — `seep record`: a series of heap snapshots into a directory.
 *
 * Reads top to bottom: parse options, create the series directory (never
 * an existing one), attach, then every interval take a report of every
 * live stack, encode it as pprof and append it to the series (see store.h:
 * each file appears whole or not at all); stop at the duration, Ctrl-C or
 * the process's exit (its final report is the last snapshot); clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_session.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "tracer/session.h"
#include "snapshot/store.h"

struct record_opts {
	struct cli_target target;  /* duration 0: until Ctrl-C or the process exits */
	double every_s;
	const char *out;
	bool json;               /* the summary (and errors) as JSON on stdout */
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep record (-p PID | -c 'CMD ARGS...') --every S --out DIR [options]\n"
"\n"
"Takes a heap snapshot (a pprof heap profile) every S seconds into the new\n"
"directory DIR, with an index; each file is written atomically, so a crash\n"
"or kill leaves only complete snapshots. Needs root (CAP_SYS_ADMIN).\n"
"\n"
"  -p, --pid PID          record a running process\n"
"  -c, --command 'CMD'    start CMD stopped, attach, then let it run\n"
"  -e, --every S          seconds between snapshots (at least 0.05)\n"
"  -o, --out DIR          the series directory: new, or empty\n"
"  -d, --duration S       stop after S seconds (default, and 0: until Ctrl-C\n"
"                         or exit)\n"
"  -a, --min-age S        leave out blocks younger than S seconds\n"
"  -f, --format FMT       text (default: nothing on stdout) or json (a summary\n"
"                         {\"series\", \"snapshots\"}, or {\"error\"}, on stdout)\n"
CLI_TRACER_USAGE
"  -v, --verbose          more diagnostics\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const char *const formats[] = { "text", "json" };

static const struct option longopts[] = {
	{ "every", required_argument, NULL, 'e' },
	{ "out", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	CLI_TARGET_LONGOPTS,
	{ 0 },
};

static const struct cli_command command = {
	.name = "record",
	.shortopts = "e:o:f:" CLI_TARGET_SHORTOPTS,
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct record_opts *o = ctx;
	size_t f;
	int err = cli__target_opt(&o->target, c, arg);

	if (err)
		return err < 0 ? err : 0;
	if (c == 'e')
		return cli__seconds(arg, "--every", 0.05, &o->every_s);
	if (c == 'o')
		o->out = arg;
	if (c == 'f') {
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct record_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	cli__target_init(&o->target, 1, 0, 0);
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (cli__target_check(&o->target, argc, argv))
		return -EINVAL;
	if (!o->every_s || !o->out) {
		cli__error(!o->out ? "no series directory: give --out DIR"
				   : "no interval: give --every S");
		return -EINVAL;
	}
	return 0;
}

struct recorder {
	const struct record_opts *o;
	struct store *store;
};

static int add_snapshot(const struct report *r, void *ctx)
{
	struct recorder *rec = ctx;
	struct pprof_options po = { 0 };
	void *buf;
	size_t len;
	int err;

	if ((err = pprof__encode(r, &po, &buf, &len))) {
		cli__error("cannot encode a snapshot: %s", strerror(-err));
		return err;
	}
	err = store__add(rec->store, r, buf, len);
	free(buf);
	if (!err)
		pr_info("snapshot %zu: %llu bytes live, %zu bytes written", store__count(rec->store),
			(unsigned long long)r->total_bytes, len);
	return err;
}

/* {"series": DIR, "snapshots": N} on stdout */
static int print_summary(const struct record_opts *o, size_t n)
{
	json_t *root = json_pack("{s:s, s:I}", "series", o->out, "snapshots", (json_int_t)n);
	int err = report__print_json(root, stdout);

	if (err)
		err = cli__stdout_failed("the summary", err);
	return err;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts opts;
	struct recorder rec = { .o = &opts };
	struct series_info info = { 0 };
	struct session *s = NULL;
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err) {
		cli__target_release(&opts.target);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	/* the series directory first: an existing series is refused before
	 * anything is attached */
	info.pid = opts.target.npids ? opts.target.pids[0] : 0;
	info.command = opts.target.command;
	info.every_s = opts.every_s;
	if ((err = store__create(opts.out, &info, &rec.store)))
		goto cleanup;
	cli__catch_signals();
	if ((err = cli__session_open(&opts.target, "Ctrl-C to stop", &s)))
		goto cleanup;
	err = cli__run_ticks(s, opts.every_s, opts.target.duration_s, add_snapshot, &rec);
	if (!err) {
		pr_warn("wrote %zu snapshot%s to '%s'", store__count(rec.store),
			store__count(rec.store) == 1 ? "" : "s", opts.out);
		if (opts.json)
			err = print_summary(&opts, store__count(rec.store));
	}
cleanup:
	store__free(rec.store);
	session__free(s);
	cli__target_release(&opts.target);
	return err ? EXIT_FAIL : EXIT_OK;
}
