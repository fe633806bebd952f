/* eval_detect — labelled evaluation and benchmark of seep's leak detectors.
 *
 *   eval_detect eval DATA_DIR [SEED] [OUT.md [HEADING]]
 *                                               precision/recall/F1/time per detector
 *   eval_detect bench DATA_DIR [SEEP]           time per 5-day series, series/s;
 *                                               CSV rows/s; per call of SEEP detect
 *   eval_detect sample DATA_DIR KIND BG [SEED]  one series as CSV (recipe on stderr)
 *   eval_detect corpus DIR [COLUMN] [OUT.md]    the real-program corpus (labels.tsv)
 *
 * The labelled set is built from the real Alibaba memory series in DATA_DIR
 * (m_*.csv.gz, 10 s samples), averaged to 5 minutes. Every background yields
 * three positives (a leak injected from an onset to the end: linear, sawtooth
 * with restarts, stair) and five negatives (the real series as it is, and the
 * series moved to a lower level: unchanged, with bounded growth that levels
 * off, with a one-off plateau step, with a one-off spike). The recipe (below
 * and in the report) and the seed make a run reproducible. A detection is a
 * true positive when it is on a positive series and its window overlaps the
 * labelled window [onset, end); a detection elsewhere is a false positive.
 *
 * For tuning, eval reads: EVAL_ALGO=NAME (run that detector only),
 * EVAL_SET=field=value,... (seep's parameters: seep_min_snr, seep_r2_min,
 * seep_new_high_sd, seep_recent_frac, seep_step_ratio, seep_tooth_r2,
 * seep_drop_frac, seep_wander_lag, and the derived seep_min_wander,
 * seep_recent_wander, seep_restart_wander, then no longer derived),
 * EVAL_VERBOSE=1 (each miss and false alarm on stderr), EVAL_DUMP=DIR
 * (those series as CSV, a non-leak kind's name ending in "-"),
 * EVAL_PATTERN=1 (each wrong pattern; =all, every pattern),
 * EVAL_KINDS=name,... (only those kinds, a non-leak's name ending in "-":
 * EVAL_KINDS=short,short- for the short ones; each kind's draws are its
 * own, so a kind scores as in the whole run).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect.h"
#include "detect/robust.h"
#include "detect/series.h"

extern char **environ;

#define STEP 300.0
#define HOUR (3600.0 / STEP)	/* samples per hour at 5 minutes */

enum kind {
	POS_LINEAR, POS_LATE, POS_SAW0, POS_SAW1, POS_SAWN, POS_SAWLATE, POS_STAIR, POS_SHORT,
	NEG_REAL, NEG_SHIFTED, NEG_BOUNDED, NEG_PLATEAU, NEG_SPIKE, NEG_SHORT,
	NKINDS,
	/* not scored: the stair recipe before steps were sized to the noise,
	 * kept as a row of the pattern table (drawn from the same generator
	 * state as `stair`, so the row is the old one) */
	STAIR_OLD = NKINDS,
	/* not scored either: the short recipes before a leak's rise was sized
	 * to the background's own variation and a non-leak's slice had to be
	 * free of a real trend, kept as columns of the recall and false
	 * positive tables (from the same generator state as `short`) */
	SHORT_OLD, NEG_SHORT_OLD,
	/* the same for the plateau recipe before steps were sized to the
	 * noise: a row of the pattern table */
	PLATEAU_OLD,
	NALLKINDS
};
#define NPOS (POS_SHORT + 1)

static const char *const kind_names[NALLKINDS] = {
	"linear", "late", "saw0", "saw1", "sawmany", "sawlate", "stair", "short",
	"real", "shifted", "bounded", "plateau", "spike", "short", "stair-old", "short-old",
	"short-old", "plateau-old",
};

/* The pattern each kind should be given (its growth, by construction). */
static const enum detect_pattern kind_pattern[NALLKINDS] = {
	[POS_LINEAR] = PATTERN_STEADY, [POS_LATE] = PATTERN_STEADY, [POS_SAW0] = PATTERN_STEADY,
	[POS_SAW1] = PATTERN_SAWTOOTH, [POS_SAWN] = PATTERN_SAWTOOTH,
	[POS_SAWLATE] = PATTERN_SAWTOOTH, [POS_STAIR] = PATTERN_STAIR,
	[POS_SHORT] = PATTERN_STEADY, [NEG_REAL] = PATTERN_NONE, [NEG_SHIFTED] = PATTERN_NONE,
	[NEG_BOUNDED] = PATTERN_PLATEAU, [NEG_PLATEAU] = PATTERN_PLATEAU,
	[NEG_SPIKE] = PATTERN_SPIKE, [NEG_SHORT] = PATTERN_NONE, [STAIR_OLD] = PATTERN_STAIR,
	[SHORT_OLD] = PATTERN_STEADY, [NEG_SHORT_OLD] = PATTERN_NONE,
	[PLATEAU_OLD] = PATTERN_PLATEAU,
};

/* A background: the real series averaged to 5 minutes, and SHORT_HOURS of
 * it at its own 10-second resolution (from the middle of the series). */
#define SHORT_HOURS 8.0
#define SPIKE_NEAR_H 12.0	/* a spike the series reaches this near is none */
struct background {
	struct series five, raw;
	double median;
};

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uni(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng_next(r) >> 11) / 9007199254740992.0);
}

static double gauss(struct rng *r)
{
	double u = uni(r, 1e-12, 1), v = uni(r, 0, 1);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

struct sample {
	struct series s;
	enum kind kind;
	size_t onset;		/* label window [onset, s.n) for positives */
	enum detect_pattern pattern;	/* the pattern built in (kind_pattern) */
	double step_snr;	/* stair: a step over the background's noise per hour */
	double rise_snr;	/* short: the rise over the background's noise at its scale */
	char recipe[160];
};


/* The median of v[0, n) (v is left alone). */
static double median(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c)), m;

	if (!c)
		return 0;
	memcpy(c, v, n * sizeof(*c));
	m = robust__median(c, n);
	free(c);
	return m;
}

/* How far v[0, n) moves over LAG samples by itself: the robust sd of its
 * lag differences (0 when it has too few pairs). */
static double lag_noise(const double *v, size_t n, size_t lag)
{
	return robust__diff_noise(v, n, lag, NULL);
}

/* The least-squares line's rise over v[0, n). */
static double line_rise(const double *v, size_t n)
{
	double mx = (double)(n - 1) / 2, sxy = 0, sxx = 0, my = 0;

	for (size_t i = 0; i < n; i++)
		my += v[i] / (double)n;
	for (size_t i = 0; i < n; i++) {
		sxy += ((double)i - mx) * (v[i] - my);
		sxx += ((double)i - mx) * ((double)i - mx);
	}
	return sxx > 0 ? sxy / sxx * (double)(n - 1) : 0;
}

/* Per-sample noise of v[0, n) at an hour (12 samples of 5 minutes). */
static double hour_noise(const double *v, size_t n)
{
	return robust__diff_noise(v, n, 12, NULL) / sqrt(2.0);
}

/* The real background's own shape, for the `real` and `shifted` labels:
 * growth that levelled off (plateau) when the median of its last 40 % is
 * at least 8 points and 4 hourly noise sds above the median of its first
 * quarter, and that last 40 % is flat (the medians of its two halves within
 * a quarter of the rise of each other); none otherwise. */
static enum detect_pattern background_pattern(const double *v, size_t n)
{
	size_t q = n / 4, t = n - 2 * n / 5, h = (n - t) / 2;
	double head, tail, a, b, up;

	if (n < 40)
		return PATTERN_NONE;
	head = median(v, q);
	tail = median(v + t, n - t);
	a = median(v + t, h);
	b = median(v + t + h, n - t - h);
	up = tail - head;
	return up >= 8 && up >= 4 * hour_noise(v, n) && fabs(b - a) < 0.25 * up ? PATTERN_PLATEAU :
										 PATTERN_NONE;
}

/* A spike by its definition stands above the series around it: the
 * excursion v[a, b) is none when the series within HOURS (in samples)
 * either side of it reaches its peak (a background that climbs as high
 * nearby hides it). */
