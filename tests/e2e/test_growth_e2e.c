/* End to end: growth stacks in the daemon (telemetry.growth_stacks =
 * suspects, the default). `seep daemon` at a 1 s interval next to a steady
 * leaker (daemon_leaker: leak_chunk touches what it allocates, so its
 * memory grows through page faults) and a bounded cache: `seep status
 * --format json` shows the leaker as a suspect whose growth stacks name
 * leak_chunk, and the cache as none; /api/growth?pid=N answers the stacks,
 * a bad pid argument is a 400, the daemon's own pid a 404 (it never
 * follows itself); /metrics counts the growth programs and
 * stacks. Prints the time from the leak's start to that suspect. Root. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

static char dir[64];
static char listen_at[32];	/* the daemon's: a free loopback port */
#define LISTEN listen_at

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "growth"), 0);
	free_listen(listen_at, sizeof(listen_at));
}

static void teardown(void)
{
	procs_kill_all();
	scratch__rmrf(dir);
}

static json_t *suspect_of(json_t *status, pid_t pid)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(status, "suspects"), i, s)
		if ((pid_t)json_integer_value(json_object_get(s, "pid")) == pid &&
		    !strcmp(json_string_value(json_object_get(s, "kind")), "process"))
			return s;
	return NULL;
}

/* The growth stack (of a suspect's "growth") naming FN, or NULL. */
static json_t *growth_naming(json_t *growth, const char *fn)
{
	json_t *g, *f;
	size_t i, k;

	json_array_foreach(growth, i, g)
		json_array_foreach(json_object_get(g, "functions"), k, f)
			if (json_is_string(f) && !strcmp(json_string_value(f), fn))
				return g;
	return NULL;
}

