/* params — the knobs of seep's leak detectors (struct detect_params), the
 * one type that the detectors (detect.h), Precog's training (precog.h) and
 * seep's window tests (seep_window.h) all read.
 *
 * It sits below them so that none includes another for its parameters:
 * detect uses precog's model and seep_window's tests, and both of those use
 * only this header (no cycle between detect and precog).
 *
 * Durations are in seconds; detect_params__samples() turns one into a count
 * of samples at the analysed series' resolution. Plain data, no ownership.
 *
 * Derived parameters: every window, minimum and smoothing of the detectors
 * can be derived from the series itself (its span S and resolution r) when
 * its bit is set in `derive` (detect_params__init_derived sets them all; a
 * caller that sets a value clears its bit). detect__run derives them before
 * it pre-processes; for days of data at 5 minutes (the paper's series) the
 * derivation gives the paper's values back:
 *   step_s             min(5 min, max(r, S / 576))
 *   smooth_s           12 steps (1 h at 5 min)
 *   min_trend_s        min(6 h, S / 12)       LBR's Wmin
 *   cpd_min_dist_s     min(6 h, S / 12)       CPD's Pmin
 *   seep_min_window_s  min(24 h, S / 3)       one daily cycle when there are days
 *   seep_tooth_min_s   seep_min_window / 6    (4 h)
 *   seep_tail_min_s    seep_min_window / 2    (12 h)
 *   seep_part_min_s    seep_min_window / 4    (6 h)
 * and, with s = 1 - seep_min_window / 24 h (0 when the window spans a daily
 * cycle, near 1 for a series of a few hours), the clear test and the
 * allowances for the background's wander of a series shorter than a day
 * (whose wander is at the leak's own time scale, with no daily cycle to
 * average it out):
 *   seep_min_wander     3 + s                  (3)
 *   seep_recent_wander  s                      (0)
 *   seep_restart_wander 2 s                    (0)
 * The horizon C (critical_s, 7 d) and U are the user's question, not the
 * series': they are options, not derived.
 */
#ifndef SEEP_DETECT_PARAMS_H
#define SEEP_DETECT_PARAMS_H

#include <math.h>
#include <stddef.h>

struct detect_params {
	/* pre-processing (paper: 5 min, 1 h) */
	double step_s;
	double smooth_s;
	/* common (paper: 6 h, 0.8, U = 100, C = 7 d) */
	double min_trend_s;	/* LBR's Wmin */
	double max_window_s;	/* LBR's Wmax (7 d) */
	double r2_min;
	double threshold;	/* U, in the series' unit */
	double critical_s;	/* C */
	/* change points (paper: z > 3, Pmin = 6 h) */
	double cpd_z;
	double cpd_min_dist_s;
	/* Precog (paper: 65% training) */
	double train_fraction;
	/* seep's detector */
	double seep_min_window_s;/* shortest trend it reports (24 h: one daily cycle) */
	double seep_tooth_min_s;/* a sawtooth tooth lasts at least this (4 h) */
	double seep_tail_min_s;	/* the tail after a two-line split, at least (12 h) */
	double seep_part_min_s;	/* the head of a split, a level of a step, at least (6 h) */
	double seep_drop_frac;	/* a restart gives back >= this share of its tooth's rise */
	double seep_min_snr;	/* rise over the window >= this many residual sds */
	double seep_r2_min;	/* loose fit floor; persistence does the real work */
	double seep_tooth_r2;	/* a sawtooth tooth is a line with at least this R² */
	double seep_recent_frac;/* recent slope >= this share of the window's */
	double seep_step_ratio;	/* one level shift must fit worse than the line by this */
	double seep_new_high_sd;/* a window under seep_min_window_s (or under
				 * seep_new_high_window_s) ends this many residual
				 * sds above all before it */
	double seep_new_high_window_s;/* a window shorter than this (24 h: a daily
				 * cycle, whatever the span) must end at a new high:
				 * a cycle's rising half or a refill to a level the
				 * series had before is no leak */
	double seep_min_wander;	/* rise >= this many of the series' own variation at
				 * the window's scale (3; 0: not tested) */
	double seep_wander_lag;	/* that variation's lag, a share of the window (0.25) */
	double seep_recent_wander;/* still_growing: the recent part and the tail may fall
				 * short of their floor by this many of the series'
				 * own variation over their length (0: not at all) */
	double seep_restart_wander;/* a restart's drop is at least this many of the
				 * series' own variation over a tooth (0: no floor) */
	unsigned derive;	/* DETECT_DERIVE_* bits: derived from the series */
};

enum {
	DETECT_DERIVE_STEP = 1u << 0,
	DETECT_DERIVE_SMOOTH = 1u << 1,
	DETECT_DERIVE_MIN_TREND = 1u << 2,
	DETECT_DERIVE_CPD_DIST = 1u << 3,
	DETECT_DERIVE_SEEP_WINDOW = 1u << 4,
	DETECT_DERIVE_SEEP_PARTS = 1u << 5,	/* tooth, tail and part minimums */
	DETECT_DERIVE_MIN_WANDER = 1u << 6,
	DETECT_DERIVE_RECENT_WANDER = 1u << 7,
	DETECT_DERIVE_RESTART_WANDER = 1u << 8,
	DETECT_DERIVE_ALL = (1u << 9) - 1,
};

/* How the parameters were chosen: for each derived one, the rule and the
 * series' figures it used ("user" or "default" for the others). */
struct detect_params_why {
	double span_s, resolution_s;	/* of the raw series */
	char step[96], smooth[96], min_trend[96], cpd_dist[96], seep_window[96], seep_parts[96];
	double sub_daily;		/* s, the wander parameters' share (see above) */
	char min_wander[96], recent_wander[96], restart_wander[96];
};

/* Paper defaults; seep's detector's own defaults. */
void detect_params__init(struct detect_params *p);
/* The same, with every derivable parameter marked to be derived. */
void detect_params__init_derived(struct detect_params *p);

/* Derives, in P, the parameters whose bit is set from a series spanning
 * SPAN_S seconds at a median interval of RESOLUTION_S, and writes why into
 * WHY (may be NULL). Clears nothing: deriving twice gives the same. */
void detect_params__derive(struct detect_params *p, double span_s, double resolution_s,
			   struct detect_params_why *why);

/* SECONDS as a whole number of samples of STEP seconds (rounded to the
 * nearest; 0 when not positive). */
static inline size_t detect_params__samples(double seconds, double step)
{
	double n = seconds / step;

	return n <= 0 ? 0 : (size_t)llround(n);
}

#endif
