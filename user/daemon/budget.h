/* budget — the daemon's own-cost policy: back off when over the budget,
 * recover when the cost has stayed well under it for a while.
 *
 * A pure function over plain numbers, called once per interval with the
 * interval's measured shares of one core (the daemon's CPU, its BPF
 * programs' run time). CPU: STRIKES intervals running over cpu_budget
 * double the interval stretch (up to max_stretch). BPF: STRIKES intervals
 * over bpf_budget take tier 0 one step down a ladder, first lowering
 * sampling, then detaching, in this order:
 *   BUDGET_BPF_SAMPLED    the growth probes sample 8 times less often
 *   BUDGET_BPF_NO_GROWTH  the growth probes detached
 *   BUDGET_BPF_NO_RSS     rss_stat detached: memory from /proc
 *   BUDGET_BPF_NONE       sched_process_* detached: tier 0 from /proc alone
 * Steps the caller has nothing for (bpf_skip, e.g. no growth probes
 * loaded) are passed over. Recovery, with hysteresis so that it does not
 * flap: RECOVER intervals running under half the CPU budget halve the
 * stretch (the cost per sample is about constant, so half the interval
 * about doubles the share: still under the budget); should the cost go
 * over again within twice that many intervals of a shrink (it flapped),
 * the calm intervals needed double (up to 64 times). What is detached
 * cannot be measured, so a BPF step is undone (one step up the ladder)
 * after a hold-off of REATTACH_HOLD intervals at that step with the
 * remaining BPF share under half its budget for RECOVER intervals; a step
 * down that follows a step up (the load is still there) doubles the
 * hold-off (up to 64 times), so a load that keeps tier 0 over its budget
 * is retried ever less often.
 * budget__step() returns a mask of enum budget_action for the caller to
 * carry out and log (the new step is state.bpf_level, the old one
 * state.bpf_from); the state is the caller's (zero it, then
 * budget_state__init()).
 */
#ifndef SEEP_DAEMON_BUDGET_H
#define SEEP_DAEMON_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

enum budget_bpf_level {
	BUDGET_BPF_FULL,	/* every tier-0 program attached, sampling as configured */
	BUDGET_BPF_SAMPLED,
	BUDGET_BPF_NO_GROWTH,
	BUDGET_BPF_NO_RSS,
	BUDGET_BPF_NONE,
	BUDGET_BPF_NLEVELS
};

struct budget_params {
	double cpu_budget;	/* share of one core for the daemon */
	double bpf_budget;	/* share of one core for its BPF programs */
	int strikes;		/* intervals over a budget before backing off */
	int recover;		/* intervals well under it before a step back */
	int reattach_hold;	/* intervals at a BPF step before it is undone; 0: never */
	int max_stretch;	/* a power of two */
	unsigned bpf_skip;	/* 1 << level of the BPF steps not taken */
};

struct budget_state {
	int stretch;		/* interval multiplier, 1..max_stretch */
	int cpu_strikes, bpf_strikes;
	int cpu_calm;		/* consecutive intervals under half the CPU budget */
	int need;		/* calm intervals a shrink needs now (recover, doubled per flap) */
	int since_shrink;	/* intervals since the last shrink, -1: none pending */
	int bpf_level;		/* enum budget_bpf_level */
	int bpf_from;		/* the level before the last BPF action */
	int at_level;		/* intervals at bpf_level */
	int bpf_calm;		/* consecutive intervals there under half the BPF budget */
	int hold;		/* the current hold-off before a step up */
	bool climbed;		/* the last BPF action was a step up */
	uint32_t downs, ups, stretches, shrinks;
};

enum budget_action {
	BUDGET_STRETCH = 1 << 0,	/* the stretch doubled */
	BUDGET_SHRINK = 1 << 1,		/* the stretch halved */
	BUDGET_BPF_DOWN = 1 << 2,	/* one BPF step down: carry out bpf_level */
	BUDGET_BPF_UP = 1 << 3,		/* one BPF step up: undo bpf_from */
};

void budget_params__defaults(struct budget_params *p, double cpu_budget, double bpf_budget);
void budget_state__init(struct budget_state *s, const struct budget_params *p);
/* One interval: CPU_SHARE and BPF_SHARE measured over it. Returns the
 * actions (a mask). */
unsigned budget__step(const struct budget_params *p, struct budget_state *s, double cpu_share,
		      double bpf_share);
/* 0: none; 1: interval stretched; 2: a BPF step taken. */
int budget__level(const struct budget_state *s);
/* The step's name ("full", "sampled", "no_growth", "no_rss", "none"). */
const char *budget__bpf_level_name(int level);
/* The caller could not undo bpf_from: back down to it, counted as a new
 * step down (the hold-off doubles). */
void budget__up_failed(const struct budget_params *p, struct budget_state *s);

#endif
