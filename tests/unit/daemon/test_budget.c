/* Unit tests: the daemon's own-cost policy (daemon/budget.h) as a pure
 * function: back-off after the strikes, recovery with hysteresis, the
 * re-attach hold-off and its doubling, no flapping. */
#include <criterion/criterion.h>

#include "daemon/budget.h"

static struct budget_params P;
static struct budget_state S;

static void setup(void)
{
	budget_params__defaults(&P, 0.01, 0.01);
	budget_state__init(&S, &P);
}

/* N intervals at CPU and BPF shares; the OR of the actions. */
static unsigned run(int n, double cpu, double bpf, bool *attached)
{
	unsigned all = 0;

	for (int i = 0; i < n; i++) {
		unsigned a = budget__step(&P, &S, cpu, bpf, *attached);

		if (a & BUDGET_DETACH)
			*attached = false;
		if (a & BUDGET_REATTACH)
			*attached = true;
		all |= a;
	}
	return all;
}

TestSuite(budget, .init = setup);

Test(budget, defaults_are_calm)
{
	bool att = true;

	cr_assert_eq(S.stretch, 1);
	cr_assert_eq(run(100, 0.002, 0.002, &att), 0);
	cr_assert_eq(budget__level(&S), 0);
	cr_assert(att);
}

Test(budget, three_strikes_double_the_interval_up_to_eight)
{
	bool att = true;

	cr_assert_eq(run(2, 0.02, 0, &att), 0, "two strikes are not three");
	cr_assert_eq(run(1, 0.02, 0, &att), BUDGET_STRETCH);
	cr_assert_eq(S.stretch, 2);
	cr_assert_eq(budget__level(&S), 1);
	run(3, 0.02, 0, &att);
	run(3, 0.02, 0, &att);
	cr_assert_eq(S.stretch, 8);
	cr_assert_eq(run(30, 0.02, 0, &att) & BUDGET_STRETCH, 0, "never beyond max_stretch");
	cr_assert_eq(S.stretch, 8);
	cr_assert_eq(S.stretches, 3);
}

Test(budget, a_calm_interval_resets_the_strikes)
{
	bool att = true;

	for (int i = 0; i < 20; i++) {
		cr_assert_eq(run(2, 0.02, 0, &att), 0);
		cr_assert_eq(run(1, 0.009, 0, &att), 0);
	}
	cr_assert_eq(S.stretch, 1);
}

Test(budget, recovers_after_ten_intervals_under_half_the_budget)
{
	bool att = true;

	run(9, 0.02, 0, &att);
	cr_assert_eq(S.stretch, 8);
	cr_assert_eq(run(9, 0.004, 0, &att), 0, "nine calm intervals are not ten");
	cr_assert_eq(run(1, 0.004, 0, &att), BUDGET_SHRINK);
	cr_assert_eq(S.stretch, 4);
	cr_assert_eq(run(10, 0.004, 0, &att), BUDGET_SHRINK);
	cr_assert_eq(run(10, 0.004, 0, &att), BUDGET_SHRINK);
	cr_assert_eq(S.stretch, 1);
	cr_assert_eq(budget__level(&S), 0);
	cr_assert_eq(run(50, 0.004, 0, &att), 0, "nothing below a stretch of 1");
	cr_assert_eq(S.shrinks, 3);
}

Test(budget, under_the_budget_but_above_half_holds_the_stretch)
{
	bool att = true;

	run(3, 0.02, 0, &att);
	cr_assert_eq(S.stretch, 2);
	/* 0.7 % < 1 %: no more back-off, but halving the interval would take
	 * it to about 1.4 %: it must stay */
	cr_assert_eq(run(200, 0.007, 0, &att), 0);
	cr_assert_eq(S.stretch, 2);
}

Test(budget, a_spike_restarts_the_calm_count)
{
	bool att = true;

	run(3, 0.02, 0, &att);
	run(9, 0.004, 0, &att);
	run(1, 0.006, 0, &att);	/* above half: calm count restarts */
	cr_assert_eq(run(9, 0.004, 0, &att), 0);
	cr_assert_eq(run(1, 0.004, 0, &att), BUDGET_SHRINK);
}

Test(budget, bpf_over_budget_detaches_once)
{
	bool att = true;

	cr_assert_eq(run(2, 0, 0.02, &att), 0);
	cr_assert_eq(run(1, 0, 0.02, &att), BUDGET_DETACH);
	cr_assert(!att);
	cr_assert_eq(budget__level(&S), 2);
	cr_assert_eq(run(5, 0, 0.02, &att) & BUDGET_DETACH, 0, "detached already");
	cr_assert_eq(S.detaches, 1);
}

