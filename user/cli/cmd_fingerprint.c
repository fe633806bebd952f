/* cmd_fingerprint — `seep fingerprint`: a heap reference of one executable
 * from healthy runs, for `seep diagnose --reference`.
 *
 * Reads top to bottom: parse options, read each run (a series directory
 * from seep record, or one snapshot file), add it to the fingerprint
 * (diagnose/fingerprint: per-stack share of live bytes and its spread),
 * write the reference as a pprof profile (to a file, or into a reference
 * directory under the executable's build-id), print a summary. No root.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "diagnose/fingerprint.h"
#include "lib/fmt.h"
#include "snapshot/pprof.h"
#include "snapshot/store.h"
#include "snapshot/timeline.h"

struct fingerprint_opts {
	const char *out;
	bool json, force;
	size_t top;
	char **runs;
	size_t nruns;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep fingerprint RUN... -o REF [options]\n"
"\n"
"Builds a reference of an executable's heap from healthy runs: for each\n"
"stack, its share of the live bytes, how much that share varies between\n"
"runs, and in how many runs it appeared. A RUN is a series directory written\n"
"by seep record, or one snapshot. All runs must be of one executable (the\n"
"same build-id). The reference is a pprof heap profile, so\n"
"'go tool pprof -diff_base REF SNAPSHOT' reads it; 'seep diagnose SERIES\n"
"--reference REF' ranks the series' stacks by how far they depart from it.\n"
"\n"
"  -o, --out REF          the reference file, or an existing directory to\n"
"                         write REF/BUILD_ID.pb.gz into (required)\n"
"      --force            replace an existing reference (else an existing\n"
"                         file is an error)\n"
"  -n, --top N            stacks shown (default 10)\n"
"  -f, --format FMT       text (default) or json\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const char *const formats[] = { "text", "json" };

enum { OPT_FORCE = 256 };

static const struct option longopts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "top", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct cli_command command = {
	.name = "fingerprint",
	.shortopts = "o:n:f:vh",
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct fingerprint_opts *o = ctx;
	uint64_t v;
	size_t f;

	switch (c) {
	case 'o':
		o->out = arg;
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case 'n':
		if (cli__count(arg, "--top", 1, 100000, &v))
			return -EINVAL;
		o->top = (size_t)v;
		return 0;
	case 'f':
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
		return 0;
	default:
		return 0;
	}
}

static int parse_opts(int argc, char **argv, struct fingerprint_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->top = 10;
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (argc - optind < 1) {
		cli__error("expected at least one run (a series directory or a snapshot)");
		return -EINVAL;
	}
	if (!o->out) {
		cli__error("missing option --out: where to write the reference");
		return -EINVAL;
	}
	o->runs = argv + optind;
	o->nruns = (size_t)(argc - optind);
	return 0;
}

/* Adds the run at PATH: a series directory, else one snapshot file. */
static int add_run(struct fingerprint *fp, const char *path)
{
	struct timeline *tl = NULL;
	struct report one = { 0 };
	const struct report **snaps = NULL;
	struct stat st;
	char why[256] = "";
	size_t n = 1;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		cli__error("cannot read run '%s': %s", path, strerror(-err));
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		if ((err = timeline__load(path, &tl)))
			return err;
		n = timeline__snapshots(tl);
	} else if ((err = pprof__read_file(path, &one))) {
		return err;
	}
	if (!(snaps = calloc(n, sizeof(*snaps)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		snaps[i] = tl ? timeline__snapshot(tl, i) : &one;
	err = fingerprint__add_run(fp, snaps, n, why, sizeof(why));
	if (err == -EXDEV)
		cli__error("cannot add run '%s' to the reference: %s", path, why);
	else if (err)
		cli__error("cannot add run '%s' to the reference: %s", path, strerror(-err));
cleanup:
	free(snaps);
	timeline__free(tl);
	report__release(&one);
	return err;
}

/* Writes the reference to O->out, or into the directory O->out under the
 * build-id; PATH (LEN bytes) says where. */
static int write_reference(struct fingerprint *fp, const struct fingerprint_opts *o, char *path,
			   size_t len)
{
	struct pprof_options po = { 0 };
	struct report r;
	struct stat st;
	void *buf = NULL;
	size_t blen = 0;
	int err;

	snprintf(path, len, "%s", o->out);
	if (!stat(o->out, &st) && S_ISDIR(st.st_mode)) {
		err = fingerprint__path(o->out, fingerprint__build_id(fp), path, len);
		if (err == -EINVAL) {
			cli__error("cannot name the reference in '%s': the runs' executable has no build-id (give a file with --out)",
				   o->out);
			return err;
		}
		if (err) {
			cli__error("cannot write reference into '%s': %s", o->out, strerror(-err));
			return err;
		}
	}
	if ((err = fingerprint__to_report(fp, &r))) {
		cli__error("cannot build the reference: %s", strerror(-err));
		return err;
	}
	err = pprof__encode(&r, &po, &buf, &blen);
	report__release(&r);
	if (err)
		cli__error("cannot encode reference '%s': %s", path, strerror(-err));
	else
		err = store__write_file(path, buf, blen, o->force);   /* logs its failure */
	free(buf);
	return err;
}

static size_t shown(struct fingerprint *fp, const struct fingerprint_opts *o)
{
	return o->top < fingerprint__stacks(fp) ? o->top : fingerprint__stacks(fp);
}

static const char *site_name(const struct report_stack *st, const struct stack_frame **site)
{
	*site = NULL;
	for (size_t i = 1; i < st->nframes && !*site; i++)
		if (st->frames[i].function)
			*site = &st->frames[i];
	if (!*site && st->nframes)
		*site = &st->frames[0];
	return *site && (*site)->function ? (*site)->function : "?";
}

static void print_text(struct fingerprint *fp, const struct fingerprint_opts *o, const char *path)
{
	const char *id = fingerprint__build_id(fp);
	char b[32];

	printf("reference %s: %zu run%s of %s (build-id %s), %zu stacks\n", path,
	       fingerprint__runs(fp), fingerprint__runs(fp) == 1 ? "" : "s", fingerprint__comm(fp),
	       id ? id : "unknown", fingerprint__stacks(fp));
	for (size_t i = 0; i < shown(fp, o); i++) {
		const struct fingerprint_stack *s = fingerprint__stack(fp, i);
		const struct stack_frame *site;
		const char *fn = site_name(&s->stack, &site);

		fmt__bytes((int64_t)s->stack.bytes, false, b, sizeof(b));
		printf("  %5.1f %% +- %4.1f %%  in %zu of %zu runs  %s", 100 * s->share,
		       100 * s->share_sd, s->runs, fingerprint__runs(fp), fn);
		if (site && site->file)
			printf(" at %s:%d", site->file, site->line);
		printf(", %s\n", b);
	}
}

static int print_json(struct fingerprint *fp, const struct fingerprint_opts *o, const char *path)
{
	const char *id = fingerprint__build_id(fp);
	json_t *stacks = json_array();

	for (size_t i = 0; i < shown(fp, o); i++) {
		const struct fingerprint_stack *s = fingerprint__stack(fp, i);
		const struct stack_frame *site;
		const char *fn = site_name(&s->stack, &site);
		json_t *frames = json_array();

		for (size_t f = 0; f < s->stack.nframes; f++)
			json_array_append_new(frames, report__frame_json(&s->stack.frames[f]));
		json_array_append_new(stacks, json_pack(
			"{s:f, s:f, s:I, s:I, s:s, s:o, s:o}", "share", s->share, "share_sd",
			s->share_sd, "runs", (json_int_t)s->runs, "bytes", (json_int_t)s->stack.bytes,
			"function", fn, "file",
			site && site->file ? json_string(site->file) : json_null(), "frames", frames));
	}
	return report__print_json(json_pack("{s:s, s:o, s:s, s:I, s:I, s:o}", "reference", path,
					    "build_id", id ? json_string(id) : json_null(),
					    "comm", fingerprint__comm(fp),
					    "runs", (json_int_t)fingerprint__runs(fp),
					    "stacks_total", (json_int_t)fingerprint__stacks(fp),
					    "stacks", stacks),
				  stdout);
}

int cmd_fingerprint(int argc, char **argv)
{
	struct fingerprint_opts opts;
	struct fingerprint *fp = NULL;
	char path[4096];
	int err = parse_opts(argc, argv, &opts);

	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (!(fp = fingerprint__new())) {
		cli__error("cannot build the reference: %s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < opts.nruns && !err; i++)
		err = add_run(fp, opts.runs[i]);
	if (!err)
		err = write_reference(fp, &opts, path, sizeof(path));
	if (!err) {
		if (opts.json)
			err = print_json(fp, &opts, path);
		else
			print_text(fp, &opts, path);
		if (err)
			cli__error("cannot write the summary: %s", strerror(-err));
	}
	fingerprint__free(fp);
	return err ? EXIT_FAIL : EXIT_OK;
}
