/* Unit tests: the evidence gate (mitigate/gate.h), as a table: each case
 * changes one thing from evidence that passes, and the first failing test
 * is the answer; only steady, stair and sawtooth ever pass. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

#include "mitigate/gate.h"

static const struct gate_params P = { .min_verdicts = 3, .confidence = 0.8,
				      .time_to_limit_s = 86400 };

struct gcase {
	bool leak;
	enum detect_pattern pattern;
	double confidence, ttl;
	uint32_t verdicts;
	enum gate_result want;
};

ParameterizedTestParameters(gate, table)
{
	static struct gcase cases[] = {
		{ true, PATTERN_STEADY, 0.95, 3600, 3, GATE_PASS },
		{ true, PATTERN_STAIR, 0.95, 3600, 3, GATE_PASS },
		{ true, PATTERN_SAWTOOTH, 0.8, 3600, 5, GATE_PASS },
		{ false, PATTERN_STEADY, 0.95, 3600, 3, GATE_NOT_LEAKING },
		{ true, PATTERN_SPIKE, 0.99, 10, 100, GATE_PATTERN },
		{ true, PATTERN_PLATEAU, 0.99, 10, 100, GATE_PATTERN },
		{ true, PATTERN_NONE, 0.99, 10, 100, GATE_PATTERN },
		{ true, PATTERN_STEADY, 0.95, 3600, 2, GATE_FEW_VERDICTS },
		{ true, PATTERN_STEADY, 0.79, 3600, 3, GATE_LOW_CONFIDENCE },
		{ true, PATTERN_STEADY, NAN, 3600, 3, GATE_LOW_CONFIDENCE },
		{ true, PATTERN_STEADY, 0.95, 86400, 3, GATE_FAR_FROM_LIMIT },
		{ true, PATTERN_STEADY, 0.95, INFINITY, 3, GATE_FAR_FROM_LIMIT },
		{ true, PATTERN_STEADY, 0.95, NAN, 3, GATE_FAR_FROM_LIMIT },
		/* order: the pattern is judged before the count */
		{ true, PATTERN_SPIKE, 0.1, INFINITY, 0, GATE_PATTERN },
	};

	return cr_make_param_array(struct gcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct gcase *c, gate, table)
{
	struct gate_evidence e = { .leak = c->leak, .pattern = c->pattern,
				   .confidence = c->confidence, .time_to_limit_s = c->ttl,
				   .verdicts = c->verdicts };
	enum gate_result r = gate__check(&P, &e);

	cr_expect_eq(r, c->want, "%s %s: got %s, want %s", c->leak ? "leak" : "no leak",
		     detect__pattern_name(c->pattern), gate__name(r), gate__name(c->want));
}

Test(gate, only_growth_patterns_pass)
{
	for (int p = 0; p < PATTERN_NPATTERNS; p++)
		cr_expect_eq(gate__pattern_ok(p), p == PATTERN_STEADY || p == PATTERN_STAIR ||
					      p == PATTERN_SAWTOOTH, "%s", detect__pattern_name(p));
	cr_expect_str_eq(gate__name(GATE_FAR_FROM_LIMIT), "far_from_limit");
}
