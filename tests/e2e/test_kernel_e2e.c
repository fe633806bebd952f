/* End to end (root): the built `seep trace --kernel` against processes
 * that leak kernel objects from user space, asserting on its JSON reports
 * and exit codes: the leaking sites named by kernel stack and attributed
 * to the leaking process, a site that grows in every interval marked
 * growing, a fork/exec storm that frees everything reported as growing
 * nowhere (its sites pruned, the map never full) beside a slow pipe
 * leaker reported growing, a bad option as one JSON error object, and the
 * error without root. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define N 64

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_integer(v), "'%s' is not an integer", key);
	return json_integer_value(v);
}

/* The last report seep printed (the final one). */
static json_t *final_report(const struct run *r)
{
	int n = json_lines(r->out);
	json_t *rep;

	cr_assert_gt(n, 0, "no report; stderr: %s", r->err);
	rep = json_line(r->out, n - 1);
	cr_assert_not_null(rep, "stdout: %s", r->out);
	cr_assert(json_is_true(json_object_get(rep, "kernel")));
	cr_assert(json_is_true(json_object_get(rep, "final")));
	return rep;
}

/* The largest count of a site of KIND (and CACHE, unless NULL) whose
 * frames hold FN; every site must be PID's. */
static json_int_t site_count(json_t *rep, int pid, const char *kind, const char *cache,
			     const char *fn)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	json_int_t best = 0;
	size_t i;

	json_array_foreach(stacks, i, s) {
		const char *c = json_string_value(json_object_get(s, "cache"));

		cr_assert_eq(jint(s, "pid"), pid, "every site is the traced process's");
		if (strcmp(json_string_value(json_object_get(s, "kind")), kind) ||
		    (cache && (!c || strcmp(c, cache))) || stack_frame_index(s, fn) < 0)
			continue;
		if (jint(s, "count") > best)
			best = jint(s, "count");
	}
	return best;
}

static void assert_drops_block(json_t *rep)
{
	json_t *drops = json_object_get(rep, "drops"), *progs = json_object_get(rep, "programs");
	json_t *p;
	size_t i;

	cr_assert(json_is_object(json_object_get(drops, "slab")), "drops per kind");
	cr_assert(json_is_integer(json_object_get(json_object_get(drops, "slab"), "frees_unseen")));
	cr_assert(json_is_integer(json_object_get(rep, "drops_total")));
	cr_assert(json_is_integer(json_object_get(rep, "recursion_misses_total")));
	cr_assert_geq(json_array_size(progs), 10, "every program's statistics");
	/* Every program reports its statistics; the slab and page programs
	 * run on any busy second (percpu and vmalloc may not fire at all). */
	json_array_foreach(progs, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));

		cr_assert(json_is_integer(json_object_get(p, "recursion_misses")));
		cr_assert(json_is_integer(json_object_get(p, "run_cnt")));
		if (name && (!strncmp(name, "kmem_cache_alloc", 16) || !strncmp(name, "mm_page_alloc", 13)))
			cr_assert_gt(jint(p, "run_cnt"), 0, "%s ran (run-time statistics are on)", name);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* kleaker all N held on its pipe, seep attached to the kernel with -p,
 * then kleaker let go: every leak is made while seep traces. */
