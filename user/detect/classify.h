/* classify — the growth pattern of a window of a memory series.
 *
 * Every verdict of the detectors carries one of six classes, each judged on
 * its own definition (see classify.c for the rules and their thresholds):
 * steady (sustained growth), spike (one short excursion that comes back),
 * stair (level shifts well above the noise separated by flat runs),
 * sawtooth (growth interrupted by restarts), plateau (growth that levelled
 * off) and none (no significant change).
 *
 * Pure computation over plain arrays; no allocation survives a call.
 */
#ifndef SEEP_CLASSIFY_H
#define SEEP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

enum detect_pattern {
	PATTERN_STEADY,		/* continuous growth */
	PATTERN_SPIKE,		/* one short excursion that comes back */
	PATTERN_STAIR,		/* growth concentrated in a few jumps */
	PATTERN_SAWTOOTH,	/* growth interrupted by restarts */
	PATTERN_PLATEAU,	/* growth that levelled off: a step or a saturating rise */
	PATTERN_NONE,		/* no growth above the noise */
	PATTERN_NPATTERNS
};

/* Which rule decided (classify__rule_text: one line for --explain). */
enum classify_rule {
	CLASSIFY_SHORT,			/* under 4 samples, or no range at all */
	CLASSIFY_RESTARTS,		/* sawtooth */
	CLASSIFY_EXCURSION,		/* spike, on the window as given */
	CLASSIFY_FINE_EXCURSION,	/* spike, at full resolution */
	CLASSIFY_WITHIN_NOISE,		/* none: the range is within the noise */
	CLASSIFY_SHIFTS,		/* stair */
	CLASSIFY_LEVELLED,		/* plateau */
	CLASSIFY_FALLING,		/* none: no growth */
	CLASSIFY_TREND,			/* steady */
	CLASSIFY_UNEXPLAINED,		/* none: neither shape explains the series */
	CLASSIFY_NRULES
};

/* What a class was chosen on (the series' unit unless said otherwise). */
struct classify_why {
	enum classify_rule rule;
	double noise;		/* robust per-sample noise of the window */
	double range;		/* max - min */
	double rise;		/* mean of the last tenth - mean of the first */
	size_t drops;		/* restarts (sawtooth) */
	size_t shifts_up, shifts_down;	/* sharp level shifts of 4 noise sds or more */
	double shifted_up;	/* what the sharp up-shifts rise together */
	double gradual;		/* what the other changes between runs move */
	double inside_rise;	/* what the runs rise inside themselves (lines) */
	double line_fit;	/* share of the variance a line explains */
	double shift_fit;	/* share the flat runs between level shifts explain */
	double tail_rise;	/* what the line over the last third rises */
	double spike;		/* the largest excursion over its base, in noise sds */
};

/* The growth pattern of v[from, to) (from < to). *RESTARTS (may be NULL)
 * gets the restarts of a sawtooth, 0 otherwise; WHY (may be NULL) what
 * decided. */
enum detect_pattern classify__window(const double *v, size_t from, size_t to,
				     size_t *restarts, struct classify_why *why);

const char *classify__rule_text(enum classify_rule r);

/* The fine pass for a spike: true when F[from, to), the series before
 * smoothing, holds one short excursion judged at its own scale (the rule
 * in classify.c). WHY->spike (WHY may be NULL) gets its height in noise
 * sds. */
bool classify__spike(const double *f, size_t from, size_t to, struct classify_why *why);

#endif
