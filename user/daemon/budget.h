/* budget — the daemon's own-cost policy: back off when over the budget,
 * recover when the cost has stayed well under it for a while.
 *
 * A pure function over plain numbers, called once per interval with the
 * interval's measured shares of one core (the daemon's CPU, its BPF
 * programs' run time). Back-off: STRIKES intervals running over
 * cpu_budget double the interval stretch (up to max_stretch); STRIKES
 * over bpf_budget while rss_stat is attached detach it. Recovery, with
 * hysteresis so that it does not flap: RECOVER intervals running under
 * half the CPU budget halve the stretch (the cost per sample is about
 * constant, so half the interval about doubles the share: still under
 * the budget); should the cost go over again within twice that many
 * intervals of a shrink (it flapped), the calm intervals needed double (up
 * to 64 times). With rss_stat detached, its cost cannot be measured, so
 * re-attaching is tried after a hold-off of REATTACH_HOLD intervals with
 * the remaining BPF share under half its budget; each new detach doubles
 * the hold-off (up to 64 times), so a load that keeps rss_stat over its
 * budget is retried ever less often.
 * budget__step() returns a mask of enum budget_action for the caller to
 * carry out and log; the state is the caller's (zero it, then
 * budget_state__init()).
 */
#ifndef SEEP_DAEMON_BUDGET_H
#define SEEP_DAEMON_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

struct budget_params {
	double cpu_budget;	/* share of one core for the daemon */
	double bpf_budget;	/* share of one core for its BPF programs */
	int strikes;		/* intervals over a budget before backing off */
	int recover;		/* intervals well under it before the stretch shrinks */
	int reattach_hold;	/* intervals detached before rss_stat is retried */
	int max_stretch;	/* a power of two */
};

struct budget_state {
	int stretch;		/* interval multiplier, 1..max_stretch */
	int cpu_strikes, bpf_strikes;
	int cpu_calm;		/* consecutive intervals under half the CPU budget */
	int need;		/* calm intervals a shrink needs now (recover, doubled per flap) */
	int since_shrink;	/* intervals since the last shrink, -1: none pending */
	int detached_for;	/* intervals since rss_stat was detached */
	int bpf_calm;		/* consecutive detached intervals under half the BPF budget */
	int hold;		/* the current hold-off before a re-attach */
	bool rss_off;		/* rss_stat detached by the policy */
	uint32_t detaches, reattaches, stretches, shrinks;
};

enum budget_action {
	BUDGET_STRETCH = 1 << 0,	/* the stretch doubled */
	BUDGET_SHRINK = 1 << 1,		/* the stretch halved */
	BUDGET_DETACH = 1 << 2,		/* detach rss_stat */
	BUDGET_REATTACH = 1 << 3,	/* attach rss_stat again */
};

void budget_params__defaults(struct budget_params *p, double cpu_budget, double bpf_budget);
void budget_state__init(struct budget_state *s, const struct budget_params *p);
/* One interval: CPU_SHARE and BPF_SHARE measured over it, RSS_ATTACHED
 * whether rss_stat is attached now. Returns the actions (a mask). */
unsigned budget__step(const struct budget_params *p, struct budget_state *s, double cpu_share,
		      double bpf_share, bool rss_attached);
/* 0: none; 1: interval stretched; 2: rss_stat detached. */
int budget__level(const struct budget_state *s);
/* The caller could not re-attach: the policy counts it as a new detach. */
void budget__reattach_failed(const struct budget_params *p, struct budget_state *s);

#endif
