/* End to end (root): the built `seep trace` against target programs,
 * asserting on its JSON reports and exit codes. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define E2E(name, ...) Test(trace_e2e, name, .timeout = 90, ##__VA_ARGS__)

static json_t *top_stack(json_t *report)
{
	return json_array_get(json_object_get(report, "stacks"), 0);
}

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_integer(v), "'%s' is not an integer", key);
	return json_integer_value(v);
}

static void assert_stats_block(json_t *report)
{
	json_t *stats = json_object_get(report, "stats");

	cr_assert(json_is_object(stats), "stats block present");
	cr_assert(json_is_object(json_object_get(stats, "drops")));
	cr_assert(json_is_integer(json_object_get(stats, "drops_total")));
	cr_assert(json_is_integer(json_object_get(json_object_get(stats, "drops"), "missed_returns")));
	cr_assert_gt(jint(stats, "allocs"), 0);
}

E2E(command_leak_through_wrapper_exact)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("leaky_server") " 300 200", "-f", "json",
			 NULL };
	struct run r;
	json_t *rep, *top;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(json_lines(r.out), 1, "one final report");
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	cr_expect(json_is_true(json_object_get(rep, "final")));
	cr_expect(json_is_true(json_object_get(rep, "exited")));
	top = top_stack(rep);
	cr_expect_eq(jint(top, "bytes"), 300 * 1024);
	cr_expect_eq(jint(top, "count"), 300);
	cr_expect_eq(stack_frame_index(top, "malloc"), 0, "allocator entry first");
	cr_expect_eq(stack_frame_index(top, "xstrdup"), 1, "immediate caller kept");
	cr_expect_eq(stack_frame_index(top, "handle_request"), 2, "the wrapper's caller");
	cr_expect_eq(stack_frame_index(top, "main"), 3);
	cr_expect_str_eq(json_string_value(json_object_get(rep, "comm")), "leaky_server");
	cr_expect_eq(jint(json_object_get(rep, "stats"), "drops_total"), 0);
	assert_stats_block(rep);
	json_decref(rep);
	run_release(&r);
}

/* -c splits like a shell: $NAME from seep's environment, quotes removed. */
E2E(command_words_expanded_like_a_shell)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("leaky_server") " $SEEP_E2E_N '0'",
			 "-f", "json", NULL };
	char *envp[] = { "SEEP_E2E_N=40", NULL };
	struct run r;
	json_t *rep;

	run_cmd(argv, envp, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect_eq(jint(top_stack(rep), "count"), 40, "the request count came from $SEEP_E2E_N");
	json_decref(rep);
	run_release(&r);
}

/* The acceptance case: a running process leaking 1 KiB per request
 * through a wrapper amid churn, traced by pid for 10 seconds. */
E2E(pid_leak_amid_churn)
{
	char *targv[] = { TARGET("leaky_server"), "0", "1000", NULL };
	char pid[16];
	char *argv[] = { SEEP_BIN, "trace", "-p", pid, "--duration", "10", "--format", "json", NULL };
	struct run r;
	json_t *rep, *top;
	int go;
	pid_t target = target_start(targv, &go);

	target_go(go);
	usleep(300000);   /* already running, leaking and churning when seep comes */
	snprintf(pid, sizeof(pid), "%d", target);
	run_cmd(argv, NULL, &r);
	kill(target, SIGKILL);
	target_wait(target);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	top = top_stack(rep);
	/* seep's defaults: sampled, so the figures are estimates */
	cr_assert_geq(stack_frame_index(top, "handle_request"), 0, "leaking caller in top stack");
	cr_expect_geq(stack_frame_index(top, "xstrdup"), 0);
	cr_expect_eq(jint(rep, "sample_bytes"), 512 * 1024);
	cr_expect_leq(llabs(jint(top, "bytes") - jint(top, "count") * 1024), 1024,
		      "every leaked block is 1 KiB");
	cr_expect_gt(jint(top, "count"), 1000, "10 s at up to 1000 requests/s");
	cr_expect_gt(jint(top, "samples"), 0);
	cr_expect(json_is_false(json_object_get(rep, "exited")));
	assert_stats_block(rep);
	cr_expect_eq(jint(json_object_get(rep, "stats"), "drops_total"), 0);
	json_decref(rep);
	run_release(&r);
}

