/* cmd_diagnose — `seep diagnose`: a verdict per stack of a snapshot series.
 *
 * Reads top to bottom: parse options, load the series (snapshot/timeline),
 * line its stacks up as series (diagnose/stackseries), decide a verdict
 * per stack (diagnose/verdict) and for the process, rank (leaks by rate
 * first, then warm-ups and bounded stacks by live bytes, transients
 * last), with --reference compare the last snapshot with a reference of
 * healthy runs (diagnose/fingerprint: stacks ranked by departure), print
 * text or JSON. No root.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "diagnose/diagnosis.h"
#include "diagnose/fingerprint.h"
#include "diagnose/html.h"
#include "diagnose/stackcontrast.h"
#include "diagnose/stackseries.h"
#include "diagnose/verdict.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "snapshot/pprof.h"
#include "snapshot/timeline.h"

struct diagnose_opts {
	const char *dir;
	bool json;
	size_t top;
	double limit;            /* bytes; 0: none */
	const char *reference;   /* a reference file or directory; NULL: none */
	const char *html;        /* write the HTML report here; NULL: none */
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep diagnose DIR [options]\n"
"\n"
"Decides for each stack of a snapshot series written by seep record whether\n"
"its live memory is a leak, a bounded cache or pool, a warm-up or a\n"
"transient, with the evidence: the Theil-Sen slope and its interval, the\n"
"Mann-Kendall trend test, R^2, the age of its oldest block and how much it\n"
"allocated. Leaks come first, fastest first. With a reference (seep\n"
"fingerprint), also ranks the last snapshot's stacks by how far they depart\n"
"from healthy runs: stacks the reference lacks, stacks whose share grew.\n"
"\n"
"  -n, --top N            stacks shown (default 10)\n"
"  -l, --limit BYTES      also say when the live heap reaches BYTES at the\n"
"                         leaks' rate (e.g. 512M)\n"
"  -r, --reference REF    a reference from seep fingerprint, or a directory of\n"
"                         them (the one of the series' build-id is used)\n"
"      --html FILE        also write the diagnosis as one self-contained HTML\n"
"                         page (charts, flame graph of the growth, evidence)\n"
"  -f, --format FMT       text (default) or json\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const char *const formats[] = { "text", "json" };

