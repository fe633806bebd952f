/* params — the detectors' defaults; see params.h. */
#include <string.h>

#include "detect/params.h"

void detect_params__init(struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->step_s = 300;
	p->smooth_s = 3600;
	p->min_trend_s = 6 * 3600;
	p->max_window_s = 7 * 86400;
	p->r2_min = 0.8;
	p->threshold = 100;
	p->critical_s = 7 * 86400;
	p->cpd_z = 3;
	p->cpd_min_dist_s = 6 * 3600;
	p->train_fraction = 0.65;
	p->seep_min_window_s = 24 * 3600;
	p->seep_drop_frac = 0.5;
	p->seep_min_rise = 0.05;
	p->seep_r2_min = 0.5;
	p->seep_recent_frac = 0.6;
	p->seep_tooth_r2 = 0.6;
	p->seep_step_ratio = 1.0;
	p->seep_restart_min = 0.1;
}

void detect_params__init_derived(struct detect_params *p)
{
	detect_params__init(p);
}