static enum detect_pattern spike_pattern(const double *v, size_t n, size_t a, size_t b,
					 size_t hours)
{
	double peak = -INFINITY, near = -INFINITY;
	size_t lo = a > hours ? a - hours : 0, hi = b + hours < n ? b + hours : n;

	for (size_t i = a; i < b && i < n; i++)
		peak = fmax(peak, v[i]);
	for (size_t i = lo; i < hi; i++)
		if (i < a || i >= b)
			near = fmax(near, v[i]);
	return near >= peak ? PATTERN_NONE : PATTERN_SPIKE;
}

/* A leak, by the paper's definition, reaches U = 100 within C = 7 days: the
 * rise over DUR samples is raised, if needed, so that the trend from the end
 * level gets there in 0.9 C. */
static double reaching(double rise, double level, double dur, double per_hour)
{
	double need = (100 - level) / (1 + 0.9 * 7 * 24 * per_hour / dur);

	return rise > need ? rise : need;
}

/* Teeth: from sample ON, a ramp of AMP over PERIOD samples that restarts at
 * its base, shifted by PHASE samples (the first tooth starts part-grown). */
static void teeth(double *v, size_t n, size_t on, double amp, double period, double phase)
{
	for (size_t i = on; i < n; i++)
		v[i] += amp * fmod((double)(i - on) + phase, period) / period;
}

/* The short kinds' rule: a rise of at least this many times the series' own
 * variation at the rise's time scale is clearly above the background's
 * wander (a leak's rise is drawn at least this high; a non-leak slice whose
 * own line rises this much is a real trend, and is drawn again). */
#define SHORT_CLEAR 3.0
#define SHORT_REDRAWS 8

/* How far a short slice of BG with white noise of SIGMA moves by itself over
 * LAG samples: the robust sd of the 8-hour part's lag differences and the
 * noise's, combined (the noise adds 2 sigma² to a difference's variance). */
static double short_variation(const struct background *bg, size_t lag, double sigma)
{
	double d = lag_noise(bg->raw.v, bg->raw.n, lag);

	return sqrt(d * d + 2 * sigma * sigma);
}

/* The background's own rise over the last LEN samples of the slice [FIRST,
 * FIRST + N) (its least-squares line's, before the noise) over its
 * variation at that scale. */
static double short_rise(const struct background *bg, size_t first, size_t n, size_t len,
			 double sigma)
{
	return line_rise(bg->raw.v + first + n - len, len) /
	       fmax(short_variation(bg, len, sigma), 1e-9);
}

/* A short non-leak slice's own trend: the steepest rise over its variation
 * of the windows a short leak can take (the last 0.5 to 0.8 of it). */
static double short_trend(const struct background *bg, size_t first, size_t n, double sigma)
{
	double best = -INFINITY;

	for (int k = 0; k <= 6; k++)
		best = fmax(best, short_rise(bg, first, n, (size_t)((0.5 + 0.05 * k) * (double)n),
					     sigma));
	return best;
}

/* Builds one labelled series of KIND over background BG: the 5-minute
 * series, or for the short kinds a slice of its 10-second part. */
static int make_sample(const struct background *bg, enum kind kind, struct rng *r,
		       struct sample *out)
{
	int is_short = kind == POS_SHORT || kind == NEG_SHORT || kind == SHORT_OLD ||
		       kind == NEG_SHORT_OLD;
	const struct series *src = is_short ? &bg->raw : &bg->five;
	double level = uni(r, 35, 65), sigma = 0, *v, hour = 3600.0 / (is_short ? 10 : STEP);
	const double noises[] = { 0, 0.5, 1, 2, 3 };
	size_t n = src->n, first = 0, spike_a = 0, spike_b = 0;
	int err;

