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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "tracer/session.h"
#include "snapshot/store.h"

struct record_opts {
	struct cli_target target;  /* duration 0: until Ctrl-C or the process exits */
	double every_s;
	const char *out;
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
"  -d, --duration S       stop after S seconds (default: Ctrl-C or exit)\n"
"  -a, --min-age S        leave out blocks younger than S seconds\n"
CLI_TRACER_USAGE
"  -v, --verbose          more diagnostics\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int parse_opts(int argc, char **argv, struct record_opts *o)
{
	static const struct option longopts[] = {
		{ "every", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		CLI_TARGET_LONGOPTS,
		{ 0 },
	};
	int c, err, verbose = 0;

	memset(o, 0, sizeof(*o));
	cli__tracer_defaults(&o->target.cfg);
	o->target.cfg.top = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:o:" CLI_TARGET_SHORTOPTS, longopts, NULL)) != -1) {
		if ((err = cli__target_opt(&o->target, c, optarg)))
			err = err > 0 ? 0 : err;
		else if (c == 'e')
			err = cli__parse_seconds(optarg, "--every", 0.05, &o->every_s);
		else if (c == 'o')
			o->out = optarg;
		else
			err = cli__common_opt(c, &verbose, usage);
		if (err)
			return err;
	}
	if (cli__target_check(&o->target, argc, argv))
		return -EINVAL;
	if (!o->every_s || !o->out) {
		pr_err(!o->out ? "no series directory: give --out DIR" : "no interval: give --every S");
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
		pr_err("cannot encode a snapshot: %s", strerror(-err));
		return err;
	}
	err = store__add(rec->store, r, buf, len);
	free(buf);
	if (!err)
		pr_info("snapshot %zu: %llu bytes live, %zu bytes written", store__count(rec->store),
			(unsigned long long)r->total_bytes, len);
	return err;
}

static int run(struct session *s, struct recorder *rec)
{
	const struct record_opts *o = rec->o;
	uint64_t start = session__start_ns(s), step = (uint64_t)(o->every_s * 1e9);
	uint64_t end = o->target.duration_s > 0 ? start + (uint64_t)(o->target.duration_s * 1e9)
					   : UINT64_MAX;
	uint64_t next = start + step;
	int running, err;

	while (!cli__stopped()) {
		running = session__wait(s, next < end ? next : end, add_snapshot, rec);
		if (running <= 0)
			return running;
		if (session__now_ns() >= end)
			break;
		if (session__now_ns() >= next) {
			if ((err = session__report(s, false, add_snapshot, rec)))
				return err;
			while (next <= session__now_ns())
				next += step;   /* a slow snapshot skips ticks, never bunches */
		}
	}
	return session__report(s, true, add_snapshot, rec);
}

int cmd_record(int argc, char **argv)
{
	struct record_opts opts;
	struct recorder rec = { .o = &opts };
	struct series_info info = { 0 };
	struct session *s = NULL;
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	/* the series directory first: an existing series is refused before
	 * anything is attached */
	info.pid = opts.target.pid;
	info.command = opts.target.command;
	info.every_s = opts.every_s;
	if (store__create(opts.out, &info, &rec.store))
		return EXIT_FAIL;
	cli__catch_signals();
	if (cli__session_open(&opts.target, "Ctrl-C to stop", &s)) {
		store__free(rec.store);
		return EXIT_FAIL;
	}
	err = run(s, &rec);
	if (!err)
		pr_warn("wrote %zu snapshot%s to '%s'", store__count(rec.store),
			store__count(rec.store) == 1 ? "" : "s", opts.out);
	store__free(rec.store);
	session__free(s);
	return err ? EXIT_FAIL : EXIT_OK;
}