/* --shared-probes: two running processes of the same program, one set of
 * probes on their libc; each gets its own report with its leak, exact. */
E2E(shared_probes_two_processes)
{
	char *targv[] = { TARGET("leaky_server"), "0", "2000", NULL };  /* a request / 2 ms */
	char pid[2][16];
	char *argv[] = { SEEP_BIN, "trace", "--shared-probes", "-s", "1", "-p", pid[0], "-p", pid[1],
			 "--duration", "2", "--format", "json", "-v", NULL };
	pid_t target[2];
	struct run r;
	int go[2];

	for (int i = 0; i < 2; i++) {
		target[i] = target_start(targv, &go[i]);
		target_go(go[i]);
		snprintf(pid[i], sizeof(pid[i]), "%d", target[i]);
	}
	usleep(200000);
	run_cmd(argv, NULL, &r);
	for (int i = 0; i < 2; i++) {
		kill(target[i], SIGKILL);
		target_wait(target[i]);
	}
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_not_null(strstr(r.err, "hooked 0 allocator functions (probes shared per file"),
			   "the second process reuses the first one's probes: %s", r.err);
	cr_assert_eq(json_lines(r.out), 2, "one report per process: %s", r.out);
	for (size_t i = 0; i < 2; i++) {
		json_t *rep = json_line(r.out, i), *top = top_stack(rep);

		cr_assert_not_null(rep);
		cr_expect(jint(rep, "pid") == target[0] || jint(rep, "pid") == target[1]);
		cr_expect_geq(stack_frame_index(top, "handle_request"), 0, "the leak, in each");
		cr_expect_eq(jint(top, "bytes"), jint(top, "count") * 1024, "exact: 1 KiB blocks");
		cr_expect_gt(jint(top, "count"), 100, "2 s at up to 500 requests/s");
		cr_expect_eq(jint(json_object_get(rep, "stats"), "drops_total"), 0);
		json_decref(rep);
	}
	run_release(&r);
}

/* A process that allocates faster than seep can unwind (exact mode, no
 * pause between requests): seep still stops at --duration, and what it
 * could not take is counted (ring buffer overflow), not lost silently. */
E2E(overload_keeps_deadline_and_counts_drops)
{
	char *targv[] = { TARGET("leaky_server"), "0", "0", NULL };
	char pid[16];
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-p", pid, "--duration", "2", "--format", "json",
			 NULL };
	struct timespec t0, t1;
	struct run r;
	json_t *rep, *stats;
	int go;
	pid_t target = target_start(targv, &go);

	target_go(go);
	snprintf(pid, sizeof(pid), "%d", target);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_cmd(argv, NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(target, SIGKILL);
	target_wait(target);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_lt(t1.tv_sec - t0.tv_sec, 8, "seep kept its 2 s deadline (+ report and exit)");
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	stats = json_object_get(rep, "stats");
	cr_expect_gt(jint(stats, "allocs"), 10000);
	cr_expect_eq(jint(stats, "drops_total"),
		     jint(json_object_get(stats, "drops"), "ringbuf_full"), "overflow is what drops");
	json_decref(rep);
	run_release(&r);
}

/* Sampled estimates are within their reported uncertainty of the exact
 * value: 20000 leaked blocks of 1 KiB, sampled every 64 KiB (about 300
 * samples), four standard deviations (a false alarm 1 run in 16000). */
