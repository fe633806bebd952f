/* cmd_snapshot — `seep snapshot`: one heap snapshot of a process, as a pprof
 * heap profile (or collapsed stacks, JSON, text).
 *
 * Reads top to bottom: parse options, attach to the process (or start the
 * command), trace for the duration (or until Ctrl-C, or the command's
 * exit), take the report of every live stack, encode it, write it
 * atomically; clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_session.h"
#include "cli/commands.h"
#include "snapshot/folded.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "tracer/session.h"
#include "snapshot/store.h"

enum snap_format { SNAP_PPROF, SNAP_FOLDED, SNAP_JSON, SNAP_TEXT };

struct snapshot_opts {
	struct cli_target target;
	const char *out;         /* NULL: standard output (text formats only) */
	enum snap_format format;
};

struct snapshot_state {
	const struct snapshot_opts *o;
	bool taken;
	int err;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep snapshot (-p PID | -c 'CMD ARGS...') [-d S] -o FILE.pb.gz [options]\n"
"\n"
"Traces a process for a while, then writes its live heap by allocation stack\n"
"as a pprof heap profile (gzip), readable by go tool pprof, speedscope,\n"
"Pyroscope and Parca. Needs root (CAP_SYS_ADMIN).\n"
"\n"
"  -p, --pid PID          snapshot a running process\n"
"  -c, --command 'CMD'    start CMD stopped, attach, then let it run\n"
"  -d, --duration S       trace S seconds before the snapshot (default 5;\n"
"                         0: no limit; Ctrl-C or the command's exit takes\n"
"                         it earlier)\n"
"  -o, --output FILE      where to write (required for pprof; default stdout\n"
"                         for the other formats); replaced atomically\n"
"  -f, --format FMT       pprof (default), folded (collapsed stacks for\n"
"                         flame graphs), json or text\n"
"  -a, --min-age S        leave out blocks younger than S seconds\n"
CLI_TRACER_USAGE
"  -v, --verbose          more diagnostics\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const char *const formats[] = { "pprof", "folded", "json", "text" };  /* enum snap_format */

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	CLI_TARGET_LONGOPTS,
	{ 0 },
};

static const struct cli_command command = {
	.name = "snapshot",
	.shortopts = "o:f:" CLI_TARGET_SHORTOPTS,
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct snapshot_opts *o = ctx;
	size_t f;
	int err = cli__target_opt(&o->target, c, arg);

	if (err)
		return err < 0 ? err : 0;
	if (c == 'o')
		o->out = arg;
	if (c == 'f') {
		if (cli__name(arg, "--format", formats, 4, &f))
			return -EINVAL;
		o->format = (enum snap_format)f;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct snapshot_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	/* every stack: the profile's totals are its sums */
	cli__target_init(&o->target, 1, 5, 0);
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (cli__target_check(&o->target, argc, argv))
		return -EINVAL;
	if (o->format == SNAP_PPROF && !o->out) {
		cli__error("no output file: give -o FILE.pb.gz");
		return -EINVAL;
	}
	return 0;
}

static int write_pprof(const struct report *r, const char *path)
{
	struct pprof_options po = { 0 };
	char live[32];
	void *buf;
	size_t len;
	int err = pprof__encode(r, &po, &buf, &len);

	if (err) {
		cli__error("cannot encode the snapshot: %s", strerror(-err));
		return err;
	}
	err = store__write_file(path, buf, len, true);
	free(buf);
	if (err)
		return err;
	fmt__bytes((int64_t)r->total_bytes, false, live, sizeof(live));
	pr_warn("wrote '%s' (%zu bytes): pid %d (%s), %s live in %llu allocations from %zu stacks",
		path, len, r->pid, r->comm, live, (unsigned long long)r->total_count, r->nstacks);
	return 0;
}

/* Text formats go to a file (atomically, through memory) or stdout. */
static int write_text(const struct report *r, const struct snapshot_opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = o->out ? open_memstream(&text, &len) : stdout;
	int err;

	if (!out)
		return -errno;
	if (o->format == SNAP_FOLDED)
		err = folded__write_report(r, out);
	else
		err = report__write(r, o->format == SNAP_JSON ? REPORT_JSON : REPORT_TEXT, out);
	if (!o->out) {
		if (err)
			err = cli__stdout_failed("the snapshot", err);
		return err;
	}
	fclose(out);
	if (!err)
		err = store__write_file(o->out, text, len, true);
	free(text);
	return err;
}

static int take(const struct report *r, void *ctx)
{
	struct snapshot_state *st = ctx;

	if (st->taken)
		return 0;
	st->taken = true;
	if (st->o->format == SNAP_PPROF)
		st->err = write_pprof(r, st->o->out);
	else
		st->err = write_text(r, st->o);
	return st->err;
}

/* Traces until the duration (-d 0: no limit, as in trace and record),
 * Ctrl-C or the process's exit, then takes the first report that comes:
 * the exiting process's final one, or the final report at the end. */
static int run(struct session *s, const struct snapshot_opts *o)
{
	struct snapshot_state st = { .o = o };
	int err = cli__run_ticks(s, 0, o->target.duration_s, take, &st);

	return st.err ? st.err : err;
}

int cmd_snapshot(int argc, char **argv)
{
	struct snapshot_opts opts;
	struct session *s = NULL;
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err) {
		cli__target_release(&opts.target);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	/* a bad output path is told before the duration, not after */
	if (opts.out && (err = store__check_writable(opts.out))) {
		cli__target_release(&opts.target);
		return EXIT_FAIL;
	}
	cli__catch_signals();
	if (!(err = cli__session_open(&opts.target, "Ctrl-C to take the snapshot now", &s)))
		err = run(s, &opts);
	session__free(s);
	cli__target_release(&opts.target);
	return err ? EXIT_FAIL : EXIT_OK;
}
