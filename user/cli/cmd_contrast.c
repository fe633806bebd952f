/* seep contrast — which attribute combination sets a target group apart.
 *
 * Reads instances from CSV (contrast_csv), mines the attribute hierarchy
 * (hierarchy), runs CONAN's meta-heuristic search or the exhaustive one
 * (contrast_search), consolidates (consolidate) and prints the best patterns
 * as text or JSON on stdout. Diagnostics go to stderr; errors through cli's
 * one printer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/clock.h"
#include "cli/commands.h"
#include "contrast/consolidate.h"
#include "contrast/contrast.h"
#include "contrast/contrast_csv.h"
#include "contrast/contrast_search.h"
#include "contrast/hierarchy.h"
#include "lib/log.h"

#define MAX_LIST 256

struct config {
	const char *path;
	struct contrast_csv_opts csv;
	char *attrs_buf, *ignore_buf;
	const char *attrs[MAX_LIST], *ignore[MAX_LIST];
	struct contrast_objective obj;
	struct contrast_search_opts search;
	unsigned top;
	double tolerance;
	bool exhaustive, consolidate, hierarchy, json;
};

struct contrast_report {
	const struct config *cfg;
	const struct contrast_data *d;
	const struct hierarchy *h;
	const struct contrast_top *top;
	struct contrast_search_stats st;
	double load_seconds;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep contrast FILE.csv --class-col NAME --target VALUE [options]\n"
"\n"
"Finds the attribute-value combinations (contrast patterns) that best set the\n"
"target class apart from the background (CONAN). FILE may be gzip; '-' is stdin.\n"
"\n"
"input:\n"
"  --class-col NAME      column holding the class\n"
"  --target VALUE        class value of the target instances\n"
"  --background VALUE    class value of the background (default: all others)\n"
"  --count-col NAME      instances per row (aggregated input; default 1)\n"
"  --metric-col NAME     metric per instance: number or bucket ('100-500', '<100', '>1000')\n"
"  --attrs A,B,...       attribute columns (default: all other columns)\n"
"  --ignore A,B,...      columns to leave out of the attributes\n"
"  --delimiter C         field delimiter (default ',')\n"
"search:\n"
"  --objective NAME      proportion (default), count, p90, sum\n"
"  --max-len K           longest pattern (default 4, at most %d)\n"
"  --top N               patterns to report (default 10)\n"
"  --seed S              random seed (default 1); same seed, same result\n"
"  --steps N             static stop: at most N steps (default 200000, 0 = none)\n"
"  --patience N          dynamic stop: N steps without improvement (default 20000)\n"
"  --time-limit SEC      static stop: seconds (default none)\n"
"  --bms K               BMS: sample the next AVP among the K best (default 5)\n"
"  --tabu N              tabu tenure in steps (default 8)\n"
"  --min-count N         patterns must cover N target instances (default 1)\n"
"  --exhaustive          score every pattern up to --max-len instead (slow past 3)\n"
"  --no-hierarchy        do not mine or use attribute hierarchy chains\n"
"  --no-consolidate      keep redundant patterns\n"
"  --tolerance X         consolidation: scores within X relative are comparable (default %.2f)\n"
"output:\n"
"  --format text|json    report format (default text)\n"
"  -v, --verbose         more diagnostics on stderr\n",
		CONTRAST_MAX_LEN, CONSOLIDATE_TOLERANCE);
}

static int _split(char *buf, const char **out, size_t *n)
{
	*n = 0;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		if (*n == MAX_LIST)
			return -E2BIG;
		out[(*n)++] = tok;
	}
	return *n ? 0 : -EINVAL;
}

enum {
	OPT_CLASS = 256, OPT_TARGET, OPT_BACKGROUND, OPT_COUNT, OPT_METRIC, OPT_ATTRS,
	OPT_IGNORE, OPT_DELIM, OPT_OBJECTIVE, OPT_MAXLEN, OPT_TOP, OPT_SEED, OPT_STEPS,
	OPT_PATIENCE, OPT_TIME, OPT_BMS, OPT_TABU, OPT_EXHAUSTIVE, OPT_NOHIER, OPT_NOCONS,
	OPT_TOLERANCE, OPT_FORMAT, OPT_MINCOUNT,
};

static const struct option options[] = {
	{ "class-col", required_argument, NULL, OPT_CLASS },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "background", required_argument, NULL, OPT_BACKGROUND },
	{ "count-col", required_argument, NULL, OPT_COUNT },
	{ "metric-col", required_argument, NULL, OPT_METRIC },
	{ "attrs", required_argument, NULL, OPT_ATTRS },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "objective", required_argument, NULL, OPT_OBJECTIVE },
	{ "max-len", required_argument, NULL, OPT_MAXLEN },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "patience", required_argument, NULL, OPT_PATIENCE },
	{ "time-limit", required_argument, NULL, OPT_TIME },
	{ "bms", required_argument, NULL, OPT_BMS },
	{ "tabu", required_argument, NULL, OPT_TABU },
	{ "min-count", required_argument, NULL, OPT_MINCOUNT },
	{ "exhaustive", no_argument, NULL, OPT_EXHAUSTIVE },
	{ "no-hierarchy", no_argument, NULL, OPT_NOHIER },
	{ "no-consolidate", no_argument, NULL, OPT_NOCONS },
	{ "tolerance", required_argument, NULL, OPT_TOLERANCE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_command command = {
	.name = "contrast",
	.shortopts = "vh",
	.longopts = options,
	.format_opt = OPT_FORMAT,
	.usage = usage,
};

static void _defaults(struct config *cfg)
{
	contrast_search__defaults(&cfg->search);
	contrast_objective__lookup("proportion", &cfg->obj);
	cfg->top = 10;
	cfg->tolerance = CONSOLIDATE_TOLERANCE;
	cfg->consolidate = cfg->hierarchy = true;
}

/* --attrs A,B,... and --ignore A,B,...: a copy of ARG split in place. */
static int _column_list(const char *opt, const char *arg, char **buf, const char **cols,
			size_t *n)
{
	char why[64];

	free(*buf);
	if (!(*buf = strdup(arg))) {
		cli__error("cannot keep %s: %s", opt, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (_split(*buf, cols, n)) {
		snprintf(why, sizeof(why), "expected a list A,B,... of at most %d columns", MAX_LIST);
		return cli__bad_value(opt, arg, why);
	}
	return 0;
}

/* The input options: 1 if OPT is one, 0 if not, -errno (logged). */
static int _input_opt(struct config *cfg, int opt, const char *arg)
{
	struct contrast_csv_opts *csv = &cfg->csv;
	int err = 0;

	switch (opt) {
	case OPT_CLASS: csv->class_col = arg; break;
	case OPT_TARGET: csv->target = arg; break;
	case OPT_BACKGROUND: csv->background = arg; break;
	case OPT_COUNT: csv->count_col = arg; break;
	case OPT_METRIC: csv->metric_col = arg; break;
	case OPT_ATTRS:
		err = _column_list("--attrs", arg, &cfg->attrs_buf, cfg->attrs, &csv->nattrs);
		csv->attrs = cfg->attrs;
		break;
	case OPT_IGNORE:
		err = _column_list("--ignore", arg, &cfg->ignore_buf, cfg->ignore, &csv->nignore);
		csv->ignore = cfg->ignore;
		break;
	case OPT_DELIM:
		if (strlen(arg) != 1)
			return cli__bad_value("--delimiter", arg, "expected one character");
		csv->delim = arg[0];
		break;
	default:
		return 0;
	}
	return err ? err : 1;
}

/* An integer option of the search into *OUT, an unsigned or a uint64_t
 * (SIZE bytes). */
static int _search_count(const char *opt, const char *arg, uint64_t min, uint64_t max,
			 void *out, size_t size)
{
	uint64_t v;

	if (cli__count(arg, opt, min, max, &v))
		return -EINVAL;
	if (size == sizeof(unsigned))
		*(unsigned *)out = (unsigned)v;
	else
		*(uint64_t *)out = v;
	return 1;
}

#define SEARCH_COUNT(opt, min, max, field) \
	_search_count(opt, arg, min, max, &(field), sizeof(field))

/* The search options: 1 if OPT is one, 0 if not, -EINVAL (logged). */
static int _search_opt(struct config *cfg, int opt, const char *arg)
{
	struct contrast_search_opts *so = &cfg->search;

	switch (opt) {
	case OPT_OBJECTIVE: {
		const char *const *names = contrast_objective__names();
		size_t n = 0, i;

		while (names[n])
			n++;
		if (cli__name(arg, "--objective", names, n, &i))
			return -EINVAL;
		contrast_objective__lookup(names[i], &cfg->obj);
		return 1;
	}
	case OPT_MAXLEN: return SEARCH_COUNT("--max-len", 1, CONTRAST_MAX_LEN, so->max_len);
	case OPT_TOP: return SEARCH_COUNT("--top", 1, 10000, cfg->top);
	case OPT_SEED: return SEARCH_COUNT("--seed", 0, UINT64_MAX, so->seed);
	case OPT_STEPS: return SEARCH_COUNT("--steps", 0, UINT64_MAX, so->max_steps);
	case OPT_PATIENCE: return SEARCH_COUNT("--patience", 0, UINT64_MAX, so->patience);
	case OPT_BMS: return SEARCH_COUNT("--bms", 1, 64, so->bms_k);
	case OPT_TABU: return SEARCH_COUNT("--tabu", 0, 1000000, so->tabu_size);
	case OPT_MINCOUNT: return SEARCH_COUNT("--min-count", 1, UINT64_MAX, so->min_count);
	case OPT_TIME:
		return cli__real(arg, "--time-limit", 0, INFINITY, &so->time_limit) ?: 1;
	case OPT_TOLERANCE:
		return cli__real(arg, "--tolerance", 0, 1, &cfg->tolerance) ?: 1;
	case OPT_EXHAUSTIVE: cfg->exhaustive = true; return 1;
	case OPT_NOHIER: cfg->hierarchy = false; return 1;
	case OPT_NOCONS: cfg->consolidate = false; return 1;
	default: return 0;
	}
}

static int _on_opt(void *ctx, int opt, const char *arg)
{
	static const char *const formats[] = { "text", "json" };
	struct config *cfg = ctx;
	size_t f;
	int err = _input_opt(cfg, opt, arg);

	if (!err)
		err = _search_opt(cfg, opt, arg);
	if (err)
		return err < 0 ? err : 0;
	if (opt == OPT_FORMAT) {
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		cfg->json = f == 1;
	}
	return 0;
}

/* After the options: one input file, and the options that need others. */
static int _check(struct config *cfg, int argc, char **argv)
{
	if (optind + 1 != argc) {
		cli__error("%s", optind == argc ? "no input: give FILE.csv (or - for stdin)"
				: "more than one input file");
		return -EINVAL;
	}
	cfg->path = argv[optind];
	if (!cfg->csv.class_col || !cfg->csv.target) {
		cli__error("--class-col and --target are required");
		return -EINVAL;
	}
	if (!cfg->search.max_steps && !cfg->search.patience && !(cfg->search.time_limit > 0)) {
		cli__error("--steps 0 and --patience 0 need a --time-limit");
		return -EINVAL;
	}
	if ((cfg->obj.flags & CONTRAST_NEED_METRIC) && !cfg->csv.metric_col) {
		cli__error("objective '%s' needs --metric-col", cfg->obj.name);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 for --help, or -errno on a usage error (logged). */
static int parse_args(int argc, char **argv, struct config *cfg)
{
	int err;

	_defaults(cfg);
	if ((err = cli__parse(&command, argc, argv, _on_opt, cfg)))
		return err;
	return _check(cfg, argc, argv);
}

static long _peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static double _share(uint64_t n, uint64_t total)
{
	return total ? (double)n / (double)total : 0;
}

static void _print_text(const struct contrast_report *r)
{
	const struct contrast_data *d = r->d;
	uint64_t nt = contrast_data__total(d, CONTRAST_TARGET);
	uint64_t nb = contrast_data__total(d, CONTRAST_BACKGROUND);
	uint32_t items[CONTRAST_MAX_LEN];

	printf("target %s=%s: %" PRIu64 " instances; background: %" PRIu64 " instances; %zu rows\n",
	       r->cfg->csv.class_col, r->cfg->csv.target, nt, nb, contrast_data__nrows(d));
	for (size_t i = 0; i < hierarchy__nchains(r->h); i++) {
		size_t len;
		const uint32_t *c = hierarchy__chain(r->h, i, &len);

		printf("hierarchy: ");
		for (size_t k = 0; k < len; k++)
			printf("%s%s", k ? " -> " : "", contrast_data__attr_name(d, c[k]));
		printf("\n");
	}
	printf("objective %s; %s search: %" PRIu64 " steps, %" PRIu64 " evaluations, %.3f s\n\n",
	       r->cfg->obj.name, r->cfg->exhaustive ? "exhaustive" : "meta-heuristic",
	       r->st.steps, r->st.evaluations, r->st.seconds);
	if (!contrast_top__len(r->top)) {
		printf("no pattern found\n");
		return;
	}
	printf("%4s  %12s  %14s  %14s  %s\n", "rank", "score", "target", "background", "pattern");
	for (size_t i = 0; i < contrast_top__len(r->top) && i < r->cfg->top; i++) {
		const struct contrast_pattern *p = contrast_top__get(r->top, i);

		printf("%4zu  %12.6g  %14" PRIu64 "  %14" PRIu64 "  {", i + 1, p->score,
		       p->count[CONTRAST_TARGET], p->count[CONTRAST_BACKGROUND]);
		contrast_pattern__by_attr(d, p, items);
		for (uint32_t k = 0; k < p->len; k++)
			printf("%s%s=\"%s\"", k ? ", " : "",
			       contrast_data__attr_name(d, contrast_data__avp_attr(d, items[k])),
			       contrast_data__avp_value(d, items[k]));
		printf("}\n");
	}
}

static json_t *_json_pattern(const struct contrast_data *d, const struct contrast_pattern *p)
{
	uint32_t items[CONTRAST_MAX_LEN];
	json_t *obj = json_object(), *it = json_object();

	contrast_pattern__by_attr(d, p, items);
	for (uint32_t k = 0; k < p->len; k++)
		json_object_set_new(it, contrast_data__attr_name(d, contrast_data__avp_attr(d, items[k])),
				    json_string(contrast_data__avp_value(d, items[k])));
	json_object_set_new(obj, "items", it);
	json_object_set_new(obj, "score", json_real(p->score));
	json_object_set_new(obj, "target_count", json_integer((json_int_t)p->count[CONTRAST_TARGET]));
	json_object_set_new(obj, "background_count",
			    json_integer((json_int_t)p->count[CONTRAST_BACKGROUND]));
	json_object_set_new(obj, "target_share",
			    json_real(_share(p->count[CONTRAST_TARGET],
					     contrast_data__total(d, CONTRAST_TARGET))));
	json_object_set_new(obj, "background_share",
			    json_real(_share(p->count[CONTRAST_BACKGROUND],
					     contrast_data__total(d, CONTRAST_BACKGROUND))));
	return obj;
}

static int _print_json(const struct contrast_report *r)
{
	const struct contrast_data *d = r->d;
	json_t *root = json_object(), *pats = json_array(), *chains = json_array();
	json_t *search = json_object();
	int err;

	for (size_t i = 0; i < contrast_top__len(r->top) && i < r->cfg->top; i++)
		json_array_append_new(pats, _json_pattern(d, contrast_top__get(r->top, i)));
	for (size_t i = 0; i < hierarchy__nchains(r->h); i++) {
		size_t len;
		const uint32_t *c = hierarchy__chain(r->h, i, &len);
		json_t *chain = json_array();

		for (size_t k = 0; k < len; k++)
			json_array_append_new(chain, json_string(contrast_data__attr_name(d, c[k])));
		json_array_append_new(chains, chain);
	}
	json_object_set_new(root, "patterns", pats);
	json_object_set_new(root, "objective", json_string(r->cfg->obj.name));
	json_object_set_new(root, "target_instances",
			    json_integer((json_int_t)contrast_data__total(d, CONTRAST_TARGET)));
	json_object_set_new(root, "background_instances",
			    json_integer((json_int_t)contrast_data__total(d, CONTRAST_BACKGROUND)));
	json_object_set_new(root, "rows", json_integer((json_int_t)contrast_data__nrows(d)));
	json_object_set_new(root, "hierarchy", chains);
	json_object_set_new(search, "method",
			    json_string(r->cfg->exhaustive ? "exhaustive" : "meta-heuristic"));
	json_object_set_new(search, "seed", json_integer((json_int_t)r->cfg->search.seed));
	json_object_set_new(search, "max_len", json_integer(r->cfg->search.max_len));
	json_object_set_new(search, "min_count", json_integer((json_int_t)r->cfg->search.min_count));
	json_object_set_new(search, "steps", json_integer((json_int_t)r->st.steps));
	json_object_set_new(search, "evaluations", json_integer((json_int_t)r->st.evaluations));
	json_object_set_new(search, "seconds", json_real(r->st.seconds));
	json_object_set_new(root, "search", search);
	json_object_set_new(root, "load_seconds", json_real(r->load_seconds));
	json_object_set_new(root, "peak_rss_kib", json_integer(_peak_rss_kib()));
	err = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	printf("\n");
	json_decref(root);
	return err ? cli__stdout_failed("the patterns", -EIO) : 0;
}

static int _fail(const char *msg)
{
	cli__error("%s", msg);
	return EXIT_FAIL;
}

static int run(const struct config *cfg)
{
	struct contrast_data *d = NULL;
	struct hierarchy *h = NULL;
	struct contrast_top *top = NULL;
	struct contrast_report r = { .cfg = cfg };
	char msg[512];
	double t0 = clock__mono_s();
	int err, ret = EXIT_FAIL;
	size_t cap = cfg->top * 5 > 50 ? cfg->top * 5 : 50;

	err = contrast_csv__load(cfg->path, &cfg->csv, &d, msg, sizeof(msg));
	if (err)
		return _fail(msg);
	r.load_seconds = clock__mono_s() - t0;
	pr_info("loaded %zu rows, %zu AVPs over %zu attributes in %.3f s",
		contrast_data__nrows(d), contrast_data__navps(d), contrast_data__nattrs(d),
		r.load_seconds);
	if (cfg->hierarchy) {
		err = hierarchy__mine(d, &h);
		if (err) {
			snprintf(msg, sizeof(msg), "cannot mine the attribute hierarchy: %s", strerror(-err));
			ret = _fail(msg);
			goto cleanup;
		}
	}
	top = contrast_top__new(cap);
	if (!top) {
		ret = _fail("out of memory");
		goto cleanup;
	}
	struct contrast_search_opts so = cfg->search;
	so.hier = h;
	if (cfg->exhaustive)
		err = contrast_search__exhaustive(d, &cfg->obj, &so, top, &r.st);
	else
		err = contrast_search__run(d, &cfg->obj, &so, top, &r.st);
	if (!err && cfg->consolidate)
		err = consolidate__run(h, cfg->tolerance, top);
	if (err) {
		snprintf(msg, sizeof(msg), "search failed: %s", strerror(-err));
		ret = _fail(msg);
		goto cleanup;
	}
	pr_info("search: %" PRIu64 " steps, %" PRIu64 " evaluations, %" PRIu64
		" cache hits, %.3f s; peak RSS %ld KiB", r.st.steps, r.st.evaluations,
		r.st.cache_hits, r.st.seconds, _peak_rss_kib());
	r.d = d;
	r.h = h;
	r.top = top;
	if (cfg->json)
		err = _print_json(&r);
	else
		_print_text(&r);
	if (err || (err = cli__stdout_flush("the patterns")))
		goto cleanup;
	ret = EXIT_OK;
cleanup:
	contrast_top__free(top);
	hierarchy__free(h);
	contrast_data__free(d);
	return ret;
}

int cmd_contrast(int argc, char **argv)
{
	struct config cfg = { 0 };
	int err, ret;

	err = parse_args(argc, argv, &cfg);
	if (err)
		ret = err > 0 ? EXIT_OK : err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	else
		ret = run(&cfg);
	free(cfg.attrs_buf);
	free(cfg.ignore_buf);
	return ret;
}
