/* collect_cost — a collection's cost to its target and the budget's
 * ladder; see collect_cost.h. */
#include "daemon/collect_cost.h"

#include <string.h>

static const char *const action_names[] = { "ok", "raise", "detach", "detach_traps" };

void ccost_params__defaults(struct ccost_params *p, double budget, double trap_ns)
{
	*p = (struct ccost_params){ .budget = budget, .trap_ns = trap_ns, .strikes = 3,
				    .max_raises = 1, .far_over = 4, .min_cpu_ns = 20 * 1000 * 1000,
				    .first_cpu_ns = 2 * 1000 * 1000 };
}

void ccost__init(struct ccost *c, const struct ccost_counters *now)
{
	memset(c, 0, sizeof(*c));
	c->base = *now;
}

void ccost__rebase(struct ccost *c, const struct ccost_counters *now)
{
	c->base = *now;
	c->strikes = 0;
}

const char *ccost__action_name(enum ccost_action a)
{
	return a >= CCOST_OK && a <= CCOST_DETACH_TRAPS ? action_names[a] : "?";
}

enum ccost_action ccost__step(const struct ccost_params *p, struct ccost *c,
			      const struct ccost_counters *now)
{
	const struct ccost_counters *b = &c->base;
	uint64_t hits, bpf, cpu;
	bool traps_over;

	if (now->hits < b->hits || now->bpf_ns < b->bpf_ns || now->cpu_ns < b->cpu_ns) {
		c->base = *now;
		return CCOST_OK;
	}
	cpu = now->cpu_ns - b->cpu_ns;
	if (cpu < (c->measured ? p->min_cpu_ns : p->first_cpu_ns))
		return CCOST_OK;	/* the window stays open */
	hits = now->hits - b->hits;
	bpf = now->bpf_ns - b->bpf_ns;
	c->hits += hits;
	c->bpf_ns += bpf;
	c->cpu_ns += cpu;
	c->base = *now;
	c->traps_share = (double)hits * p->trap_ns / (double)cpu;
	c->bpf_share = (double)bpf / (double)cpu;
	c->share = c->traps_share + c->bpf_share;
	c->measured = true;
	if (c->share <= p->budget) {
		c->strikes = 0;
		return CCOST_OK;
	}
	traps_over = c->traps_share > p->budget;
	if (++c->strikes < p->strikes &&
	    !(p->far_over > 0 && c->traps_share >= p->far_over * p->budget))
		return CCOST_OK;
	c->strikes = 0;
	c->actions++;
	if (traps_over)
		return CCOST_DETACH_TRAPS;
	if (c->raises < p->max_raises) {
		c->raises++;
		return CCOST_RAISE;
	}
	return CCOST_DETACH;
}
