#include "timescale.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>
#include <criterion/options.h>
#include <math.h>
#include <stdlib.h>

double time_scale(void)
{
	static double scale;
	const char *s;
	char *end;
	double v;

	if (scale)
		return scale;
	scale = 1;
	s = getenv("SEEP_TEST_TIME_SCALE");
	if (s && *s) {
		v = strtod(s, &end);
		if (!*end && isfinite(v) && v >= 1 && v <= 1000)
			scale = v;
	}
	return scale;
}

double scaled_s(double s)
{
	return s * time_scale();
}

unsigned scaled_ms(unsigned ms)
{
	return (unsigned)((double)ms * time_scale());
}

unsigned scaled_us(unsigned us)
{
	double v = (double)us * time_scale();

	return v < 4294967295.0 ? (unsigned)v : 4294967295u;
}

int scaled_tries(int n)
{
	return (int)((double)n * time_scale());
}

/* Before the first test, in the runner: every timeout times the scale. A
 * test without a timeout of its own takes its suite's (Criterion's rule),
 * so both are scaled; 0 (none) stays 0. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	double k = time_scale();

	if (k == 1)
		return;
	criterion_options.timeout *= k;
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data)
			s->suite.data->timeout *= k;
		FOREACH_SET(struct criterion_test *t, s->tests) {
			if (t->data)
				t->data->timeout *= k;
		}
	}
}
