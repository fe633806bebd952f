/* gate — the evidence gate of mitigation: is a leak verdict strong enough
 * to act on?
 *
 * A target passes only when every test holds, checked in this order (the
 * first that fails is the answer): the last verdict says leak; its pattern
 * is steady, stair or sawtooth (never spike, plateau or none: a spike comes
 * back down, a plateau or a bounded cache has stopped growing); at least
 * MIN_VERDICTS consecutive leak verdicts; the verdict's confidence (the
 * fit's r2, 0..1) at least CONFIDENCE; the projected time to the limit
 * under TIME_TO_LIMIT_S (a leak that never reaches it is not urgent).
 * Pure functions over plain data; no state.
 */
#ifndef SEEP_MITIGATE_GATE_H
#define SEEP_MITIGATE_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/detect.h"

struct gate_params {
	uint32_t min_verdicts;		/* consecutive leak verdicts */
	double confidence;		/* minimum r2 */
	double time_to_limit_s;		/* the limit must be nearer than this */
};

struct gate_evidence {
	bool leak;			/* the last verdict */
	enum detect_pattern pattern;
	double confidence;		/* r2 of the verdict's fit */
	double time_to_limit_s;		/* INFINITY when never */
	uint32_t verdicts;		/* consecutive leak verdicts, the last included */
};

enum gate_result { GATE_PASS, GATE_NOT_LEAKING, GATE_PATTERN, GATE_FEW_VERDICTS,
		   GATE_LOW_CONFIDENCE, GATE_FAR_FROM_LIMIT, GATE_NRESULTS };

/* Steady, stair and sawtooth: the patterns mitigation may act on. */
bool gate__pattern_ok(enum detect_pattern p);
enum gate_result gate__check(const struct gate_params *p, const struct gate_evidence *e);
/* "pass", "not_leaking", "pattern", "few_verdicts", "low_confidence", "far_from_limit" */
const char *gate__name(enum gate_result r);

#endif
