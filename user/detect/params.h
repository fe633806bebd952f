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
	double seep_drop_frac;	/* a restart gives back >= this share of its tooth's rise */
	double seep_min_rise;	/* minimum rise over the window, as a share of U */
	double seep_r2_min;	/* loose fit floor; persistence does the real work */
	double seep_restart_min;/* a restart frees at least this share of U */
	double seep_tooth_r2;	/* a sawtooth tooth is a line with at least this R² */
	double seep_recent_frac;/* recent slope >= this share of the window's */
	double seep_step_ratio;	/* one level shift must fit worse than the line by this */
};

/* Paper defaults; seep's detector's own defaults. */
void detect_params__init(struct detect_params *p);
/* The same, with every derivable parameter marked to be derived. */
void detect_params__init_derived(struct detect_params *p);

/* SECONDS as a whole number of samples of STEP seconds (rounded to the
 * nearest; 0 when not positive). */
static inline size_t detect_params__samples(double seconds, double step)
{
	double n = seconds / step;

	return n <= 0 ? 0 : (size_t)llround(n);
}

#endif
