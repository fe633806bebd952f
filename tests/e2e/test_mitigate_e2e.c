/* End to end: tier 4, mitigation, with real processes. Root.
 *
 * cgroup v1 brake (real): a steady leaker in a test-owned child of the v1
 * memory hierarchy (/sys/fs/cgroup/memory/seep-mit-PID), a bounded cache
 * in another one, both on the allowlist. First with dry_run: the decision
 * says exactly what it would write where, and nothing is written (soft
 * limit unchanged, executor calls 0). Then acting with an 8 s window: the
 * soft limit is written, at most once per window (then the back-off), each
 * action after a heap snapshot of the leaker in the catalogue taken since
 * the previous action, the leaker keeps running; once it stops leaking
 * (SIGUSR1) the stop rule holds and no further action comes; the cache
 * gets no action at all. The cgroups are removed afterwards.
 * systemd and cgroup v2 paths: this machine has neither systemd as PID 1
 * nor a v2 memory controller, so a leaker whose cgroup is named like a
 * unit (seep-mit-PID.service) is restarted through a recording systemctl
 * (a script first on the daemon's PATH that appends its argv to a file),
 * and a brake on cgroup v2 goes into a cgroupfs-shaped directory (a root
 * with cgroup.controllers, the cgroup with memory.current/max/high) given
 * as mitigation.cgroup_root: memory.high = memory.current + margin, once.
 * Unconfigured: the daemon next to a leaker under strace -f sends no
 * signal to any process but its own, opens nothing under /sys/fs/cgroup
 * for writing but cgroup.event_control (the v1 memory event trigger's
 * eventfd registration, which changes no limit), and its executor-call
 * counter in /metrics stays 0. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

#define CGV1 "/sys/fs/cgroup/memory"

static char dir[64];
static char cgs[4][256];	/* cgroups a test created, removed by the teardown */
static int ncgs;
static char listen_at[32];	/* each test's daemon: a free loopback port */

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "mitigate"), 0);
	free_listen(listen_at, sizeof(listen_at));
}

static pid_t track(pid_t pid)
{
	return procs_track(pid);
}

