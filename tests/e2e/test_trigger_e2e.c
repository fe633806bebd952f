/* End to end: tier 2. `seep daemon` at a 1 s interval next to a steady
 * leaker and a bounded cache: a heap collection starts for the leaker (its
 * leak verdict) and not for the cache, completes on its own (the steady
 * rule: collect.snapshots snapshots), its series reads with `seep report`
 * and its top stack names the leaking function; while it runs the daemon
 * holds uprobe links, afterwards none. `seep status --snapshot PID` starts
 * a collection on request; /metrics counts them and passes promtool.
 * The rules on request (pattern=stair, pattern=spike): a stair leaker's
 * collection completes on its steps, a spiky batch's when the spike comes
 * back down. The CPU budget: a busy allocator's probes whose BPF run time
 * is over collect.cpu get the sampling raised, then are detached
 * ("cpu_budget"); with the trap cost calibrated on the host, their traps
 * alone are over it and they are detached at once ("cpu_budget_traps");
 * a restart in the same boot takes the calibrated cost from the store; a
 * request the tracer refuses leaves no series directory. PSI: a low
 * threshold and reclaim in a small cgroup start a "pressure" collection.
 * cgroup v1: a leaker in a cgroup with a small limit is collected on the
 * cgroup's "limit" event (trigger "cgroup"), or on request, and when the
 * OOM killer picks it the collection ends "oom_victim" with its last
 * snapshot. Reference snapshots: a round on schedule writes a series per
 * build ID. Root. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

static char dir[64];
static char listen_at[32];	/* each test's daemon: a free loopback port */
#define LISTEN listen_at

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "trigger"), 0);
	free_listen(listen_at, sizeof(listen_at));
}

/* Every process a test starts (targets, daemons) is tracked: the teardown
 * kills it even when an assertion ended the test early. */
static pid_t tstart(char *const argv[], int *go)
{
	return procs_track(target_start(argv, go));
}

static void teardown(void)
{
	procs_kill_all();
	scratch__rmrf(dir);
}

/* Uprobe links (uprobe_multi or perf_event) the process PID holds. */
static int uprobe_links(pid_t pid)
{
	char path[320], line[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "link_type:", 10) &&
			    (strstr(line, "uprobe_multi") || strstr(line, "perf")))
				n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static json_t *status_json(void)
{
	return daemon_status_json(LISTEN);
}

static json_t *collection_of(json_t *status, pid_t pid)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(status, "collections"), i, c)
		if ((pid_t)json_integer_value(json_object_get(c, "pid")) == pid)
			return c;
	return NULL;
}

