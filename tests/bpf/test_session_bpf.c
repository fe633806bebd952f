/* Session tests (root): the tracer core as the daemon drives it, with real
 * processes: an unbounded set of targets, dropped as they exit; one event
 * loop serving several sessions and a timer; command lines refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/evloop.h"
#include "testlib.h"
#include "tracer/session.h"

#define LEAKS 5   /* leaky_server LEAKS 0: five 1 KiB leaks, then exit */

struct finals {
	pid_t pid[512];
	uint64_t top_bytes[512];
	size_t n;
	int bad;                 /* reports not final or not exited */
};

static int on_final(const struct report *r, void *ctx)
{
	struct finals *f = ctx;

	if (!r->final || !r->exited || f->n == 512) {
		f->bad++;
		return 0;
	}
	f->pid[f->n] = r->pid;
	f->top_bytes[f->n++] = r->nstacks ? r->stacks[0].bytes : 0;
	return 0;
}

static struct session_config config(void)
{
	struct session_config cfg = { .unwind = UNWIND_FP, .top = 1 };

	cfg.trace.sample_bytes = 1;   /* exact */
	cfg.trace.shared_probes = true;
	return cfg;
}

static ssize_t index_of(const pid_t *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == pid)
			return (ssize_t)i;
	return -1;
}

/* More processes than the old fixed table held (256), each with its own
 * final report as it exits, then none left. */
Test(session_bpf, targets_unbounded_and_dropped_on_exit, .timeout = 240)
{
	enum { N = 300 };
	char *argv[] = { TARGET("leaky_server"), "5", "0", NULL };
	struct session_config cfg = config();
	static pid_t pids[N];
	static int go[N];
	struct finals f = { 0 };
	struct session *s;
	uint64_t end;
	int running = N;

	cr_assert_eq(session__new(&cfg, &s), 0, "cannot load the tracer (run as root)");
	for (int i = 0; i < N; i++) {
		pids[i] = target_start(argv, &go[i]);
		cr_assert_gt(pids[i], 0);
	}
	for (int i = 0; i < N; i++)
		cr_assert_eq(target_wait_blocked(pids[i]), 0, "target #%d never got ready", i);
	for (int i = 0; i < N; i++)
		cr_assert_eq(session__add_pid(s, pids[i]), 0, "pid %d (#%d)", (int)pids[i], i);
	cr_assert_eq(session__add_pid(s, pids[0]), 0, "added again: no-op");
	cr_assert_eq(session__running(s), N);
	for (int i = 0; i < N; i++)
		target_go(go[i]);
	end = clock__mono_ns() + 120000000000ULL;
	while (running > 0 && clock__mono_ns() < end)
		cr_assert_geq(running = session__wait(s, end, on_final, &f), 0);
	cr_assert_eq(running, 0, "every process exited and was dropped");
	cr_assert_eq(session__running(s), 0);
	cr_expect_eq(f.bad, 0);
	cr_assert_eq(f.n, N, "one final report per process");
	for (int i = 0; i < N; i++) {
		ssize_t at = index_of(f.pid, f.n, pids[i]);

		cr_assert_geq(at, 0, "pid %d reported", (int)pids[i]);
		cr_expect_eq(f.top_bytes[at], LEAKS * 1024, "pid %d: its own leak, exact",
			     (int)pids[i]);
		target_wait(pids[i]);
	}
	session__free(s);
}

struct tick {
	struct evloop *loop;
	struct evloop_timer t;
	int n;
};

static int on_tick(struct evloop_timer *t, void *ctx)
{
	struct tick *k = ctx;

	k->n++;
	return evloop__arm(k->loop, t, clock__mono_ns() + 20000000);
}

/* One loop, two sessions (two tracers), one timer: each session's exit
 * report goes to its own callback, the timer keeps ticking. */
