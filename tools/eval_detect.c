/* eval_detect — labelled evaluation and benchmark of seep's leak detectors.
 *
 *   eval_detect eval DATA_DIR [SEED] [OUT.md]   precision/recall/F1/time per detector
 *   eval_detect bench DATA_DIR                  time per 5-day series, series/s
 *   eval_detect sample DATA_DIR KIND BG [SEED]  one series as CSV (recipe on stderr)
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
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/detect.h"
#include "detect/series.h"

#define STEP 300.0
#define HOUR (3600.0 / STEP)	/* samples per hour */

enum kind {
	POS_LINEAR, POS_SAWTOOTH, POS_STAIR,
	NEG_REAL, NEG_SHIFTED, NEG_BOUNDED, NEG_PLATEAU, NEG_SPIKE,
	NKINDS
};

static const char *const kind_names[NKINDS] = {
	"linear", "sawtooth", "stair", "real", "shifted", "bounded", "plateau", "spike",
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
	char recipe[160];
};

static double median(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c)), m;

	if (!c)
		return 0;
	memcpy(c, v, n * sizeof(*c));
	for (size_t i = 1; i < n; i++) {
		double x = c[i];
		size_t j = i;

		for (; j > 0 && c[j - 1] > x; j--)
			c[j] = c[j - 1];
		c[j] = x;
	}
	m = c[n / 2];
	free(c);
	return m;
}

/* Builds one labelled series of KIND over background BG (5-minute). */
/* A leak, by the paper's definition, reaches U = 100 within C = 7 days: the
 * rise over DUR samples is raised, if needed, so that the trend from the end
 * level gets there in 0.9 C. */
static double reaching(double rise, double level, double dur)
{
	double need = (100 - level) / (1 + 0.9 * 7 * 24 * HOUR / dur);

	return rise > need ? rise : need;
}

static int make_sample(const struct series *bg, double bg_median, enum kind kind,
		       struct rng *r, struct sample *out)
{
	size_t n = bg->n;
	double level = uni(r, 35, 65), sigma = 0, *v;
	const double noises[] = { 0, 0.5, 1, 2, 3 };
	int err = series__slice(bg, 0, n, &out->s);

	if (err)
		return err;
	v = out->s.v;
	out->kind = kind;
	out->onset = n;
	if (kind == NEG_REAL) {
		snprintf(out->recipe, sizeof(out->recipe), "real series unchanged");
		return 0;
	}
	sigma = noises[rng_next(r) % 5];
	for (size_t i = 0; i < n; i++)
		v[i] += level - bg_median + sigma * gauss(r);
	switch (kind) {
	case POS_LINEAR: {
		double f = uni(r, 0.45, 0.85), rise = uni(r, 10, 40);
		size_t on = (size_t)(f * (double)n);

		rise = reaching(rise, level, (double)(n - on));

		for (size_t i = on; i < n; i++)
			v[i] += rise * (double)(i - on) / (double)(n - on);
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f rise %.1f", level, sigma, f, rise);
		break;
	}
	case POS_SAWTOOTH: {
		/* grows until it hits its limit (OOM), restarts at its base level */
		double f = uni(r, 0.2, 0.6), period = uni(r, 8, 30) * HOUR, cap = uni(r, 85, 98);
		double amp = cap - level;
		size_t on = (size_t)(f * (double)n);

		for (size_t i = on; i < n; i++)
			v[i] += amp * fmod((double)(i - on), period) / period;
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f period %.1fh limit %.1f",
			 level, sigma, f, period / HOUR, cap);
		break;
	}
	case POS_STAIR: {
		double f = uni(r, 0.45, 0.8), period = uni(r, 2, 8) * HOUR, rise = uni(r, 10, 40);
		size_t on = (size_t)(f * (double)n), steps;

		rise = reaching(rise, level, (double)(n - on));

		steps = (size_t)((double)(n - on) / period) + 1;
		for (size_t i = on; i < n; i++)
			v[i] += rise / (double)steps * (floor((double)(i - on) / period) + 1);
		out->onset = on;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f onset %.2f step every %.1fh, %zu steps, rise %.1f",
			 level, sigma, f, period / HOUR, steps, rise);
		break;
	}
	case NEG_SHIFTED:
		snprintf(out->recipe, sizeof(out->recipe), "level %.1f noise %.1f", level, sigma);
		break;
	case NEG_BOUNDED: {
		double dur = uni(r, 6, 24) * HOUR, h = uni(r, 10, 30);
		double latest = (double)n - 24 * HOUR - dur, start = uni(r, 0.3 * (double)n, latest);

		for (size_t i = (size_t)start; i < n; i++)
			v[i] += h * (1 - exp(-3 * ((double)i - start) / dur));
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f saturating growth %.1f over %.1fh from %.2f",
			 level, sigma, h, dur / HOUR, start / (double)n);
		break;
	}
	case NEG_PLATEAU: {
		double at = uni(r, 0.3, 0.85), h = uni(r, 5, 20);

		for (size_t i = (size_t)(at * (double)n); i < n; i++)
			v[i] += h;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f step %.1f at %.2f", level, sigma, h, at);
		break;
	}
	case NEG_SPIKE: {
		double at = uni(r, 0.3, 0.95), h = uni(r, 10, 30), dur = uni(r, 10.0 / 60, 3) * HOUR;
		size_t a = (size_t)(at * (double)n);

		for (size_t i = a; i < n && (double)(i - a) < dur; i++)
			v[i] += h;
		snprintf(out->recipe, sizeof(out->recipe),
			 "level %.1f noise %.1f spike %.1f for %.0f min at %.2f", level, sigma, h,
			 dur / HOUR * 60, at);
		break;
	}
	default:
		break;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = fmin(100, fmax(0, v[i]));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every m_*.csv.gz in DIR, averaged to 5 minutes. */