	if (is_short) {
		/* 2 to 6 hours at 10 s from the 8-hour part */
		size_t len = (size_t)(uni(r, 2, 6) * hour);

		if (len > n)
			len = n;
		first = (size_t)uni(r, 0, (double)(n - len));
		n = len;
	}
	if (kind != NEG_REAL)
		sigma = noises[rng_next(r) % 5];
	/* a slice that rises clearly by itself is a real trend of the
	 * background (a leak by the definition): another slice is drawn */
	for (int k = 0; kind == NEG_SHORT && k < SHORT_REDRAWS &&
			!(short_trend(bg, first, n, sigma) < SHORT_CLEAR); k++)
		first = (size_t)uni(r, 0, (double)(src->n - n));
	err = series__slice(src, first, first + n, &out->s);
	if (err)
		return err;
	v = out->s.v;
	out->kind = kind;
	out->pattern = kind_pattern[kind];
	out->onset = n;
	if (kind == NEG_REAL || kind == NEG_SHIFTED)
		out->pattern = background_pattern(v, n);
	if (kind == NEG_REAL) {
		snprintf(out->recipe, sizeof(out->recipe), "real series unchanged");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v[i] += level - bg->median + sigma * gauss(r);
	switch (kind) {
	case POS_LINEAR:
	case POS_LATE: {
		double f = kind == POS_LATE ? uni(r, 0.86, 0.93) : uni(r, 0.45, 0.85);
		double rise = uni(r, 10, 40);
		size_t on = (size_t)(f * (double)n);

		rise = reaching(rise, level, (double)(n - on), hour);
		for (size_t i = on; i < n; i++)
			v[i] += rise * (double)(i - on) / (double)(n - on);
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f rise %.1f", level, sigma, f, rise);
		break;
	}
	case POS_SAW0:
	case POS_SAW1:
	case POS_SAWN:
	case POS_SAWLATE: {
		/* grows until it hits its limit (OOM), restarts at its base level */
		double cap = uni(r, 85, 98), amp = cap - level, period, phase = 0, f;
		size_t on;

		if (kind == POS_SAW0) {
			/* the first tooth, not restarted yet: 60-95 % of its way up */
			f = uni(r, 0.45, 0.8);
			on = (size_t)(f * (double)n);
			period = (double)(n - on) / uni(r, 0.6, 0.95);
			amp = reaching(amp * (double)(n - on) / period, level, (double)(n - on),
				       hour) * period / (double)(n - on);
		} else if (kind == POS_SAW1) {
			/* one restart, then a second tooth 30-90 % of the way up */
			f = uni(r, 0.2, 0.6);
			on = (size_t)(f * (double)n);
			period = (double)(n - on) / uni(r, 1.3, 1.9);
		} else if (kind == POS_SAWN) {
			f = uni(r, 0.2, 0.6);
			on = (size_t)(f * (double)n);
			period = uni(r, 8, 30) * hour;
			if (period > (double)(n - on) / 2.5)
				period = (double)(n - on) / 2.5;
		} else {
			/* the last restart 6-14 h before the end */
			double last = uni(r, 6, 14) * hour;
			size_t k = 1 + rng_next(r) % 3;

			period = uni(r, 16, 30) * hour;
			f = uni(r, 0.2, 0.5);
			on = (size_t)(f * (double)n);
			if ((double)(n - on) < (double)k * period + last)
				period = ((double)(n - on) - last) / (double)k;
			phase = fmod(period - fmod((double)(n - on) - last, period), period);
		}
		teeth(v, n, on, amp, period, phase);
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f period %.1fh limit %.1f", level, sigma, f,
			 period / hour, level + amp);
		break;
	}
	case POS_STAIR:
	case STAIR_OLD: {
		double f = uni(r, 0.45, 0.8), period = uni(r, 2, 8) * hour, rise = uni(r, 10, 40);
		size_t on = (size_t)(f * (double)n), steps;
		double noise, step;

		rise = reaching(rise, level, (double)(n - on), hour);
		steps = (size_t)((double)(n - on) / period) + 1;
		/* a stair by its definition has jumps above the noise: the
		 * noise of the series before the onset over an hour. The old
		 * recipe's steps were rise / steps whatever the noise (most
		 * of them below it); a step is now at least 4 noise sds, with
		 * fewer steps (at least 2) further apart for the same rise */
		noise = fmax(hour_noise(v, on), 1e-9);
		step = rise / (double)steps;
		if (kind == POS_STAIR && step < 4 * noise) {
			double top;

			step = 4 * noise * uni(r, 1, 1.5);
			steps = (size_t)fmax(3, floor(rise / step));
			period = (double)(n - on) / (double)steps;
			rise = step * (double)steps;
			/* the whole series moves down if the top would pass 97 */
			top = level + rise + 3 * sigma;
			if (top > 97)
				for (size_t i = 0; i < n; i++)
					v[i] -= fmin(top - 97, level - 5);
		}
		out->step_snr = step / noise;
		for (size_t i = on; i < n; i++)
			v[i] += step * (floor((double)(i - on) / period) + 1);
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f step every %.1fh, %zu steps, rise %.1f",
			 level, sigma, f, period / hour, steps, rise);
		break;
	}
	case POS_SHORT:
	case SHORT_OLD: {
		/* a container run's leak: a few points over the last hours. It
		 * rises at least SHORT_CLEAR times the series' own variation over
		 * its duration ([3, 6] times when the drawn rise is lower; the
		 * old recipe's rise was whatever the variation, most of them
		 * inside it), reaches U within 0.9 C, and the series moves down
		 * when its top would pass 97 */
		double f = uni(r, 0.2, 0.5), rise = uni(r, 2, 6), var, top = -INFINITY;
		size_t on = (size_t)(f * (double)n);

		var = fmax(short_variation(bg, n - on, sigma), 1e-9);
		if (kind == POS_SHORT) {
			/* the leak's rise, and the series' over the window (the
			 * background's own line may fall), are both clear */
			double clear = var * uni(r, SHORT_CLEAR, 2 * SHORT_CLEAR);
			double own = short_rise(bg, first, n, n - on, sigma) * var;

			if (rise < clear)
				rise = clear;
			if (rise < clear - own)
				rise = clear - own;
			rise = reaching(rise, level, (double)(n - on), hour);
		}
		for (size_t i = on; i < n; i++)
			v[i] += rise * (double)(i - on) / (double)(n - on);
		for (size_t i = 0; kind == POS_SHORT && i < n; i++)
			top = fmax(top, v[i]);
		if (top > 97)
			for (size_t i = 0; i < n; i++)
				v[i] -= fmin(top - 97, level - 5);
		out->onset = on;
		out->rise_snr = rise / var;
		snprintf(out->recipe, sizeof(out->recipe),
			 "%.1fh at 10 s, level %.1f noise %.1f onset %.2f rise %.1f (%.1f x)",
			 (double)n / hour, level, sigma, f, rise, rise / var);
		break;
	}
	case NEG_SHIFTED:
		snprintf(out->recipe, sizeof(out->recipe), "level %.1f noise %.1f", level, sigma);
		break;
	case NEG_SHORT:
	case NEG_SHORT_OLD:
		/* the background's own rise over the slice (before the noise) */
		out->rise_snr = short_trend(bg, first, n, sigma);
		snprintf(out->recipe, sizeof(out->recipe),
			 "%.1fh at 10 s, level %.1f noise %.1f, own rise %.1f x", (double)n / hour,
			 level, sigma, out->rise_snr);
		break;
	case NEG_BOUNDED: {
		double dur = uni(r, 6, 24) * hour, h = uni(r, 10, 30);
		double latest = (double)n - 24 * hour - dur, start = uni(r, 0.3 * (double)n, latest);

		for (size_t i = (size_t)start; i < n; i++)
			v[i] += h * (1 - exp(-3 * ((double)i - start) / dur));
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f saturating growth %.1f over %.1fh from %.2f",
			 level, sigma, h, dur / hour, start / (double)n);
		break;
	}
	case NEG_PLATEAU:
	case PLATEAU_OLD: {
		double at = uni(r, 0.3, 0.85), h = uni(r, 5, 20);
		size_t a = (size_t)(at * (double)n);

		/* a plateau by its definition is a level shift above the noise:
		 * the step is at least 4 noise sds (the series before it over an
		 * hour, as for the stair; [4, 6] sds when the drawn step is
		 * smaller). The old recipe's steps were drawn whatever the noise */
		if (kind == NEG_PLATEAU && h < 4 * hour_noise(v, a))
			h = 4 * hour_noise(v, a) * uni(r, 1, 1.5);
		for (size_t i = a; i < n; i++)
			v[i] += h;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f step %.1f at %.2f", level, sigma, h, at);
		break;
	}
	case NEG_SPIKE: {
		double at = uni(r, 0.3, 0.95), h = uni(r, 10, 30), dur = uni(r, 10.0 / 60, 3) * hour;
		size_t a = (size_t)(at * (double)n), i;

		for (i = a; i < n && (double)(i - a) < dur; i++)
			v[i] += h;
		spike_a = a;
		spike_b = i;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f spike %.1f for %.0f min at %.2f", level, sigma, h,
			 dur / hour * 60, at);
		break;
	}
	default:
		break;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = fmin(100, fmax(0, v[i]));
	if (kind == NEG_SPIKE)
		out->pattern = spike_pattern(v, n, spike_a, spike_b, (size_t)(SPIKE_NEAR_H * hour));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every m_*.csv.gz in DIR: averaged to 5 minutes, and SHORT_HOURS of
 * the raw series from its middle. */
static int load_backgrounds(const char *dir, struct background **out, char ***names, size_t *n)
{
	struct dirent *de;
	char **list = NULL;
	size_t cnt = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "m_", 2) && strstr(de->d_name, ".csv")) {
			list = realloc(list, (cnt + 1) * sizeof(*list));
			list[cnt++] = strdup(de->d_name);
		}
	closedir(d);
	qsort(list, cnt, sizeof(*list), cmp_str);
	*out = calloc(cnt, sizeof(**out));
	for (size_t i = 0; i < cnt; i++) {
		struct background *bg = &(*out)[i];
		char path[4096], err[512];
		struct series raw;
		size_t from, to;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]);
		rc = series__load(&raw, path, NULL, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "eval: %s\n", err);
			return rc;
		}
		rc = series__resample(&raw, STEP, &bg->five);
		/* the 10-second part: the longest gap-free run of SHORT_HOURS
		 * from the middle on (gaps would be interpolated otherwise) */
		from = raw.n / 2;
		for (size_t k = from + 1; !rc && k < raw.n; k++) {
			if (raw.t[k] - raw.t[k - 1] > 60)
				from = k;
			if (raw.t[k] - raw.t[from] >= SHORT_HOURS * 3600)
				break;
		}
		for (to = from + 1; to < raw.n && raw.t[to] - raw.t[from] < SHORT_HOURS * 3600 &&
				    raw.t[to] - raw.t[to - 1] <= 60; to++)
			;
		if (!rc)
			rc = series__slice(&raw, from, to, &bg->raw);
		series__release(&raw);
		if (rc)
			return rc;
		bg->median = median(bg->five.v, bg->five.n);
	}
	*names = list;
	*n = cnt;
	return 0;
}

static void free_backgrounds(struct background *bgs, char **names, size_t n)
{
	for (size_t b = 0; b < n; b++) {
		series__release(&bgs[b].five);
		series__release(&bgs[b].raw);
		free(names[b]);
	}
	free(bgs);
	free(names);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* EVAL_DUMP=DIR: writes a misjudged series as DIR/<background>-<kind>.csv. */
static void dump(const char *dir, const char *name, int kind, const struct series *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%.*s-%s%s.csv", dir, (int)strcspn(name, "."), name,
		 kind_names[kind], kind < NPOS ? "" : "-");
	f = fopen(path, "w");
	if (!f)
		return;
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%.0f,%.4f\n", s->t[i], s->v[i]);
	fclose(f);
}

struct score {
	size_t tp, fp, fn, tn;
	size_t hit[NKINDS];	/* per kind: series judged right */
	size_t cnt[NKINDS];
	double seconds;
};

#define NSEEDS 3

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0;
}

/* The old short recipes' scores (not in the totals): [leak, non-leak][detector]
 * judged right, and series. */
struct short_old {
	size_t hit[2][DETECT_NALGOS], cnt[2];
};

/* Extra rows of the pattern table, under the row of the pattern they
 * share: the old stair and plateau recipes', the none row as labelled
 * before the real backgrounds' own shape was (background_pattern), the
 * spike row as labelled before a spike the series reaches nearby was none
 * (spike_pattern), and steady over the leaks seep detected only. */
struct conf_extra {
	size_t stair_old[PATTERN_NPATTERNS], plateau_old[PATTERN_NPATTERNS];
	size_t none_old[PATTERN_NPATTERNS], spike_old[PATTERN_NPATTERNS];
	size_t steady_found[PATTERN_NPATTERNS];
};