Test(trigger, leaker_collected_cache_not, .init = setup, .fini = teardown, .timeout = 240)
{
	char store[128], err_path[128], cmd[768];
	char *leak_argv[] = { TARGET("daemon_leaker"), "250", "512", NULL };
	char *cache_argv[] = { TARGET("daemon_cache"), "16", "250", NULL };
	int go_l, go_c, st, links_running = -1, cache_collected = 0, running = 0;
	pid_t leaker, cache, d;
	json_t *done = NULL, *j = NULL;
	struct timespec t0, t1;
	struct run r;
	double latency;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = tstart(leak_argv, &go_l);
	cache = tstart(cache_argv, &go_c);
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", LISTEN,
				 "--set", "detect.scale=3600", "--set", "detect.threshold=256MiB",
				 "--set", "telemetry.fold=2s", "--set", "budget.bpf_cpu=0.2",
				 "--set", "collect.every=2s", "--set", "collect.snapshots=4",
				 "--set", "collect.cpu=1",
				 "--set", "collect.comms=daemon_leaker,daemon_cache",
				 "--set", "trigger.psi=", "--set", "trigger.cgroup=no", NULL };

		d = daemon_spawn(err_path, NULL, args);
	}
	daemon_wait_ready(d, err_path, 60);
	target_go(go_l);
	target_go(go_c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < scaled_tries(150) && !done; i++) {
		json_t *c;

		usleep(500000);
		json_decref(j);
		j = status_json();
		if (collection_of(j, cache))
			cache_collected = 1;
		c = collection_of(j, leaker);
		if (c && !strcmp(json_string_value(json_object_get(c, "state")), "running") &&
		    links_running <= 0)
			links_running = uprobe_links(d);
		if (c && !strcmp(json_string_value(json_object_get(c, "state")), "complete"))
			done = c;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	latency = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	fprintf(stderr, "trigger e2e: leak start to completed collection %.1f s\n", latency);
	cr_assert(done, "no collection of the leaker (pid %d) completed", leaker);
	cr_expect_str_eq(json_string_value(json_object_get(done, "trigger")), "leak");
	cr_expect_str_eq(json_string_value(json_object_get(done, "pattern")), "steady");
	cr_expect_str_eq(json_string_value(json_object_get(done, "reason")), "snapshots");
	cr_expect_eq(json_array_size(json_object_get(done, "snapshots")), 4);
	cr_expect_gt(links_running, 0, "no uprobe link seen while the collection ran");
	/* the probes are gone */
	cr_expect_eq(uprobe_links(d), 0, "uprobe links left after the collection completed");
	/* the series reads with seep report; its top stack names the leak */
	{
		const char *series = json_string_value(json_object_get(done, "dir"));
		const char *last = json_string_value(json_array_get(
			json_object_get(done, "snapshots"), 3));
		char *argv[] = { SEEP_BIN, "report", (char *)series, "--format", "json",
				 "--no-chart", NULL };
		struct stat sb;
		json_t *rep, *top, *f;
		size_t k;
		int named = 0;

		cr_assert_eq(stat(last, &sb), 0, "no snapshot file '%s'", last);
		cr_expect_eq(sb.st_mode & 0777, 0600, "snapshot mode %o", sb.st_mode & 0777);
		run_cmd(argv, NULL, &r);
		cr_assert_eq(r.status, 0, "seep report: %s", r.err);
		rep = json_loads(r.out, 0, NULL);
		cr_assert(rep, "seep report printed no JSON: %s", r.out);
		top = json_array_get(json_object_get(rep, "stacks"), 0);
		cr_assert(top, "no stack in the series");
		cr_expect_gt(json_integer_value(json_array_get(json_object_get(top, "bytes"), 3)),
			     1 << 20, "the last snapshot holds less than 1 MiB of the leak");
		json_array_foreach(json_object_get(top, "frames"), k, f)
			if (!strcmp(json_string_value(json_object_get(f, "function")) ?: "",
				    "leak_chunk"))
				named = 1;
		cr_expect(named, "the top stack does not name leak_chunk: %s", r.out);
		json_decref(rep);
		run_release(&r);
	}
	json_decref(j);
	j = NULL;
	/* give the cache time to be misjudged */
	sleep(5);
	j = status_json();
	if (collection_of(j, cache))
		cache_collected = 1;
	json_decref(j);
	cr_expect(!cache_collected, "the bounded cache (pid %d) was collected", cache);
	/* on request: a collection of the cache, refused twice over */
	{
		char pid_s[16];
		char *argv[] = { SEEP_BIN, "status", "--listen", LISTEN, "--snapshot", pid_s,
				 "--format", "json", NULL };
		json_t *a;

		snprintf(pid_s, sizeof(pid_s), "%d", cache);
		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 0, "seep status --snapshot: %s %s", r.out, r.err);
		a = json_loads(r.out, 0, NULL);
		cr_expect(a && json_integer_value(json_object_get(a, "pid")) == cache,
			  "no collection in the answer: %s", r.out);
		json_decref(a);
		run_release(&r);
		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1, "a second request for a running collection was taken");
		run_release(&r);
		snprintf(pid_s, sizeof(pid_s), "%d", 4194000);
		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1, "a request for no process was taken");
		run_release(&r);
		j = status_json();
		cr_expect_str_eq(json_string_value(json_object_get(collection_of(j, cache),
								   "trigger")), "request");
		json_decref(j);
	}
	/* /metrics: the counters, promtool clean */
	snprintf(cmd, sizeof(cmd), "curl -sf http://%s/metrics > %s/metrics &&"
		 " promtool check metrics < %s/metrics && grep -E"
		 " '^seep_collections_completed_total\\{reason=\"snapshots\"\\} [1-9]' %s/metrics &&"
		 " grep -E '^seep_collection_triggers_total\\{trigger=\"request\"\\} 1$' %s/metrics",
		 LISTEN, dir, dir, dir, dir);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 0, "metrics: %s %s", r.out, r.err);
		run_release(&r);
	}
	/* the catalogue */
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"SELECT count(*) FROM snapshots s JOIN collections c"
		 " ON s.collection = c.id WHERE c.pid = %d AND c.state = 'complete' AND"
		 " c.reason = 'snapshots' AND c.trigger = 'leak'\"", store, leaker);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
		cr_expect_eq(atoi(r.out), 4, "catalogued snapshots: %s %s", r.out, r.err);
		run_release(&r);
	}
	/* SIGTERM: the running collection stops, exit 0. On a slow machine the
	 * requested collection (4 snapshots, 2 s apart) may have completed by
	 * now: then it must say so, and the stop has nothing to cut short. */
	j = status_json();
	{
		const char *state = json_string_value(json_object_get(collection_of(j, cache),
								      "state"));

		running = state && !strcmp(state, "running");
		cr_expect(running || (state && !strcmp(state, "complete")),
			  "the requested collection is neither running nor complete: %s",
			  state ? state : "(none)");
	}
	json_decref(j);
	j = NULL;
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon exited with %d", st);
	if (running)
		cr_expect(file_says(err_path, "stopped: daemon_stopped"),
			  "the requested collection did not stop with the daemon");
	else
		fprintf(stderr, "trigger e2e: the requested collection completed before SIGTERM\n");
	kill(leaker, SIGKILL);
	kill(cache, SIGKILL);
	waitpid(leaker, NULL, 0);
	waitpid(cache, NULL, 0);
}