E2E(sampled_estimate_within_uncertainty)
{
	char *argv[] = { SEEP_BIN, "trace", "-c", TARGET("leaky_server") " 20000 0",
			 "--sample-bytes", "65536", "-n", "1", "-f", "json", NULL };
	const double exact = 20000.0 * 1024;
	struct run r;
	json_t *rep, *top;
	double est, sd;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	top = top_stack(rep);
	cr_assert_geq(stack_frame_index(top, "xstrdup"), 0);
	est = (double)jint(top, "bytes");
	sd = json_real_value(json_object_get(top, "bytes_stddev"));
	cr_assert_gt(sd, 0, "a sampled estimate has an uncertainty");
	cr_expect_lt(fabs(est - exact), 4 * sd, "estimate %.0f, exact %.0f, sd %.0f", est, exact, sd);
	cr_expect_lt(jint(top, "samples"), 1000, "sampled, not every block");
	cr_expect_gt(jint(json_object_get(rep, "stats"), "calls_unsampled"), 10000);
	json_decref(rep);
	run_release(&r);
}

E2E(pid_exits_during_trace)
{
	char *targv[] = { TARGET("leaky_server"), "500", "1000", NULL };
	char pid[16];
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-p", pid, "--duration", "60", "-f", "json", NULL };
	struct bg b;
	struct run r;
	json_t *rep;
	int go;
	pid_t target = target_start(targv, &go);

	snprintf(pid, sizeof(pid), "%d", target);
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start tracing: %s", b.err);
	target_go(go);
	cr_assert_eq(target_wait(target), 0);
	bg_finish(&b, &r);
	cr_assert_eq(r.status, 0, "exit 0 after the process exits; stderr: %s", r.err);
	cr_expect(strstr(r.err, "exited") != NULL, "a note says so: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	cr_expect(json_is_true(json_object_get(rep, "exited")));
	cr_expect(json_is_true(json_object_get(rep, "final")));
	cr_expect_lt(json_real_value(json_object_get(rep, "elapsed_s")), 30);
	cr_expect_eq(jint(top_stack(rep), "bytes"), 500 * 1024);
	json_decref(rep);
	run_release(&r);
}

E2E(interval_reports_then_final)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("phases") " 50 0 0", "--interval", "0.5",
			 "--duration", "2.2", "-f", "json", NULL };
	struct run r;
	int n;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	n = json_lines(r.out);
	cr_assert_geq(n, 4, "periodic reports and a final one: %s", r.out);
	for (int i = 0; i < n; i++) {
		json_t *rep = json_line(r.out, i);

		cr_assert_not_null(rep);
		cr_expect_eq(json_is_true(json_object_get(rep, "final")), i == n - 1);
		cr_expect(json_is_false(json_object_get(rep, "exited")));
		if (i > 0)  /* phase one is done by the second report */
			cr_expect_eq(jint(top_stack(rep), "bytes"), 50 * 1000);
		assert_stats_block(rep);
		cr_expect_eq(jint(json_object_get(rep, "stats"), "drops_total"), 0);
		json_decref(rep);
	}
	run_release(&r);
}

E2E(min_age_hides_young_blocks)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("phases") " 20 2 30", "--duration", "3",
			 "--min-age", "1.5", "-n", "0", "-f", "json", NULL };
	struct run r;
	json_t *rep, *stacks, *s;
	size_t i;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	stacks = json_object_get(rep, "stacks");
	cr_expect_eq(jint(rep, "total_count"), 20, "only phase one is old enough");
	json_array_foreach(stacks, i, s) {
		cr_expect_lt(stack_frame_index(s, "phase_two"), 0);
		cr_expect_geq(json_real_value(json_object_get(s, "oldest_age_s")), 1.5);
	}
	cr_expect_geq(stack_frame_index(top_stack(rep), "phase_one"), 0);
	cr_expect_geq(jint(json_object_get(rep, "stats"), "allocs"), 50, "phase two did run");
	json_decref(rep);
	run_release(&r);
}

/* A live table too small for the blocks: every allocation it cannot hold
 * is counted in the report, none goes missing between the two, in exact
 * and sampled mode. --max-allocs 64 sizes it for 64 blocks: 19 buckets of
 * 7 slots (room for twice as many) and a spill map of 64, so it holds
 * from 64 (every block in one bucket) to 197 blocks. */