Test(budget, reattach_after_the_hold_off_when_calm)
{
	bool att = true;
	int n = 0;

	run(3, 0, 0.02, &att);
	cr_assert(!att);
	/* hold-off 30 intervals, the rest of BPF under half its budget */
	while (att == false && n < 1000) {
		run(1, 0, 0.001, &att);
		n++;
	}
	cr_assert_eq(n, 30, "re-attached after %d intervals, not the 30 of the hold-off", n);
	cr_assert_eq(budget__level(&S), 0);
	cr_assert_eq(S.reattaches, 1);
}

Test(budget, no_reattach_while_the_rest_of_bpf_is_busy)
{
	bool att = true;

	run(3, 0, 0.02, &att);
	cr_assert_eq(run(200, 0, 0.006, &att) & BUDGET_REATTACH, 0);
	cr_assert(!att);
	/* calm from now: ten calm intervals needed, the hold-off is over */
	cr_assert_eq(run(9, 0, 0.001, &att), 0);
	cr_assert_eq(run(1, 0, 0.001, &att), BUDGET_REATTACH);
}

Test(budget, each_new_detach_doubles_the_hold_off)
{
	bool att = true;
	int expect[] = { 30, 60, 120, 240 };

	for (int k = 0; k < 4; k++) {
		int n = 0;

		cr_assert_eq(run(3, 0, 0.02, &att), BUDGET_DETACH, "round %d", k);
		while (!att && n < 10000) {
			run(1, 0, 0, &att);
			n++;
		}
		cr_assert_eq(n, expect[k], "round %d: %d intervals", k, n);
	}
	cr_assert_eq(S.detaches, 4);
	cr_assert_eq(S.reattaches, 4);
}

Test(budget, hold_off_is_bounded)
{
	bool att = true;

	for (int k = 0; k < 12; k++) {
		run(3, 0, 0.02, &att);
		for (int n = 0; !att && n < 100000; n++)
			run(1, 0, 0, &att);
	}
	cr_assert_leq(S.hold, P.reattach_hold * 64);
}

Test(budget, reattach_hold_zero_never_reattaches)
{
	bool att = true;

	P.reattach_hold = 0;
	budget_state__init(&S, &P);
	run(3, 0, 0.02, &att);
	cr_assert_eq(run(5000, 0, 0, &att) & BUDGET_REATTACH, 0);
	cr_assert_eq(budget__level(&S), 2);
}

Test(budget, a_failed_reattach_counts_as_a_detach)
{
	bool att = true;
	int n = 0;

	run(3, 0, 0.02, &att);
	run(30, 0, 0, &att);
	cr_assert(att);
	/* the caller could not attach: back to detached, hold-off doubled */
	att = false;
	budget__reattach_failed(&P, &S);
	cr_assert_eq(budget__level(&S), 2);
	while (!att && n < 1000) {
		run(1, 0, 0, &att);
		n++;
	}
	cr_assert_eq(n, 60);
}

Test(budget, cpu_and_bpf_act_independently)
{
	bool att = true;

	cr_assert_eq(run(3, 0.02, 0.02, &att), BUDGET_STRETCH | BUDGET_DETACH);
	cr_assert_eq(budget__level(&S), 2);
	cr_assert_eq(S.stretch, 2);
}

Test(budget, a_flap_doubles_the_calm_intervals_needed)
{
	bool att = true;
	int n = 0;

	run(3, 0.02, 0, &att);
	cr_assert_eq(run(10, 0.004, 0, &att), BUDGET_SHRINK);
	/* over again at once: the shrink was premature */
	cr_assert_eq(run(3, 0.02, 0, &att), BUDGET_STRETCH);
	cr_assert_eq(S.need, 20);
	while (!(run(1, 0.004, 0, &att) & BUDGET_SHRINK) && n < 1000)
		n++;
	cr_assert_eq(n + 1, 20, "shrank after %d calm intervals", n + 1);
	/* a stretch long after a shrink is no flap */
	run(100, 0.007, 0, &att);
	run(3, 0.02, 0, &att);
	cr_assert_eq(S.need, 20);
}

Test(budget, flapping_is_bounded)
{
	bool att = true;

	for (int k = 0; k < 40; k++) {
		run(3, 0.02, 0, &att);
		for (int n = 0; n < 100000 && !(run(1, 0.004, 0, &att) & BUDGET_SHRINK); n++)
			;
	}
	cr_assert_leq(S.need, P.recover * 64);
	cr_assert_eq(S.stretch, 1);
}