/* ---- the rules, the budget, PSI, the OOM victim, references ------------- */

/* Starts the daemon on LISTEN with the test's common settings and ARGS,
 * waits until it is ready. */
static pid_t daemon_up(const char *listen, const char *err_path, const char *const extra[])
{
	char store[128], *args[48] = { "-v", "-i", "1", "--store", store, "--listen",
				       (char *)listen, "--set", "telemetry.fold=1s",
				       "--set", "budget.bpf_cpu=0.5", "--set", "budget.cpu=0.5",
				       "--set", "collect.top_k=0", "--set", "reference.every=0",
				       /* a busy host's pressure must not start collections the
				        * test did not ask for (the PSI test sets its own) */
				       "--set", "trigger.psi=" };
	int n = 19;
	pid_t d;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	for (int i = 0; extra[i] && n < 47; i++)
		args[n++] = (char *)extra[i];
	args[n] = NULL;
	d = daemon_spawn(err_path, NULL, args);
	daemon_wait_ready(d, err_path, 60);
	return d;
}

static void daemon_down(pid_t d)
{
	int st = daemon_stop(d);

	cr_expect_eq(st, 0, "the daemon exited with %d", st);
}

static void target_kill(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* POST /api/snapshot?pid=PID[&pattern=PAT]: the HTTP status. */
static int request(const char *listen, pid_t pid, const char *pat)
{
	char cmd[256];
	struct run r;
	int code;

	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{http_code}' -X POST"
		 " 'http://%s/api/snapshot?pid=%d%s%s'", listen, pid, pat ? "&pattern=" : "",
		 pat ? pat : "");
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
	}
	code = atoi(r.out);
	run_release(&r);
	return code;
}

/* Waits up to SECS for the collection of PID to complete: a new reference
 * (the caller decrefs), or NULL. */
static json_t *wait_complete(const char *listen, pid_t pid, int secs)
{
	for (int i = 0; i < scaled_tries(secs * 2); i++) {
		json_t *j = daemon_status_json(listen), *c = collection_of(j, pid);

		if (c && !strcmp(json_string_value(json_object_get(c, "state")), "complete")) {
			json_incref(c);
			json_decref(j);
			return c;
		}
		json_decref(j);
		usleep(500000);
	}
	return NULL;
}