E2E(full_live_map_is_counted_in_the_report)
{
	const char *modes[] = { "1", "1000" };

	for (size_t m = 0; m < 2; m++) {
		char *argv[] = { SEEP_BIN, "trace", "-s", (char *)modes[m], "--max-allocs", "64",
				 "-c", TARGET("phases") " 500 0 0", "--duration", "1.5", "-n", "0",
				 "-f", "json", NULL };
		struct run r;
		json_t *rep, *stats, *drops;
		json_int_t full, kept;

		run_cmd(argv, NULL, &r);
		cr_assert_eq(r.status, 0, "stderr: %s", r.err);
		rep = json_line(r.out, 0);
		cr_assert_not_null(rep, "stdout: %s", r.out);
		stats = json_object_get(rep, "stats");
		drops = json_object_get(stats, "drops");
		full = jint(drops, "live_map_full");
		kept = jint(rep, m ? "total_samples" : "total_count");
		cr_expect_leq(kept, 19 * 7 + 64, "-s %s: no more blocks than the table holds",
			      modes[m]);
		cr_expect_geq(kept, 64, "-s %s: as many blocks as it is sized for", modes[m]);
		if (m == 0) {
			/* exact: each of the 500 is recorded or counted */
			cr_expect_geq(kept + full, 500, "kept %lld + full %lld", (long long)kept,
				      (long long)full);
			cr_expect_geq(jint(drops, "live_map_full_bytes"), (500 - kept) * 1000);
		} else {
			/* sampled: ~63 % of 1000-byte blocks at a mean of 1000 */
			cr_expect_gt(full, 100, "-s 1000: %lld counted full", (long long)full);
			cr_expect_geq(jint(drops, "live_map_full_bytes"), full * 1000);
		}
		cr_expect_geq(jint(stats, "drops_total"), full, "the full map is among the drops");
		json_decref(rep);
		run_release(&r);
	}
}

E2E(top_n_sorted_by_bytes)
{
	char *all[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("alloc_each"), "-n", "0", "-f", "json", NULL };
	char *top3[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("alloc_each"), "-n", "3", "-f", "json",
			 NULL };
	struct run r;
	json_t *rep, *stacks, *s;
	json_int_t prev = -1, sum = 0;
	size_t i;

	run_cmd(all, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	stacks = json_object_get(rep, "stacks");
	cr_assert_eq(json_array_size(stacks), (size_t)jint(rep, "stacks_total"));
	json_array_foreach(stacks, i, s) {
		if (prev >= 0)
			cr_expect_leq(jint(s, "bytes"), prev, "sorted, largest first");
		prev = jint(s, "bytes");
		sum += prev;
	}
	cr_expect_eq(sum, jint(rep, "total_bytes"), "stacks add up to the total");
	json_decref(rep);
	run_release(&r);

	run_cmd(top3, NULL, &r);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	cr_expect_eq(json_array_size(json_object_get(rep, "stacks")), 3);
	cr_expect_gt(jint(rep, "stacks_total"), 3);
	cr_expect_eq(jint(top_stack(rep), "bytes"), 1 << 20, "the 1 MiB block is largest");
	json_decref(rep);
	run_release(&r);
}

E2E(text_report_shows_stats_and_drops)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("leaky_server") " 50 0", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "xstrdup") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "  stats: ") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "  drops: 0 (") != NULL, "%s", r.out);
	run_release(&r);
}

/* --- errors: one clear line each, exit 1 (failure) or 2 (usage) --- */

struct err_case {
	const char *args[8];
	const char *env;
	int status;
	const char *message;
};

static void check_error(const struct err_case *c)
{
	char *argv[12] = { SEEP_BIN, "trace" };
	char *envp[] = { (char *)c->env, NULL };
	struct run r;
	int n = 2;

	for (int i = 0; c->args[i]; i++)
		argv[n++] = (char *)c->args[i];
	run_cmd(argv, c->env ? envp : NULL, &r);
	cr_expect_eq(r.status, c->status, "%s: exit %d, want %d; stderr: %s", c->args[0] ? c->args[0] : "",
		     r.status, c->status, r.err);
	cr_expect(strstr(r.err, c->message) != NULL, "stderr '%s' lacks '%s'", r.err, c->message);
	cr_expect_eq(r.out[0], '\0', "nothing on stdout");
	run_release(&r);
}

