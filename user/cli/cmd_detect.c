/* cmd_detect — `seep detect FILE.csv`: the leak detectors on a memory series.
 *
 * Reads the series, resolves the threshold, runs one detector through
 * detect__run and prints the verdict (text or JSON) on stdout; an optional
 * SVG plot. Errors go through cli's one printer (a line on stderr, or with
 * --format json {"error": …} on stdout); exit 0 on a verdict (leak or not),
 * 1 on failure, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "detect/detect.h"
#include "lib/cairo_dl.h"
#include "lib/log.h"
#include "detect/plot.h"
#include "detect/precog.h"
#include "detect/series.h"
#include "detect/threshold.h"

enum {
	OPT_TRAIN = 256, OPT_TRAIN_FRACTION, OPT_MODEL, OPT_SAVE_MODEL, OPT_LIMIT,
	OPT_CRITICAL, OPT_MIN_TREND, OPT_MAX_WINDOW, OPT_R2, OPT_RESAMPLE, OPT_SMOOTH,
	OPT_CPD_Z, OPT_CPD_DIST, OPT_COLUMN, OPT_FORMAT, OPT_PLOT, OPT_SEEP_WINDOW, OPT_EXPLAIN,
	OPT_SEEP_NEW_HIGH, OPT_SEEP_WANDER, OPT_SEEP_WANDER_LAG, OPT_SEEP_RECENT_WANDER, OPT_SEEP_RESTART_WANDER,
};

static const struct option long_opts[] = {
	{ "algo", required_argument, NULL, 'a' },
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "train-fraction", required_argument, NULL, OPT_TRAIN_FRACTION },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "save-model", required_argument, NULL, OPT_SAVE_MODEL },
	{ "threshold", required_argument, NULL, 't' },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "critical", required_argument, NULL, OPT_CRITICAL },
	{ "min-trend", required_argument, NULL, OPT_MIN_TREND },
	{ "max-window", required_argument, NULL, OPT_MAX_WINDOW },
	{ "r2", required_argument, NULL, OPT_R2 },
	{ "resample", required_argument, NULL, OPT_RESAMPLE },
	{ "smooth", required_argument, NULL, OPT_SMOOTH },
	{ "cpd-z", required_argument, NULL, OPT_CPD_Z },
	{ "cpd-min-distance", required_argument, NULL, OPT_CPD_DIST },
	{ "seep-min-window", required_argument, NULL, OPT_SEEP_WINDOW },
	{ "seep-new-high-window", required_argument, NULL, OPT_SEEP_NEW_HIGH },
	{ "seep-min-wander", required_argument, NULL, OPT_SEEP_WANDER },
	{ "seep-wander-lag", required_argument, NULL, OPT_SEEP_WANDER_LAG },
	{ "seep-recent-wander", required_argument, NULL, OPT_SEEP_RECENT_WANDER },
	{ "seep-restart-wander", required_argument, NULL, OPT_SEEP_RESTART_WANDER },
	{ "column", required_argument, NULL, OPT_COLUMN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct opts {
	const char *file, *train, *model, *save_model, *threshold, *limit;
	const char *column, *plot;
	enum detect_algo algo;
	int json, explain;
	struct detect_params params;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep detect FILE.csv [options]\n"
"\n"
"Decides whether a memory series (CSV timestamp,value; header optional; epoch\n"
"seconds or ISO-8601; gzip ok) is leaking, with the detectors of Jindal et al.\n"
"or seep's own. Durations take s/m/h/d/w suffixes.\n"
"\n"
"  -a, --algo NAME            lbr | lbrcpd | precog | precogmf | seep (default seep)\n"
"      --train FILE.csv       Precog: train on this series, test all of FILE\n"
"      --train-fraction F     Precog: train on the first F of FILE (0.65)\n"
"      --model FILE           Precog: use a saved model instead of training\n"
"      --save-model FILE      Precog: write the trained model (JSON)\n"
"  -t, --threshold U          95 | 95%% | 8GiB: U in the series' unit (100)\n"
"      --limit L              bytes | host | cgroup dir or memory.max file:\n"
"                             makes a percent threshold relative to L\n"
"      --critical DUR         C, the horizon to reach U (7d)\n"
"      --min-trend DUR        shortest trend, LBR's Wmin (derived: min(6h, span/12))\n"
"      --max-window DUR       LBR's Wmax (7d)\n"
"      --r2 R                 minimum R² of a trend line (0.8)\n"
"      --resample DUR         resolution (derived: 5m for days of data)\n"
"      --smooth DUR           median smoothing window (derived: 12 steps)\n"
"      --cpd-z Z              change-point z-score threshold (3)\n"
"      --cpd-min-distance DUR minimum distance between change points (derived: as --min-trend)\n"
"      --seep-min-window DUR  seep: shortest trend reported (derived: min(24h, span/3))\n"
"      --seep-new-high-window DUR seep: a window shorter than this (or than\n"
"                             --seep-min-window) ends at a new high (24h)\n"
"      --seep-min-wander R    seep: rise >= R times the series' own variation over\n"
"                             a share of the window, its growth taken out\n"
"                             (derived: 3 + s, s = 1 - seep window/24h; 0: off)\n"
"      --seep-wander-lag F    seep: that share (0.25)\n"
"      --seep-recent-wander R seep: the recent part and the tail may fall short of\n"
"                             still growing by R of the variation over their\n"
"                             length (derived: s; 0: not at all)\n"
"      --seep-restart-wander R seep: a restart drops R of the variation over a\n"
"                             tooth, at least (derived: 2 s; 0: no floor)\n"
"      --explain              the parameters used and the windows seep tried\n"
"      --column NAME          value column, when the file has a header\n"
"      --format text|json     report format (text)\n"
"      --plot OUT.svg         draw the series, window and trend line (or OUT.png)\n"
"  -v, --verbose              more diagnostics on stderr\n");
}

static const char *const formats[] = { "text", "json" };

static const struct cli_command command = {
	.name = "detect",
	.shortopts = "a:t:vh",
	.longopts = long_opts,
	.format_opt = OPT_FORMAT,
	.usage = usage,
};

/* The options that take a duration, and where it goes. */
/* The options that take a duration, where it goes, and the derivation it
 * overrides (*BIT). */