/* `seep report` of SERIES: its top stack names FN, and the series has
 * at least MIN snapshots. */
static void expect_top(const char *series, const char *fn, size_t min)
{
	char *argv[] = { SEEP_BIN, "report", (char *)series, "--format", "json", "--no-chart",
			 NULL };
	json_t *rep, *top, *f;
	struct run r;
	size_t k;
	int named = 0;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "seep report '%s': %s", series, r.err);
	rep = json_loads(r.out, 0, NULL);
	cr_assert(rep, "seep report printed no JSON: %s", r.out);
	top = json_array_get(json_object_get(rep, "stacks"), 0);
	cr_assert(top, "no stack in the series '%s'", series);
	cr_expect_geq(json_array_size(json_object_get(top, "bytes")), min,
		      "fewer than %zu snapshots in '%s'", min, series);
	json_array_foreach(json_object_get(top, "frames"), k, f)
		if (!strcmp(json_string_value(json_object_get(f, "function")) ?: "", fn))
			named = 1;
	cr_expect(named, "the top stack of '%s' does not name %s: %s", series, fn, r.out);
	json_decref(rep);
	run_release(&r);
}

Test(trigger, rules_stair_and_spike, .init = setup, .fini = teardown, .timeout = 180)
{
	const char *listen = LISTEN;
	char err_path[128];
	char *stair_argv[] = { TARGET("daemon_stair"), "2500", "8", NULL };
	char *spiky_argv[] = { TARGET("daemon_spiky"), "4000", "32", "2500", NULL };
	const char *extra[] = { "--set", "collect.every=1s", "--set", "collect.steps=2",
				"--set", "collect.max_active=4", "--set", "collect.cpu=10",
				"--set", "collect.comms=daemon_stair,daemon_spiky", NULL };
	int go_a, go_b;
	pid_t stair, spiky, d;
	json_t *cs, *cp;

	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	stair = tstart(stair_argv, &go_a);
	spiky = tstart(spiky_argv, &go_b);
	d = daemon_up(listen, err_path, extra);
	target_go(go_a);
	target_go(go_b);
	sleep(2);
	cr_assert_eq(request(listen, stair, "stair"), 202, "the stair request was refused");
	cr_assert_eq(request(listen, spiky, "spike"), 202, "the spike request was refused");
	cr_expect_eq(request(listen, spiky, "bogus"), 400, "a bad pattern was taken");
	cs = wait_complete(listen, stair, 60);
	cp = wait_complete(listen, spiky, 60);
	cr_assert(cs, "the stair collection did not complete");
	cr_assert(cp, "the spike collection did not complete");
	cr_expect_str_eq(json_string_value(json_object_get(cs, "pattern")), "stair");
	cr_expect_str_eq(json_string_value(json_object_get(cs, "reason")), "steps");
	expect_top(json_string_value(json_object_get(cs, "dir")), "stair_block", 2);
	cr_expect_str_eq(json_string_value(json_object_get(cp, "pattern")), "spike");
	cr_expect_str_eq(json_string_value(json_object_get(cp, "reason")), "spike_receded");
	cr_expect_geq(json_array_size(json_object_get(cp, "snapshots")), 1,
		      "the spike's series has no snapshot");
	cr_expect_eq(uprobe_links(d), 0, "uprobe links left after both collections completed");
	json_decref(cs);
	json_decref(cp);
	daemon_down(d);
	target_kill(stair);
	target_kill(spiky);
}

