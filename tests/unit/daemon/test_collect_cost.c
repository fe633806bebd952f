/* Unit tests: a heap collection's cost model (daemon/collect_cost.h) on
 * fake counters: traps + BPF run time over the target's CPU, windows that
 * close only on enough target CPU, the strikes, and the ladder (raise the
 * sampling, then detach; traps alone over the budget detach at once). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "daemon/collect_cost.h"

#define MS (1000ULL * 1000)

static struct ccost_params P;
static struct ccost C;
static struct ccost_counters now;	/* the fake target's cumulative counters */

static void setup(void)
{
	ccost_params__defaults(&P, 0.05, 800);
	now = (struct ccost_counters){ .hits = 1000, .bpf_ns = 5000, .cpu_ns = 7 * MS };
	ccost__init(&C, &now);
}

/* One budget check after the target ran CPU ns, trapped HITS times and
 * spent BPF ns in the programs. */
static enum ccost_action check(uint64_t cpu, uint64_t hits, uint64_t bpf)
{
	now.cpu_ns += cpu;
	now.hits += hits;
	now.bpf_ns += bpf;
	return ccost__step(&P, &C, &now);
}

TestSuite(collect_cost, .init = setup);

Test(collect_cost, shares_are_traps_plus_bpf_over_the_target)
{
	/* 100 ms of target CPU, 5000 hits x 800 ns = 4 ms, 1 ms of BPF */
	cr_assert_eq(check(100 * MS, 5000, 1 * MS), CCOST_OK);
	cr_assert(C.measured);
	cr_expect_float_eq(C.traps_share, 0.04, 1e-9);
	cr_expect_float_eq(C.bpf_share, 0.01, 1e-9);
	cr_expect_float_eq(C.share, 0.05, 1e-9);
	cr_expect_eq(C.hits, 5000);
	cr_expect_eq(C.bpf_ns, 1 * MS);
	cr_expect_eq(C.cpu_ns, 100 * MS);
	cr_expect_eq(C.strikes, 0, "a share equal to the budget is within it");
}

Test(collect_cost, window_closes_only_on_enough_target_cpu)
{
	/* the first window: 2 ms of target CPU (first_cpu_ns), whatever the
	 * checks' spacing; 1 ms alone is no share */
	cr_assert_eq(check(1 * MS, 50, 0), CCOST_OK);
	cr_expect_not(C.measured, "the first window closed before first_cpu_ns");
	cr_assert_eq(check(1 * MS, 50, 0), CCOST_OK);
	cr_assert(C.measured, "the first window closes at first_cpu_ns");
	cr_expect_float_eq(C.traps_share, 100 * 800.0 / (2 * MS), 1e-9);
	/* the next ones need min_cpu_ns (20 ms): an idle target at 5 ms a
	 * check takes 4 checks (each alone would be 0.6, far over) */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(check(5 * MS, 1000, 1 * MS), CCOST_OK);
	cr_expect_float_eq(C.traps_share, 100 * 800.0 / (2 * MS), 1e-9, "the window stays open");
	cr_expect_eq(C.strikes, 0);
	cr_assert_eq(check(5 * MS, 1000, 1 * MS), CCOST_OK);
	cr_expect_eq(C.strikes, 1);
	cr_expect_eq(C.hits, 4100, "the open window's hits all count when it closes");
	cr_expect_float_eq(C.traps_share, 4000 * 800.0 / (20 * MS), 1e-9);
}

Test(collect_cost, bpf_over_raises_then_detaches)
{
	/* traps under the budget (1000 x 800 ns = 0.8 ms of 100), BPF 10 ms */
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_RAISE, "three strikes raise");
	cr_expect_eq(C.actions, 1);
	/* the caller reattaches: the new session's counters start from zero */
	now = (struct ccost_counters){ .cpu_ns = now.cpu_ns };
	ccost__rebase(&C, &now);
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 10 * MS), CCOST_DETACH, "over again after the raise");
	cr_expect_eq(C.actions, 2);
	cr_expect_eq(C.hits, 6000, "totals carry over the rebase");
	cr_expect_eq(C.bpf_ns, 60 * MS);
}

Test(collect_cost, traps_far_over_detach_at_the_first_window)
{
	/* 25000 x 800 ns = 20 ms of 100: 0.2 = 4x the budget */
	cr_expect_eq(check(100 * MS, 25000, 0), CCOST_DETACH_TRAPS);
	cr_expect_eq(C.actions, 1);
	cr_expect_float_eq(C.traps_share, 0.2, 1e-9);
	/* just under 4x: the strikes are counted */
	setup();
	cr_expect_eq(check(100 * MS, 24999, 0), CCOST_OK);
	cr_expect_eq(C.strikes, 1);
	/* BPF far over is not a reason to skip the strikes: sampling may help */
	setup();
	cr_expect_eq(check(100 * MS, 1000, 50 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 50 * MS), CCOST_OK);
	cr_expect_eq(check(100 * MS, 1000, 50 * MS), CCOST_RAISE);
	/* far_over 0: always the strikes */
	setup();
	P.far_over = 0;
	cr_expect_eq(check(100 * MS, 100000, 0), CCOST_OK);
	cr_expect_eq(check(100 * MS, 100000, 0), CCOST_OK);
	cr_expect_eq(check(100 * MS, 100000, 0), CCOST_DETACH_TRAPS);
}