/* One extra row of the pattern table: LABEL, ROW's shares, the pattern
 * built in T in italics. */
static void print_extra_row(FILE *f, const char *label, const size_t *row, int t)
{
	size_t all = 0;

	for (int q = 0; q < PATTERN_NPATTERNS; q++)
		all += row[q];
	fprintf(f, "| %s |", label);
	for (int q = 0; q < PATTERN_NPATTERNS; q++)
		fprintf(f, q == t ? " *%.2f* |" : " %.2f |", ratio(row[q], all));
	fprintf(f, " %zu |\n", all);
}

static void print_tables(FILE *f, const struct score *sc, size_t conf[][PATTERN_NPATTERNS],
			 const struct conf_extra *x, const struct short_old *so, size_t total)
{
	fprintf(f, "| detector | precision | recall | F1 | TP | FP | FN | time per series |\n");
	fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		double prec = ratio(sc[a].tp, sc[a].tp + sc[a].fp);
		double rec = ratio(sc[a].tp, sc[a].tp + sc[a].fn);
		double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;

		fprintf(f, "| %s | %.3f | %.3f | %.3f | %zu | %zu | %zu | %.1f µs |\n",
			detect__algo_name((enum detect_algo)a), prec, rec, f1, sc[a].tp, sc[a].fp,
			sc[a].fn, sc[a].seconds / (double)total * 1e6);
	}
	fprintf(f, "\nRecall per leak kind (share detected with an overlapping window; "
		   "*short-old*: the old short recipe, not in the totals):\n\n"
		   "| detector |");
	for (int k = 0; k < NPOS; k++)
		fprintf(f, " %s |", kind_names[k]);
	fprintf(f, " *short-old* |\n|---|");
	for (int k = 0; k <= NPOS; k++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		fprintf(f, "| %s |", detect__algo_name((enum detect_algo)a));
		for (int k = 0; k < NPOS; k++)
			fprintf(f, " %.2f |", ratio(sc[a].hit[k], sc[a].cnt[k]));
		fprintf(f, " *%.2f* |\n", ratio(so->hit[0][a], so->cnt[0]));
	}
	fprintf(f, "\nFalse positives per non-leak kind (share called a leak; *short-old*: the "
		   "old short recipe, not in the totals):\n\n| detector |");
	for (int k = NPOS; k < NKINDS; k++)
		fprintf(f, " %s |", kind_names[k]);
	fprintf(f, " *short-old* |\n|---|");
	for (int k = NPOS; k <= NKINDS; k++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		fprintf(f, "| %s |", detect__algo_name((enum detect_algo)a));
		for (int k = NPOS; k < NKINDS; k++)
			fprintf(f, " %.2f |", 1 - ratio(sc[a].hit[k], sc[a].cnt[k]));
		fprintf(f, " *%.2f* |\n", 1 - ratio(so->hit[1][a], so->cnt[1]));
	}
	fprintf(f, "\nPattern confusion (seep's verdict; rows: the pattern built in, columns: "
		   "the pattern reported; share of the row, the right one to three places, "
		   "so that the 90 %% goal reads without rounding):\n\n| built → reported |");
	for (int q = 0; q < PATTERN_NPATTERNS; q++)
		fprintf(f, " %s |", detect__pattern_name((enum detect_pattern)q));
	fprintf(f, " series |\n|---|");
	for (int q = 0; q <= PATTERN_NPATTERNS; q++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (int t = 0; t < PATTERN_NPATTERNS; t++) {
		size_t row = 0;

		for (int q = 0; q < PATTERN_NPATTERNS; q++)
			row += conf[t][q];
		if (!row)
			continue;
		fprintf(f, "| %s |", detect__pattern_name((enum detect_pattern)t));
		for (int q = 0; q < PATTERN_NPATTERNS; q++)
			fprintf(f, q == t ? " **%.3f** |" : " %.2f |", ratio(conf[t][q], row));
		fprintf(f, " %zu |\n", row);
		if (t == PATTERN_STEADY)
			print_extra_row(f, "steady, leaks seep detected only", x->steady_found, t);
		if (t == PATTERN_SPIKE)
			print_extra_row(f, "spike (old label: every `spike` series, reached nearby or not)",
					x->spike_old, t);
		if (t == PATTERN_STAIR)
			print_extra_row(f, "stair (old recipe: steps below the noise)", x->stair_old, t);
		if (t == PATTERN_PLATEAU)
			print_extra_row(f, "plateau (old recipe: `plateau` steps whatever the noise)",
					x->plateau_old, t);
		if (t == PATTERN_NONE)
			print_extra_row(f, "none (old label: every real and shifted background)",
					x->none_old, t);
	}
}

static const char recipe_md[] =
"\n## Recipe\n\n"
"Backgrounds: every `m_*.csv.gz` in shared/data/alibaba-mem (real machine memory\n"
"utilization in whole percent, 10 s samples, about 7 days), averaged to 5 minutes;\n"
"the `short` kinds use a slice of 2 to 6 hours of the series at its own 10 s\n"
"(from a gap-free 8-hour part in its middle). Per seed, background and kind, a\n"
"splitmix64 generator seeded with `seed ^ (0x100000001b3 · (background · 14 +\n"
"kind + 1))` draws the parameters. Except `real`, the series is moved so that its\n"
"median sits at a level drawn in [35, 65] % and Gaussian noise with σ drawn from\n"
"{0, 0.5, 1, 2, 3} is added; values are clipped to [0, 100].\n\n"
"Leaks (positives, labelled [onset, end)); all but `short` reach 100 % within\n"
"0.9 · 7 days of the end by construction:\n\n"
"- `linear`: from an onset in [0.45, 0.85] of the series, a ramp of [10, 40] points.\n"
"- `late`: the same ramp from an onset in [0.86, 0.93] (the last 12-23 hours).\n"
"- `saw0`: a sawtooth leak before its first restart: from an onset in [0.45, 0.8]\n"
"  one tooth, 60-95 % of the way from the base level to its limit in [85, 98] %.\n"
"- `saw1`: from an onset in [0.2, 0.6], one restart (at the limit, back to the\n"
"  base level), then a second tooth 30-90 % of the way up.\n"
"- `sawmany`: from an onset in [0.2, 0.6], teeth of [8, 30] h (at least 2.5 teeth).\n"
"- `sawlate`: teeth of [16, 30] h, 1-3 restarts, the last one 6-14 h before the end.\n"
"- `stair`: from an onset in [0.45, 0.8], a step every [2, 8] h, [10, 40] points;\n"
"  a step is at least 4 noise sds (the robust sd of the hourly differences\n"
"  before the onset, over √2; [4, 6] sds when the drawn step is smaller, with\n"
"  fewer steps, at least 3, further apart, and the series moved down when its\n"
"  top would pass 97 %). The old recipe (steps of rise /\n"
"  steps whatever the noise, most of them below it) keeps its row in the\n"
"  pattern table, from the same draws.\n"
"- `short`: 2-6 h at 10 s, a ramp from an onset in [0.2, 0.5] of [2, 6] points\n"
"  or, when that is less, [3, 6] times the series' own variation over the\n"
"  ramp's duration (the robust sd of the background's changes over that many\n"
"  samples in its 8-hour part, combined with the added noise's √2 σ), raised\n"
"  to reach 100 % within 0.9 · 7 days; the series moves down when its top\n"
"  would pass 97 %. A leak is clearly above the series' own noise. The old\n"
"  recipe (a ramp of [2, 6] points whatever the variation, most of them\n"
"  inside it) keeps its column (`short-old`, not in the totals), from the\n"
"  same draws.\n\n"
"Non-leaks (negatives):\n\n"
"- `real`: the real series unchanged (level 57–98 %, daily cycles).\n"
"- `shifted`: the moved series only.\n"
"- `bounded`: saturating growth h·(1 − e^(−3t/d)), h in [10, 30], d in [6, 24] h,\n"
"  levelled off at least 24 h before the end.\n"
"- `plateau`: one step of [5, 20] points at [0.3, 0.85], flat after; a step is\n"
"  at least 4 noise sds (the robust sd of the hourly differences before it, over\n"
"  √2; [4, 6] sds when the drawn step is smaller). The old recipe (steps\n"
"  whatever the noise) keeps its row in the pattern table, from the same draws.\n"
"- `spike`: +[10, 30] points for 10 min to 3 h at [0.3, 0.95], then back.\n"
"- `short`: 2-6 h at 10 s, moved, no leak. A slice whose own line rises\n"
"  3 times its variation over the slice or more is a real trend of the\n"
"  background, a leak by the definition, so it is drawn again (another start,\n"
"  up to 8 times; then kept); the old recipe, every slice as drawn, keeps\n"
"  its column (`short-old`).\n\n"
"Patterns built in: `linear`, `late`, `saw0` and `short` leaks are steady;\n"
"`saw1`, `sawmany`, `sawlate` sawtooth; `stair` stair; `bounded` and `plateau`\n"
"plateau; `spike` spike, or none when the series within 12 h either side of\n"
"it reaches its peak (by the definition a spike stands above the series around\n"
"it; the old label, every `spike` series spike, keeps its row); the short\n"
"negatives none; `real` and `shifted` none,\n"
"or plateau when the real background itself grew and levelled off (the median\n"
"of its last 40 % at least 8 points and 4 hourly noise sds above the median of\n"
"its first quarter, the medians of that last 40 %'s halves within a quarter of\n"
"that rise of each other). The old label (every\n"
"`real` and `shifted` series none) keeps its row in the pattern table; the\n"
"`steady` row is also given over the leaks seep detected only (a missed leak's\n"
"pattern is the whole series').\n\n"
"A detection on a positive counts (TP) when its window overlaps the label, as in\n"
"Jindal et al.; otherwise it is a FN, and also a FP if something else was\n"
"reported. Any detection on a negative is a FP. Every detector runs with its\n"
"defaults; seep's windows and minimums are derived from each series (span and\n"
"resolution; see README). Time per series covers the whole pipeline (resampling,\n"
"smoothing, training for Precog, detection), one core.\n";