static void teardown(void)
{
	procs_kill_all();
	for (int i = 0; i < ncgs; i++)
		for (int k = 0; k < 50 && rmdir(cgs[i]) && errno != ENOENT; k++)
			usleep(100000);
	ncgs = 0;
	scratch__rmrf(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child NAME of the v1 memory hierarchy (removed by the teardown), or
 * skip where there is none. */
static void cg_make(const char *name, char *path, size_t len)
{
	if (access(CGV1 "/cgroup.procs", F_OK))
		cr_skip_test("no cgroup v1 memory hierarchy at " CGV1);
	snprintf(path, len, CGV1 "/%s", name);
	rmdir(path);
	cr_assert(mkdir(path, 0755) == 0, "cannot create '%s'", path);
	snprintf(cgs[ncgs++], sizeof(cgs[0]), "%s", path);
}

static void cg_enter(const char *path, pid_t pid)
{
	char file[300];
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	cr_assert((f = fopen(file, "w")), "cannot open '%s'", file);
	fprintf(f, "%d\n", pid);
	cr_assert_eq(fclose(f), 0, "cannot move pid %d into '%s'", pid, path);
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static uint64_t read_u64(const char *path)
{
	return strtoull(slurp(path), NULL, 10);
}

static bool err_says(const char *err_path, const char *what)
{
	return strstr(slurp(err_path), what) != NULL;
}

/* seep daemon with the common test settings, then ARGS; PATH_PREFIX, when
 * set, goes first on its PATH. Returns once it is ready. */
static pid_t daemon_up(const char *listen, const char *store, const char *err_path,
		       const char *path_prefix, const char *const args[])
{
	char *argv[64] = { SEEP_BIN, "daemon", "-v", "-i", "1", "--store", (char *)store,
			   "--listen", (char *)listen, "--set", "detect.scale=3600",
			   "--set", "detect.threshold=384MiB", "--set", "detect.min_samples=8",
			   "--set", "telemetry.fold=2s", "--set", "budget.cpu=0.5",
			   "--set", "budget.bpf_cpu=0.5", "--set", "collect.every=1s",
			   "--set", "collect.cpu=1", "--set", "reference.every=0",
			   "--set", "trigger.psi=", "--set", "trigger.cgroup=no" };
	int n = 31;
	pid_t pid;

	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	pid = daemon_spawn(err_path, path_prefix, argv + 2);
	daemon_wait_ready(pid, err_path, 60);
	return pid;
}

static void daemon_down(pid_t d)
{
	int st = daemon_stop(d);

	cr_expect_eq(st, 0, "the daemon exited with %d", st);
}

/* `seep status --format json`: its "mitigation" object (the caller decrefs). */
static json_t *mitigation(const char *listen)
{
	json_t *j = daemon_status_json(listen), *m;

	m = json_object_get(j, "mitigation");
	cr_assert(json_is_object(m), "seep status has no mitigation object");
	json_incref(m);
	json_decref(j);
	return m;
}

/* Decisions on PID with OUTCOME (NULL: any) in M. */
static size_t decisions(json_t *m, pid_t pid, const char *outcome, json_t **last)
{
	json_t *x;
	size_t i, n = 0;

	json_array_foreach(json_object_get(m, "decisions"), i, x) {
		if ((pid_t)json_integer_value(json_object_get(x, "pid")) != pid)
			continue;
		if (outcome && strcmp(json_string_value(json_object_get(x, "outcome")), outcome))
			continue;
		n++;
		if (last)
			*last = x;
	}
	return n;
}

/* Waits up to SECS for a decision on PID with OUTCOME; a copy of it, or NULL. */
static json_t *wait_decision(const char *listen, pid_t pid, const char *outcome, int secs)
{
	for (int i = 0; i < scaled_tries(secs); i++) {
		json_t *m = mitigation(listen), *x = NULL;

		if (decisions(m, pid, outcome, &x)) {
			x = json_deep_copy(x);
			json_decref(m);
			return x;
		}
		json_decref(m);
		sleep(1);
	}
	return NULL;
}

/* A value of /metrics (the first line starting with NAME), or -1. */
static double metric(const char *listen, const char *name)
{
	char cmd[256], *p;
	struct run r;
	double v = -1;

	snprintf(cmd, sizeof(cmd), "curl -sf http://%s/metrics", listen);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
	}
	for (p = r.out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, strlen(name)) && p[strlen(name)] == ' ') {
			v = strtod(p + strlen(name) + 1, NULL);
			break;
		}
	run_release(&r);
	return v;
}

/* One number from the store: the first column of the first row of SQL. */
static double sql_num(const char *store, const char *sql)
{
	char cmd[2048];
	struct run r;
	double v;

	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"%s\"", store, sql);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_assert_eq(r.status, 0, "sqlite3: %s", r.err);
	v = r.out[0] && r.out[0] != '\n' ? strtod(r.out, NULL) : NAN;
	run_release(&r);
	return v;
}

static bool running(pid_t pid)
{
	char path[64], *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	s = strrchr(slurp(path), ')');
	return s && s[1] == ' ' && s[2] != 'Z' && s[2] != 'X';
}

static pid_t leaker_start(int *go)
{
	char *argv[] = { TARGET("mitigate_leaker"), "100", "256", NULL };

	return track(target_start(argv, go));
}

