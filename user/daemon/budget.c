/* budget — back-off and recovery of the daemon's own cost; see budget.h. */
#include "daemon/budget.h"

#include <string.h>

#define HOLD_GROWTH_MAX 64

void budget_params__defaults(struct budget_params *p, double cpu_budget, double bpf_budget)
{
	*p = (struct budget_params){ .cpu_budget = cpu_budget, .bpf_budget = bpf_budget,
				     .strikes = 3, .recover = 10, .reattach_hold = 30,
				     .max_stretch = 8 };
}

void budget_state__init(struct budget_state *s, const struct budget_params *p)
{
	memset(s, 0, sizeof(*s));
	s->stretch = 1;
	s->hold = p->reattach_hold;
	s->need = p->recover;
	s->since_shrink = -1;
}

static void _detached(const struct budget_params *p, struct budget_state *s)
{
	/* a second detach (after a re-attach) doubles the hold-off */
	if (s->detaches++ && s->hold < p->reattach_hold * HOLD_GROWTH_MAX)
		s->hold *= 2;
	s->rss_off = true;
	s->detached_for = 0;
	s->bpf_calm = 0;
	s->bpf_strikes = 0;
}

unsigned budget__step(const struct budget_params *p, struct budget_state *s, double cpu_share,
		      double bpf_share, bool rss_attached)
{
	unsigned act = 0;

	/* CPU: stretch the interval, or shrink it back */
	if (s->since_shrink >= 0)
		s->since_shrink++;
	if (cpu_share > p->cpu_budget) {
		s->cpu_calm = 0;
		if (++s->cpu_strikes >= p->strikes && s->stretch < p->max_stretch) {
			/* over again soon after a shrink: it flapped, wait longer next time */
			if (s->since_shrink >= 0 && s->since_shrink <= 2 * s->need &&
			    s->need < p->recover * HOLD_GROWTH_MAX)
				s->need *= 2;
			s->since_shrink = -1;
			s->stretch *= 2;
			s->cpu_strikes = 0;
			s->stretches++;
			act |= BUDGET_STRETCH;
		}
	} else {
		s->cpu_strikes = 0;
		if (cpu_share < p->cpu_budget / 2 && s->stretch > 1) {
			if (++s->cpu_calm >= s->need) {
				s->stretch /= 2;
				s->cpu_calm = 0;
				s->shrinks++;
				s->since_shrink = 0;
				act |= BUDGET_SHRINK;
			}
		} else {
			s->cpu_calm = 0;
		}
	}
	/* BPF: detach rss_stat, or try it again */
	if (rss_attached) {
		if (bpf_share > p->bpf_budget) {
			if (++s->bpf_strikes >= p->strikes) {
				_detached(p, s);
				act |= BUDGET_DETACH;
			}
		} else {
			s->bpf_strikes = 0;
		}
	} else if (s->rss_off) {
		s->detached_for++;
		s->bpf_calm = bpf_share < p->bpf_budget / 2 ? s->bpf_calm + 1 : 0;
		if (p->reattach_hold > 0 && s->detached_for >= s->hold &&
		    s->bpf_calm >= p->recover) {
			s->rss_off = false;
			s->reattaches++;
			act |= BUDGET_REATTACH;
		}
	}
	return act;
}

void budget__reattach_failed(const struct budget_params *p, struct budget_state *s)
{
	s->reattaches--;
	_detached(p, s);
}

int budget__level(const struct budget_state *s)
{
	return s->rss_off ? 2 : s->stretch > 1 ? 1 : 0;
}