static double *duration_of(struct detect_params *p, int c, const char **name, unsigned *bit)
{
	*bit = 0;
	switch (c) {
	case OPT_CRITICAL: *name = "--critical"; return &p->critical_s;
	case OPT_MIN_TREND: *name = "--min-trend"; *bit = DETECT_DERIVE_MIN_TREND; return &p->min_trend_s;
	case OPT_MAX_WINDOW: *name = "--max-window"; return &p->max_window_s;
	case OPT_RESAMPLE: *name = "--resample"; *bit = DETECT_DERIVE_STEP; return &p->step_s;
	case OPT_SMOOTH: *name = "--smooth"; *bit = DETECT_DERIVE_SMOOTH; return &p->smooth_s;
	case OPT_CPD_DIST:
		*name = "--cpd-min-distance";
		*bit = DETECT_DERIVE_CPD_DIST;
		return &p->cpd_min_dist_s;
	case OPT_SEEP_NEW_HIGH:
		*name = "--seep-new-high-window";
		return &p->seep_new_high_window_s;
	case OPT_SEEP_WINDOW:
		*name = "--seep-min-window";
		*bit = DETECT_DERIVE_SEEP_WINDOW;
		return &p->seep_min_window_s;
	default: return NULL;
	}
}

static int on_opt(void *ctx, int c, const char *arg)
{
	const char *algos[DETECT_NALGOS];
	struct opts *o = ctx;
	struct detect_params *p = &o->params;
	const char *name;
	unsigned bit;
	double *dur = duration_of(p, c, &name, &bit);
	size_t f;

	if (dur) {
		p->derive &= ~bit;
		return cli__duration(arg, name, dur);
	}
	switch (c) {
	case 'a':
		for (int i = 0; i < DETECT_NALGOS; i++)
			algos[i] = detect__algo_name((enum detect_algo)i);
		if (cli__name(arg, "--algo", algos, DETECT_NALGOS, &f))
			return -EINVAL;
		o->algo = (enum detect_algo)f;
		return 0;
	case OPT_TRAIN_FRACTION:
		return cli__real(arg, "--train-fraction", 0.05, 0.95, &p->train_fraction);
	case OPT_R2:
		return cli__real(arg, "--r2", 0, 1, &p->r2_min);
	case OPT_CPD_Z:
		return cli__real(arg, "--cpd-z", 0, 1e6, &p->cpd_z);
	case OPT_SEEP_WANDER:
		p->derive &= ~DETECT_DERIVE_MIN_WANDER;
		return cli__real(arg, "--seep-min-wander", 0, 1e6, &p->seep_min_wander);
	case OPT_SEEP_WANDER_LAG:
		return cli__real(arg, "--seep-wander-lag", 0, 1, &p->seep_wander_lag);
	case OPT_SEEP_RECENT_WANDER:
		p->derive &= ~DETECT_DERIVE_RECENT_WANDER;
		return cli__real(arg, "--seep-recent-wander", 0, 1e6, &p->seep_recent_wander);
	case OPT_SEEP_RESTART_WANDER:
		p->derive &= ~DETECT_DERIVE_RESTART_WANDER;
		return cli__real(arg, "--seep-restart-wander", 0, 1e6, &p->seep_restart_wander);
	case OPT_FORMAT:
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
		return 0;
	case OPT_TRAIN: o->train = arg; return 0;
	case OPT_MODEL: o->model = arg; return 0;
	case OPT_SAVE_MODEL: o->save_model = arg; return 0;
	case 't': o->threshold = arg; return 0;
	case OPT_LIMIT: o->limit = arg; return 0;
	case OPT_COLUMN: o->column = arg; return 0;
	case OPT_PLOT: o->plot = arg; return 0;
	case OPT_EXPLAIN: o->explain = 1; return 0;
	default: return 0;
	}
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	o->algo = DETECT_SEEP;
	detect_params__init_derived(&o->params);
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	if (optind != argc - 1) {
		cli__error("%s", optind >= argc ? "no series to analyse: give FILE.csv"
				: "only one FILE.csv is analysed at a time");
		return -EINVAL;
	}
	o->file = argv[optind];
	if (o->train && o->model) {
		cli__error("--train and --model exclude each other");
		return -EINVAL;
	}
	return 0;
}