#define TUNEF(f) { #f, offsetof(struct detect_params, f), 0 }
#define TUNED(f, bit) { #f, offsetof(struct detect_params, f), bit }
static void tune_set(struct detect_params *p)
{
	/* a derived one's bit is cleared: the value set stays */
	static const struct { const char *k; size_t off; unsigned bit; } fs[] = {
		TUNEF(seep_min_snr), TUNEF(seep_r2_min), TUNEF(seep_new_high_sd),
		TUNEF(seep_recent_frac), TUNEF(seep_step_ratio), TUNEF(seep_tooth_r2),
		TUNEF(seep_drop_frac), TUNED(seep_min_wander, DETECT_DERIVE_MIN_WANDER),
		TUNEF(seep_wander_lag),
		TUNED(seep_recent_wander, DETECT_DERIVE_RECENT_WANDER),
		TUNED(seep_restart_wander, DETECT_DERIVE_RESTART_WANDER),
	};
	char buf[512], *save, *tok;
	const char *e = getenv("EVAL_SET");

	if (!e)
		return;
	snprintf(buf, sizeof(buf), "%s", e);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = 0;
		for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
			if (!strcmp(fs[i].k, tok)) {
				*(double *)((char *)p + fs[i].off) = atof(eq + 1);
				p->derive &= ~fs[i].bit;
			}
	}
}

/* The short kinds by their rise over the series' own variation at the
 * rise's time scale, each recipe (old, new) in its rows: how many, and the
 * share each detector calls a leak (recall on the leaks, false positives
 * on the non-leaks). Rows: SHORT_ROWS; bins: short_bin(). */
enum { SHORT_LEAK_OLD, SHORT_LEAK, SHORT_NEG_OLD, SHORT_NEG, SHORT_ROWS };
#define SHORT_BINS 5

static int short_bin(double snr)
{
	return snr < 1 ? 0 : snr < 2 ? 1 : snr < 3 ? 2 : snr < 6 ? 3 : 4;
}

static void print_short(FILE *f, size_t cnt[SHORT_ROWS][SHORT_BINS],
			size_t leak[SHORT_ROWS][DETECT_NALGOS][SHORT_BINS])
{
	static const char *const what[SHORT_ROWS] = {
		"leaks, old recipe: recall", "leaks: recall",
		"non-leaks, old recipe: false positives", "non-leaks: false positives",
	};

	fprintf(f, "\nShort series by rise over the series' own variation at the rise's "
		   "time scale (the leak's injected rise, or a non-leak's own line rise over "
		   "the slice, over the variation: the robust sd of the background's changes "
		   "over the same duration in its 8-hour part, with the added noise's):\n\n"
		   "| short | rise / variation | < 1 | 1-2 | 2-3 | 3-6 | ≥ 6 |\n"
		   "|---|---|---:|---:|---:|---:|---:|\n");
	for (int row = 0; row < SHORT_ROWS; row++) {
		fprintf(f, "| %s | series |", what[row]);
		for (int b = 0; b < SHORT_BINS; b++)
			fprintf(f, " %zu |", cnt[row][b]);
		fputc('\n', f);
		for (int a = 0; a < DETECT_NALGOS; a++) {
			if (a != DETECT_SEEP && a != DETECT_LBR)
				continue;
			fprintf(f, "| | %s |", detect__algo_name((enum detect_algo)a));
			for (int b = 0; b < SHORT_BINS; b++)
				fprintf(f, " %.2f |", ratio(leak[row][a][b], cnt[row][b]));
			fputc('\n', f);
		}
	}
}

/* A detection on a positive SMP that overlaps its label: the window's last
 * sample, in the raw series' time, at or after the onset. */
static int found(const struct sample *smp, const struct detect_result *res)
{
	return res->leak &&
	       res->window_end >= smp->s.t[smp->onset < smp->s.n ? smp->onset : smp->s.n - 1];
}

/* Scores the old short recipe's sample SMP (a non-leak when NEG) for every
 * detector (or EVAL_ALGO's) into SO, and into its row of the short table
 * (CNT, LEAK). */
static int short_old(const struct sample *smp, int neg, struct short_old *so, size_t *cnt,
		     size_t leak[DETECT_NALGOS][SHORT_BINS])
{
	const char *only = getenv("EVAL_ALGO");
	int b = short_bin(smp->rise_snr);

	so->cnt[neg]++;
	cnt[b]++;
	for (int a = 0; a < DETECT_NALGOS; a++) {
		struct detect_input in = { .raw = &smp->s };
		struct detect_params p;
		struct detect_result res;

		if (only && strcmp(only, detect__algo_name((enum detect_algo)a)))
			continue;
		detect_params__init_derived(&p);
		tune_set(&p);
		if (detect__run(&p, (enum detect_algo)a, &in, &res))
			return -1;
		so->hit[neg][a] += neg ? !res.leak : found(smp, &res);
		leak[a][b] += neg ? res.leak : found(smp, &res);
	}
	return 0;
}

/* Whether EVAL_KINDS (names separated by commas, a non-leak's ending in
 * "-") leaves kind K in; every kind when it is not set. */
static int kind_wanted(int k)
{
	const char *e = getenv("EVAL_KINDS");
	char name[32];

	if (!e)
		return 1;
	snprintf(name, sizeof(name), "%s%s", kind_names[k], k < NPOS ? "" : "-");
	for (const char *t = e; *t;) {
		size_t len = strcspn(t, ",");

		if (len == strlen(name) && !strncmp(t, name, len))
			return 1;
		t += len + (t[len] == ',');
	}
	return 0;
}

/* HEADING, when given, appends the tables to MD as a section of that name
 * (a held-out run) instead of writing the whole report. */
