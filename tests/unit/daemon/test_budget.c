/* Unit tests: the daemon's own-cost policy (daemon/budget.h) as a pure
 * function: back-off after the strikes, recovery with hysteresis, the BPF
 * ladder (lower sampling, then detach growth, rss_stat, lifecycle) taken
 * one step at a time and climbed back one step at a time after the
 * hold-off, its doubling, skipped steps, no flapping. */
#include <criterion/criterion.h>

#include "daemon/budget.h"

static struct budget_params P;
static struct budget_state S;

static void setup(void)
{
	budget_params__defaults(&P, 0.01, 0.01);
	budget_state__init(&S, &P);
}

/* N intervals at CPU and BPF shares; the OR of the actions. *LEVEL
 * follows the BPF steps as a caller would carry them out, and checks that
 * each is exactly one step of the ladder. */
static unsigned run(int n, double cpu, double bpf, int *level)
{
	unsigned all = 0;

	for (int i = 0; i < n; i++) {
		int before = S.bpf_level;
		unsigned a = budget__step(&P, &S, cpu, bpf);

		cr_assert(!((a & BUDGET_BPF_DOWN) && (a & BUDGET_BPF_UP)));
		if (a & (BUDGET_BPF_DOWN | BUDGET_BPF_UP)) {
			cr_assert_eq(S.bpf_from, before);
			cr_assert_eq(*level, before);
			*level = S.bpf_level;
		} else {
			cr_assert_eq(S.bpf_level, before, "a BPF step without its action");
		}
		cr_assert(S.bpf_level >= BUDGET_BPF_FULL && S.bpf_level < BUDGET_BPF_NLEVELS);
		all |= a;
	}
	return all;
}

/* Intervals at BPF share BPF until the level changes (at most MAX). */
static int until_step(double bpf, int *level, int max)
{
	int n = 0, from = *level;

	while (*level == from && n < max) {
		run(1, 0, bpf, level);
		n++;
	}
	return n;
}

TestSuite(budget, .init = setup);

Test(budget, defaults_are_calm)
{
	int att = 0;

	cr_assert_eq(S.stretch, 1);
	cr_assert_eq(run(100, 0.002, 0.002, &att), 0);
	cr_assert_eq(budget__level(&S), 0);
	cr_assert_eq(att, BUDGET_BPF_FULL);
}

Test(budget, three_strikes_double_the_interval_up_to_eight)
{
	int att = 0;

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
	int att = 0;

	for (int i = 0; i < 20; i++) {
		cr_assert_eq(run(2, 0.02, 0, &att), 0);
		cr_assert_eq(run(1, 0.009, 0, &att), 0);
	}
	cr_assert_eq(S.stretch, 1);
}

Test(budget, recovers_after_ten_intervals_under_half_the_budget)
{
	int att = 0;

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
	int att = 0;

	run(3, 0.02, 0, &att);
	cr_assert_eq(S.stretch, 2);
	/* 0.7 % < 1 %: no more back-off, but halving the interval would take
	 * it to about 1.4 %: it must stay */
	cr_assert_eq(run(200, 0.007, 0, &att), 0);
	cr_assert_eq(S.stretch, 2);
}

Test(budget, a_spike_restarts_the_calm_count)
{
	int att = 0;

	run(3, 0.02, 0, &att);
	run(9, 0.004, 0, &att);
	run(1, 0.006, 0, &att);	/* above half: calm count restarts */
	cr_assert_eq(run(9, 0.004, 0, &att), 0);
	cr_assert_eq(run(1, 0.004, 0, &att), BUDGET_SHRINK);
}

Test(budget, bpf_over_budget_walks_the_ladder_in_order)
{
	int lvl = 0;
	const int order[] = { BUDGET_BPF_SAMPLED, BUDGET_BPF_NO_GROWTH, BUDGET_BPF_NO_RSS,
			      BUDGET_BPF_NONE };

	for (int k = 0; k < 4; k++) {
		cr_assert_eq(run(2, 0, 0.02, &lvl), 0, "step %d: two strikes are not three", k);
		cr_assert_eq(run(1, 0, 0.02, &lvl), BUDGET_BPF_DOWN, "step %d", k);
		cr_assert_eq(lvl, order[k], "step %d is %s", k, budget__bpf_level_name(lvl));
	}
	cr_assert_eq(budget__level(&S), 2);
	cr_assert_eq(run(30, 0, 0.02, &lvl) & BUDGET_BPF_DOWN, 0, "nothing below none");
	cr_assert_eq(lvl, BUDGET_BPF_NONE);
	cr_assert_eq(S.downs, 4);
}

Test(budget, sampling_is_lowered_before_anything_is_detached)
{
	int lvl = 0;

	cr_assert_eq(run(3, 0, 0.02, &lvl), BUDGET_BPF_DOWN);
	cr_assert_eq(lvl, BUDGET_BPF_SAMPLED);
	cr_assert_str_eq(budget__bpf_level_name(lvl), "sampled");
	/* the lower sampling was enough: it stays there */
	cr_assert_eq(run(200, 0, 0.007, &lvl), 0);
	cr_assert_eq(lvl, BUDGET_BPF_SAMPLED);
}

