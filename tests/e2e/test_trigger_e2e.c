/* End to end: tier 2. `seep daemon` at a 1 s interval next to a steady
 * leaker and a bounded cache: a heap collection starts for the leaker (its
 * leak verdict) and not for the cache, completes on its own (the steady
 * rule: collect.snapshots snapshots), its series reads with `seep report`
 * and its top stack names the leaking function; while it runs the daemon
 * holds uprobe links, afterwards none. `seep status --snapshot PID` starts
 * a collection on request; /metrics counts them and passes promtool. Root. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

#define PORT "19476"
#define LISTEN "127.0.0.1:" PORT

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "trigger"), 0);
}

static void teardown(void)
{
	scratch__rmrf(dir);
}

static pid_t daemon_start(const char *err_path, char *const args[])
{
	char *argv[40] = { SEEP_BIN, "daemon" };
	int n = 2;
	pid_t pid;

	for (int i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static bool err_says(const char *err_path, const char *what)
{
	char buf[1 << 16];
	FILE *f = fopen(err_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
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
	char *argv[] = { SEEP_BIN, "status", "--listen", LISTEN, "--format", "json", NULL };
	struct run r;
	json_t *j;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "seep status: %s", r.err);
	j = json_loads(r.out, 0, NULL);
	cr_assert(j, "seep status printed no JSON: %s", r.out);
	run_release(&r);
	return j;
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
	char store[128], err_path[128], cmd[512];
	char *leak_argv[] = { TARGET("daemon_leaker"), "250", "512", NULL };
	char *cache_argv[] = { TARGET("daemon_cache"), "16", "250", NULL };
	int go_l, go_c, st, links_running = -1, cache_collected = 0;
	pid_t leaker, cache, d;
	json_t *done = NULL, *j = NULL;
	struct timespec t0, t1;
	struct run r;
	double latency;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = target_start(leak_argv, &go_l);
	cache = target_start(cache_argv, &go_c);
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", LISTEN,
				 "--set", "detect.scale=3600", "--set", "detect.threshold=256MiB",
				 "--set", "telemetry.fold=2s", "--set", "budget.bpf_cpu=0.2",
				 "--set", "collect.every=2s", "--set", "collect.snapshots=4",
				 "--set", "collect.cpu=1",
				 "--set", "collect.comms=daemon_leaker,daemon_cache", NULL };

		d = daemon_start(err_path, args);
	}
	for (int i = 0; i < 200 && !err_says(err_path, "daemon ready"); i++)
		usleep(100000);
	cr_assert(err_says(err_path, "daemon ready"), "the daemon did not get ready");
	target_go(go_l);
	target_go(go_c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 150 && !done; i++) {
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
	snprintf(cmd, sizeof(cmd), "curl -sf http://" LISTEN "/metrics > %s/metrics &&"
		 " promtool check metrics < %s/metrics && grep -E"
		 " '^seep_collections_completed_total\\{reason=\"snapshots\"\\} [1-9]' %s/metrics &&"
		 " grep -E '^seep_collection_triggers_total\\{trigger=\"request\"\\} 1$' %s/metrics",
		 dir, dir, dir, dir);
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
	/* SIGTERM: the running collection stops, exit 0 */
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon exited with %d", st);
	cr_expect(err_says(err_path, "stopped: daemon_stopped"),
		  "the requested collection did not stop with the daemon");
	kill(leaker, SIGKILL);
	kill(cache, SIGKILL);
	waitpid(leaker, NULL, 0);
	waitpid(cache, NULL, 0);
}