Test(session_bpf, one_loop_serves_two_sessions_and_a_timer, .timeout = 60)
{
	char *argv[] = { TARGET("leaky_server"), "5", "2000", NULL };  /* ~10 ms of work */
	struct session_config cfg = config();
	struct session *s[2];
	struct finals f[2] = { 0 };
	struct evloop *loop;
	struct tick tick = { 0 };
	pid_t pid[2];
	int go[2];
	uint64_t end;

	cr_assert_eq(evloop__new(&loop), 0);
	tick.loop = loop;
	evloop__timer_init(&tick.t, on_tick, &tick);
	cr_assert_eq(evloop__arm(loop, &tick.t, 0), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(session__new(&cfg, &s[i]), 0, "cannot load the tracer (run as root)");
		pid[i] = target_start(argv, &go[i]);
	}
	for (int i = 0; i < 2; i++)
		cr_assert_eq(target_wait_blocked(pid[i]), 0, "target #%d never got ready", i);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(session__attach(s[i], loop, on_final, &f[i]), 0);
		cr_assert_eq(session__attach(s[i], loop, on_final, &f[i]), -EBUSY);
		/* added after attaching: watched from then on */
		cr_assert_eq(session__add_pid(s[i], pid[i]), 0);
		cr_expect_eq(session__wait(s[i], 0, on_final, &f[i]), -EBUSY,
			     "driven by another loop");
		target_go(go[i]);
	}
	end = clock__mono_ns() + 30000000000ULL;
	while ((session__running(s[0]) || session__running(s[1])) && clock__mono_ns() < end)
		cr_assert_eq(evloop__run_once(loop, end), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(f[i].n, 1, "session %d: one final report", i);
		cr_expect_eq(f[i].pid[0], pid[i], "session %d: its own process", i);
		cr_expect_eq(f[i].top_bytes[0], LEAKS * 1024);
		cr_expect_eq(f[i].bad, 0);
		target_wait(pid[i]);
		session__detach(s[i]);
		session__free(s[i]);
	}
	cr_expect_gt(tick.n, 1, "the timer ran beside the sessions");
	cr_expect_eq(evloop__fds(loop), 0, "everything the sessions watched is gone");
	evloop__disarm(loop, &tick.t);
	evloop__free(loop);
}

Test(session_bpf, command_lines_refused)
{
	struct session_config cfg = config();
	struct session *s;

	cr_assert_eq(session__new(&cfg, &s), 0, "cannot load the tracer (run as root)");
	cr_expect_eq(session__start_command(s, TARGET("leaky_server") " 'open"), -EINVAL);
	cr_expect_eq(session__start_command(s, "A=1 B=2"), -EINVAL, "no command");
	cr_expect_eq(session__start_command(s, "true | cat"), -EINVAL);
	cr_expect_eq(session__command_pid(s), 0, "nothing started");
	cr_expect_eq(session__start_command(s, "/nonexistent/program"), -ENOENT);
	cr_expect_eq(session__running(s), 0);
	session__free(s);
}

/* A command with NAME=value words and quoting reaches the program as a
 * shell would pass it: the leak count comes from a quoted argument. */
Test(session_bpf, command_started_with_environment, .timeout = 60)
{
	struct session_config cfg = config();
	struct finals f = { 0 };
	struct session *s;
	uint64_t end = clock__mono_ns() + 30000000000ULL;
	int running = 1;

	cr_assert_eq(session__new(&cfg, &s), 0, "cannot load the tracer (run as root)");
	cr_assert_eq(session__start_command(s, "SEEP_TEST_X='a b' " TARGET("leaky_server") " '7' 0"),
		     0);
	cr_assert_gt(session__command_pid(s), 0);
	while (running > 0 && clock__mono_ns() < end)
		cr_assert_geq(running = session__wait(s, end, on_final, &f), 0);
	cr_assert_eq(f.n, 1);
	cr_expect_eq(f.top_bytes[0], 7 * 1024);
	cr_expect_eq(session__command_pid(s), 0, "reaped at its exit");
	session__free(s);
}