static int eval(const char *dir, uint64_t seed, const char *md, const char *heading)
{
	size_t conf[PATTERN_NPATTERNS][PATTERN_NPATTERNS] = { { 0 } };
	struct conf_extra cx = { { 0 } };	/* the table's extra rows */
	struct score sc[DETECT_NALGOS] = { 0 };
	struct background *bgs = NULL;
	char **names = NULL;
	size_t nbg = 0, total = 0, stair_cnt[4] = { 0 }, stair_hit[4] = { 0 };
	/* seep's pattern per kind: right, and series (split by its verdict) */
	size_t pat_ok[2][NKINDS] = { { 0 } }, pat_n[2][NKINDS] = { { 0 } };
	/* short kinds by rise / variation: [row][bin], and called a leak */
	size_t short_cnt[SHORT_ROWS][SHORT_BINS] = { { 0 } };
	size_t short_leak[SHORT_ROWS][DETECT_NALGOS][SHORT_BINS] = { { { 0 } } };
	struct short_old so = { 0 };
	FILE *out = NULL;
	int err;

	err = load_backgrounds(dir, &bgs, &names, &nbg);
	if (err) {
		fprintf(stderr, "eval: cannot load '%s': %s\n", dir, strerror(-err));
		return 1;
	}
	for (uint64_t sd = seed; sd < seed + NSEEDS; sd++)
	for (size_t b = 0; b < nbg; b++) {
		for (int k = 0; k < NKINDS; k++) {
			struct rng r = { sd ^ (0x100000001b3ULL * (b * NKINDS + (size_t)k + 1)) };
			struct sample smp = { 0 };
			int pos = k < NPOS;

			if (!kind_wanted(k))
				continue;
			if (k == POS_STAIR || k == NEG_PLATEAU) {
				/* the old stair and plateau recipes, for their rows of
				 * the pattern table */
				struct rng ro = r;
				struct sample os = { 0 };
				struct detect_input in = { .raw = &os.s };
				struct detect_params p;
				struct detect_result res;

				if (make_sample(&bgs[b], k == POS_STAIR ? STAIR_OLD : PLATEAU_OLD, &ro, &os))
					return 1;
				detect_params__init_derived(&p);
				tune_set(&p);
				if (detect__run(&p, DETECT_SEEP, &in, &res))
					return 1;
				if (k == POS_STAIR)
					cx.stair_old[res.pattern]++;
				else
					cx.plateau_old[res.pattern]++;
				series__release(&os.s);
			}
			if (k == POS_SHORT || k == NEG_SHORT) {
				/* the old short recipe, for its columns and rows */
				struct rng ro = r;
				int neg = k == NEG_SHORT;
				struct sample old = { 0 };

				if (make_sample(&bgs[b], neg ? NEG_SHORT_OLD : SHORT_OLD, &ro, &old) ||
				    short_old(&old, neg, &so, short_cnt[neg ? SHORT_NEG_OLD : SHORT_LEAK_OLD],
					      short_leak[neg ? SHORT_NEG_OLD : SHORT_LEAK_OLD]))
					return 1;
				series__release(&old.s);
			}
			if (make_sample(&bgs[b], (enum kind)k, &r, &smp))
				return 1;
			total++;
			for (int a = 0; a < DETECT_NALGOS; a++) {
				struct detect_input in = { .raw = &smp.s };
				const char *only = getenv("EVAL_ALGO");
				struct detect_params p;
				struct detect_result res;
				double t0 = now();
				int ok;

				/* EVAL_ALGO=name: only that detector (the others score 0) */
				if (only && strcmp(only, detect__algo_name((enum detect_algo)a)))
					continue;
				detect_params__init_derived(&p);
				tune_set(&p);
				if (detect__run(&p, (enum detect_algo)a, &in, &res))
					return 1;
				sc[a].seconds += now() - t0;
				/* the window's last sample, in the raw series' time */
				ok = found(&smp, &res);
				sc[a].cnt[k]++;
				if (pos) {
					sc[a].tp += ok;
					sc[a].fn += !ok;
					sc[a].fp += res.leak && !ok;
					sc[a].hit[k] += ok;
				} else {
					sc[a].fp += res.leak;
					sc[a].tn += !res.leak;
					sc[a].hit[k] += !res.leak;
				}
				if (a == DETECT_SEEP) {
					conf[smp.pattern][res.pattern]++;
					if (smp.pattern == PATTERN_STEADY && ok)
						cx.steady_found[res.pattern]++;
					if (kind_pattern[k] == PATTERN_NONE)
						cx.none_old[res.pattern]++;
					if (k == NEG_SPIKE)
						cx.spike_old[res.pattern]++;
					pat_n[res.leak][k]++;
					pat_ok[res.leak][k] += res.pattern == smp.pattern;
				}
				if (k == POS_SHORT || k == NEG_SHORT) {
					int row = k == NEG_SHORT ? SHORT_NEG : SHORT_LEAK;
					int b = short_bin(smp.rise_snr);

					short_cnt[row][b] += a == DETECT_SEEP;
					short_leak[row][a][b] += k == NEG_SHORT ? res.leak : ok;
				}
				if (a == DETECT_SEEP && k == POS_STAIR) {
					int b = smp.step_snr < 2 ? 0 : smp.step_snr < 4 ? 1 :
						smp.step_snr < 6 ? 2 : 3;

					stair_cnt[b]++;
					stair_hit[b] += res.pattern == PATTERN_STAIR;
				}
				if (getenv("EVAL_DUMP") && a == DETECT_SEEP && (pos ? !ok : res.leak))
					dump(getenv("EVAL_DUMP"), names[b], k, &smp.s);
				if (getenv("EVAL_VERBOSE") && (pos ? !ok : res.leak) &&
				    (a == DETECT_SEEP || atoi(getenv("EVAL_VERBOSE")) > 1))
					fprintf(stderr, "%-8s %c%-9s %-14s (bg %zu, seed %llu) %s: %s %s\n",
						detect__algo_name((enum detect_algo)a), pos ? '+' : '-',
						kind_names[k], names[b], b, (unsigned long long)sd, smp.recipe,
						pos ? "missed" : "false alarm",
						detect__pattern_name(res.pattern));
				if (getenv("EVAL_PATTERN") && a == DETECT_SEEP &&
				    (res.pattern != smp.pattern || !strcmp(getenv("EVAL_PATTERN"), "all")))
					fprintf(stderr, "pattern %c%-9s %-14s %s: %s, built %s "
						"(%s, restarts %zu) #%llu %zu\n",
						pos ? '+' : '-', kind_names[k], names[b], smp.recipe,
						detect__pattern_name(res.pattern),
						detect__pattern_name(smp.pattern),
						res.leak ? "leak" : "no leak", res.restarts, (unsigned long long)sd, b);
			}
			series__release(&smp.s);
		}
	}
	if (md) {
		out = fopen(md, heading ? "a" : "w");
		if (!out) {
			fprintf(stderr, "eval: cannot write '%s': %s\n", md, strerror(errno));
			return 1;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		FILE *f = pass ? out : stdout;

		if (!f)
			continue;
		if (pass && heading) {
			fprintf(f, "\n## %s\n\n", heading);
		} else if (pass) {
			fprintf(f, "# seep detect — evaluation\n\n");
			fprintf(f, "Generated by `make eval-detect` (tools/eval-detect.sh, tools/eval_detect.c); "
				   "do not edit by hand.\n\n");
		}
		fprintf(f, "%zu series (%zu backgrounds × %d kinds × %d seeds from %llu), each "
			   "detector with its defaults\n\n",
			total, nbg, NKINDS, NSEEDS, (unsigned long long)seed);
		print_tables(f, sc, conf, &cx, &so, total);
		fprintf(f, "\nseep's pattern right per kind, by its verdict (share right, and "
			   "series):\n\n| verdict |");
		for (int k = 0; k < NKINDS; k++)
			fprintf(f, " %c%s |", k < NPOS ? '+' : '-', kind_names[k]);
		fprintf(f, "\n|---|");
		for (int k = 0; k < NKINDS; k++)
			fprintf(f, "---:|");
		for (int l = 1; l >= 0; l--) {
			fprintf(f, "\n| %s |", l ? "leak" : "no leak");
			for (int k = 0; k < NKINDS; k++)
				if (pat_n[l][k])
					fprintf(f, " %.2f (%zu) |", ratio(pat_ok[l][k], pat_n[l][k]),
						pat_n[l][k]);
				else
					fprintf(f, " - |");
		}
		fputc('\n', f);
		fprintf(f, "\nInjected stairs by step height over the background's noise (robust sd "
			   "of its hourly differences before the onset): series, and the share seep "
			   "calls `stair`:\n\n| step / noise | < 2 | 2-4 | 4-6 | ≥ 6 |\n"
			   "|---|---:|---:|---:|---:|\n| series | %zu | %zu | %zu | %zu |\n"
			   "| called stair | %.2f | %.2f | %.2f | %.2f |\n",
			stair_cnt[0], stair_cnt[1], stair_cnt[2], stair_cnt[3],
			ratio(stair_hit[0], stair_cnt[0]), ratio(stair_hit[1], stair_cnt[1]),
			ratio(stair_hit[2], stair_cnt[2]), ratio(stair_hit[3], stair_cnt[3]));
		print_short(f, short_cnt, short_leak);
		if (pass && !heading)
			fputs(recipe_md, f);
	}
	if (out)
		fclose(out);
	free_backgrounds(bgs, names, nbg);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "median [min-max]" of the N values in V (sorted in place), times SCALE. */
static void print_spread(double *v, size_t n, double scale, const char *unit)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%.2f%s%s [%.2f-%.2f]", v[n / 2] * scale, *unit ? " " : "", unit, v[0] * scale,
	       v[n - 1] * scale);
}