E2E(usage_errors)
{
	static const struct err_case cases[] = {
		{ { NULL }, NULL, 2, "nothing to trace" },
		{ { "-p", "1", "-c", "true", NULL }, NULL, 2, "cannot be combined" },
		{ { "-p", "abc", NULL }, NULL, 2, "invalid value 'abc' for --pid" },
		{ { "-p", "0", NULL }, NULL, 2, "invalid value '0' for --pid: expected a process id" },
		{ { "-p", "1", "-f", "xml", NULL }, NULL, 2,
		  "invalid value 'xml' for --format: expected text, json or folded" },
		{ { "-p", "1", "--duration", "-3", NULL }, NULL, 2, "invalid value '-3' for --duration" },
		{ { "-p", "1", "--interval", "0.01", NULL }, NULL, 2, "for --interval: expected seconds, at least 0.1" },
		{ { "-p", "1", "stray", NULL }, NULL, 2, "unexpected argument 'stray'" },
		{ { "--bogus", NULL }, NULL, 2, "unrecognized option" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(&cases[i]);
}

E2E(runtime_errors)
{
	static const struct err_case cases[] = {
		{ { "-p", "4194000", NULL }, NULL, 1, "pid 4194000: no such process" },
		{ { "-c", "/nonexistent/program", NULL }, NULL, 1,
		  "cannot run '/nonexistent/program': No such file or directory" },
		{ { "-c", "true 'open", NULL }, NULL, 1,
		  "cannot parse command 'true 'open': unbalanced single quote" },
		{ { "-c", "true | cat", NULL }, NULL, 1, "shell operator '|' is not supported" },
		{ { "-c", "LD_PRELOAD=x", NULL }, NULL, 1, "no command after the NAME=value words" },
		{ { "-p", "1", NULL }, "SEEP_SYSFS_BTF=/nonexistent/btf", 1, "kernel has no BTF" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(&cases[i]);
}

E2E(no_allocator_found)
{
	char *targv[] = { TARGET("noalloc"), NULL };
	char pid[16];
	int go;
	pid_t target = target_start(targv, &go);
	struct err_case c = { { "-p", pid, NULL }, NULL, 1, "no allocator found" };

	snprintf(pid, sizeof(pid), "%d", target);
	usleep(50000);
	check_error(&c);
	kill(target, SIGKILL);
	target_wait(target);
}

E2E(not_root)
{
	/* A copy nobody can reach, wherever the build tree lives: the
	 * launcher as DIR/seep and the full program it execs beside it, as
	 * in the build tree (DIR/libexec/seep/seep). */
	char dir[] = "/tmp/seep-nobody-XXXXXX", bin[64], full[96], sub[2][80];
	char *cp[] = { "/bin/cp", SEEP_BIN, bin, NULL };
	char *cpfull[] = { "/bin/cp", SEEP_BUILD_DIR "/libexec/seep/seep", full, NULL };
	char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 bin, "trace", "-p", "1", NULL };
	struct run r;

	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(bin, sizeof(bin), "%s/seep", dir);
	snprintf(sub[0], sizeof(sub[0]), "%s/libexec", dir);
	snprintf(sub[1], sizeof(sub[1]), "%s/libexec/seep", dir);
	snprintf(full, sizeof(full), "%s/seep", sub[1]);
	cr_assert_eq(mkdir(sub[0], 0755), 0);
	cr_assert_eq(mkdir(sub[1], 0755), 0);
	run_cmd(cp, NULL, &r);
	cr_assert_eq(r.status, 0);
	run_release(&r);
	run_cmd(cpfull, NULL, &r);
	cr_assert_eq(r.status, 0);
	run_release(&r);
	run_cmd(argv, NULL, &r);
	unlink(bin);
	unlink(full);
	rmdir(sub[1]);
	rmdir(sub[0]);
	rmdir(dir);
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "permission denied: tracing needs root or CAP_SYS_ADMIN") != NULL,
		  "%s", r.err);
	run_release(&r);
}
