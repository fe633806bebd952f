/* Unit tests: the mitigation engine (mitigate/mitigate.h) over time, with
 * the real executor writing into a cgroupfs-shaped temporary directory
 * (v1: memory.soft_limit_in_bytes; v2, a root with cgroup.controllers:
 * memory.high) or the recording executor: a steady leak is acted on once
 * per window with the back-off doubling, dry run calls nothing and says
 * exactly what it would do, the stop rule ends the actions, the denylist
 * and the allowlist hold, a unit is restarted and a restart command run,
 * decisions are audited once per change, kernel leaks are only notified.
 * And the detectors' own verdicts on a set of non-leak series (spike,
 * plateau, bounded cache, noise) lead to zero executor calls, while the
 * same run on a steady leak acts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/detect.h"
#include "detect/params.h"
#include "detect/series.h"
#include "mitigate/mitigate.h"
#include "scratch.h"

#define MiB (1024.0 * 1024)

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "mitigate"), 0);
}

static void teardown(void)
{
	scratch__rmrf(dir);
}

static void put(const char *name, const char *text)
{
	char path[256];

	cr_assert_eq(scratch__put(path, sizeof(path), dir, name, text), 0, "%s", name);
}

static char *slurp(const char *name)
{
	static char buf[4096];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	cr_assert(f, "cannot read '%s'", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A v1 or v2 cgroupfs-shaped tree with one cgroup /app using 100 MiB. */
static void tree(int version)
{
	char cg[128];

	snprintf(cg, sizeof(cg), "%s/app", dir);
	cr_assert_eq(mkdir(cg, 0755), 0);
	if (version == 2) {
		put("cgroup.controllers", "cpu memory pids\n");
		put("app/memory.current", "104857600\n");
		put("app/memory.max", "max\n");
		put("app/memory.high", "max\n");
	} else {
		put("app/memory.usage_in_bytes", "104857600\n");
		put("app/memory.limit_in_bytes", "9223372036854771712\n");
		put("app/memory.soft_limit_in_bytes", "9223372036854771712\n");
	}
}

static struct mitigate_config config(void)
{
	struct mitigate_config c;

	mitigate_config__defaults(&c);
	c.enabled = true;
	c.dry_run = false;
	c.window_s = 60;
	c.min_verdicts = 3;
	c.confidence = 0.8;
	c.brake_margin = 16 << 20;
	snprintf(c.allow, sizeof(c.allow), "/app,app.service");
	snprintf(c.cgroup_root, sizeof(c.cgroup_root), "%s", dir);
	return c;
}

static struct mitigate *engine(const struct mitigate_config *c, struct executor *ex)
{
	struct mitigate_env env = { .self_pid = 999999, .self_cgroup = "/seep" };
	struct mitigate *m;
	char err[256] = "";

