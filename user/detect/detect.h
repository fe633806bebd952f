/* detect — leak detectors over one memory series.
 *
 * Implements the four detectors of Jindal et al., "Memory Leak Detection
 * Algorithms in the Cloud-based Infrastructure" (shared/seeds/jindal-…txt):
 * LBR, LBRCPD, Precog and PrecogMF (Precog's training lives in precog.h),
 * plus seep's own detector ("seep"). Every verdict carries a growth pattern
 * (steady, spike, stair, sawtooth, plateau, none) from classify.h, with
 * what decided it (struct classify_why); detect__run adds the fine spike
 * pass on the unsmoothed series when no leak was found.
 *
 * seep's detector, in short: (1) restarts are found as sharp drops that end
 * a tooth which grew gradually from its own base (the last sample within
 * DETECT_TOOTH_BASE_FRAC of the drop above where it lands) for at least
 * seep_tooth_min_s, as a line with R² >= seep_tooth_r2 or, for a tooth of
 * DETECT_LONG_TOOTH seep_min_window_s or longer, with a rise of
 * seep_min_snr residual sds; with two or more, or one after which growth
 * resumes at a similar slope, every drop is added back so a sawtooth
 * becomes the continued leak it is. (2) Windows ending now
 * are scanned from the longest (max_window_s) down to seep_min_window_s (one
 * daily cycle) with O(1) prefix-sum fits; the first that passes wins: slope
 * > 0 with a loose R² floor, a rise of seep_min_rise·U, U reached within C
 * from the current level, each quarter of the window clearly above the
 * previous one (persistence), the recent quarter and the tail after the best
 * two-line split still growing (not levelled off), and no single level shift
 * fitting better than the line (a plateau or a step is not a leak): the six
 * tests are the predicates of seep_window.h. (3) The reported trend starts
 * at the best hinge (where growth began, seep_window__onset).
 *
 * The parameters (struct detect_params) live in params.h, which Precog's
 * training includes too: detect uses precog, precog does not use detect.
 *
 * Pipeline (detect__run): resample to params.step_s, median-smooth over
 * params.smooth_s, then the chosen algorithm. Every index in a result refers
 * to that pre-processed ("analysed") series; times are epoch seconds.
 * The threshold is in the series' own unit (percent, bytes): see threshold.h
 * for turning "8GiB" or "90% of memory.max" into one.
 *
 * Pure computation: no I/O except precog model files, no globals; results
 * are plain structs owned by the caller.
 */
#ifndef SEEP_DETECT_H
#define SEEP_DETECT_H

#include <stddef.h>

#include "detect/classify.h"
#include "detect/params.h"
#include "detect/seep_window.h"
#include "detect/series.h"

enum detect_algo {
	DETECT_LBR,
	DETECT_LBRCPD,
	DETECT_PRECOG,
	DETECT_PRECOGMF,
	DETECT_SEEP,
	DETECT_NALGOS
};

struct detect_result {
	enum detect_algo algo;
	int leak;
	size_t from, to;		/* anomalous window [from, to) in the analysed series */
	double window_start, window_end;/* epoch seconds of the window's first/last sample */
	double slope_per_hour;		/* series unit per hour */
	double intercept;		/* trend value at window_start */
	double r2;
	double time_to_threshold_s;	/* INFINITY when never */
	enum detect_pattern pattern;
	size_t restarts;		/* sawtooth resets inside the window */
	struct classify_why why;	/* what the pattern was chosen on */
	size_t ncp;			/* change points used (CPD algorithms) */
};

/* restarts (see the top): a tooth's base, as a share of the drop above its
 * landing; and how many seep_min_window_s make a tooth long */
#define DETECT_TOOTH_BASE_FRAC 0.2
#define DETECT_LONG_TOOTH 1.0
/* a window's restarts make its pattern sawtooth when what they gave back
 * is at least this share of the growth (the de-sawed line's rise) */
#define DETECT_RESTART_SHARE 0.4

/* --explain: what seep's detector tried. Candidates are the windows at
 * lengths spaced by a factor 1.25 from the longest down, and the one
 * accepted, each with the first test it failed. */
#define DETECT_EXPLAIN_MAX 40
struct detect_candidate {
	double start, end;		/* epoch seconds of its first and last sample */
	double slope_per_hour, r2;
	double rise, residual_sd;	/* series unit */
	double wander;			/* test 8's variation; NAN when it did not run */
	enum seep_test failed;		/* SEEP_PASSED when accepted */
};

struct detect_explain {
	struct detect_params used;	/* after derivation */
	struct detect_params_why why;
	size_t restarts;		/* restarts added back over the whole series */
	size_t tried;			/* windows fitted */
	size_t rejected[SEEP_NTESTS + 1];/* per test: windows it rejected */
	struct detect_candidate cand[DETECT_EXPLAIN_MAX];
	size_t ncand;
};

struct precog_model;

const char *detect__algo_name(enum detect_algo a);
int detect__algo_parse(const char *name, enum detect_algo *out);
const char *detect__pattern_name(enum detect_pattern p);

/* Resamples and smooths RAW into OUT (initialized by the call). */
int detect__preprocess(const struct detect_params *p, const struct series *raw,
		       struct series *out);

/* The algorithms on an already pre-processed series (x in samples of
 * s->step seconds). Each fills R (leak = 0 and from = to = 0 if no window
 * qualifies, with the pattern of the whole series). */
int detect__lbr(const struct detect_params *p, const struct series *s, struct detect_result *r);
int detect__lbrcpd(const struct detect_params *p, const struct series *s, struct detect_result *r);
int detect__seep(const struct detect_params *p, const struct series *s, struct detect_result *r);
/* The same, filling EX (may be NULL) with the windows tried; EX->used and
 * EX->why are left alone. */
int detect__seep_explain(const struct detect_params *p, const struct series *s,
			 struct detect_result *r, struct detect_explain *ex);
/* Precog's test phase (PrecogMF when MF): S is the test part. */
int detect__precog(const struct detect_params *p, const struct precog_model *m,
		   const struct series *s, int mf, struct detect_result *r);

/* What detect__run works on. RAW is required; the rest is optional. */
struct detect_input {
	const struct series *raw;
	const struct series *train_raw;	/* Precog: train on this, test RAW whole */
	const struct precog_model *model;/* Precog: use this model, test RAW whole */
	struct precog_model *trained;	/* out: the model Precog trained, if any */
	struct series *analysed;	/* out: the pre-processed RAW */
	struct detect_explain *explain;	/* out, optional: parameters used, windows tried */
	size_t split;			/* out: first tested sample of analysed */
};

/* The whole pipeline: derive the parameters whose bit is set in P->derive
 * from IN->raw's span and median interval, pre-process IN->raw, then ALGO.
 * For Precog(MF) the
 * model is IN->model if given, else trained on IN->train_raw if given, else
 * on the first train_fraction of RAW (and only the rest is tested). */
int detect__run(const struct detect_params *p, enum detect_algo algo,
		struct detect_input *in, struct detect_result *r);

/* Growth pattern of s->v[from, to) (the whole series when from == to). */
enum detect_pattern detect__classify(const struct series *s, size_t from, size_t to,
				     size_t *restarts);

#endif
