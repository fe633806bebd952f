/* gate — the evidence gate; see gate.h. */
#include "mitigate/gate.h"

#include <math.h>

static const char *const names[GATE_NRESULTS] = {
	[GATE_PASS] = "pass", [GATE_NOT_LEAKING] = "not_leaking", [GATE_PATTERN] = "pattern",
	[GATE_FEW_VERDICTS] = "few_verdicts", [GATE_LOW_CONFIDENCE] = "low_confidence",
	[GATE_FAR_FROM_LIMIT] = "far_from_limit",
};

bool gate__pattern_ok(enum detect_pattern p)
{
	return p == PATTERN_STEADY || p == PATTERN_STAIR || p == PATTERN_SAWTOOTH;
}

enum gate_result gate__check(const struct gate_params *p, const struct gate_evidence *e)
{
	if (!e->leak)
		return GATE_NOT_LEAKING;
	if (!gate__pattern_ok(e->pattern))
		return GATE_PATTERN;
	if (e->verdicts < p->min_verdicts)
		return GATE_FEW_VERDICTS;
	if (!(e->confidence >= p->confidence))
		return GATE_LOW_CONFIDENCE;
	if (!(e->time_to_limit_s < p->time_to_limit_s) || isnan(e->time_to_limit_s))
		return GATE_FAR_FROM_LIMIT;
	return GATE_PASS;
}

const char *gate__name(enum gate_result r)
{
	return r < GATE_NRESULTS ? names[r] : "unknown";
}
