/* budget — back-off and recovery of the daemon's own cost; see budget.h. */
#include "daemon/budget.h"

#include <string.h>

#define HOLD_GROWTH_MAX 64

static const char *const level_names[BUDGET_BPF_NLEVELS] = {
	"full", "sampled", "no_growth", "no_rss", "none",
};

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

const char *budget__bpf_level_name(int level)
{
	return level >= 0 && level < BUDGET_BPF_NLEVELS ? level_names[level] : "?";
}

/* The next step down from LEVEL that is taken, or LEVEL at the bottom. */
static int _below(const struct budget_params *p, int level)
{
	for (int l = level + 1; l < BUDGET_BPF_NLEVELS; l++)
		if (!(p->bpf_skip & (1u << l)))
			return l;
	return level;
}

static int _above(const struct budget_params *p, int level)
{
	for (int l = level - 1; l > 0; l--)
		if (!(p->bpf_skip & (1u << l)))
			return l;
	return BUDGET_BPF_FULL;
}

static void _went_down(const struct budget_params *p, struct budget_state *s)
{
	/* down again after a step up: the load is still there, wait longer */
	if (s->climbed && s->hold < p->reattach_hold * HOLD_GROWTH_MAX)
		s->hold *= 2;
	s->climbed = false;
	s->downs++;
	s->at_level = 0;
	s->bpf_calm = 0;
	s->bpf_strikes = 0;
}

unsigned budget__step(const struct budget_params *p, struct budget_state *s, double cpu_share,
		      double bpf_share)
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
	/* BPF: one step down the ladder, or one back up */
	if (bpf_share > p->bpf_budget) {
		s->bpf_calm = 0;
		s->at_level++;
		if (++s->bpf_strikes >= p->strikes && _below(p, s->bpf_level) != s->bpf_level) {
			s->bpf_from = s->bpf_level;
			s->bpf_level = _below(p, s->bpf_level);
			_went_down(p, s);
			act |= BUDGET_BPF_DOWN;
		}
	} else {
		s->bpf_strikes = 0;
		if (s->bpf_level > BUDGET_BPF_FULL) {
			s->at_level++;
			s->bpf_calm = bpf_share < p->bpf_budget / 2 ? s->bpf_calm + 1 : 0;
			if (p->reattach_hold > 0 && s->at_level >= s->hold &&
			    s->bpf_calm >= p->recover) {
				s->bpf_from = s->bpf_level;
				s->bpf_level = _above(p, s->bpf_level);
				s->climbed = true;
				s->ups++;
				s->at_level = 0;
				s->bpf_calm = 0;
				act |= BUDGET_BPF_UP;
			}
		}
	}
	return act;
}

void budget__up_failed(const struct budget_params *p, struct budget_state *s)
{
	s->ups--;
	s->bpf_level = s->bpf_from;
	s->climbed = true;	/* as if it had come back at once: the hold-off doubles */
	_went_down(p, s);
}

int budget__level(const struct budget_state *s)
{
	return s->bpf_level > BUDGET_BPF_FULL ? 2 : s->stretch > 1 ? 1 : 0;
}