static const struct option longopts[] = {
	{ "top", required_argument, NULL, 'n' },
	{ "limit", required_argument, NULL, 'l' },
	{ "reference", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, 'f' },
	{ "html", required_argument, NULL, 'H' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct cli_command command = {
	.name = "diagnose",
	.shortopts = "n:l:r:f:vh",	/* --html: long only */
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct diagnose_opts *o = ctx;
	uint64_t v;
	size_t f;

	switch (c) {
	case 'n':
		if (cli__count(arg, "--top", 1, 100000, &v))
			return -EINVAL;
		o->top = (size_t)v;
		return 0;
	case 'l':
		if (cli__bytes(arg, "--limit", 1, UINT64_MAX, &v))
			return -EINVAL;
		o->limit = (double)v;
		return 0;
	case 'r':
		o->reference = arg;
		return 0;
	case 'H':
		o->html = arg;
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

static int parse_opts(int argc, char **argv, struct diagnose_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->top = 10;
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (argc - optind != 1) {
		cli__error("expected one series directory, got %d arguments", argc - optind);
		return -EINVAL;
	}
	o->dir = argv[optind];
	return 0;
}

struct diag {
	const struct timeline *tl;
	struct diagnosis dx;
	const struct report **snaps;
	double *t;
	struct fingerprint *ref; /* with --reference: */
	char ref_path[4096];
	struct departure *dep;   /*   the last snapshot's stacks, ranked */
	size_t ndep;
	struct stackcontrast *sc; /* contrast patterns of the growth */
};

static void diag_release(struct diag *d)
{
	diagnosis__release(&d->dx);
	free(d->snaps);
	free(d->t);
	fingerprint__free(d->ref);
	free(d->dep);
	stackcontrast__free(d->sc);
}

static int diagnose(const struct timeline *tl, bool with_ref, struct diag *d)
{
	size_t n = timeline__snapshots(tl);
	char msg[256];
	int err;

	memset(d, 0, sizeof(*d));
	d->tl = tl;
	d->snaps = calloc(n ? n : 1, sizeof(*d->snaps));
	d->t = calloc(n ? n : 1, sizeof(*d->t));
	if (!d->snaps || !d->t) {
		cli__error("cannot diagnose series: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		d->snaps[i] = timeline__snapshot(tl, i);
		d->t[i] = timeline__elapsed(tl, i);
	}
	err = diagnosis__run(d->snaps, d->t, n, with_ref, &d->dx, msg, sizeof(msg));
	if (err)
		cli__error("%s", msg);
	return err;
}

/* The executable's build-id in the series: from its last snapshot that says. */
static const char *series_exe_id(const struct timeline *tl)
{
	const char *id = NULL;

	for (size_t i = timeline__snapshots(tl); i-- > 0 && !id;)
		id = fingerprint__exe_id(timeline__snapshot(tl, i));
	return id;
}

/* Reads the reference O->reference (a file, or the series' own in a
 * reference directory) and ranks the last snapshot's departures from it. */
static int compare_reference(const struct diagnose_opts *o, struct diag *d)
{
	const struct timeline *tl = d->tl;
	const char *id = series_exe_id(tl), *ref_id;
	struct report r = { 0 };
	struct stat st;
	int err;

	snprintf(d->ref_path, sizeof(d->ref_path), "%s", o->reference);
	if (!stat(o->reference, &st) && S_ISDIR(st.st_mode)) {
		err = fingerprint__path(o->reference, id, d->ref_path, sizeof(d->ref_path));
		if (err == -EINVAL) {
			cli__error("cannot find a reference in '%s': the series does not say its executable's build-id",
				   o->reference);
			return err;
		}
		if (!err && access(d->ref_path, F_OK)) {
			err = -errno;
			cli__error("cannot find a reference for build-id %s in '%s': %s", id,
				   o->reference, strerror(-err));
			return err;
		}
		if (err) {
			cli__error("cannot find a reference in '%s': %s", o->reference, strerror(-err));
			return err;
		}
	}
	if ((err = pprof__read_file(d->ref_path, &r)))
		return err;
	err = fingerprint__from_report(&r, &d->ref);
	report__release(&r);
	if (err) {
		cli__error("cannot read reference '%s': %s", d->ref_path, strerror(-err));
		return err;
	}
	ref_id = fingerprint__build_id(d->ref);
	if (id && ref_id && strcmp(id, ref_id)) {
		cli__error("cannot compare with reference '%s': it is of build-id %s, the series' executable is %s",
			   d->ref_path, ref_id, id);
		return -EXDEV;
	}
	err = fingerprint__compare(d->ref, timeline__snapshot(tl, timeline__snapshots(tl) - 1),
				   &d->dep, &d->ndep);
	if (err)
		cli__error("cannot compare with reference '%s': %s", d->ref_path, strerror(-err));
	return err;
}

/* The HTML report into O->html (replaced as a whole: written beside it,
 * then renamed). */
static int write_html(const struct diag *d, const struct diagnose_opts *o)
{
	struct html_input in = { .d = &d->dx, .sc = d->sc, .title = o->dir, .top = o->top };
	char tmp[4096];
	FILE *f;
	int err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", o->html) >= (int)sizeof(tmp)) {
		cli__error("cannot write report '%s': %s", o->html, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (!(f = fopen(tmp, "w"))) {
		err = -errno;
		cli__error("cannot write report '%s': %s", o->html, strerror(-err));
		return err;
	}
	err = html__write(&in, f);
	if (fclose(f) && !err)
		err = errno ? -errno : -EIO;
	if (!err && rename(tmp, o->html))
		err = -errno;
	if (err) {
		unlink(tmp);
		cli__error("cannot write report '%s': %s", o->html, strerror(-err));
	}
	return err;
}

/* Contrast patterns of the growth against the reference, or against the
 * non-growing part without one. */
static int contrast_patterns(struct diag *d)
{
	int err = stackcontrast__from_diagnosis(&d->dx, d->ref, STACKCONTRAST_TOP, &d->sc);

	if (err)
		cli__error("cannot find contrast patterns: %s", strerror(-err));
	return err;
}

static void print_patterns_text(const struct diag *g)
{
	const struct stackcontrast *sc = g->sc;
	char desc[1024], a[32];

	if (!stackcontrast__len(sc))
		return;
	fmt__bytes((int64_t)stackcontrast__total(sc, CONTRAST_TARGET), false, a, sizeof(a));
	printf("\npatterns: what sets the %s (%s) apart from the %s\n", stackcontrast__target_name(sc),
	       a, stackcontrast__ref_name(sc));
	for (size_t i = 0; i < stackcontrast__len(sc); i++) {
		const struct stackcontrast_pattern *p = stackcontrast__get(sc, i);

		stackcontrast__describe(p, desc, sizeof(desc));
		printf("  %s covers %.0f %% of the %s and %.0f %% of the %s", desc,
		       100 * p->target_share, stackcontrast__target_name(sc), 100 * p->ref_share,
		       stackcontrast__ref_name(sc));
		for (size_t k = 0; k < p->nimplied; k++)
			printf("%s%s %s", k ? ", " : "; ", p->implied[k].attr, p->implied[k].value);
		putchar('\n');
	}
}

static json_t *patterns_json(const struct diag *g)
{
	const struct stackcontrast *sc = g->sc;
	json_t *arr = json_array();

	for (size_t i = 0; sc && i < stackcontrast__len(sc); i++) {
		const struct stackcontrast_pattern *p = stackcontrast__get(sc, i);
		json_t *items = json_object(), *implied = json_object();

		for (size_t k = 0; k < p->nitems; k++)
			json_object_set_new(items, p->items[k].attr, json_string(p->items[k].value));
		for (size_t k = 0; k < p->nimplied; k++)
			json_object_set_new(implied, p->implied[k].attr, json_string(p->implied[k].value));
		json_array_append_new(arr, json_pack("{s:o, s:o, s:f, s:f, s:f, s:I, s:I}",
			"items", items, "implied", implied, "score", p->score,
			"target_share", p->target_share, "reference_share", p->ref_share,
			"target_bytes", (json_int_t)p->target_bytes,
			"reference_bytes", (json_int_t)p->ref_bytes));
	}
	return arr;
}

static size_t shown(const struct diagnosis *d, const struct diagnose_opts *o)
{
	return o->top < d->nj ? o->top : d->nj;
}

static double leaks_eta(const struct diagnosis *d, const struct diagnose_opts *o)
{
	size_t n = d->n;

	return verdict__time_to(d->heap[n - 1], d->leak_rate, o->limit);
}

static void print_text(const struct diag *g, const struct diagnose_opts *o)
{
	const struct diagnosis *d = &g->dx;
	size_t n = d->n, leaks = 0;
	const struct report *last = d->snaps[n - 1];
	char a[32], b[32], label[512];

	for (size_t k = 0; k < d->nj; k++)
		leaks += d->j[k].v.kind == VERDICT_LEAK;
	fmt__bytes((int64_t)d->heap[0], false, a, sizeof(a));
	fmt__bytes((int64_t)d->heap[n - 1], false, b, sizeof(b));
	printf("series %s: pid %d (%s), %zu snapshots over %.1f s\n", o->dir, last->pid,
	       last->comm, n, d->t[n - 1] - d->t[0]);
	printf("live heap: %s -> %s; %s\n", a, b, d->pv.reason);
	if (!d->verdicts)
		return;
	fmt__bytes((int64_t)llround(d->leak_rate), true, a, sizeof(a));
	printf("%zu leaking stack%s of %zu, %s/s together", leaks, leaks == 1 ? "" : "s", d->nj, a);
	if (o->limit > 0 && leaks) {
		fmt__bytes((int64_t)o->limit, false, b, sizeof(b));
		printf("; the heap reaches %s in %.0f s", b, leaks_eta(d, o));
	}
	putchar('\n');
	for (size_t k = 0; k < shown(d, o); k++) {
		const struct judged *j = &d->j[k];
		const struct stack_frame *site = diagnosis__site(j->row->stack);
		const struct verdict *v = &j->v;

		diagnosis__label(j->row->stack, label, sizeof(label));
		fmt__bytes((int64_t)v->last, false, b, sizeof(b));
		printf("\n  #%zu %s (confidence %.2f): %s", k + 1, verdict__name(v->kind),
		       v->confidence, site && site->function ? site->function : "?");
		if (site && site->file)
			printf(" at %s:%d", site->file, site->line);
		printf(", %s live\n    %s\n", b, label);
		fmt__bytes((int64_t)llround(v->all.slope), true, a, sizeof(a));
		printf("    %s; slope %s/s", v->reason, a);
		fmt__bytes((int64_t)llround(v->all.lo), true, a, sizeof(a));
		fmt__bytes((int64_t)llround(v->all.hi), true, b, sizeof(b));
		printf(" [%s/s, %s/s]", a, b);
		fmt__bytes((int64_t)llround(v->tail.slope), true, a, sizeof(a));
		printf(", tail %s/s, R^2 %.2f, Mann-Kendall p %.2g, grew in %zu of %zu intervals",
		       a, v->all.r2, v->all.mk_p, v->grew, v->intervals);
		if (isfinite(v->age_slope))
			printf(", age slope %.2f", v->age_slope);
		if (isfinite(v->turnover))
			printf(", turnover %.2f", v->turnover);
		putchar('\n');
	}
}

static bool departs(const struct departure *x)
{
	return x->kind == DEPART_NEW || x->kind == DEPART_GREW;
}

static void print_departures_text(const struct diag *d, const struct diagnose_opts *o)
{
	size_t shown_n = 0, usual = 0;
	char a[32], b[32], label[512];

	for (size_t k = 0; k < d->ndep; k++)
		usual += !departs(&d->dep[k]);
	printf("\nreference %s: %zu run%s of %s; %zu of the last snapshot's %zu stacks depart from it\n",
	       d->ref_path, fingerprint__runs(d->ref), fingerprint__runs(d->ref) == 1 ? "" : "s",
	       fingerprint__comm(d->ref), d->ndep - usual, d->ndep);
	for (size_t k = 0; k < d->ndep && shown_n < o->top; k++) {
		const struct departure *x = &d->dep[k];
		const struct stack_frame *site = diagnosis__site(x->stack);

		if (!departs(x))
			continue;
		shown_n++;
		diagnosis__label(x->stack, label, sizeof(label));
		fmt__bytes((int64_t)x->stack->bytes, false, a, sizeof(a));
		printf("\n  #%zu %s", shown_n, fingerprint__kind_name(x->kind));
		if (x->kind == DEPART_GREW)
			printf(" (z %.1f)", x->z);
		printf(": %s", site && site->function ? site->function : "?");
		if (site && site->file)
			printf(" at %s:%d", site->file, site->line);
		printf(", %.1f %% of the heap (%s)", 100 * x->share, a);
		if (x->kind == DEPART_NEW) {
			printf(", absent from the reference\n");
		} else {
			fmt__bytes((int64_t)llround(x->excess), true, b, sizeof(b));
			printf(" vs %.1f %% +- %.1f %% in %zu run%s, %s beyond it\n", 100 * x->ref_share,
			       100 * x->ref_sd, x->ref_runs, x->ref_runs == 1 ? "" : "s", b);
		}
		printf("    %s\n", label);
	}
}

static json_t *departures_json(const struct diag *d, const struct diagnose_opts *o)
{
	json_t *arr;
	size_t shown_n = 0;
	const char *id;

	if (!d->ref)
		return json_null();
	arr = json_array();
	for (size_t k = 0; k < d->ndep && shown_n < o->top; k++) {
		const struct departure *x = &d->dep[k];
		const struct stack_frame *site = diagnosis__site(x->stack);
		json_t *frames;

		if (!departs(x))
			continue;
		shown_n++;
		frames = json_array();
		for (size_t f = 0; f < x->stack->nframes; f++)
			json_array_append_new(frames, report__frame_json(&x->stack->frames[f]));
		json_array_append_new(arr, json_pack(
			"{s:s, s:o, s:o, s:I, s:f, s:f, s:f, s:I, s:f, s:f, s:o}",
			"departure", fingerprint__kind_name(x->kind),
			"function", site && site->function ? json_string(site->function) : json_null(),
			"file", site && site->file ? json_string(site->file) : json_null(),
			"bytes", (json_int_t)x->stack->bytes, "share", x->share,
			"ref_share", x->ref_share, "ref_share_sd", x->ref_sd,
			"ref_runs", (json_int_t)x->ref_runs, "z", x->z, "excess_bytes", x->excess,
			"frames", frames));
	}
	id = fingerprint__build_id(d->ref);
	return json_pack("{s:s, s:o, s:I, s:I, s:o}", "path", d->ref_path,
			 "build_id", id ? json_string(id) : json_null(),
			 "runs", (json_int_t)fingerprint__runs(d->ref),
			 "stacks_compared", (json_int_t)d->ndep, "departures", arr);
}

static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *trend_json(const struct trend *t)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "points", (json_int_t)t->n,
			 "slope", num(t->slope), "slope_lo", num(t->lo), "slope_hi", num(t->hi),
			 "ols_slope", num(t->ols_slope), "r2", num(t->r2), "mk_z", num(t->mk_z),
			 "mk_p", num(t->mk_p));
}

static int print_json(const struct diag *g, const struct diagnose_opts *o)
{
	const struct diagnosis *d = &g->dx;
	size_t n = d->n;
	const struct report *last = d->snaps[n - 1];
	json_t *stacks = json_array(), *heap = json_array(), *root;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(heap, json_integer((json_int_t)llround(d->heap[i])));
	for (size_t k = 0; k < shown(d, o); k++) {
		const struct judged *j = &d->j[k];
		const struct verdict *v = &j->v;
		const struct stack_frame *site = diagnosis__site(j->row->stack);
		json_t *bytes = json_array(), *frames = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(bytes, json_integer((json_int_t)llround(j->row->bytes[i])));
		for (size_t f = 0; f < j->row->stack->nframes; f++)
			json_array_append_new(frames, report__frame_json(&j->row->stack->frames[f]));
		json_array_append_new(stacks, json_pack(
			"{s:s, s:f, s:s, s:o, s:o, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:I, s:I,"
			" s:o, s:o, s:o}",
			"verdict", verdict__name(v->kind), "confidence", v->confidence,
			"reason", v->reason,
			"function", site && site->function ? json_string(site->function) : json_null(),
			"file", site && site->file ? json_string(site->file) : json_null(),
			"first_bytes", v->first, "last_bytes", v->last, "peak_bytes", v->peak,
			"rate_bytes_per_s", v->rate, "all", trend_json(&v->all),
			"tail", trend_json(&v->tail), "age_slope", num(v->age_slope),
			"grew", (json_int_t)v->grew, "intervals", (json_int_t)v->intervals,
			"turnover", num(v->turnover), "bytes", bytes, "frames", frames));
	}
	root = json_pack("{s:s, s:i, s:s, s:I, s:o, s:{s:b, s:s, s:o}, s:f, s:o, s:I, s:o, s:o}",
			 "series", o->dir, "pid", last->pid, "comm", last->comm,
			 "snapshots", (json_int_t)n, "heap_bytes", heap,
			 "process", "retention", d->pv.retention, "reason", d->pv.reason,
			 "heap", trend_json(&d->pv.heap),
			 "leak_rate_bytes_per_s", d->leak_rate,
			 "time_to_limit_s", o->limit > 0 ? num(leaks_eta(d, o)) : json_null(),
			 "stacks_total", (json_int_t)d->nj, "stacks", stacks,
			 "reference", departures_json(g, o));
	if (root && g->sc)
		json_object_set_new(root, "pattern_classes", json_pack("{s:s, s:s, s:I, s:I}",
			"target", stackcontrast__target_name(g->sc),
			"reference", stackcontrast__ref_name(g->sc),
			"target_bytes", (json_int_t)stackcontrast__total(g->sc, CONTRAST_TARGET),
			"reference_bytes", (json_int_t)stackcontrast__total(g->sc, CONTRAST_BACKGROUND)));
	if (root)
		json_object_set_new(root, "patterns", patterns_json(g));
	return report__print_json(root, stdout);
}

int cmd_diagnose(int argc, char **argv)
{
	struct diagnose_opts opts;
	struct diag d = { 0 };
	struct timeline *t = NULL;
	int err = parse_opts(argc, argv, &opts);

	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (!(err = timeline__load(opts.dir, &t)) && !(err = diagnose(t, opts.reference != NULL, &d)) &&
	    (!opts.reference || !(err = compare_reference(&opts, &d))) &&
	    !(err = contrast_patterns(&d)) && (!opts.html || !(err = write_html(&d, &opts)))) {
		if (opts.json) {
			err = print_json(&d, &opts);
		} else {
			print_text(&d, &opts);
			if (d.ref)
				print_departures_text(&d, &opts);
			print_patterns_text(&d);
		}
		if (err)
			err = cli__stdout_failed("the diagnosis", err);
		else
			err = cli__stdout_flush("the diagnosis");
	}
	diag_release(&d);
	timeline__free(t);
	return err ? EXIT_FAIL : EXIT_OK;
}