Test(mitigate, v1_brake_dry_run_then_once_per_window_then_stop, .init = setup,
     .fini = teardown, .timeout = 420)
{
	const char *listen = listen_at;
	char cg[256], cgc[256], name[64], namec[64], allow[160], store[128], store2[128];
	char err_path[128], soft[300], file[320];
	char *cache_argv[] = { TARGET("daemon_cache"), "16", "250", NULL };
	int go, goc;
	pid_t leaker, cache, d;
	uint64_t soft0;
	json_t *x, *m;
	double t_first, t_second, t_stop, calls;

	snprintf(name, sizeof(name), "seep-mit-%d", getpid());
	snprintf(namec, sizeof(namec), "seep-mit-cache-%d", getpid());
	cg_make(name, cg, sizeof(cg));
	cg_make(namec, cgc, sizeof(cgc));
	snprintf(soft, sizeof(soft), "%s/memory.soft_limit_in_bytes", cg);
	soft0 = read_u64(soft);
	snprintf(allow, sizeof(allow), "mitigation.allow=/%s,/%s", name, namec);
	snprintf(store, sizeof(store), "%s/dry.db", dir);
	snprintf(store2, sizeof(store2), "%s/act.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = leaker_start(&go);
	cache = track(target_start(cache_argv, &goc));
	cg_enter(cg, leaker);
	cg_enter(cgc, cache);

	/* 1. dry run: logged, nothing written */
	{
		const char *args[] = { "--set", "mitigation.enabled=yes", "--set", allow,
				       "--set", "mitigation.window=8s", "--set",
				       "mitigation.min_verdicts=2", "--set", "mitigation.confidence=0.5",
				       "--set", "collect.comms=mitigate_leaker", NULL };

		d = daemon_up(listen, store, err_path, NULL, args);
	}
	target_go(go);
	target_go(goc);
	x = wait_decision(listen, leaker, "dry_run", 120);
	cr_assert(x, "no dry-run decision on the leaker: %s", slurp(err_path));
	cr_expect_str_eq(json_string_value(json_object_get(x, "action")), "brake");
	snprintf(file, sizeof(file), "to '%s'", soft);
	cr_expect(strstr(json_string_value(json_object_get(x, "reason")), file),
		  "the dry run does not say where it would write: %s",
		  json_string_value(json_object_get(x, "reason")));
	cr_expect(strstr(json_string_value(json_object_get(x, "reason")), "steady leak"),
		  "the dry run does not say why");
	cr_expect(json_is_true(json_object_get(x, "dry_run")));
	json_decref(x);
	cr_expect(err_says(err_path, "brake dry_run of"), "the dry run is not in the log");
	cr_expect_eq(read_u64(soft), soft0, "the dry run wrote the soft limit");
	cr_expect_eq(metric(listen, "seep_mitigation_executor_calls_total"), 0);
	cr_expect_eq(metric(listen, "seep_mitigation_dry_run"), 1);
	daemon_down(d);
	cr_expect_eq(read_u64(soft), soft0, "the dry run wrote the soft limit");

	/* 2. acting: once per window, each after a snapshot */
	snprintf(err_path, sizeof(err_path), "%s/err2", dir);	/* not the last run's "ready" */
	{
		const char *args[] = { "--set", "mitigation.enabled=yes", "--set",
				       "mitigation.dry_run=no", "--set", allow,
				       "--set", "mitigation.window=8s", "--set",
				       "mitigation.min_verdicts=2", "--set", "mitigation.confidence=0.5",
				       "--set", "mitigation.host_cap=4",
				       "--set", "collect.comms=mitigate_leaker", NULL };

		d = daemon_up(listen, store2, err_path, NULL, args);
	}
	for (int i = 0; i < 120; i++) {
		if (sql_num(store2, "SELECT count(*) FROM mitigations WHERE outcome = 'done'") >= 2)
			break;
		sleep(1);
	}
	cr_assert_geq(sql_num(store2, "SELECT count(*) FROM mitigations WHERE outcome = 'done'"), 2,
		      "fewer than two actions: %s", slurp(err_path));
	cr_expect(running(leaker), "the braked leaker does not run any more");
	cr_expect_lt(read_u64(soft), soft0, "the soft limit was not written");
	cr_expect_gt(read_u64(soft), 0);
	t_first = sql_num(store2, "SELECT min(t) FROM mitigations WHERE outcome = 'done'");
	t_second = sql_num(store2, "SELECT t FROM mitigations WHERE outcome = 'done' ORDER BY t"
				   " LIMIT 1 OFFSET 1");
	cr_expect_geq(t_second - t_first, 8 - 0.01, "two actions %.1f s apart in an 8 s window",
		      t_second - t_first);
	/* every action has a snapshot of the leaker since the one before */
	{
		char q[1024];

		snprintf(q, sizeof(q), "SELECT count(*) FROM mitigations m WHERE m.outcome = 'done'"
			 " AND NOT EXISTS (SELECT 1 FROM snapshots s JOIN collections c ON"
			 " c.id = s.collection WHERE c.pid = %d AND s.t <= m.t AND s.t > coalesce("
			 "(SELECT max(p.t) FROM mitigations p WHERE p.outcome = 'done' AND"
			 " p.subject = m.subject AND p.t < m.t), 0))", leaker);
		cr_expect_eq(sql_num(store2, q), 0, "an action without a snapshot before it");
		snprintf(q, sizeof(q), "SELECT min(s.t) FROM snapshots s JOIN collections c ON"
			 " c.id = s.collection WHERE c.pid = %d", leaker);
		cr_expect_lt(sql_num(store2, q), t_first, "the first snapshot came after the action");
	}
	cr_expect(strstr(slurp(err_path), "brake done of"), "the action is not in the log");
	/* 3. the leak stops: the stop rule, no further action */
	kill(leaker, SIGUSR1);
	t_stop = now_s();
	cr_log_info("leak stopped at %.0f", t_stop);
	x = wait_decision(listen, leaker, "stopped", 150);
	cr_assert(x, "the stop rule never held after the leak stopped: %s", slurp(err_path));
	json_decref(x);
	calls = metric(listen, "seep_mitigation_executor_calls_total");
	cr_expect_geq(calls, 2);
	sleep(20);	/* past the next window and back-off */
	cr_expect_eq(metric(listen, "seep_mitigation_executor_calls_total"), calls,
		     "acted again after the leak had stopped");
	{
		char q[256];

		/* an action between SIGUSR1 and the verdict turning is allowed; none after */
		snprintf(q, sizeof(q), "SELECT count(*) FROM mitigations WHERE outcome = 'done' AND"
			 " t > (SELECT min(t) FROM mitigations WHERE outcome = 'stopped')");
		cr_expect_eq(sql_num(store2, q), 0, "an action after the stop rule");
	}
	cr_expect(running(leaker), "the leaker does not run any more");
	/* the cache: no action, dry or real, in either run */
	m = mitigation(listen);
	cr_expect_eq(decisions(m, cache, "done", NULL) + decisions(m, cache, "dry_run", NULL), 0,
		     "the bounded cache was acted on");
	json_decref(m);
	{
		char q[128];

		snprintf(q, sizeof(q), "SELECT count(*) FROM mitigations WHERE pid = %d AND outcome"
			 " IN ('done', 'dry_run', 'failed')", cache);
		cr_expect_eq(sql_num(store, q) + sql_num(store2, q), 0, "the cache was acted on");
	}
	daemon_down(d);
}

/* systemd (a recording systemctl) and cgroup v2 (a cgroupfs-shaped tree):
 * neither exists on this machine. */
Test(mitigate, systemd_unit_and_v2_brake_on_shaped_tree, .init = setup, .fini = teardown,
     .timeout = 300)
{
	const char *listen = listen_at;
	char cgu[256], cgb[256], unit[64], plain[64], allow[200], root[200], store[128];
	char err_path[128], bin[128], log[160], script[512], file[400], high[400];
	int gou, gob;
	pid_t lu, lb, d;
	json_t *x;
	FILE *f;

	snprintf(unit, sizeof(unit), "seep-mit-%d.service", getpid());
	snprintf(plain, sizeof(plain), "seep-mit-v2-%d", getpid());
	cg_make(unit, cgu, sizeof(cgu));
	cg_make(plain, cgb, sizeof(cgb));
	/* the recording systemctl */
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	cr_assert_eq(mkdir(bin, 0755), 0);
	snprintf(log, sizeof(log), "%s/systemctl.log", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$@\" >> %s\n", log);
	snprintf(file, sizeof(file), "%s/systemctl", bin);
	cr_assert((f = fopen(file, "w")));
	fputs(script, f);
	fclose(f);
	chmod(file, 0755);
	/* the v2 tree: the braked cgroup at 50 MiB */
	snprintf(root, sizeof(root), "%s/cg2", dir);
	cr_assert_eq(mkdir(root, 0755), 0);
	snprintf(file, sizeof(file), "%s/cgroup.controllers", root);
	cr_assert((f = fopen(file, "w")));
	fputs("cpu memory pids\n", f);
	fclose(f);
	snprintf(file, sizeof(file), "%s/%s", root, plain);
	cr_assert_eq(mkdir(file, 0755), 0);
	{
		const char *const files[][2] = { { "memory.current", "52428800\n" },
						 { "memory.max", "max\n" },
						 { "memory.high", "max\n" } };

		for (int i = 0; i < 3; i++) {
			snprintf(file, sizeof(file), "%s/%s/%s", root, plain, files[i][0]);
			cr_assert((f = fopen(file, "w")));
			fputs(files[i][1], f);
			fclose(f);
		}
	}
	snprintf(high, sizeof(high), "%s/%s/memory.high", root, plain);
	snprintf(allow, sizeof(allow), "mitigation.allow=seep-mit-*.service,/%s", plain);
	snprintf(file, sizeof(file), "mitigation.cgroup_root=%s", root);
	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	lu = leaker_start(&gou);
	lb = leaker_start(&gob);
	cg_enter(cgu, lu);
	cg_enter(cgb, lb);
	{
		const char *args[] = { "--set", "mitigation.enabled=yes", "--set",
				       "mitigation.dry_run=no", "--set", allow, "--set", file,
				       "--set", "mitigation.window=600s", "--set",
				       "mitigation.min_verdicts=2", "--set", "mitigation.confidence=0.5",
				       "--set", "mitigation.host_cap=4", "--set",
				       "mitigation.brake_margin=16MiB",
				       "--set", "collect.comms=mitigate_leaker", NULL };

		d = daemon_up(listen, store, err_path, bin, args);
	}
	target_go(gou);
	target_go(gob);
	x = wait_decision(listen, lu, "done", 150);
	cr_assert(x, "the unit was never restarted: %s", slurp(err_path));
	cr_expect_str_eq(json_string_value(json_object_get(x, "action")), "restart");
	cr_expect_str_eq(json_string_value(json_object_get(x, "unit")), unit);
	json_decref(x);
	x = wait_decision(listen, lb, "done", 60);
	cr_assert(x, "the v2 cgroup was never braked: %s", slurp(err_path));
	cr_expect_str_eq(json_string_value(json_object_get(x, "action")), "brake");
	json_decref(x);
	sleep(5);	/* more intervals: still one action each in the 600 s window */
	snprintf(script, sizeof(script), "--no-block try-restart %s\n", unit);
	cr_expect_str_eq(slurp(log), script, "systemctl was not called exactly once so");
	cr_expect_str_eq(slurp(high), "69206016", "memory.high is not current + 16 MiB");
	cr_expect_eq(metric(listen, "seep_mitigation_executor_calls_total"), 2);
	cr_expect_geq(metric(listen, "seep_mitigation_decisions_total{action=\"restart\","
				     "outcome=\"done\"}"), 1);
	cr_expect(running(lu) && running(lb), "a leaker stopped running");
	daemon_down(d);
}

/* The pids of the tasks strace traced (the first field of its lines). */
static bool traced(const char *trace, long pid)
{
	char key[32];

	snprintf(key, sizeof(key), "\n%ld ", pid);
	return strstr(trace, key) || strtol(trace, NULL, 10) == pid;
}

Test(mitigate, unconfigured_no_writes_no_signals, .init = setup, .fini = teardown,
     .timeout = 240)
{
	const char *listen = listen_at;
	char store[128], err_path[128], trace_path[128], *trace, *line, children[64];
	int go;
	pid_t leaker, st, d = 0;
	int bad_signals = 0, bad_writes = 0, event_control = 0, cgroup_opens = 0;

	if (access("/usr/bin/strace", X_OK))
		cr_skip_test("no strace here");
	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(trace_path, sizeof(trace_path), "%s/trace", dir);
	leaker = leaker_start(&go);
	st = fork();
	if (st == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		char *argv[] = { "strace", "-f", "-qq", "-o", trace_path, "-e",
				 "trace=kill,tgkill,tkill,pidfd_send_signal,openat",
				 SEEP_BIN, "daemon", "-v", "-i", "1", "--store", store,
				 "--listen", (char *)listen, "--set", "detect.scale=3600",
				 "--set", "detect.threshold=384MiB", "--set",
				 "detect.min_samples=8", "--set", "telemetry.fold=2s",
				 "--set", "budget.cpu=0.5", "--set", "budget.bpf_cpu=0.5",
				 "--set", "collect.every=1s", "--set",
				 "collect.comms=mitigate_leaker",
				 /* no trap-cost calibration: under ptrace each of its
				  * 20,000 uretprobe syscalls stops for strace */
				 "--set", "collect.trap_ns=450", NULL };
		const char *asan = getenv("ASAN_OPTIONS");
		char opts[1024];

		/* a sanitized run: LeakSanitizer cannot work under ptrace */
		if (asan) {
			snprintf(opts, sizeof(opts), "%s:detect_leaks=0", asan);
			setenv("ASAN_OPTIONS", opts, 1);
		}
		dup2(fd, 2);
		execv("/usr/bin/strace", argv);
		_exit(127);
	}
	track(st);
	daemon_wait_ready(st, err_path, 90);	/* strace: the daemon under it */
	snprintf(children, sizeof(children), "/proc/%d/task/%d/children", st, st);
	d = (pid_t)strtol(slurp(children), NULL, 10);
	cr_assert_gt(d, 0, "no daemon under strace");
	target_go(go);
	for (int i = 0; i < scaled_tries(90) && !err_says(err_path, "snapshot 1 of pid"); i++)
		sleep(1);
	cr_expect(err_says(err_path, "snapshot 1 of pid"),
		  "the leaker was never suspected and collected: the test saw too little");
	cr_expect_eq(metric(listen, "seep_mitigation_executor_calls_total"), 0);
	cr_expect_eq(metric(listen, "seep_mitigation_enabled"), 0);
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(st, NULL, 0), st);
	trace = slurp(trace_path);
	cr_assert_gt(strlen(trace), 0, "strace wrote nothing");
	for (line = trace; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		static const char ec[] = "/cgroup.event_control\"";
		size_t len = strcspn(line, "\n");
		char l[2048], *call, *q, *q2;
		long target;

		snprintf(l, sizeof(l), "%.*s", (int)(len < sizeof(l) ? len : sizeof(l) - 1), line);
		if (!(call = strchr(l, ' ')))
			continue;
		call += strspn(call, " ");
		if (!strncmp(call, "kill(", 5) || !strncmp(call, "tkill(", 6) ||
		    !strncmp(call, "tgkill(", 7)) {
			target = strtol(strchr(call, '(') + 1, NULL, 10);
			if (target != 0 && !traced(trace, labs(target))) {
				bad_signals++;
				cr_log_error("a signal to pid %ld: %s", target, l);
			}
		} else if (!strncmp(call, "pidfd_send_signal(", 18)) {
			bad_signals++;
			cr_log_error("a pidfd signal: %s", l);
		} else if (!strncmp(call, "openat(", 7) && strstr(call, "\"/sys/fs/cgroup") &&
			   !(strstr(call, "O_WRONLY") || strstr(call, "O_RDWR"))) {
			cgroup_opens++;
		} else if (!strncmp(call, "openat(", 7) && strstr(call, "\"/sys/fs/cgroup")) {
			q = strchr(call, '"');
			q2 = q ? strchr(q + 1, '"') : NULL;
			if (q2 && (size_t)(q2 + 1 - q) > strlen(ec) &&
			    !strncmp(q2 + 1 - strlen(ec), ec, strlen(ec))) {
				event_control++;
				continue;
			}
			bad_writes++;
			cr_log_error("a write-open under /sys/fs/cgroup: %s", l);
		}
	}
	/* the trace is read right: it holds the daemon's reads of cgroup files */
	cr_expect_gt(cgroup_opens, 0, "no cgroup file read in the trace: is it parsed?");
	cr_expect_eq(bad_signals, 0, "signals to processes other than the daemon's own");
	cr_expect_eq(bad_writes, 0, "cgroup files opened for writing");
	cr_log_info("cgroup.event_control registrations (memory events): %d", event_control);
	cr_expect(running(leaker), "the leaker does not run any more");
}