static int load_backgrounds(const char *dir, struct series **out, char ***names, size_t *n)
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
		char path[4096], err[512];
		struct series raw;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]);
		rc = series__load(&raw, path, NULL, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "eval: %s\n", err);
			return rc;
		}
		rc = series__resample(&raw, STEP, &(*out)[i]);
		series__release(&raw);
		if (rc)
			return rc;
	}
	*names = list;
	*n = cnt;
	return 0;
}

static void free_backgrounds(struct series *bgs, char **names, size_t n)
{
	for (size_t b = 0; b < n; b++) {
		series__release(&bgs[b]);
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

	snprintf(path, sizeof(path), "%s/%.*s-%s.csv", dir, (int)strcspn(name, "."), name,
		 kind_names[kind]);
	f = fopen(path, "w");
	if (!f)
		return;
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%.0f,%.4f\n", s->t[i], s->v[i]);
	fclose(f);
}

struct score {
	size_t tp, fp, fn, tn;
	size_t late_tp, late;	/* positives whose onset is in Precog's test part */
	size_t hit[NKINDS];	/* per kind: detections counted right */
	size_t cnt[NKINDS];
	double seconds;
};

static int eval(const char *dir, uint64_t seed, const char *md)
{
	struct score sc[DETECT_NALGOS] = { 0 };
	struct series *bgs = NULL;
	struct detect_params p;
	char **names = NULL;
	size_t nbg = 0, total = 0;
	FILE *out = NULL;
	int err;

	detect_params__init(&p);
	err = load_backgrounds(dir, &bgs, &names, &nbg);
	if (err) {
		fprintf(stderr, "eval: cannot load '%s': %s\n", dir, strerror(-err));
		return 1;
	}
	for (size_t b = 0; b < nbg; b++) {
		double med = median(bgs[b].v, bgs[b].n);

		for (int k = 0; k < NKINDS; k++) {
			struct rng r = { seed ^ (0x100000001b3ULL * (b * NKINDS + (size_t)k + 1)) };
			struct sample smp = { 0 };
			int pos = k <= POS_STAIR;

			if (make_sample(&bgs[b], med, (enum kind)k, &r, &smp))
				return 1;
			total++;
			for (int a = 0; a < DETECT_NALGOS; a++) {
				struct detect_input in = { .raw = &smp.s };
				struct detect_result res;
				double t0 = now();
				int ok;

				if (detect__run(&p, (enum detect_algo)a, &in, &res))
					return 1;
				sc[a].seconds += now() - t0;
				ok = res.leak && res.to > smp.onset;
				sc[a].cnt[k]++;
				if (pos && smp.onset >= (size_t)(p.train_fraction * (double)smp.s.n)) {
					sc[a].late++;
					sc[a].late_tp += ok;
				}
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
				if (getenv("EVAL_DUMP") && (pos ? !ok : res.leak))
					dump(getenv("EVAL_DUMP"), names[b], k, &smp.s);
				if (getenv("EVAL_VERBOSE") && (pos ? !ok : res.leak))
					fprintf(stderr, "%-8s %-9s %-14s %s: %s %s\n",
						detect__algo_name((enum detect_algo)a), kind_names[k],
						names[b], smp.recipe, pos ? "missed" : "false alarm",
						detect__pattern_name(res.pattern));
			}
			series__release(&smp.s);
		}
	}
	if (md) {
		out = fopen(md, "w");
		if (!out) {
			fprintf(stderr, "eval: cannot write '%s': %s\n", md, strerror(errno));
			return 1;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		FILE *f = pass ? out : stdout;

		if (!f)
			continue;
		if (pass) {
			fprintf(f, "# seep detect — evaluation\n\n");
			fprintf(f, "Generated by `make eval-detect` (tools/eval-detect.sh, tools/eval_detect.c); "
				   "do not edit by hand.\n\n");
		}
		fprintf(f, "%zu series (%zu backgrounds × %d kinds), seed %llu, paper defaults "
			   "(5 min, 1 h smoothing, 6 h, R² 0.8, U = 100, C = 7 d, 65%% training)\n\n",
			total, nbg, NKINDS, (unsigned long long)seed);
		fprintf(f, "| detector | precision | recall | F1 | TP | FP | FN | time per series "
			   "| recall, onset after 65%% |\n");
		fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (int a = 0; a < DETECT_NALGOS; a++) {
			double prec = sc[a].tp + sc[a].fp ? (double)sc[a].tp / (double)(sc[a].tp + sc[a].fp) : 0;
			double rec = sc[a].tp + sc[a].fn ? (double)sc[a].tp / (double)(sc[a].tp + sc[a].fn) : 0;
			double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;

			fprintf(f, "| %s | %.3f | %.3f | %.3f | %zu | %zu | %zu | %.1f µs | %.2f (%zu) |\n",
				detect__algo_name((enum detect_algo)a), prec, rec, f1, sc[a].tp,
				sc[a].fp, sc[a].fn, sc[a].seconds / (double)total * 1e6,
				sc[a].late ? (double)sc[a].late_tp / (double)sc[a].late : 0, sc[a].late);
		}
		fprintf(f, "\nPer kind: share of series judged right (positives: detected with an "
			   "overlapping window; negatives: no detection)\n\n| detector |");
		for (int k = 0; k < NKINDS; k++)
			fprintf(f, " %s%s |", k <= POS_STAIR ? "+" : "−", kind_names[k]);
		fprintf(f, "\n|---|");
		for (int k = 0; k < NKINDS; k++)
			fprintf(f, "---:|");
		fprintf(f, "\n");
		for (int a = 0; a < DETECT_NALGOS; a++) {
			fprintf(f, "| %s |", detect__algo_name((enum detect_algo)a));
			for (int k = 0; k < NKINDS; k++)
				fprintf(f, " %.2f |", sc[a].cnt[k] ? (double)sc[a].hit[k] / (double)sc[a].cnt[k] : 0);
			fprintf(f, "\n");
		}
		if (pass) {
			fprintf(f, "\n## Recipe\n\n"
"Backgrounds: every `m_*.csv.gz` in shared/data/alibaba-mem (real machine memory\n"
"utilization, 10 s samples, about 7 days), averaged to 5 minutes. Per background\n"
"and kind, a splitmix64 generator seeded with `seed ^ (0x100000001b3 · (background ·\n"
"8 + kind + 1))` draws the parameters. Except `real`, the series is moved so that\n"
"its median sits at a level drawn in [35, 65] %% and Gaussian noise with σ drawn\n"
"from {0, 0.5, 1, 2, 3} is added; values are clipped to [0, 100].\n\n"
"- `+linear`: from an onset drawn in [0.45, 0.85] of the series to the end, a ramp\n"
"  rising by [10, 40] points, raised where needed so that the trend reaches\n"
"  100 %% within 0.9 · 7 days of the end (a leak by the paper's definition).\n"
"- `+sawtooth`: from an onset in [0.2, 0.6], teeth of period [8, 30] h rising from\n"
"  the base level to a limit drawn in [85, 98] %%, where the process restarts\n"
"  (out of memory) and falls back to the base level.\n"
"- `+stair`: from an onset in [0.45, 0.8], a step every [2, 8] h, [10, 40] points\n"
"  in all (raised like `linear` where needed).\n"
"- `−real`: the real series unchanged (level 57–98 %%, daily cycles, no label).\n"
"- `−shifted`: the moved series only.\n"
"- `−bounded`: saturating growth h·(1 − e^(−3t/d)), h in [10, 30], d in [6, 24] h,\n"
"  levelled off at least 24 h before the end.\n"
"- `−plateau`: one step of [5, 20] points at [0.3, 0.85], flat after.\n"
"- `−spike`: +[10, 30] points for 10 min to 3 h at [0.3, 0.95], then back.\n\n"
"The last column is the recall on the positives whose onset lies after the first\n"
"65%% of the series (Precog's training part), where Precog can see the leak's\n"
"trend as new.\n\n"
"Labels: positives are labelled [onset, end). A detection on a positive counts\n"
"(TP) when its window overlaps the label, as in Jindal et al.; otherwise it is a\n"
"FN, and also a FP if something else was reported. Any detection on a negative\n"
"is a FP. Time per series covers the whole pipeline on the 5-minute series:\n"
"resampling, smoothing, training (Precog) and detection, one core.\n");
		}
	}
	if (out)
		fclose(out);
	free_backgrounds(bgs, names, nbg);
	return 0;
}

static int bench(const char *dir)
{
	struct series *bgs = NULL, five = { 0 };
	struct detect_params p;
	struct sample smp = { 0 };
	struct rng r = { 42 };
	char **names = NULL;
	size_t nbg = 0, n = (size_t)(5 * 24 * HOUR);
	double med;

	detect_params__init(&p);
	if (load_backgrounds(dir, &bgs, &names, &nbg) || !nbg || bgs[0].n < n)
		return 1;
	if (series__slice(&bgs[0], 0, n, &five))
		return 1;
	med = median(five.v, five.n);
	if (make_sample(&five, med, POS_LINEAR, &r, &smp))
		return 1;
	printf("5-day series at 5-minute resolution (%zu samples, %s + linear leak), one core\n\n",
	       smp.s.n, names[0]);
	printf("| detector | time per series | series per second |\n|---|---:|---:|\n");
	for (int a = 0; a < DETECT_NALGOS; a++) {
		size_t iters = 0;
		double t0 = now(), t;

		do {
			struct detect_input in = { .raw = &smp.s };
			struct detect_result res;

			if (detect__run(&p, (enum detect_algo)a, &in, &res))
				return 1;
			iters++;
			t = now() - t0;
		} while (t < 0.5);
		printf("| %s | %.1f µs | %.0f |\n", detect__algo_name((enum detect_algo)a),
		       t / (double)iters * 1e6, (double)iters / t);
	}
	series__release(&smp.s);
	series__release(&five);
	free_backgrounds(bgs, names, nbg);
	return 0;
}

/* One series of the set (KIND on background number BG) as timestamp,value. */
static int sample(const char *dir, const char *kind, size_t bg, uint64_t seed)
{
	struct series *bgs = NULL;
	struct sample smp = { 0 };
	char **names = NULL;
	size_t nbg = 0;
	int k;

	for (k = 0; k < NKINDS && strcmp(kind, kind_names[k]); k++)
		;
	if (k == NKINDS || load_backgrounds(dir, &bgs, &names, &nbg) || bg >= nbg)
		return 2;
	{
		struct rng r = { seed ^ (0x100000001b3ULL * (bg * NKINDS + (size_t)k + 1)) };

		if (make_sample(&bgs[bg], median(bgs[bg].v, bgs[bg].n), (enum kind)k, &r, &smp))
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
			    argc > 4 ? argv[4] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "bench"))
		return bench(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "sample"))
		return sample(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			      argc > 5 ? strtoull(argv[5], NULL, 0) : 20261122);
	fprintf(stderr, "usage: eval_detect eval DATA_DIR [SEED] [OUT.md] | bench DATA_DIR |"
			" sample DATA_DIR KIND BACKGROUND [SEED]\n");
	return 2;
}