Test(budget, skipped_steps_are_passed_over)
{
	int lvl = 0;

	/* no growth probes loaded: the first step detaches rss_stat */
	P.bpf_skip = 1u << BUDGET_BPF_SAMPLED | 1u << BUDGET_BPF_NO_GROWTH;
	cr_assert_eq(run(3, 0, 0.02, &lvl), BUDGET_BPF_DOWN);
	cr_assert_eq(lvl, BUDGET_BPF_NO_RSS);
	run(3, 0, 0.02, &lvl);
	cr_assert_eq(lvl, BUDGET_BPF_NONE);
	/* and back up: none -> no_rss -> full */
	cr_assert_eq(until_step(0, &lvl, 1000), 30);
	cr_assert_eq(lvl, BUDGET_BPF_NO_RSS);
	cr_assert_eq(until_step(0, &lvl, 1000), 30);
	cr_assert_eq(lvl, BUDGET_BPF_FULL);
}

Test(budget, climbs_back_one_step_per_hold_off_when_calm)
{
	int lvl = 0;
	const int order[] = { BUDGET_BPF_NO_RSS, BUDGET_BPF_NO_GROWTH, BUDGET_BPF_SAMPLED,
			      BUDGET_BPF_FULL };

	for (int k = 0; k < 4; k++)
		run(3, 0, 0.02, &lvl);
	cr_assert_eq(lvl, BUDGET_BPF_NONE);
	for (int k = 0; k < 4; k++) {
		int n = until_step(0.001, &lvl, 1000);

		cr_assert_eq(n, 30, "step %d up after %d intervals, not the hold-off's 30", k, n);
		cr_assert_eq(lvl, order[k], "step %d up is %s", k, budget__bpf_level_name(lvl));
	}
	cr_assert_eq(budget__level(&S), 0);
	cr_assert_eq(S.ups, 4);
	cr_assert_eq(run(500, 0, 0.001, &lvl), 0, "nothing above full");
}

Test(budget, no_step_up_while_the_rest_of_bpf_is_busy)
{
	int lvl = 0;

	run(3, 0, 0.02, &lvl);
	cr_assert_eq(run(200, 0, 0.006, &lvl) & BUDGET_BPF_UP, 0);
	cr_assert_eq(lvl, BUDGET_BPF_SAMPLED);
	/* calm from now: ten calm intervals needed, the hold-off is over */
	cr_assert_eq(run(9, 0, 0.001, &lvl), 0);
	cr_assert_eq(run(1, 0, 0.001, &lvl), BUDGET_BPF_UP);
	cr_assert_eq(lvl, BUDGET_BPF_FULL);
}

Test(budget, each_step_down_after_a_step_up_doubles_the_hold_off)
{
	int lvl = 0;
	int expect[] = { 30, 60, 120, 240 };

	for (int k = 0; k < 4; k++) {
		cr_assert_eq(run(3, 0, 0.02, &lvl), BUDGET_BPF_DOWN, "round %d", k);
		cr_assert_eq(until_step(0, &lvl, 10000), expect[k], "round %d", k);
		cr_assert_eq(lvl, BUDGET_BPF_FULL);
	}
	cr_assert_eq(S.downs, 4);
	cr_assert_eq(S.ups, 4);
}

Test(budget, going_down_several_steps_at_once_does_not_double_the_hold_off)
{
	int lvl = 0;

	for (int k = 0; k < 4; k++)
		run(3, 0, 0.02, &lvl);
	cr_assert_eq(S.hold, 30, "one episode, one hold-off");
}

Test(budget, hold_off_is_bounded)
{
	int lvl = 0;

	for (int k = 0; k < 12; k++) {
		run(3, 0, 0.02, &lvl);
		until_step(0, &lvl, 100000);
	}
	cr_assert_leq(S.hold, P.reattach_hold * 64);
}

Test(budget, reattach_hold_zero_never_steps_up)
{
	int lvl = 0;

	P.reattach_hold = 0;
	budget_state__init(&S, &P);
	run(3, 0, 0.02, &lvl);
	cr_assert_eq(run(5000, 0, 0, &lvl) & BUDGET_BPF_UP, 0);
	cr_assert_eq(budget__level(&S), 2);
}

Test(budget, a_failed_step_up_counts_as_a_step_down)
{
	int lvl = 0;

	run(6, 0, 0.02, &lvl);
	cr_assert_eq(lvl, BUDGET_BPF_NO_GROWTH);
	cr_assert_eq(until_step(0, &lvl, 1000), 30);
	cr_assert_eq(lvl, BUDGET_BPF_SAMPLED);
	/* the caller could not attach the growth probes: back to no_growth */
	budget__up_failed(&P, &S);
	lvl = S.bpf_level;
	cr_assert_eq(lvl, BUDGET_BPF_NO_GROWTH);
	cr_assert_eq(budget__level(&S), 2);
	cr_assert_eq(until_step(0, &lvl, 1000), 60, "the hold-off doubled");
}

Test(budget, cpu_and_bpf_act_independently)
{
	int lvl = 0;

	cr_assert_eq(run(3, 0.02, 0.02, &lvl), BUDGET_STRETCH | BUDGET_BPF_DOWN);
	cr_assert_eq(budget__level(&S), 2);
	cr_assert_eq(S.stretch, 2);
}

Test(budget, a_flap_doubles_the_calm_intervals_needed)
{
	int att = 0;
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
	int att = 0;

	for (int k = 0; k < 40; k++) {
		run(3, 0.02, 0, &att);
		for (int n = 0; n < 100000 && !(run(1, 0.004, 0, &att) & BUDGET_SHRINK); n++)
			;
	}
	cr_assert_leq(S.need, P.recover * 64);
	cr_assert_eq(S.stretch, 1);
}
