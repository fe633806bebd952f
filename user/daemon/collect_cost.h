/* collect_cost — what one heap collection costs the process it traces, and
 * the CPU budget's ladder over that cost.
 *
 * A pure module over plain counters (no clock, no /proc, no libbpf): the
 * caller samples three cumulative counters every collect.budget_check and
 * hands them to ccost__step(), which returns what to do.
 *   hits    probe hits: the heap programs' run count (BPF_STATS_RUN_TIME),
 *           one per uprobe or uretprobe the target trapped into
 *   bpf_ns  the programs' run time (same statistics)
 *   cpu_ns  the target's own CPU time (sys/proc.h proc__cpu_ns), which
 *           includes the traps: the kernel takes them on its behalf
 * The cost of a window is hits x trap_ns (the trap itself: breakpoint,
 * exception entry, uprobe lookup, return trampoline; a per-hit cost that
 * the BPF statistics do not see, calibrated on the host by
 * tracer/trapcost.h or set by hand with collect.trap_ns) plus bpf_ns; its
 * share is that over the target's CPU in the window. A window closes once
 * the target has used min_cpu_ns of CPU in it (a share of an idle
 * process's few microseconds means nothing); the next one starts there.
 * The first window closes sooner, at first_cpu_ns: a target whose traps
 * alone are far over the budget pays for every millisecond the first
 * decision waits (the caller checks more often until then).
 * The ladder, after STRIKES closed windows in a row over the budget:
 *   traps alone over it  CCOST_DETACH_TRAPS: raising the sampling interval
 *                        does not change how many calls trap, only what
 *                        the programs do, so the probes go at once
 *   first time           CCOST_RAISE: the caller reattaches with a sampling
 *                        interval RAISE times longer and calls ccost__rebase
 *   after max_raises     CCOST_DETACH
 * A window whose traps alone are FAR_OVER times the budget or more
 * detaches at once, without waiting for the strikes: the trap count is
 * the target's own call rate, the traced minutes cost it that much more
 * while the strikes are counted (a redis under load: 6x the budget).
 * A window at or under the budget clears the strikes. Shares and totals
 * (accumulated over sessions, for the exporters) are in struct ccost. The
 * state is the caller's: ccost__init() it with the first counters.
 */
#ifndef SEEP_DAEMON_COLLECT_COST_H
#define SEEP_DAEMON_COLLECT_COST_H

#include <stdbool.h>
#include <stdint.h>

struct ccost_counters {
	uint64_t hits;		/* probe hits (program runs) */
	uint64_t bpf_ns;	/* programs' run time */
	uint64_t cpu_ns;	/* the target's CPU time */
};

struct ccost_params {
	double budget;		/* cost over the target's CPU (collect.cpu) */
	double trap_ns;		/* one hit's trap, ns */
	int strikes;		/* windows in a row over the budget before an action */
	int max_raises;		/* CCOST_RAISE actions before CCOST_DETACH */
	double far_over;	/* traps share over budget x this: detach at the first window */
	uint64_t min_cpu_ns;	/* target CPU that closes a window */
	uint64_t first_cpu_ns;	/* ... the first window (the traps are known soonest) */
};

enum ccost_action { CCOST_OK, CCOST_RAISE, CCOST_DETACH, CCOST_DETACH_TRAPS };

struct ccost {
	struct ccost_counters base;	/* the open window's start */
	int strikes, raises;
	bool measured;		/* a window closed: the shares below mean something */
	double traps_share, bpf_share, share;	/* of the last closed window */
	uint64_t hits, bpf_ns;	/* totals over the collection (every session) */
	uint64_t cpu_ns;	/* the target's CPU over the collection */
	uint32_t actions;	/* RAISE and DETACH* returned */
};

#define CCOST_RAISE_FACTOR 8	/* the sampling interval's raise */

void ccost_params__defaults(struct ccost_params *p, double budget, double trap_ns);
void ccost__init(struct ccost *c, const struct ccost_counters *now);
/* A new session (counters from zero, NOW its first sample) after a raise:
 * a new window starts there; totals and strikes carry on (strikes zeroed). */
void ccost__rebase(struct ccost *c, const struct ccost_counters *now);
/* One check with the counters NOW; counters that went back (a session
 * the caller replaced without a rebase) start a new window. */
enum ccost_action ccost__step(const struct ccost_params *p, struct ccost *c,
			      const struct ccost_counters *now);
/* "ok", "raise", "detach", "detach_traps". */
const char *ccost__action_name(enum ccost_action a);

#endif