Test(trigger, cpu_budget_raises_then_detaches, .init = setup, .fini = teardown, .timeout = 120)
{
	const char *listen = LISTEN;
	char err_path[128];
	char *churn_argv[] = { TARGET("daemon_churn"), "3000", NULL };
	/* traps at 0.01 ns a hit: next to nothing, so that the BPF run time
	 * (~10% of the churner's CPU) is what goes over the budget */
	const char *extra[] = { "--set", "collect.every=60s", "--set", "collect.cpu=0.01",
				"--set", "collect.trap_ns=0.01", "--set",
				"collect.comms=daemon_churn", NULL };
	int go;
	pid_t churn, d;
	json_t *c;

	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	churn = tstart(churn_argv, &go);
	d = daemon_up(listen, err_path, extra);
	target_go(go);
	cr_assert_eq(request(listen, churn, NULL), 202, "the request was refused");
	c = wait_complete(listen, churn, 60);
	cr_assert(c, "the collection of the busy allocator did not stop");
	cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "cpu_budget");
	cr_expect_eq(json_integer_value(json_object_get(c, "budget_actions")), 2);
	cr_expect_eq(json_integer_value(json_object_get(c, "sample_bytes")), 8 * 512 * 1024,
		     "the sampling interval was not raised eightfold");
	cr_expect_gt(json_real_value(json_object_get(c, "bpf_cpu_ratio")), 0.0001);
	cr_expect_lt(json_real_value(json_object_get(c, "traps_cpu_ratio")), 0.01);
	cr_expect_gt(json_integer_value(json_object_get(c, "hits")), 0);
	cr_expect(file_says(err_path, "sampling every 4194304 bytes"), "no raise logged");
	cr_expect(file_says(err_path, "stopped: cpu_budget"), "no stop logged");
	cr_expect_eq(uprobe_links(d), 0, "uprobe links left after the budget detached them");
	json_decref(c);
	daemon_down(d);
	target_kill(churn);
}

/* The collections directory of the test's daemon holds no series. */
static bool no_series(void)
{
	char path[128];
	struct dirent *e;
	DIR *d;
	bool none = true;

	snprintf(path, sizeof(path), "%s/collections", dir);
	if (!(d = opendir(path)))
		return true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			none = false;
	closedir(d);
	return none;
}

/* GET /api/collections, parsed (asserted JSON). */
static json_t *api_collections(const char *listen)
{
	char *argv[] = { "/bin/sh", "-c", NULL, NULL }, cmd[160];
	struct run r;
	json_t *j;

	snprintf(cmd, sizeof(cmd), "curl -sf http://%s/api/collections", listen);
	argv[2] = cmd;
	run_cmd(argv, NULL, &r);
	j = json_loads(r.out, 0, NULL);
	run_release(&r);
	cr_assert(j, "/api/collections is not JSON");
	return j;
}