static void iso_time(double t, char *buf, size_t len)
{
	time_t tt = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_duration(double s, char *buf, size_t len);

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *explain_json(const struct detect_explain *ex)
{
	const struct detect_params *p = &ex->used;
	json_t *j = json_object(), *par = json_object(), *why = json_object();
	json_t *cand = json_array(), *rej = json_object();

	json_object_set_new(j, "span_s", json_real(ex->why.span_s));
	json_object_set_new(j, "resolution_s", json_real(ex->why.resolution_s));
	json_object_set_new(par, "step_s", json_real(p->step_s));
	json_object_set_new(par, "smooth_s", json_real(p->smooth_s));
	json_object_set_new(par, "min_trend_s", json_real(p->min_trend_s));
	json_object_set_new(par, "cpd_min_dist_s", json_real(p->cpd_min_dist_s));
	json_object_set_new(par, "seep_min_window_s", json_real(p->seep_min_window_s));
	json_object_set_new(par, "seep_tooth_min_s", json_real(p->seep_tooth_min_s));
	json_object_set_new(par, "seep_tail_min_s", json_real(p->seep_tail_min_s));
	json_object_set_new(par, "seep_part_min_s", json_real(p->seep_part_min_s));
	json_object_set_new(par, "max_window_s", json_real(p->max_window_s));
	json_object_set_new(par, "critical_s", json_real(p->critical_s));
	json_object_set_new(par, "seep_min_snr", json_real(p->seep_min_snr));
	json_object_set_new(par, "seep_r2_min", json_real(p->seep_r2_min));
	json_object_set_new(par, "seep_new_high_sd", json_real(p->seep_new_high_sd));
	json_object_set_new(par, "seep_new_high_window_s", json_real(p->seep_new_high_window_s));
	json_object_set_new(par, "seep_min_wander", json_real(p->seep_min_wander));
	json_object_set_new(par, "seep_wander_lag", json_real(p->seep_wander_lag));
	json_object_set_new(par, "seep_recent_wander", json_real(p->seep_recent_wander));
	json_object_set_new(par, "seep_restart_wander", json_real(p->seep_restart_wander));
	json_object_set_new(par, "seep_tooth_r2", json_real(p->seep_tooth_r2));
	json_object_set_new(par, "seep_long_tooth_s",
			    json_real(DETECT_LONG_TOOTH * p->seep_min_window_s));
	json_object_set_new(par, "seep_tooth_base_frac", json_real(DETECT_TOOTH_BASE_FRAC));
	json_object_set_new(why, "step_s", json_string(ex->why.step));
	json_object_set_new(why, "smooth_s", json_string(ex->why.smooth));
	json_object_set_new(why, "min_trend_s", json_string(ex->why.min_trend));
	json_object_set_new(why, "cpd_min_dist_s", json_string(ex->why.cpd_dist));
	json_object_set_new(why, "seep_min_window_s", json_string(ex->why.seep_window));
	json_object_set_new(why, "seep_parts", json_string(ex->why.seep_parts));
	json_object_set_new(why, "sub_daily", json_real(ex->why.sub_daily));
	json_object_set_new(why, "seep_min_wander", json_string(ex->why.min_wander));
	json_object_set_new(why, "seep_recent_wander", json_string(ex->why.recent_wander));
	json_object_set_new(why, "seep_restart_wander", json_string(ex->why.restart_wander));
	json_object_set_new(j, "params", par);
	json_object_set_new(j, "derived", why);
	json_object_set_new(j, "restarts_found", json_integer((json_int_t)ex->restarts));
	json_object_set_new(j, "windows_tried", json_integer((json_int_t)ex->tried));
	for (int t = SEEP_FITS; t <= SEEP_NTESTS; t++)
		json_object_set_new(rej, seep_window__test_name((enum seep_test)t),
				    json_integer((json_int_t)ex->rejected[t]));
	json_object_set_new(j, "rejected_by", rej);
	for (size_t i = 0; i < ex->ncand; i++) {
		const struct detect_candidate *c = &ex->cand[i];

		json_array_append_new(cand, json_pack("{s:f,s:f,s:o,s:o,s:f,s:f,s:o,s:s}",
			"start", c->start, "end", c->end,
			"slope_per_hour", num_or_null(c->slope_per_hour), "r2", num_or_null(c->r2),
			"rise", c->rise, "residual_sd", c->residual_sd,
			"wander", num_or_null(c->wander),
			"verdict", c->failed == SEEP_PASSED ? "accepted" :
				   seep_window__test_name(c->failed)));
	}
	json_object_set_new(j, "candidates", cand);
	return j;
}

static void print_explain(const struct detect_explain *ex)
{
	const struct detect_params *p = &ex->used;
	char a[32], b[32], d[32];

	fmt_duration(ex->why.span_s, a, sizeof(a));
	printf("explain: series spans %s at %.3gs resolution\n", a, ex->why.resolution_s);
	printf("  step %.4gs (%s)\n  smooth %.4gs (%s)\n", p->step_s, ex->why.step,
	       p->smooth_s, ex->why.smooth);
	printf("  min trend %.4gs (%s)\n  cpd min distance %.4gs (%s)\n", p->min_trend_s,
	       ex->why.min_trend, p->cpd_min_dist_s, ex->why.cpd_dist);
	printf("  seep min window %.4gs (%s)\n", p->seep_min_window_s, ex->why.seep_window);
	printf("  seep tooth %.4gs, tail %.4gs, part %.4gs (%s)\n", p->seep_tooth_min_s,
	       p->seep_tail_min_s, p->seep_part_min_s, ex->why.seep_parts);
	printf("  restart teeth: at least the seep tooth long, from a base within %.2g of the "
	       "drop above where it lands, a line with R2 >= %.2f (from %.4gs long: a rise >= "
	       "%.3g residual sd)\n", DETECT_TOOTH_BASE_FRAC, p->seep_tooth_r2,
	       DETECT_LONG_TOOTH * p->seep_min_window_s, p->seep_min_snr);
	printf("  horizon C %.4gs, rise >= %.3g residual sd, R2 >= %.2f; windows under the "
	       "seep min window or %.4gs end %.3g residual sd above all before them\n",
	       p->critical_s, p->seep_min_snr, p->seep_r2_min, p->seep_new_high_window_s,
	       p->seep_new_high_sd);
	printf("  clear: rise >= %.3g (%s) times the series' own variation over %.3g of "
	       "the window (its growth taken out)%s\n", p->seep_min_wander, ex->why.min_wander,
	       p->seep_wander_lag, p->seep_min_wander > 0 ? "" : ": off");
	printf("  wander allowed: the recent part and the tail short of still growing by %.3g "
	       "(%s), a restart's drop at least %.3g (%s), of the series' own variation over "
	       "their length\n", p->seep_recent_wander, ex->why.recent_wander,
	       p->seep_restart_wander, ex->why.restart_wander);
	printf("  restarts added back: %zu; windows tried: %zu; rejected by", ex->restarts,
	       ex->tried);
	for (int t = SEEP_FITS; t <= SEEP_NTESTS; t++)
		printf(" %s %zu", seep_window__test_name((enum seep_test)t), ex->rejected[t]);
	printf("\n");
	for (size_t i = 0; i < ex->ncand; i++) {
		const struct detect_candidate *c = &ex->cand[i];

		iso_time(c->start, a, sizeof(a));
		fmt_duration(c->end - c->start, d, sizeof(d));
		snprintf(b, sizeof(b), "%s", c->failed == SEEP_PASSED ? "ACCEPTED" :
			 seep_window__test_name(c->failed));
		printf("  window %s +%-8s slope %+.4g/h R2 %.3f rise %.4g sd %.3g", a, d,
		       c->slope_per_hour, c->r2, c->rise, c->residual_sd);
		if (isfinite(c->wander))
			printf(" wander %.3g", c->wander);
		printf(": %s\n", c->failed == SEEP_PASSED ? "accepted" : b);
	}
}

/* Why the pattern was chosen: the rule that decided and what it saw. */
static json_t *pattern_why_json(const struct classify_why *w)
{
	json_t *j = json_object();

	json_object_set_new(j, "rule", json_string(classify__rule_text(w->rule)));
	json_object_set_new(j, "noise", num_or_null(w->noise));
	json_object_set_new(j, "range", num_or_null(w->range));
	json_object_set_new(j, "rise", num_or_null(w->rise));
	json_object_set_new(j, "drops", json_integer((json_int_t)w->drops));
	json_object_set_new(j, "shifts_up", json_integer((json_int_t)w->shifts_up));
	json_object_set_new(j, "shifts_down", json_integer((json_int_t)w->shifts_down));
	json_object_set_new(j, "shifted_up", num_or_null(w->shifted_up));
	json_object_set_new(j, "inside_rise", num_or_null(w->inside_rise));
	json_object_set_new(j, "line_fit", num_or_null(w->line_fit));
	json_object_set_new(j, "shift_fit", num_or_null(w->shift_fit));
	json_object_set_new(j, "tail_rise", num_or_null(w->tail_rise));
	json_object_set_new(j, "spike_sd", num_or_null(w->spike));
	return j;
}

static void print_pattern_why(const struct detect_result *r)
{
	const struct classify_why *w = &r->why;

	printf("  pattern %s: %s\n    noise %.3g, range %.4g, rise %.4g; drops %zu; level shifts "
	       "up %zu (%.4g) down %zu, runs rising %.4g inside; line fit %.2f, shift fit %.2f; "
	       "tail rise %.4g; spike %.3g sd\n", detect__pattern_name(r->pattern),
	       classify__rule_text(w->rule), w->noise, w->range, w->rise, w->drops, w->shifts_up,
	       w->shifted_up, w->shifts_down, w->inside_rise, w->line_fit, w->shift_fit,
	       w->tail_rise, w->spike);
}

static void print_json(const struct opts *o, const struct series *s,
		       const struct detect_result *r, double threshold,
		       const struct detect_explain *ex)
{
	json_t *j = json_object();
	char a[32], b[32];

	json_object_set_new(j, "file", json_string(o->file));
	json_object_set_new(j, "leak", json_boolean(r->leak));
	json_object_set_new(j, "algorithm", json_string(detect__algo_name(r->algo)));
	json_object_set_new(j, "window_start", num_or_null(r->leak ? r->window_start : NAN));
	json_object_set_new(j, "window_end", num_or_null(r->leak ? r->window_end : NAN));
	if (r->leak) {
		iso_time(r->window_start, a, sizeof(a));
		iso_time(r->window_end, b, sizeof(b));
	}
	json_object_set_new(j, "window_start_iso", r->leak ? json_string(a) : json_null());
	json_object_set_new(j, "window_end_iso", r->leak ? json_string(b) : json_null());
	json_object_set_new(j, "slope_per_hour", num_or_null(r->slope_per_hour));
	json_object_set_new(j, "r2", num_or_null(r->r2));
	json_object_set_new(j, "time_to_threshold_s", num_or_null(r->time_to_threshold_s));
	json_object_set_new(j, "pattern", json_string(detect__pattern_name(r->pattern)));
	json_object_set_new(j, "restarts", json_integer((json_int_t)r->restarts));
	json_object_set_new(j, "pattern_why", pattern_why_json(&r->why));
	json_object_set_new(j, "threshold", json_real(threshold));
	json_object_set_new(j, "samples", json_integer((json_int_t)s->n));
	json_object_set_new(j, "step_s", json_real(s->step));
	json_object_set_new(j, "series_start", num_or_null(s->n ? s->t[0] : NAN));
	json_object_set_new(j, "series_end", num_or_null(s->n ? s->t[s->n - 1] : NAN));
	if (ex)
		json_object_set_new(j, "explain", explain_json(ex));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	putchar('\n');
	json_decref(j);
}

static void fmt_duration(double s, char *buf, size_t len)
{
	double h = round(s / 3600);

	if (!isfinite(s))
		snprintf(buf, len, "never");
	else if (s >= 86400)
		snprintf(buf, len, "%.0fd %.0fh", floor(h / 24), fmod(h, 24));
	else if (s >= 3600)
		snprintf(buf, len, "%.1fh", s / 3600);
	else
		snprintf(buf, len, "%.0fm", s / 60);
}

static void print_text(const struct opts *o, const struct series *s,
		       const struct detect_result *r, double threshold)
{
	char a[32], b[32], d[32], tt[32];

	if (!r->leak) {
		printf("%s: no leak (%s, %zu samples of %.0fs); pattern %s\n", o->file,
		       detect__algo_name(r->algo), s->n, s->step, detect__pattern_name(r->pattern));
		return;
	}
	iso_time(r->window_start, a, sizeof(a));
	iso_time(r->window_end, b, sizeof(b));
	fmt_duration(r->window_end - r->window_start, d, sizeof(d));
	fmt_duration(r->time_to_threshold_s, tt, sizeof(tt));
	printf("%s: LEAK (%s)\n", o->file, detect__algo_name(r->algo));
	printf("  window     %s .. %s (%s)\n", a, b, d);
	printf("  trend      %+.4g per hour, R² %.3f\n", r->slope_per_hour, r->r2);
	printf("  threshold  %.6g reached in %s\n", threshold, tt);
	if (r->restarts)
		printf("  pattern    %s (restarts: %zu)\n", detect__pattern_name(r->pattern),
		       r->restarts);
	else
		printf("  pattern    %s\n", detect__pattern_name(r->pattern));
}

static int load(const struct opts *o, const char *path, struct series *s)
{
	struct series_load_opts lo = { .column = o->column };
	char err[512];
	int rc = series__load(s, path, &lo, err, sizeof(err));
	double gap;
	size_t at = 0;

	if (rc) {
		cli__error("%s", err);
		return rc;
	}
	if (lo.missing)
		pr_warn("'%s': %zu missing values skipped", path, lo.missing);
	if (lo.duplicates)
		pr_warn("'%s': %zu rows with a repeated timestamp merged (mean)", path,
			lo.duplicates);
	if (lo.unsorted)
		pr_info("'%s': rows were not in time order; sorted", path);
	gap = series__max_gap(s, &at);
	if (gap > fmax(o->params.smooth_s, 12 * 300.0) && s->n > 1) {
		char when[32], len[32];

		iso_time(s->t[at], when, sizeof(when));
		fmt_duration(gap, len, sizeof(len));
		pr_warn("'%s': no samples for %s after %s; the gap is interpolated", path, len, when);
	}
	return 0;
}

int cmd_detect(int argc, char **argv)
{
	struct series raw = { 0 }, train = { 0 }, analysed = { 0 };
	struct precog_model model = { 0 }, trained = { 0 };
	struct detect_input in = { 0 };
	struct detect_explain explain;
	struct detect_result r;
	char err[512];
	struct opts o;
	int rc, ret = EXIT_FAIL;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	rc = threshold__resolve(o.threshold, o.limit, &o.params.threshold, err, sizeof(err));
	if (rc) {
		cli__error("%s", err);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (load(&o, o.file, &raw))
		goto cleanup;
	if (o.train && load(&o, o.train, &train))
		goto cleanup;
	if (o.model) {
		if (precog__load(&model, o.model, err, sizeof(err))) {
			cli__error("%s", err);
			goto cleanup;
		}
		in.model = &model;
	}
	{
		double mx = -INFINITY;

		for (size_t i = 0; i < raw.n; i++)
			mx = fmax(mx, raw.v[i]);
		if (mx > 10 * o.params.threshold)
			pr_warn("'%s' reaches %.6g, far above the threshold %.6g: is the series in "
				"bytes? give --threshold in bytes (8GiB) or --limit", o.file, mx,
				o.params.threshold);
	}
	if ((o.train || o.model) && o.algo != DETECT_PRECOG && o.algo != DETECT_PRECOGMF)
		pr_warn("--train and --model apply to precog and precogmf only; ignored");
	in.raw = &raw;
	in.train_raw = o.train ? &train : NULL;
	in.trained = &trained;
	in.analysed = &analysed;
	in.explain = o.explain ? &explain : NULL;
	rc = detect__run(&o.params, o.algo, &in, &r);
	if (rc == -E2BIG) {
		snprintf(err, sizeof(err), "cannot analyse '%s': %.0f s from first to last sample "
			 "is too many samples of %.0f s (a stray timestamp?)", o.file,
			 raw.t[raw.n - 1] - raw.t[0], o.params.step_s);
		cli__error("%s", err);
		goto cleanup;
	}
	if (rc) {
		snprintf(err, sizeof(err), "cannot analyse '%s': %s", o.file, strerror(-rc));
		cli__error("%s", err);
		goto cleanup;
	}
	if (analysed.n * analysed.step < o.params.min_trend_s &&
	    !(o.params.derive & DETECT_DERIVE_MIN_TREND))
		pr_warn("'%s' spans %zu samples of %.0fs, shorter than the minimum trend (%.0fs)",
			o.file, analysed.n, analysed.step, o.params.min_trend_s);
	if (o.save_model) {
		if (o.algo != DETECT_PRECOG && o.algo != DETECT_PRECOGMF) {
			pr_warn("--save-model applies to precog and precogmf only; ignored");
		} else if (!o.model && (rc = precog__save(&trained, o.save_model))) {
			snprintf(err, sizeof(err), "cannot write model '%s': %s", o.save_model,
				 strerror(-rc));
			cli__error("%s", err);
			goto cleanup;
		}
	}
	if (o.plot && cairo_dl__load(err, sizeof(err))) {
		cli__error("cannot write plot '%s': %s", o.plot, err);
		goto cleanup;
	}
	if (o.plot && (rc = plot__draw(o.plot, o.file, &analysed, &r, o.params.threshold,
				      in.split))) {
		snprintf(err, sizeof(err), "cannot write plot '%s': %s", o.plot, strerror(-rc));
		cli__error("%s", err);
		goto cleanup;
	}
	if (o.json) {
		print_json(&o, &analysed, &r, o.params.threshold, in.explain);
	} else {
		print_text(&o, &analysed, &r, o.params.threshold);
		if (in.explain) {
			print_explain(in.explain);
			print_pattern_why(&r);
		}
	}
	ret = EXIT_OK;
cleanup:
	series__release(&raw);
	series__release(&train);
	series__release(&analysed);
	precog_model__release(&model);
	precog_model__release(&trained);
	return ret;
}
