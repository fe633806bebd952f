/* Unit tests: mitigation's rate limits (mitigate/ratelimit.h): one action
 * per target per window, the back-off doubling to its cap, the host-wide
 * cap over all targets, and the key table's bound. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "mitigate/ratelimit.h"

static struct ratelimit *mk(double window, uint32_t cap, uint32_t backoff)
{
	struct ratelimit_params p = { .window_s = window, .host_cap = cap, .max_backoff = backoff };
	struct ratelimit *r;

	cr_assert_eq(ratelimit__new(&p, &r), 0);
	return r;
}

Test(ratelimit, one_action_per_window)
{
	struct ratelimit *r = mk(60, 10, 16);
	double retry;

	cr_expect_eq(ratelimit__check(r, "cgroup:/a", 1000, &retry), RL_OK);
	cr_expect_eq(retry, 1000);
	cr_assert_eq(ratelimit__record(r, "cgroup:/a", 1000), 0);
	cr_expect_eq(ratelimit__check(r, "cgroup:/a", 1059, &retry), RL_WINDOW);
	cr_expect_eq(retry, 1060);
	cr_expect_eq(ratelimit__check(r, "cgroup:/a", 1060, NULL), RL_OK);
	/* another target is not held by the first one's window */
	cr_expect_eq(ratelimit__check(r, "cgroup:/b", 1001, NULL), RL_OK);
	ratelimit__free(r);
}

Test(ratelimit, backoff_doubles_to_its_cap)
{
	struct ratelimit *r = mk(10, 100, 4);
	double t = 0, retry, last;
	/* waits after the 1st, 2nd, ... action: 10, 20, 40, then capped at 40 */
	const double waits[] = { 10, 20, 40, 40, 40 };

	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		cr_assert_eq(ratelimit__check(r, "unit:x.service", t, NULL), RL_OK, "action %zu", i);
		cr_assert_eq(ratelimit__record(r, "unit:x.service", t), 0);
		cr_expect_neq(ratelimit__check(r, "unit:x.service", t + waits[i] - 0.5, &retry),
			      RL_OK, "action %zu: allowed before its back-off", i + 1);
		cr_expect_eq(retry, t + waits[i], "action %zu: retry at %g", i + 1, retry);
		if (i >= 1)
			cr_expect_eq(ratelimit__check(r, "unit:x.service", t + 15, NULL),
				     RL_BACKOFF, "past the window, inside the back-off");
		t += waits[i];
	}
	cr_expect_eq(ratelimit__count(r, "unit:x.service", &last), 5);
	cr_expect_eq(last, 10 + 20 + 40 + 40);
	ratelimit__free(r);
}

Test(ratelimit, host_cap_over_all_targets)
{
	struct ratelimit *r = mk(100, 2, 16);
	double retry;

	cr_assert_eq(ratelimit__record(r, "a", 0), 0);
	cr_assert_eq(ratelimit__record(r, "b", 10), 0);
	cr_expect_eq(ratelimit__check(r, "c", 50, &retry), RL_HOST_CAP);
	cr_expect_eq(retry, 100, "the oldest of the last two leaves the window at 100");
	cr_expect_eq(ratelimit__check(r, "c", 100, NULL), RL_OK);
	cr_assert_eq(ratelimit__record(r, "c", 100), 0);
	cr_expect_eq(ratelimit__check(r, "d", 105, &retry), RL_HOST_CAP);
	cr_expect_eq(retry, 110);
	ratelimit__free(r);
}

Test(ratelimit, key_table_is_bounded)
{
	struct ratelimit *r = mk(1, 1000, 2);
	char key[32];
	int err = 0;

	for (int i = 0; i < RATELIMIT_MAX_KEYS && !err; i++) {
		snprintf(key, sizeof(key), "pid:%d", i);
		err = ratelimit__record(r, key, 0);
	}
	cr_assert_eq(err, 0);
	/* every target still inside its back-off: no room */
	cr_expect_eq(ratelimit__record(r, "pid:new", 1), -ENOSPC);
	/* once their back-off ran out they are forgotten */
	cr_expect_eq(ratelimit__record(r, "pid:new", 10), 0);
	cr_expect_eq(ratelimit__count(r, "pid:0", NULL), 0);
	cr_expect_eq(ratelimit__count(r, "pid:new", NULL), 1);
	ratelimit__free(r);
}

Test(ratelimit, free_accepts_null)
{
	ratelimit__free(NULL);
}