Test(growth, suspect_names_leaking_function, .init = setup, .fini = teardown, .timeout = 180)
{
	char store[128], err_path[128], path[64], *body;
	char *leak_argv[] = { TARGET("daemon_leaker"), "250", "512", NULL };
	char *cache_argv[] = { TARGET("daemon_cache"), "16", "250", NULL };
	int go_l, go_c, st;
	pid_t leaker, cache, d;
	json_t *j = NULL, *found = NULL;
	struct timespec t0, t1;
	double latency;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = procs_track(target_start(leak_argv, &go_l));
	cache = procs_track(target_start(cache_argv, &go_c));
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", LISTEN,
				 "--set", "detect.scale=3600", "--set", "detect.threshold=256MiB",
				 "--set", "telemetry.fold=2s", "--set", "budget.bpf_cpu=0.5",
				 "--set", "collect.top_k=0", "--set", "reference.every=0", NULL };

		d = daemon_spawn(err_path, NULL, args);
	}
	daemon_wait_ready(d, err_path, 60);
	cr_assert(file_says(err_path, "growth stacks: suspects"), "the growth stacks are not on");
	target_go(go_l);
	target_go(go_c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < scaled_tries(200) && !found; i++) {
		json_t *s;

		usleep(250000);
		json_decref(j);
		j = daemon_status_json(LISTEN);
		s = suspect_of(j, leaker);
		if (s && json_is_true(json_object_get(s, "active")) &&
		    growth_naming(json_object_get(s, "growth"), "leak_chunk"))
			found = s;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	latency = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	fprintf(stderr, "growth e2e: leak start to suspect with a growth stack naming leak_chunk"
		" %.1f s\n", latency);
	cr_assert(found, "the leaker (pid %d) is no suspect whose growth stacks name leak_chunk: %s",
		  leaker, json_dumps(json_object_get(j, "suspects"), JSON_COMPACT));
	{
		json_t *g = json_object_get(found, "growth");
		json_t *top = json_array_get(g, 0);

		cr_expect_leq(json_array_size(g), 3, "more than 3 growth stacks with a suspect");
		cr_expect_gt(json_number_value(json_object_get(top, "grown_bytes")), 0);
		cr_expect_gt(json_integer_value(json_object_get(top, "samples")), 0);
		for (size_t i = 1; i < json_array_size(g); i++)
			cr_expect_geq(json_number_value(json_object_get(json_array_get(g, i - 1),
									"grown_bytes")),
				      json_number_value(json_object_get(json_array_get(g, i),
									"grown_bytes")),
				      "growth stacks not sorted by grown bytes");
	}
	/* the bounded cache is no suspect, and is not followed */
	cr_expect(!suspect_of(j, cache) ||
		  !json_is_true(json_object_get(suspect_of(j, cache), "active")),
		  "the bounded cache (pid %d) is a suspect", cache);
	json_decref(j);
	/* /api/growth of the leaker: its stacks; of the cache: none; bad pid: 400 */
	snprintf(path, sizeof(path), "/api/growth?pid=%d&top=5", leaker);
	cr_assert_eq(http_call("GET", LISTEN, path, &body), 200, "GET %s: %s", path, body);
	j = json_loads(body, 0, NULL);
	cr_assert(j, "GET %s: no JSON: %s", path, body);
	cr_expect_eq(json_integer_value(json_object_get(j, "pid")), leaker);
	cr_expect_leq(json_array_size(json_object_get(j, "stacks")), 5);
	{
		json_t *s, *f;
		size_t i, k;
		int named = 0;

		json_array_foreach(json_object_get(j, "stacks"), i, s)
			json_array_foreach(json_object_get(s, "frames"), k, f)
				named += json_is_string(json_object_get(f, "function")) &&
					 !strcmp(json_string_value(json_object_get(f, "function")),
						 "leak_chunk");
		cr_expect_gt(named, 0, "/api/growth names no leak_chunk frame: %s", body);
	}
	json_decref(j);
	free(body);
	snprintf(path, sizeof(path), "/api/growth?pid=%d", cache);
	cr_expect_eq(http_call("GET", LISTEN, path, &body), 404, "the cache has growth stacks: %s",
		     body);
	free(body);
	cr_expect_eq(http_call("GET", LISTEN, "/api/growth?pid=abc", &body), 400, "a bad pid: %s",
		     body);
	free(body);
	/* never its own: a daemon whose memory grows (under ASan, always) is
	 * no process whose growth stacks it unwinds */
	snprintf(path, sizeof(path), "/api/growth?pid=%d", d);
	cr_expect_eq(http_call("GET", LISTEN, path, &body), 404, "the daemon follows itself: %s",
		     body);
	free(body);
	/* /metrics: the growth counters and the growth programs' costs */
	cr_assert_eq(http_call("GET", LISTEN, "/metrics", &body), 200);
	{
		const char *m = body;

		cr_expect(strstr(m, "seep_growth_loaded 1"), "no seep_growth_loaded 1 in /metrics");
		cr_expect(strstr(m, "seep_growth_watched_processes 1"),
			  "the leaker alone is not followed");
		cr_expect(strstr(m, "seep_growth_stacks_added_total"),
			  "no seep_growth_stacks_added_total in /metrics");
		cr_expect(strstr(m, "seep_bpf_prog_runs_total{prog=\"page_fault_user_growth\"}") ||
			  strstr(m, "seep_bpf_prog_runs_total{prog=\"page_fault_u"),
			  "the growth programs are not in the cost list");
	}
	free(body);
	/* the text status names the top stack's site: the leaker's own
	 * function, not the memset or malloc internals the fault or the mmap
	 * was taken in (the full stack, those frames included, stays in the
	 * JSON, with the site's index) */
	{
		char *argv[] = { SEEP_BIN, "status", "--listen", LISTEN, NULL };
		char *jargv[] = { SEEP_BIN, "status", "--listen", LISTEN, "--format", "json", NULL };
		struct run r;
		json_t *j, *s, *top;

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 0, "seep status: %s", r.err);
		cr_expect(strstr(r.out, "grows in leak_chunk "),
			  "seep status does not name the leaking function: %s", r.out);
		run_release(&r);
		run_cmd(jargv, NULL, &r);
		j = json_loads(r.out, 0, NULL);
		s = j ? suspect_of(j, leaker) : NULL;
		top = s ? json_array_get(json_object_get(s, "growth"), 0) : NULL;
		cr_expect(top, "no growth stack in the JSON: %s", r.out);
		if (top) {
			json_t *fns = json_object_get(top, "functions");
			size_t site = (size_t)json_integer_value(json_object_get(top, "site"));

			cr_expect_str_eq(json_string_value(json_array_get(fns, site)) ?: "",
					 "leak_chunk", "site %zu of %s", site, r.out);
		}
		json_decref(j);
		run_release(&r);
	}
	st = daemon_stop(d);
	cr_expect_eq(st, 0, "the daemon exited with %d", st);
}
