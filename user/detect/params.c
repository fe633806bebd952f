/* params — the detectors' defaults and their derivation; see params.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "detect/params.h"

#define HOUR 3600.0

void detect_params__init(struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->step_s = 300;
	p->smooth_s = 3600;
	p->min_trend_s = 6 * HOUR;
	p->max_window_s = 7 * 86400;
	p->r2_min = 0.8;
	p->threshold = 100;
	p->critical_s = 7 * 86400;
	p->cpd_z = 3;
	p->cpd_min_dist_s = 6 * HOUR;
	p->train_fraction = 0.65;
	p->seep_min_window_s = 24 * HOUR;
	p->seep_tooth_min_s = 4 * HOUR;
	p->seep_tail_min_s = 12 * HOUR;
	p->seep_part_min_s = 6 * HOUR;
	p->seep_drop_frac = 0.5;
	p->seep_min_snr = 4;
	p->seep_r2_min = 0.5;
	p->seep_recent_frac = 0.6;
	p->seep_tooth_r2 = 0.8;
	p->seep_step_ratio = 1.0;
	p->seep_new_high_sd = 2;
	p->seep_new_high_window_s = 24 * HOUR;
	p->seep_min_wander = 3;
	p->seep_wander_lag = 0.25;
	p->seep_recent_wander = 0;
	p->seep_restart_wander = 0;
}

void detect_params__init_derived(struct detect_params *p)
{
	detect_params__init(p);
	p->derive = DETECT_DERIVE_ALL;
}

/* "given" for a parameter the caller set. */
static void _why(char *buf, size_t len, unsigned derive, unsigned bit, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void _why(char *buf, size_t len, unsigned derive, unsigned bit, const char *fmt, ...)
{
	va_list ap;

	if (!(derive & bit)) {
		snprintf(buf, len, "given");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void detect_params__derive(struct detect_params *p, double span_s, double resolution_s,
			   struct detect_params_why *why)
{
	struct detect_params_why scratch;
	unsigned d = p->derive;
	double span = span_s > 0 ? span_s : 0, res = resolution_s > 0 ? resolution_s : 300;
	double sub;

	if (!why)
		why = &scratch;
	why->span_s = span;
	why->resolution_s = res;
	if (d & DETECT_DERIVE_STEP)
		p->step_s = fmin(300, fmax(res, span / 576));
	_why(why->step, sizeof(why->step), d, DETECT_DERIVE_STEP,
	     "min(5m, max(resolution %.3gs, span/576 = %.3gs))", res, span / 576);
	if (d & DETECT_DERIVE_SMOOTH)
		p->smooth_s = 12 * p->step_s;
	_why(why->smooth, sizeof(why->smooth), d, DETECT_DERIVE_SMOOTH, "12 steps");
	if (d & DETECT_DERIVE_MIN_TREND)
		p->min_trend_s = fmin(6 * HOUR, span / 12);
	_why(why->min_trend, sizeof(why->min_trend), d, DETECT_DERIVE_MIN_TREND,
	     "min(6h, span/12)");
	if (d & DETECT_DERIVE_CPD_DIST)
		p->cpd_min_dist_s = fmin(6 * HOUR, span / 12);
	_why(why->cpd_dist, sizeof(why->cpd_dist), d, DETECT_DERIVE_CPD_DIST,
	     "min(6h, span/12)");
	if (d & DETECT_DERIVE_SEEP_WINDOW)
		p->seep_min_window_s = fmin(24 * HOUR, span / 3);
	_why(why->seep_window, sizeof(why->seep_window), d, DETECT_DERIVE_SEEP_WINDOW,
	     "min(24h: one daily cycle, span/3)");
	if (d & DETECT_DERIVE_SEEP_PARTS) {
		p->seep_tooth_min_s = p->seep_min_window_s / 6;
		p->seep_tail_min_s = p->seep_min_window_s / 2;
		p->seep_part_min_s = p->seep_min_window_s / 4;
	}
	_why(why->seep_parts, sizeof(why->seep_parts), d, DETECT_DERIVE_SEEP_PARTS,
	     "tooth, tail, part = seep window / 6, / 2, / 4");
	/* the share of a daily cycle the seep window falls short of: a series
	 * of hours wanders at its leak's own time scale, with no cycle to
	 * average the wander out, and its tests allow for it */
	sub = 1 - fmin(1, fmax(0, p->seep_min_window_s) / (24 * HOUR));
	why->sub_daily = sub;
	if (d & DETECT_DERIVE_MIN_WANDER)
		p->seep_min_wander = 3 + sub;
	_why(why->min_wander, sizeof(why->min_wander), d, DETECT_DERIVE_MIN_WANDER,
	     "3 + s, s = 1 - seep window/24h = %.3g", sub);
	if (d & DETECT_DERIVE_RECENT_WANDER)
		p->seep_recent_wander = sub;
	_why(why->recent_wander, sizeof(why->recent_wander), d, DETECT_DERIVE_RECENT_WANDER,
	     "s");
	if (d & DETECT_DERIVE_RESTART_WANDER)
		p->seep_restart_wander = 2 * sub;
	_why(why->restart_wander, sizeof(why->restart_wander), d, DETECT_DERIVE_RESTART_WANDER,
	     "2 s");
}