Test(trigger, cpu_budget_traps_detach_at_once, .init = setup, .fini = teardown, .timeout = 120)
{
	const char *listen = LISTEN;
	char err_path[128];
	char *churn_argv[] = { TARGET("daemon_churn"), "3000", NULL };
	char *noalloc_argv[] = { TARGET("noalloc"), NULL };
	const char *extra[] = { "--set", "collect.every=60s", "--set", "collect.cpu=0.05",
				"--set", "collect.comms=daemon_churn,noalloc", NULL };
	int go, go_n;
	pid_t churn, noalloc, d;
	json_t *j, *b, *c;
	double trap_ns;

	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	churn = tstart(churn_argv, &go);
	noalloc = tstart(noalloc_argv, &go_n);
	d = daemon_up(listen, err_path, extra);
	target_go(go);
	/* a process the tracer cannot hook: refused, and nothing on disk */
	cr_expect_eq(request(listen, noalloc, NULL), 500, "a process without an allocator");
	cr_expect(no_series(), "the refused request left a series directory");
	cr_assert_eq(request(listen, churn, NULL), 202, "the request was refused");
	c = wait_complete(listen, churn, 60);
	cr_assert(c, "the collection of the busy allocator did not stop");
	cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "cpu_budget_traps");
	cr_expect_eq(json_integer_value(json_object_get(c, "budget_actions")), 1);
	cr_expect_eq(json_integer_value(json_object_get(c, "sample_bytes")), 512 * 1024,
		     "the sampling was raised: traps do not change with it");
	cr_expect_gt(json_real_value(json_object_get(c, "traps_cpu_ratio")), 0.05);
	cr_expect_geq(json_real_value(json_object_get(c, "cost_cpu_ratio")),
		      json_real_value(json_object_get(c, "traps_cpu_ratio")) +
		      json_real_value(json_object_get(c, "bpf_cpu_ratio")) - 1e-9);
	cr_expect_gt(json_integer_value(json_object_get(c, "hits")), 1000);
	cr_expect(file_says(err_path, "uprobe trap cost calibrated"), "no calibration logged");
	cr_expect(file_says(err_path, "stopped: cpu_budget_traps"), "no stop logged");
	cr_expect_eq(uprobe_links(d), 0, "uprobe links left after the budget detached them");
	json_decref(c);
	/* the budget as the API shows it: the calibrated trap cost, the action */
	j = api_collections(listen);
	b = json_object_get(j, "budget");
	cr_expect_str_eq(json_string_value(json_object_get(b, "trap_source")), "calibrated");
	trap_ns = json_number_value(json_object_get(b, "trap_ns"));
	cr_expect_gt(trap_ns, 50);
	cr_expect_lt(trap_ns, 50000);
	cr_expect_eq(json_integer_value(json_object_get(b, "detached_traps")), 1);
	cr_expect_eq(json_integer_value(json_object_get(b, "sample_raised")), 0);
	json_decref(j);
	daemon_down(d);
	/* started again in the same boot: the trap cost from the store, no
	 * second calibration */
	snprintf(err_path, sizeof(err_path), "%s/err2", dir);
	d = daemon_up(listen, err_path, extra);
	j = api_collections(listen);
	b = json_object_get(j, "budget");
	cr_expect_str_eq(json_string_value(json_object_get(b, "trap_source")), "stored");
	cr_expect_float_eq(json_number_value(json_object_get(b, "trap_ns")), trap_ns, 0.06);
	cr_expect(file_says(err_path, "calibrated earlier in this boot"), "the stored cost not logged");
	cr_expect(!file_says(err_path, "uprobe trap cost calibrated"), "calibrated again");
	json_decref(j);
	daemon_down(d);
	target_kill(churn);
	target_kill(noalloc);
}

/* A cgroup v1 memory child NAME with LIMIT bytes (memory and swap), or
 * skip the test where there is none. */
static void cg_make(const char *name, uint64_t limit, char *path, size_t len)
{
	char file[300];
	FILE *f;

	snprintf(path, len, "/sys/fs/cgroup/memory/%s", name);
	if (access("/sys/fs/cgroup/memory/cgroup.event_control", F_OK))
		cr_skip_test("no cgroup v1 memory controller with cgroup.event_control here");
	rmdir(path);
	cr_assert(mkdir(path, 0755) == 0, "cannot create '%s'", path);
	snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", path);
	cr_assert((f = fopen(file, "w")), "cannot open '%s'", file);
	fprintf(f, "%llu\n", (unsigned long long)limit);
	cr_assert_eq(fclose(f), 0, "cannot set the limit of '%s'", path);
	snprintf(file, sizeof(file), "%s/memory.memsw.limit_in_bytes", path);
	if ((f = fopen(file, "w"))) {	/* absent without swap accounting */
		fprintf(f, "%llu\n", (unsigned long long)limit);
		fclose(f);
	}
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

static void cg_remove(const char *path)
{
	for (int i = 0; i < 50 && rmdir(path); i++)
		usleep(100000);
}

/* A leaker in a 48 MiB cgroup, collected on the cgroup's limit event
 * (BY_REQUEST false) or on request, then OOM-killed: the collection ends
 * "oom_victim" and its last snapshot, written before the process was
 * gone, names the leak. */
static void oom_case(const char *listen, const char *cg, bool by_request)
{
	char err_path[128], path[256];
	char *leak_argv[] = { TARGET("daemon_leaker"), "200", "1024", NULL };
	const char *extra[] = { "--set", "collect.every=1s", "--set", "collect.snapshots=1000",
				"--set", "collect.cpu=10", "--set", "trigger.cgroup_share=0.5",
				"--set", "collect.comms=daemon_leaker", NULL };
	int go, st;
	pid_t leaker, d;
	json_t *c, *snaps;

	cg_make(cg, 48 << 20, path, sizeof(path));
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = tstart(leak_argv, &go);
	cg_enter(path, leaker);
	d = daemon_up(listen, err_path, extra);
	if (by_request) {
		cr_assert_eq(request(listen, leaker, NULL), 202, "the request was refused");
	} else {
		for (int i = 0; i < scaled_tries(50) && !file_says(err_path, "watching its memory events"); i++)
			usleep(100000);
		cr_assert(file_says(err_path, "watching its memory events"),
			  "the daemon does not watch the cgroup's memory events");
	}
	target_go(go);
	cr_assert_eq(waitpid(leaker, &st, 0), leaker);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the leaker was not OOM-killed");
	c = wait_complete(listen, leaker, 20);
	cr_assert(c, "the collection of the OOM victim did not complete");
	cr_expect_str_eq(json_string_value(json_object_get(c, "trigger")),
			 by_request ? "request" : "cgroup");
	cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "oom_victim");
	snaps = json_object_get(c, "snapshots");
	cr_assert_geq(json_array_size(snaps), 1, "no snapshot of the OOM victim");
	cr_expect(file_says(err_path, "as its victim"), "the mark_victim event was not seen");
	if (!by_request)
		cr_expect(file_says(err_path, "memory event 'limit'"), "no limit event logged");
	expect_top(json_string_value(json_object_get(c, "dir")), "leak_chunk", 1);
	cr_expect_eq(uprobe_links(d), 0, "uprobe links left after the OOM victim");
	json_decref(c);
	daemon_down(d);
	cg_remove(path);
}