/* One run of SEEP detect FILE, output discarded: wall and CPU seconds. */
static int spawn_detect(const char *seep, const char *file, double *wall, double *cpu)
{
	char *argv[] = { (char *)seep, "detect", (char *)file, NULL };
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	double t0 = now();
	int status, err;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&pid, seep, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return -err;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD;
	*wall = now() - t0;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
	return 0;
}

#define BENCH_RUNS 31

/* Reading: series__load of the gzip'd file GZ and of its plain copy, runs
 * interleaved; per call: SEEP detect on both and on a 4-row file (start-up
 * alone), interleaved. Medians with min-max over BENCH_RUNS runs. */
static int bench_io(const char *gz, const char *seep)
{
	static double load_gz[BENCH_RUNS], load_plain[BENCH_RUNS];
	static double wall[3][BENCH_RUNS], cpu[3][BENCH_RUNS];
	char plain[] = "/tmp/seep-bench-XXXXXX", tiny[] = "/tmp/seep-bench-tiny-XXXXXX";
	const char *files[3] = { gz, plain, tiny };
	const char *names[3] = { "gzip'd", "plain", "4 rows (start-up)" };
	char err[256];
	struct series s;
	size_t rows = 0;
	int fd, rc = 1;
	FILE *f;

	if (series__load(&s, gz, NULL, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	rows = s.n;
	fd = mkstemp(plain);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		goto out;
	for (size_t i = 0; i < s.n; i++)
		fprintf(f, "%.0f,%.17g\n", s.t[i], s.v[i]);
	fclose(f);
	fd = mkstemp(tiny);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		goto out;
	fprintf(f, "1,1\n2,2\n3,3\n4,4\n");
	fclose(f);
	for (int i = 0; i < BENCH_RUNS; i++) {
		struct series x;
		double t0 = now();

		if (series__load(&x, gz, NULL, err, sizeof(err)))
			goto out;
		load_gz[i] = now() - t0;
		series__release(&x);
		t0 = now();
		if (series__load(&x, plain, NULL, err, sizeof(err)))
			goto out;
		load_plain[i] = now() - t0;
		series__release(&x);
	}
	printf("\nReading %zu rows (series__load, in-process, %d interleaved runs; median "
	       "[min-max]):\n\n| file | time | rows per second |\n|---|---:|---:|\n",
	       rows, BENCH_RUNS);
	for (int k = 0; k < 2; k++) {
		double *v = k ? load_plain : load_gz, rate[BENCH_RUNS];

		for (int i = 0; i < BENCH_RUNS; i++)
			rate[i] = (double)rows / v[i];
		printf("| %s | ", names[k]);
		print_spread(v, BENCH_RUNS, 1e3, "ms");
		printf(" | ");
		print_spread(rate, BENCH_RUNS, 1e-6, "M");
		printf(" |\n");
	}
	if (!seep || access(seep, X_OK)) {
		printf("\n(no seep binary: per-call times skipped)\n");
		rc = 0;
		goto out;
	}
	for (int i = 0; i < BENCH_RUNS; i++)
		for (int k = 0; k < 3; k++)
			if (spawn_detect(seep, files[k], &wall[k][i], &cpu[k][i])) {
				fprintf(stderr, "bench: '%s detect %s' failed\n", seep, files[k]);
				goto out;
			}
	printf("\n`seep detect FILE` per call (%d interleaved runs; median [min-max]):\n\n"
	       "| file | wall | CPU (user + sys) |\n|---|---:|---:|\n", BENCH_RUNS);
	for (int k = 0; k < 3; k++) {
		printf("| %s | ", names[k]);
		print_spread(wall[k], BENCH_RUNS, 1e3, "ms");
		printf(" | ");
		print_spread(cpu[k], BENCH_RUNS, 1e3, "ms");
		printf(" |\n");
	}
	rc = 0;
out:
	unlink(plain);
	unlink(tiny);
	series__release(&s);
	return rc;
}

static int bench(const char *dir, const char *seep)
{
	struct background *bgs = NULL, five = { 0 };
	struct sample smp = { 0 };
	struct rng r = { 42 };
	char **names = NULL, gz[4096];
	size_t nbg = 0, n = (size_t)(5 * 24 * HOUR);

	if (load_backgrounds(dir, &bgs, &names, &nbg) || !nbg || bgs[0].five.n < n)
		return 1;
	if (series__slice(&bgs[0].five, 0, n, &five.five))
		return 1;
	five.median = median(five.five.v, five.five.n);
	if (make_sample(&five, POS_LINEAR, &r, &smp))
		return 1;
	printf("5-day series at 5-minute resolution (%zu samples, %s + linear leak), one core; "
	       "median [min-max] of %d runs of 0.1 s each\n\n",
	       smp.s.n, names[0], BENCH_RUNS);
	printf("| detector | time per series | series per second |\n|---|---:|---:|\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		double per[BENCH_RUNS], rate[BENCH_RUNS];

		for (int run = 0; run < BENCH_RUNS; run++) {
			size_t iters = 0;
			double t0 = now(), t;

			do {
				struct detect_input in = { .raw = &smp.s };
				struct detect_params p;
				struct detect_result res;

				detect_params__init_derived(&p);
				if (detect__run(&p, (enum detect_algo)a, &in, &res))
					return 1;
				iters++;
				t = now() - t0;
			} while (t < 0.1);
			per[run] = t / (double)iters;
			rate[run] = (double)iters / t;
		}
		printf("| %s | ", detect__algo_name((enum detect_algo)a));
		print_spread(per, BENCH_RUNS, 1e6, "µs");
		printf(" | ");
		print_spread(rate, BENCH_RUNS, 1, "");
		printf(" |\n");
	}
	series__release(&smp.s);
	series__release(&five.five);
	/* the 60k-row file of the issue when it is there, else the first one */
	snprintf(gz, sizeof(gz), "%s/m_1014.csv.gz", dir);
	if (access(gz, R_OK))
		snprintf(gz, sizeof(gz), "%s/%s", dir, names[0]);
	free_backgrounds(bgs, names, nbg);
	return bench_io(gz, seep);
}

/* --- the real-program corpus ---------------------------------------------- */

/* One recorded run of data/corpus/labels.tsv (tools/record-corpus.sh). */
struct corpus_run {
	char name[64], kind[32], pattern[32], what[160];
	int leak;
	double onset, end, threshold;
};

static int corpus_pattern(const char *name)
{
	for (int q = 0; q < PATTERN_NPATTERNS; q++)
		if (!strcmp(name, detect__pattern_name((enum detect_pattern)q)))
			return q;
	return -1;
}

/* Reads DIR/labels.tsv into *OUT (malloc'd). Returns the runs, -1 on error. */
static long corpus_labels(const char *dir, struct corpus_run **out)
{
	char path[4096], line[1024];
	struct corpus_run *runs = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/labels.tsv", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "eval: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct corpus_run r = { 0 };
		char onset[32], end[32];

		if (sscanf(line, "%63[^\t]\t%d\t%31[^\t]\t%31[^\t]\t%31[^\t]\t%31[^\t]\t%lf\t%159[^\n]",
			   r.name, &r.leak, r.kind, r.pattern, onset, end, &r.threshold, r.what) != 8)
			continue;
		r.onset = r.leak ? atof(onset) : 0;
		r.end = r.leak ? atof(end) : 0;
		if (n == cap) {
			struct corpus_run *g;

			cap = cap ? 2 * cap : 16;
			g = realloc(runs, cap * sizeof(*runs));
			if (!g) {
				free(runs);
				fclose(f);
				return -1;
			}
			runs = g;
		}
		runs[n++] = r;
	}
	fclose(f);
	*out = runs;
	return (long)n;
}

/* Every detector on every run of the corpus in DIR (column COLUMN, the
 * run's own threshold): one row per run, then precision/recall per detector
 * and recall / false positives per kind. */
static int corpus(const char *dir, const char *column, const char *md)
{
	struct corpus_run *runs = NULL;
	long n = corpus_labels(dir, &runs);
	size_t tp[DETECT_NALGOS] = { 0 }, fp[DETECT_NALGOS] = { 0 }, fn[DETECT_NALGOS] = { 0 };
	size_t pat_ok = 0, pat_n = 0;
	char kinds[16][32];
	size_t nkinds = 0, khit[16][DETECT_NALGOS] = { { 0 } }, kcnt[16] = { 0 };
	int kleak[16] = { 0 };
	FILE *f = md ? fopen(md, "a") : stdout;

	if (n <= 0 || !f) {
		fprintf(stderr, "eval: no corpus in '%s'\n", dir);
		free(runs);
		return 1;
	}
	fprintf(f, "\n## Real-program corpus\n\n"
		   "%ld runs recorded on this machine by tools/record-corpus.sh (%s of the process, "
		   "1 s samples; labels in data/corpus/labels.tsv); threshold U = the host's "
		   "MemTotal, every detector with its defaults. A cell is the verdict (leak, and "
		   "for seep the pattern reported); ✓ when it matches the label.\n\n",
		   n, column);
	fprintf(f, "| run | what ran | minutes | label | kind |");
	for (int a = 0; a < DETECT_NALGOS; a++)
		fprintf(f, " %s |", detect__algo_name((enum detect_algo)a));
	fprintf(f, "\n|---|---|---:|---|---|");
	for (int a = 0; a < DETECT_NALGOS; a++)
		fprintf(f, "---|");
	fprintf(f, "\n");
	for (long i = 0; i < n; i++) {
		struct corpus_run *r = &runs[i];
		struct series_load_opts lo = { .column = column };
		struct series s;
		char path[4096], err[256];
		size_t k;

		snprintf(path, sizeof(path), "%s/%s.csv.gz", dir, r->name);
		if (series__load(&s, path, &lo, err, sizeof(err))) {
			fprintf(stderr, "eval: %s\n", err);
			free(runs);
			return 1;
		}
		for (k = 0; k < nkinds && strcmp(kinds[k], r->kind); k++)
			;
		if (k == nkinds && nkinds < 16) {
			snprintf(kinds[nkinds], sizeof(kinds[0]), "%s", r->kind);
			kleak[nkinds++] = r->leak;
		}
		if (k < 16)
			kcnt[k]++;
		fprintf(f, "| %s | %s | %.0f | %s | %s |", r->name, r->what,
			(s.t[s.n - 1] - s.t[0]) / 60, r->leak ? "leak" : "no leak", r->kind);
		for (int a = 0; a < DETECT_NALGOS; a++) {
			struct detect_input in = { .raw = &s };
			struct detect_params p;
			struct detect_result res;
			int ok;

			detect_params__init_derived(&p);
			p.threshold = r->threshold;
			if (detect__run(&p, (enum detect_algo)a, &in, &res)) {
				series__release(&s);
				free(runs);
				return 1;
			}
			ok = r->leak ? res.leak && res.window_end >= r->onset : !res.leak;
			if (r->leak) {
				tp[a] += ok;
				fn[a] += !ok;
				fp[a] += res.leak && !ok;
			} else {
				fp[a] += res.leak;
			}
			if (k < 16)
				khit[k][a] += ok;
			if (a == DETECT_SEEP) {
				int want = corpus_pattern(r->pattern);

				pat_n += want >= 0;
				pat_ok += want == (int)res.pattern;
				fprintf(f, " %s %s%s |", res.leak ? "leak" : "no", detect__pattern_name(res.pattern),
					ok ? " ✓" : "");
			} else {
				fprintf(f, " %s%s |", res.leak ? "leak" : "no", ok ? " ✓" : "");
			}
		}
		fprintf(f, "\n");
		series__release(&s);
	}
	fprintf(f, "\n| detector | precision | recall | F1 | TP | FP | FN |\n"
		   "|---|---:|---:|---:|---:|---:|---:|\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		double prec = ratio(tp[a], tp[a] + fp[a]), rec = ratio(tp[a], tp[a] + fn[a]);

		fprintf(f, "| %s | %.3f | %.3f | %.3f | %zu | %zu | %zu |\n",
			detect__algo_name((enum detect_algo)a), prec, rec,
			prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0, tp[a], fp[a], fn[a]);
	}
	fprintf(f, "\nPer kind: recall on leaks (+), false positives on non-leaks (−):\n\n"
		   "| kind | runs |");
	for (int a = 0; a < DETECT_NALGOS; a++)
		fprintf(f, " %s |", detect__algo_name((enum detect_algo)a));
	fprintf(f, "\n|---|---:|");
	for (int a = 0; a < DETECT_NALGOS; a++)
		fprintf(f, "---:|");
	fprintf(f, "\n");
	for (size_t k = 0; k < nkinds; k++) {
		fprintf(f, "| %c%s | %zu |", kleak[k] ? '+' : '-', kinds[k], kcnt[k]);
		for (int a = 0; a < DETECT_NALGOS; a++)
			fprintf(f, " %.2f |", kleak[k] ? ratio(khit[k][a], kcnt[k]) :
							 1 - ratio(khit[k][a], kcnt[k]));
		fprintf(f, "\n");
	}
	fprintf(f, "\nseep's pattern matches the label on %zu of %zu runs.\n", pat_ok, pat_n);
	if (f != stdout)
		fclose(f);
	free(runs);
	return 0;
}

/* One series of the set (KIND on background number BG) as timestamp,value. */
static int sample(const char *dir, const char *kind, size_t bg, uint64_t seed)
{
	struct background *bgs = NULL;
	struct sample smp = { 0 };
	char **names = NULL;
	size_t nbg = 0;
	int k;

	for (k = 0; k < NKINDS && strcmp(kind, kind_names[k]); k++)
		;
	/* "short" names the leak; "short-" the short non-leak */
	if (!strcmp(kind, "short-"))
		k = NEG_SHORT;
	/* "stair-old": the old stair recipe, from the stair's draws */
	if (k == NKINDS && !strcmp(kind, kind_names[PLATEAU_OLD]))
		k = PLATEAU_OLD;
	else if (k == NKINDS && strcmp(kind, kind_names[STAIR_OLD]))
		return 2;
	if (load_backgrounds(dir, &bgs, &names, &nbg) || bg >= nbg)
		return 2;
	{
		size_t kr = k == STAIR_OLD ? POS_STAIR : k == PLATEAU_OLD ? NEG_PLATEAU : (size_t)k;
		struct rng r = { seed ^ (0x100000001b3ULL * (bg * NKINDS + kr + 1)) };

		if (make_sample(&bgs[bg], (enum kind)k, &r, &smp))
			return 1;
	}
	fprintf(stderr, "%s on %s, seed %llu: %s; label [%zu, %zu)\n", kind, names[bg],
		(unsigned long long)seed, smp.recipe, smp.onset, smp.s.n);
	printf("timestamp,value\n");
	for (size_t i = 0; i < smp.s.n; i++)
		printf("%.0f,%.3f\n", smp.s.t[i], smp.s.v[i]);
	series__release(&smp.s);
	free_backgrounds(bgs, names, nbg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "eval"))
		return eval(argv[2], argc > 3 ? strtoull(argv[3], NULL, 0) : 20261122,
			    argc > 4 ? argv[4] : NULL, argc > 5 ? argv[5] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "corpus"))
		return corpus(argv[2], argc > 3 ? argv[3] : "rss", argc > 4 ? argv[4] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "bench"))
		return bench(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc >= 5 && !strcmp(argv[1], "sample"))
		return sample(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			      argc > 5 ? strtoull(argv[5], NULL, 0) : 20261122);
	fprintf(stderr, "usage: eval_detect eval DATA_DIR [SEED] [OUT.md [HEADING]] | bench DATA_DIR [SEEP] |"
			" sample DATA_DIR KIND BACKGROUND [SEED] | corpus CORPUS_DIR [COLUMN] [OUT.md]\n");
	return 2;
}
