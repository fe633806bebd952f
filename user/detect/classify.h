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

/* The growth pattern of v[from, to) (from < to); *RESTARTS (may be NULL)
 * gets the restarts of a sawtooth, 0 otherwise. */
enum detect_pattern classify__window(const double *v, size_t from, size_t to, size_t *restarts);

#endif