Test(trigger, oom_victim_on_request, .init = setup, .fini = teardown, .timeout = 120)
{
	oom_case(LISTEN, "seep-trigger-oom-req", true);
}

Test(trigger, cgroup_limit_event_then_oom_victim, .init = setup, .fini = teardown,
     .timeout = 120)
{
	oom_case(LISTEN, "seep-trigger-oom-cg", false);
}

/* The "some" line's total stall of /proc/pressure/memory, microseconds. */
static unsigned long long psi_some_total_us(void)
{
	unsigned long long total = 0;
	char line[256];
	FILE *f = fopen("/proc/pressure/memory", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *t = strstr(line, "total=");

		if (!strncmp(line, "some", 4) && t)
			total = strtoull(t + 6, NULL, 10);
	}
	fclose(f);
	return total;
}

/* Memory stall from reclaim: a writer of a file far larger than its 16 MiB
 * cgroup. Real pressure, and a trigger threshold low enough (1 ms of stall
 * in a 2 s window) that this load crosses it. */
Test(trigger, psi_pressure, .init = setup, .fini = teardown, .timeout = 120)
{
	const char *listen = LISTEN;
	char err_path[128], path[256], cmd[512];
	char *cache_argv[] = { TARGET("daemon_cache"), "8", "250", NULL };
	const char *extra[] = { "--set", "collect.every=1s", "--set", "collect.snapshots=2",
				"--set", "trigger.psi=some 1000 2000000", "--set",
				"trigger.psi_cooldown=0s", "--set", "trigger.cgroup=no",
				"--set", "collect.comms=daemon_cache", NULL };
	int go;
	pid_t cache, d;
	json_t *c = NULL;
	unsigned long long stall0;
	struct run r;

	if (access("/proc/pressure/memory", F_OK))
		cr_skip_test("no /proc/pressure/memory (PSI off)");
	cg_make("seep-trigger-psi", 16 << 20, path, sizeof(path));
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	cache = tstart(cache_argv, &go);
	d = daemon_up(listen, err_path, extra);
	cr_assert(file_says(err_path, "memory pressure trigger: 'some 1000 2000000'"),
		  "the PSI trigger was not set");
	target_go(go);
	sleep(2);
	stall0 = psi_some_total_us();
	snprintf(cmd, sizeof(cmd), "echo $$ > %s/cgroup.procs && for i in 1 2 3 4 5; do"
		 " dd if=/dev/zero of=/var/tmp/seep-psi-%d bs=1M count=300 conv=fsync"
		 " 2>/dev/null; done; rm -f /var/tmp/seep-psi-%d", path, getpid(), getpid());
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 0, "the reclaim load failed: %s", r.err);
		run_release(&r);
	}
	c = wait_complete(listen, cache, 30);
	if (!c && psi_some_total_us() - stall0 < 1000) {
		/* The trigger is only as good as the stall the load makes: a host
		 * that reclaims without stalling gives nothing to trigger on. */
		daemon_down(d);
		target_kill(cache);
		cg_remove(path);
		cr_skip_test("the reclaim load made no memory stall here (PSI some total grew < 1 ms)");
	}
	cr_assert(c, "no pressure collection of pid %d (PSI some total grew %llu us)", cache,
		  (unsigned long long)(psi_some_total_us() - stall0));
	cr_expect_str_eq(json_string_value(json_object_get(c, "trigger")), "pressure");
	cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "snapshots");
	cr_expect(file_says(err_path, "memory pressure: 'some 1000 2000000' crossed"));
	json_decref(c);
	daemon_down(d);
	target_kill(cache);
	cg_remove(path);
}