	if (!ex)
		cr_assert_eq(executor__new_real(&ex), 0);
	cr_assert_eq(mitigate__new(c, &env, ex, &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

static struct mitigate_target leaker(bool leak)
{
	return (struct mitigate_target){
		.id = "process:4321:77", .kind = "process", .pid = 4321, .start = 77,
		.comm = "leaker", .unit = "", .cgroup = "/app", .leak = leak,
		.pattern = leak ? PATTERN_STEADY : PATTERN_PLATEAU, .confidence = 0.99,
		.time_to_limit_s = leak ? 3600 : INFINITY, .slope_bytes_per_s = 2 * MiB,
	};
}

/* One interval: evaluate, act when ready (the snapshot is the caller's:
 * here it is always there), audit. Returns the outcome. */
static enum mit_outcome step(struct mitigate *m, const struct mitigate_target *t, double now,
			     struct mitigate_decision *d)
{
	cr_assert_eq(mitigate__evaluate(m, t, now, d), 0);
	if (d->outcome == MIT_O_READY)
		cr_assert_eq(mitigate__act(m, t, d, now), 0);
	mitigate__record(m, d);
	return d->outcome;
}

Test(mitigate, v1_brake_once_per_window_with_backoff, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target t = leaker(true);
	struct mitigate_decision d;
	double done[8];
	int n = 0;

	tree(1);
	m = engine(&c, NULL);
	for (double now = 0; now <= 300; now += 10)
		if (step(m, &t, now, &d) == MIT_O_DONE) {
			cr_assert_lt(n, 8);
			done[n++] = now;
			cr_expect_eq(d.action, MIT_BRAKE);
			cr_expect(strstr(d.detail, "memory.soft_limit_in_bytes"), "%s", d.detail);
		}
	/* third verdict at 20; then one window (60), then two (120) */
	cr_assert_eq(n, 3, "%d actions", n);
	cr_expect_eq(done[0], 20);
	cr_expect_eq(done[1], 80);
	cr_expect_eq(done[2], 200);
	cr_expect_str_eq(slurp("app/memory.soft_limit_in_bytes"), "121634816");
	cr_expect_eq(mitigate__executor_calls(m), 3);
	cr_expect_eq(mitigate__executor_errors(m), 0);
	cr_expect_eq(mitigate__count(m, MIT_BRAKE, MIT_O_DONE), 3);
	mitigate__free(m);
}

Test(mitigate, v2_brake_writes_memory_high, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target t = leaker(true);
	struct mitigate_decision d;

	tree(2);
	m = engine(&c, NULL);
	for (double now = 0; now < 30; now += 10)
		step(m, &t, now, &d);
	cr_expect_eq(d.outcome, MIT_O_DONE, "%s: %s", mitigate__outcome_name(d.outcome), d.reason);
	cr_expect_str_eq(slurp("app/memory.high"), "121634816");
	cr_expect_str_eq(slurp("app/memory.max"), "max\n", "the hard limit is never touched");
	mitigate__free(m);
}

Test(mitigate, dry_run_says_what_it_would_do, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target t = leaker(true);
	struct mitigate_decision d;
	int dry = 0;

	c.dry_run = true;
	tree(1);
	m = engine(&c, NULL);
	for (double now = 0; now <= 300; now += 10)
		if (step(m, &t, now, &d) == MIT_O_DRY_RUN) {
			dry++;
			cr_expect(strstr(d.reason, "would write 121634816 to"), "%s", d.reason);
			cr_expect(strstr(d.reason, "/app/memory.soft_limit_in_bytes"), "%s", d.reason);
			cr_expect(strstr(d.reason, "steady leak"), "the why: %s", d.reason);
			cr_expect(d.dry_run);
		}
	cr_expect_eq(dry, 3, "dry runs keep the windows too");
	cr_expect_eq(mitigate__executor_calls(m), 0);
	cr_expect_str_eq(slurp("app/memory.soft_limit_in_bytes"), "9223372036854771712\n");
	mitigate__free(m);
}

Test(mitigate, stop_rule_ends_the_actions, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target on = leaker(true), off = leaker(false);
	struct mitigate_decision d;
	uint64_t calls;

	tree(1);
	m = engine(&c, NULL);
	for (double now = 0; now <= 100; now += 10)
		step(m, &on, now, &d);
	calls = mitigate__executor_calls(m);
	cr_assert_eq(calls, 2);
	for (double now = 110; now <= 2000; now += 10) {
		cr_expect_eq(step(m, &off, now, &d), MIT_O_STOPPED, "at %g: %s", now, d.reason);
		cr_expect_eq(d.action, MIT_BRAKE);
	}
	cr_expect_eq(mitigate__executor_calls(m), calls, "acted on a target no longer leaking");
	cr_expect_eq(mitigate__count(m, MIT_BRAKE, MIT_O_STOPPED), 1, "audited once");
	/* a relapse is judged anew: three verdicts again before an action */
	cr_expect_eq(step(m, &on, 2010, &d), MIT_O_GATED);
	cr_expect_str_eq(d.code, "few_verdicts");
	step(m, &on, 2020, &d);
	cr_expect_eq(step(m, &on, 2030, &d), MIT_O_DONE, "%s", d.reason);
	mitigate__free(m);
}

Test(mitigate, denylist_and_allowlist, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target t = leaker(true);
	struct mitigate_decision d;
	struct executor *ex;
	size_t n;

	tree(1);
	snprintf(c.avoid, sizeof(c.avoid), "precious");
	snprintf(c.allow, sizeof(c.allow), "*");
	cr_assert_eq(executor__new_record(NULL, &ex), 0);
	m = engine(&c, ex);
	for (double now = 0; now <= 600; now += 10) {
		struct mitigate_target x = t;

		x.id = "pid1";
		x.pid = 1;
		cr_expect_eq(step(m, &x, now, &d), now < 20 ? MIT_O_GATED : MIT_O_DENIED);
		x.id = "self";
		x.pid = 999999;
		step(m, &x, now, &d);
		x.id = "journald";
		x.pid = 200;
		x.comm = "systemd-journal";
		step(m, &x, now, &d);
		x.id = "sshd";
		x.pid = 201;
		x.comm = "sshd";
		step(m, &x, now, &d);
		x.id = "avoided";
		x.pid = 202;
		x.comm = "precious";
		step(m, &x, now, &d);
		x.id = "own cgroup";
		x.pid = 203;
		x.comm = "helper";
		x.cgroup = "/seep";
		step(m, &x, now, &d);
	}
	cr_expect_eq(mitigate__executor_calls(m), 0);
	cr_expect_eq(mitigate__count(m, MIT_NONE, MIT_O_DENIED), 6);
	executor__recorded(ex, &n);
	cr_expect_eq(n, 0);
	mitigate__free(m);
	/* off the allowlist: never acted on, said so */
	c = config();
	snprintf(c.allow, sizeof(c.allow), "/other");
	m = engine(&c, NULL);
	for (double now = 0; now <= 600; now += 10)
		step(m, &t, now, &d);
	cr_expect_eq(d.outcome, MIT_O_NOT_ALLOWED);
	cr_expect(strstr(d.reason, "mitigation.allow"), "%s", d.reason);
	cr_expect_eq(mitigate__executor_calls(m), 0);
	mitigate__free(m);
}

Test(mitigate, unit_restart_and_command, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target t = leaker(true);
	struct mitigate_decision d;
	const char *const *lines;
	struct executor *ex;
	char cmd[256];
	size_t n;

	tree(1);
	cr_assert_eq(executor__new_record(NULL, &ex), 0);
	m = engine(&c, ex);
	t.unit = "app.service";
	t.cgroup = "/system.slice/app.service";
	for (double now = 0; now <= 100; now += 10)
		step(m, &t, now, &d);
	lines = executor__recorded(ex, &n);
	cr_assert_eq(n, 2, "one restart per window: %zu", n);
	cr_expect_str_eq(lines[0], "restart_unit app.service");
	cr_expect_eq(mitigate__count(m, MIT_RESTART, MIT_O_DONE), 2);
	mitigate__free(m);
	/* no unit: the restart command, with the target in its environment */
	c = config();
	snprintf(cmd, sizeof(cmd), "echo \"$SEEP_PID $SEEP_COMM $SEEP_CGROUP\" > %s/restarted", dir);
	snprintf(c.restart_command, sizeof(c.restart_command), "%s", cmd);
	m = engine(&c, NULL);
	t = leaker(true);
	for (double now = 0; now <= 20; now += 10)
		step(m, &t, now, &d);
	cr_expect_eq(d.outcome, MIT_O_DONE, "%s", d.reason);
	cr_expect_str_eq(slurp("restarted"), "4321 leaker /app\n");
	mitigate__free(m);
	/* a failing command is a failed decision, counted */
	snprintf(c.restart_command, sizeof(c.restart_command), "exit 3");
	m = engine(&c, NULL);
	for (double now = 0; now <= 20; now += 10)
		step(m, &t, now, &d);
	cr_expect_eq(d.outcome, MIT_O_FAILED);
	cr_expect(strstr(d.reason, "status 3"), "%s", d.reason);
	cr_expect_eq(mitigate__executor_errors(m), 1);
	mitigate__free(m);
}

Test(mitigate, audit_once_per_change_and_kernel_notify, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target k = { .id = "kernel", .kind = "kernel", .comm = "", .unit = "",
				     .cgroup = "", .leak = true, .pattern = PATTERN_STEADY,
				     .confidence = 0.95, .time_to_limit_s = 600,
				     .diagnosis = "kmalloc-512 from nf_conntrack_alloc" };
	struct mitigate_decision d;
	size_t n;

	tree(1);
	m = engine(&c, NULL);
	for (double now = 0; now <= 200; now += 10)
		step(m, &k, now, &d);
	cr_expect_eq(mitigate__executor_calls(m), 0, "a kernel leak is never acted on");
	cr_expect_eq(mitigate__count(m, MIT_NOTIFY, MIT_O_NOTIFIED), 3);
	/* each change once: gated (few verdicts) until 20, notified at 20, 80
	 * and 200 (one window, then two), rate limited inside a window, in
	 * back-off after it */
	{
		static const enum mit_outcome want[] = { MIT_O_GATED, MIT_O_NOTIFIED,
			MIT_O_RATE_LIMITED, MIT_O_NOTIFIED, MIT_O_RATE_LIMITED, MIT_O_BACKOFF,
			MIT_O_NOTIFIED };

		n = mitigate__ndecisions(m);
		cr_assert_eq(n, 7, "%zu decisions kept", n);
		for (size_t i = 0; i < n; i++)
			cr_expect_eq(mitigate__decision(m, i)->outcome, want[i], "decision %zu: %s",
				     i, mitigate__outcome_name(mitigate__decision(m, i)->outcome));
	}
	cr_expect_eq(mitigate__decision(m, 6)->t_s, 200);
	cr_expect(strstr(mitigate__decision(m, 1)->detail, "nf_conntrack_alloc"), "%s",
		  mitigate__decision(m, 1)->detail);
	cr_expect_null(mitigate__decision(m, n));
	mitigate__free(m);
}

Test(mitigate, host_cap_across_targets, .init = setup, .fini = teardown)
{
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_target a = leaker(true), b = leaker(true);
	struct mitigate_decision d;
	struct executor *ex;

	tree(1);
	c.host_cap = 1;
	snprintf(c.allow, sizeof(c.allow), "*");
	cr_assert_eq(executor__new_record(NULL, &ex), 0);
	m = engine(&c, ex);
	b.id = "process:5555:1";
	b.pid = 5555;
	b.unit = "b.service";
	for (double now = 0; now <= 20; now += 10) {
		step(m, &a, now, &d);
		step(m, &b, now, &d);
	}
	cr_expect_eq(d.outcome, MIT_O_HOST_CAP, "%s", d.reason);
	cr_expect_eq(mitigate__executor_calls(m), 1);
	mitigate__free(m);
}

/* --- the detectors' verdicts on non-leak series -------------------------- */

/* Five-minute samples over three days, MiB. */
#define NS (3 * 288)

static double _noise(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 16) % 1000) / 1000.0 - 0.5;
}

static double shape_value(int kind, size_t i, unsigned *seed)
{
	double x = (double)i;

	switch (kind) {
	case 0:	/* spike: flat, one excursion of 2 h, back down */
		return 200 + (i >= 400 && i < 424 ? 300 : 0) + _noise(seed);
	/* The warm-ups below rise for 2 h: a clean ramp that lasts longer than
	 * the detector's shortest window (6 h at this resolution) is a leak
	 * for as long as it lasts, by the detector's own definition (issue 13:
	 * a leak that began late is a leak), and acting on it is right. */
	case 1:	/* plateau: a rise over the first 2 h, then level */
		return 200 + 400 * fmin(x / 24, 1) + _noise(seed);
	case 2:	/* bounded cache: fills to its cap in 2 h and stays, refilling after evictions */
		return 200 + fmin(fmod(x, 300) * 6.25, 150) + _noise(seed);
	case 3:	/* noise around a constant */
		return 300 + 5 * _noise(seed);
	default:	/* the control: a steady leak */
		return 200 + 0.5 * x + _noise(seed);
	}
}

/* How many executor calls the engine makes on the detector's verdicts of
 * series KIND, given them every interval from its 80th sample on. */
static uint64_t calls_on(int kind)
{
	struct mitigate_config c = config();
	struct detect_params p;
	struct mitigate *m;
	struct mitigate_decision d;
	unsigned seed = 7 + (unsigned)kind;
	double v[NS];
	int err;

	for (size_t i = 0; i < NS; i++)
		v[i] = shape_value(kind, i, &seed) * MiB;
	c.min_verdicts = 1;
	c.confidence = 0;
	c.time_to_limit_s = 1e12;
	snprintf(c.allow, sizeof(c.allow), "*");
	m = engine(&c, NULL);
	for (size_t n = 80; n <= NS; n += 8) {
		struct series raw = { 0 }, analysed = { 0 };
		struct detect_input in = { .raw = &raw, .analysed = &analysed };
		struct detect_result r;
		struct mitigate_target t = leaker(true);

		cr_assert_eq(series__init(&raw, n), 0);
		for (size_t i = 0; i < n; i++) {
			raw.t[i] = (double)(i + 1) * 300;
			raw.v[i] = v[i];
		}
		detect_params__init(&p);
		p.threshold = 1024 * MiB;
		err = detect__run(&p, DETECT_SEEP, &in, &r);
		cr_assert_eq(err, 0);
		t.leak = r.leak;
		t.pattern = r.pattern;
		t.confidence = r.r2;
		t.time_to_limit_s = r.time_to_threshold_s;
		step(m, &t, (double)n * 300, &d);
		series__release(&analysed);
		series__release(&raw);
	}
	err = (int)mitigate__executor_calls(m);
	mitigate__free(m);
	return (uint64_t)err;
}

Test(mitigate, non_leak_series_get_zero_actions, .init = setup, .fini = teardown)
{
	static const char *const names[] = { "spike", "plateau", "bounded cache", "noise" };

	tree(1);
	for (int k = 0; k < 4; k++)
		cr_expect_eq(calls_on(k), 0, "%s: acted on", names[k]);
	cr_expect_gt(calls_on(4), 0, "the steady leak (the control) was never acted on");
}

/* Even verdicts that say "leak" with a non-growth pattern (a detector
 * fooled by a spike, a plateau, a cache) are never acted on. */
Test(mitigate, leak_verdicts_with_non_growth_patterns_get_zero_actions, .init = setup,
     .fini = teardown)
{
	static const enum detect_pattern patterns[] = { PATTERN_SPIKE, PATTERN_PLATEAU,
							PATTERN_NONE };
	struct mitigate_config c = config();
	struct mitigate *m;
	struct mitigate_decision d;

	tree(1);
	c.min_verdicts = 1;
	c.confidence = 0;
	m = engine(&c, NULL);
	for (size_t k = 0; k < 3; k++)
		for (double now = 0; now <= 3600; now += 10) {
			struct mitigate_target t = leaker(true);

			t.pattern = patterns[k];
			cr_expect_eq(step(m, &t, now, &d), MIT_O_GATED);
			cr_expect_str_eq(d.code, "pattern");
		}
	cr_expect_eq(mitigate__executor_calls(m), 0);
	mitigate__free(m);
}