Test(kernel_e2e, names_the_leaking_sites_and_process, .timeout = 90)
{
	static const struct {
		const char *kind, *cache, *fn;
	} leaks[] = {
		{ "kmalloc", NULL, "alloc_pipe_info" },        /* pipes */
		{ "slab", NULL, "sk_alloc" },                  /* sockets */
		{ "kmalloc", NULL, "do_eventfd" },             /* eventfds */
		{ "slab", "eventpoll_epi", "do_epoll_ctl" },   /* epoll watches */
		{ "slab", NULL, "inotify_update_watch" },      /* inotify watches */
		{ "page", NULL, "shmem_alloc_folio" },         /* memfd pages */
	};
	char count[16], fd[16], pid_s[16], dir[64], c;
	char *targv[] = { TARGET("kleaker"), "all", count, NULL };
	char *argv[] = { SEEP_BIN, "trace", "--kernel", "-s", "1", "--format", "json", "-p", pid_s,
			 "-d", "4", "-n", "0", NULL };
	int ready[2], go;
	struct bg b;
	struct run r;
	json_t *rep;
	pid_t pid;

	snprintf(count, sizeof(count), "%d", N);
	cr_assert_eq(pipe(ready), 0);
	snprintf(fd, sizeof(fd), "%d", ready[1]);
	setenv("SEEP_READY_FD", fd, 1);
	pid = target_start(targv, &go);
	unsetenv("SEEP_READY_FD");
	cr_assert_gt(pid, 0);
	close(ready[1]);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start: %s", b.err);
	target_go(go);
	cr_assert_eq(read(ready[0], &c, 1), 1, "kleaker did not get ready");
	close(ready[0]);
	bg_finish(&b, &r);
	kill(pid, SIGKILL);
	target_wait(pid);
	snprintf(dir, sizeof(dir), "/tmp/kleaker-%d", (int)pid);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = final_report(&r);
	cr_assert_eq(jint(rep, "pid"), pid);
	cr_assert_eq(jint(rep, "sample_bytes"), 1);
	for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
		cr_expect_geq(site_count(rep, pid, leaks[i].kind, leaks[i].cache, leaks[i].fn), N,
			      "%s: no %s site under %s with %d live allocations of pid %d",
			      leaks[i].fn, leaks[i].kind, leaks[i].fn, N, (int)pid);
	assert_drops_block(rep);
	json_decref(rep);
	run_release(&r);
}

/* This process leaks a pipe every 50 ms while seep reports every 0.5 s:
 * the pipe site grows in every interval. */
Test(kernel_e2e, marks_the_growing_site, .timeout = 90)
{
	char pid_s[16];
	char *argv[] = { SEEP_BIN, "trace", "--kernel", "-f", "json", "-p", pid_s, "-i", "0.5",
			 "-d", "3", "-n", "0", NULL };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	json_t *rep, *s, *growing = NULL;
	struct bg b;
	struct run r;
	size_t i;
	int p[2];

	snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start: %s", b.err);
	for (;;) {
		siginfo_t si = { 0 };

		/* until seep exits (left to bg_finish to reap) */
		if (waitid(P_PID, (id_t)b.pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid)
			break;
		cr_assert_eq(pipe(p), 0);   /* never closed: this test process's leak */
		nanosleep(&pause, NULL);
	}
	bg_finish(&b, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_geq(json_lines(r.out), 5, "a report every 0.5 s for 3 s");
	rep = final_report(&r);
	cr_assert_geq(jint(rep, "intervals"), 4);
	json_array_foreach(json_object_get(rep, "stacks"), i, s)
		if (stack_frame_index(s, "alloc_pipe_info") >= 0 &&
		    json_is_true(json_object_get(json_object_get(s, "growth"), "growing")))
			growing = s;
	cr_assert_not_null(growing, "the pipe site is marked growing: %s", r.out);
	cr_expect_gt(jint(json_object_get(growing, "growth"), "bytes"), 0);
	cr_expect_eq(jint(json_object_get(growing, "growth"), "grew"),
		     jint(json_object_get(growing, "growth"), "intervals"));
	cr_expect_geq(jint(rep, "growing_total"), 1);
	json_decref(rep);
	run_release(&r);
}

/* The whole machine for 6 s at 0.5 s intervals while kstorm forks and
 * execs children that open and close pipes, sockets, eventfds, inotify
 * watches and memfds, and this process leaks a pipe every 50 ms: no site
 * of the storm's children is growing or called a leak, the pipe site is
 * both, the storm's sites were pruned and the site map never filled. */
Test(kernel_e2e, a_fork_exec_storm_grows_nowhere_beside_a_leaker, .timeout = 120)
{
	char *targv[] = { TARGET("kstorm"), "1000000", NULL };
	char *argv[] = { SEEP_BIN, "trace", "--kernel", "-i", "0.5", "-d", "6", "--format", "json",
			 "-n", "0", NULL };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	json_t *rep, *s, *leak = NULL, *kinds, *d;
	json_int_t full = 0, storm_sites = 0;
	const char *kind;
	struct bg b;
	struct run r;
	size_t i;
	pid_t storm;
	int go, p[2];

	storm = target_start(targv, &go);
	cr_assert_gt(storm, 0);
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start: %s", b.err);
	target_go(go);
	for (;;) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)b.pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid)
			break;
		cr_assert_eq(pipe(p), 0);   /* never closed: this test process's leak */
		nanosleep(&pause, NULL);
	}
	bg_finish(&b, &r);
	kill(storm, SIGKILL);
	target_wait(storm);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = final_report(&r);
	cr_assert_geq(jint(rep, "intervals"), 10);
	json_array_foreach(json_object_get(rep, "stacks"), i, s) {
		const char *comm = json_string_value(json_object_get(s, "comm"));
		json_t *det = json_object_get(s, "detect");
		bool growing = json_is_true(json_object_get(json_object_get(s, "growth"), "growing"));
		bool leaks = json_is_object(det) && json_is_true(json_object_get(det, "leak"));

		if (comm && !strcmp(comm, "kstorm") && jint(s, "pid") != storm) {
			storm_sites++;
			cr_expect_not(growing, "a site of a storm child grows: %s",
				      json_dumps(s, JSON_COMPACT));
			cr_expect_not(leaks, "a site of a storm child is called a leak: %s",
				      json_dumps(s, JSON_COMPACT));
		}
		if (jint(s, "pid") == getpid() && stack_frame_index(s, "alloc_pipe_info") >= 0 &&
		    growing && leaks)
			leak = s;
	}
	cr_expect_not_null(leak, "the pipe site is growing and called a leak");
	kinds = json_object_get(rep, "drops");
	json_object_foreach(kinds, kind, d)
		full += jint(d, "site_map_full");
	cr_expect_eq(full, 0, "the site map never filled");
	d = json_object_get(rep, "site_map");
	cr_expect_gt(jint(d, "pruned"), 1000, "the storm's sites were pruned (%lld sites of "
		     "children left)", (long long)storm_sites);
	cr_expect_lt(jint(d, "used"), jint(d, "max"));
	cr_expect_geq(jint(rep, "detected_total"), 1);
	json_decref(rep);
	run_release(&r);
}