/* A round of reference snapshots on schedule: the healthy cache gets one,
 * into references/BUILD_ID/EPOCH, a series `seep report` reads, and a
 * catalogue row with trigger "reference". */
Test(trigger, reference_snapshots, .init = setup, .fini = teardown, .timeout = 120)
{
	const char *listen = LISTEN;
	char err_path[128], refs[128], cmd[512];
	char *cache_argv[] = { TARGET("daemon_cache"), "8", "100", NULL };
	const char *extra[] = { "--set", "reference.every=3s", "--set", "reference.duration=2s",
				"--set", "reference.count=2", "--set", "reference.sample_bytes=64KiB",
				"--set", "collect.comms=daemon_cache", NULL };
	int go;
	pid_t cache, d;
	json_t *c;
	struct run r;

	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(refs, sizeof(refs), "%s/references", dir);
	cache = tstart(cache_argv, &go);
	target_go(go);
	/* the daemon_up default reference.every=0 is overridden by the later --set */
	d = daemon_up(listen, err_path, extra);
	c = wait_complete(listen, cache, 30);
	cr_assert(c, "no reference snapshot of pid %d", cache);
	cr_expect_str_eq(json_string_value(json_object_get(c, "trigger")), "reference");
	cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "snapshots");
	cr_expect_eq(json_array_size(json_object_get(c, "snapshots")), 1);
	cr_expect_eq(json_integer_value(json_object_get(c, "sample_bytes")), 64 * 1024);
	cr_expect(!strncmp(json_string_value(json_object_get(c, "dir")), refs, strlen(refs)),
		  "the reference is not under '%s': %s", refs,
		  json_string_value(json_object_get(c, "dir")));
	expect_top(json_string_value(json_object_get(c, "dir")), "main", 1);
	json_decref(c);
	/* the next rounds append to the same build ID's series (the last one may stop
	 * with the daemon: daemon_stopped, its snapshot taken all the same) */
	sleep(6);
	daemon_down(d);
	snprintf(cmd, sizeof(cmd), "ls %s/*/*/snap-*.pb.gz | wc -l; ls -d %s/*/* | wc -l;"
		 " sqlite3 %s/seep.db \"SELECT count(*) FROM collections WHERE"
		 " trigger = 'reference' AND pid = %d\"",
		 refs, refs, dir, cache);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		int snaps = 0, series = 0, rows = 0;

		run_cmd(argv, NULL, &r);
		sscanf(r.out, "%d %d %d", &snaps, &series, &rows);
		cr_expect_geq(snaps, 2, "one series per build ID should hold every round: %s",
			      r.out);
		cr_expect_eq(series, 1, "more than one reference series: %s", r.out);
		cr_expect_eq(rows, snaps, "catalogue rows: %s", r.out);
		run_release(&r);
	}
	target_kill(cache);
}