Test(collect_cost, traps_alone_over_detach_without_raising)
{
	/* 10000 hits x 800 ns = 8 ms of 100: 0.08 > 0.05 with no BPF time */
	cr_expect_eq(check(100 * MS, 10000, 0), CCOST_OK);
	cr_expect_eq(check(100 * MS, 10000, 0), CCOST_OK);
	cr_expect_eq(check(100 * MS, 10000, 0), CCOST_DETACH_TRAPS);
	cr_expect_eq(C.raises, 0, "no raise: sampling does not change the traps");
	cr_expect_float_eq(C.traps_share, 0.08, 1e-9);
}

Test(collect_cost, a_window_within_the_budget_clears_the_strikes)
{
	for (int round = 0; round < 5; round++) {
		cr_assert_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
		cr_assert_eq(check(100 * MS, 1000, 10 * MS), CCOST_OK);
		cr_assert_eq(C.strikes, 2);
		cr_assert_eq(check(100 * MS, 1000, 1 * MS), CCOST_OK, "under: no action");
		cr_assert_eq(C.strikes, 0);
	}
	cr_expect_eq(C.actions, 0);
}

Test(collect_cost, counters_going_back_start_a_new_window)
{
	/* under first_cpu_ns: the window is open when the counters go back */
	cr_assert_eq(check(1 * MS, 1000, 1 * MS), CCOST_OK);
	now.hits = 10;	/* a new session, not rebased */
	now.bpf_ns = 0;
	cr_expect_eq(ccost__step(&P, &C, &now), CCOST_OK);
	cr_expect_not(C.measured);
	cr_expect_eq(C.base.hits, 10);
	cr_expect_eq(check(20 * MS, 1000, 0), CCOST_OK);
	cr_expect(C.measured);
	cr_expect_eq(C.hits, 1000, "the lost window is not counted twice");
}

Test(collect_cost, zero_trap_cost_sees_bpf_only)
{
	P.trap_ns = 0;
	for (int i = 0; i < 3; i++)
		check(100 * MS, 1000000, 1 * MS);
	cr_expect_float_eq(C.traps_share, 0, 1e-12);
	cr_expect_eq(C.actions, 0);
}

/* The budget's boundary, as a table: shares just under, at, and over. */
struct edge {
	double budget;
	uint64_t hits, bpf_ns;
	enum ccost_action third;
};

ParameterizedTestParameters(collect_cost, boundary)
{
	static struct edge e[] = {
		{ 0.05, 6250, 0, CCOST_OK },			/* traps 0.05: at the budget */
		{ 0.05, 6251, 0, CCOST_DETACH_TRAPS },		/* just over, traps alone */
		{ 0.05, 6250, 1, CCOST_RAISE },			/* traps at, + 1 ns of BPF */
		{ 0.05, 0, 5 * MS, CCOST_OK },			/* BPF at the budget */
		{ 1000, 10000000, 90 * MS, CCOST_OK },		/* collect.cpu's maximum */
		{ 0.0001, 1, 10 * 1000, CCOST_RAISE },		/* BPF over, traps 8e-6 */
	};
	return cr_make_param_array(struct edge, e, sizeof(e) / sizeof(e[0]));
}

ParameterizedTest(struct edge *e, collect_cost, boundary, .init = setup)
{
	P.budget = e->budget;
	cr_assert_eq(check(100 * MS, e->hits, e->bpf_ns), CCOST_OK);
	cr_assert_eq(check(100 * MS, e->hits, e->bpf_ns), CCOST_OK);
	cr_expect_eq(check(100 * MS, e->hits, e->bpf_ns), e->third, "share %g (traps %g)",
		     C.share, C.traps_share);
}

Test(collect_cost, action_names)
{
	cr_expect_str_eq(ccost__action_name(CCOST_OK), "ok");
	cr_expect_str_eq(ccost__action_name(CCOST_RAISE), "raise");
	cr_expect_str_eq(ccost__action_name(CCOST_DETACH), "detach");
	cr_expect_str_eq(ccost__action_name(CCOST_DETACH_TRAPS), "detach_traps");
	cr_expect_str_eq(ccost__action_name((enum ccost_action)9), "?");
}