/* Under --format json a bad option is one JSON object on stdout, exit 2. */
static void assert_json_usage_error(char *const argv[], const char *needle)
{
	struct run r;
	json_t *j;
	const char *msg;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 2, "usage error: exit 2 (stderr: %s)", r.err);
	cr_assert_eq(json_lines(r.out), 1, "one JSON object: '%s'", r.out);
	j = json_line(r.out, 0);
	cr_assert_not_null(j);
	msg = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(msg, "an \"error\" string: %s", r.out);
	cr_expect_not_null(strstr(msg, needle), "'%s' in '%s'", needle, msg);
	cr_expect_eq(json_object_size(j), 1);
	json_decref(j);
	run_release(&r);
}

Test(kernel_e2e, bad_options_are_one_json_error, .timeout = 30)
{
	char *unknown[] = { SEEP_BIN, "trace", "--kernel", "--format", "json", "--bogus", NULL };
	char *user_only[] = { SEEP_BIN, "trace", "--kernel", "-u", "fp", "-f", "json", NULL };
	char *two_pids[] = { SEEP_BIN, "trace", "--kernel", "-p", "1", "-p", "2", "-f", "json", NULL };
	char *bad_value[] = { SEEP_BIN, "trace", "-f", "json", "--kernel", "-i", "x", NULL };

	assert_json_usage_error(unknown, "unrecognized option '--bogus'");
	assert_json_usage_error(user_only, "'--unwind' cannot be combined with --kernel");
	assert_json_usage_error(two_pids, "one -p at most");
	assert_json_usage_error(bad_value, "--interval");
}

/* As nobody: one clear error (root is needed), exit 1. */
Test(kernel_e2e, needs_root, .timeout = 30)
{
	int out[2], st;
	char buf[4096] = "";
	ssize_t n, len = 0;
	json_t *j;
	const char *msg;
	pid_t pid;

	cr_assert_eq(pipe(out), 0);
	pid = fork();
	if (pid == 0) {
		child_dies_with_parent();
		char *argv[] = { SEEP_BIN, "trace", "--kernel", "-d", "1", "-f", "json", NULL };

		dup2(out[1], 1);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while ((n = read(out[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(out[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	cr_assert_neq(WEXITSTATUS(st), 126, "cannot drop privileges");
	cr_assert_neq(WEXITSTATUS(st), 127, "nobody cannot run %s (a directory not searchable?)",
		      SEEP_BIN);
	cr_assert_eq(WEXITSTATUS(st), 1, "a runtime failure: %s", buf);
	j = json_loads(buf, 0, NULL);
	cr_assert_not_null(j, "one JSON object: '%s'", buf);
	msg = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(msg);
	cr_expect_not_null(strstr(msg, "need root"), "says root is needed: '%s'", msg);
	json_decref(j);
}
