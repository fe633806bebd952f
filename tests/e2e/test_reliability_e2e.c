/* End to end (root): seep trace where processes are not simple — PID
 * namespaces, exec, children, signals — asserting on its JSON reports,
 * its exit codes and what it says on stderr. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define REL(name, ...) Test(reliability_e2e, name, .timeout = 90, ##__VA_ARGS__)

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

/* The first child of PID (from /proc/PID/task/PID/children), waiting up
 * to two seconds for it to appear; -1 if none. */
static pid_t first_child(pid_t pid)
{
	char path[64];
	int child = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	for (int i = 0; i < 200 && child <= 0; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (fscanf(f, "%d", &child) != 1)
				child = -1;
			fclose(f);
		}
		if (child <= 0)
			usleep(10000);
	}
	return child;
}

/* Inside a PID namespace (a container): the kernel sees host pids, seep
 * its own; the leak is still named, exactly. */
REL(pid_namespace_inside_names_the_leak)
{
	char *argv[] = { "/usr/bin/unshare", "-fp", "--mount-proc", SEEP_BIN, "trace", "-s", "1",
			 "-c", TARGET("leaky_server") " 300 2000", "-d", "3", "-f", "json", NULL };
	struct run r;
	json_t *rep, *top;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	top = top_stack(rep);
	cr_assert_not_null(top, "a live stack: %s", r.out);
	cr_expect_geq(stack_frame_index(top, "handle_request"), 0, "the leak named: %s", r.out);
	cr_expect_eq(jint(top, "bytes"), 300 * 1024);
	cr_expect_eq(jint(top, "count"), 300);
	json_decref(rep);
	run_release(&r);
}

/* From the host into a process that runs in a PID namespace of its own. */
REL(pid_namespace_from_host_names_the_leak)
{
	char pid[16];
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-p", pid, "-d", "2", "-f", "json", NULL };
	struct run r;
	json_t *rep, *top;
	pid_t ns, target;

	ns = fork();
	if (ns == 0) {
		execl("/usr/bin/unshare", "unshare", "-fp", TARGET("leaky_server"), "0", "1000",
		      (char *)NULL);
		_exit(127);
	}
	target = first_child(ns);
	cr_assert_gt(target, 0, "the namespaced process started");
	usleep(200000);
	snprintf(pid, sizeof(pid), "%d", (int)target);
	run_cmd(argv, NULL, &r);
	kill(target, SIGKILL);
	waitpid(ns, NULL, 0);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	top = top_stack(rep);
	cr_assert_not_null(top, "a live stack: %s", r.out);
	cr_expect_geq(stack_frame_index(top, "handle_request"), 0, "the leak named: %s", r.out);
	cr_expect_eq(jint(top, "bytes"), jint(top, "count") * 1024, "exact: 1 KiB blocks");
	cr_expect_gt(jint(top, "count"), 100);
	json_decref(rep);
	run_release(&r);
}

/* A process group member is running (zombies count until reaped). */
static bool group_alive(pid_t pgid)
{
	for (int i = 0; i < 300; i++) {
		if (kill(-pgid, 0) < 0)
			return false;
		usleep(10000);
	}
	return true;
}

/* Whether PID exists and is not a zombie (one look, no waiting). */
static bool pid_running(pid_t pid)
{
	char path[64], st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
		st = 0;
	fclose(f);
	return st != 0 && st != 'Z' && st != 'X';
}

/* The pid of the command in seep's -v line "tracing 'CMD' (pid N)". */
static pid_t command_pid(const char *err)
{
	const char *p = strstr(err, "' (pid ");
	int pid = -1;

	if (!p || sscanf(p, "' (pid %d)", &pid) != 1)
		return -1;
	return pid;
}

/* A command killed by a signal: "killed by SIGSEGV" in text and JSON, and
 * seep exits 3 (the command failed). */
REL(command_killed_by_signal_is_reported)
{
	char *jargv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 segv", "-f",
			  "json", NULL };
	char *targv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 segv", NULL };
	struct run r;
	json_t *rep;

	run_cmd(jargv, NULL, &r);
	cr_expect_eq(r.status, 3, "the command failed: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(rep, "signal")), "SIGSEGV");
	cr_expect(json_is_null(json_object_get(rep, "exit_status")));
	cr_expect_eq(jint(top_stack(rep), "count"), 10, "its leak still reported");
	json_decref(rep);
	run_release(&r);
	run_cmd(targv, NULL, &r);
	cr_expect_eq(r.status, 3);
	cr_expect_not_null(strstr(r.out, ") killed by SIGSEGV:"), "text report: %s", r.out);
	run_release(&r);
}

/* A command's exit status goes into its final report; a failing status
 * makes seep exit 3, a zero one 0. */
REL(command_exit_status_is_reported)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 exit 7", "-f",
			 "json", NULL };
	char *argv0[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 exit 0", "-f",
			  "json", NULL };
	struct run r;
	json_t *rep;

	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 3, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect_eq(jint(rep, "exit_status"), 7);
	cr_expect(json_is_null(json_object_get(rep, "signal")));
	json_decref(rep);
	run_release(&r);
	run_cmd(argv0, NULL, &r);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect_eq(jint(rep, "exit_status"), 0);
	json_decref(rep);
	run_release(&r);
}

/* A child that outlives the command: seep says so, and stops it with the
 * command's process group when it ends. */
REL(command_children_said_and_stopped)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 orphan 30",
			 "-d", "3", "-f", "json", NULL };
	struct run r;
	json_t *rep;
	pid_t group;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_not_null(strstr(r.err, "children are not traced"), "said: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	group = (pid_t)jint(rep, "pid");
	cr_expect_not(group_alive(group), "the orphan in the command's group was stopped");
	json_decref(rep);
	run_release(&r);
}

/* A traced process that forks: seep says the child is not traced. */
REL(fork_is_said)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 fork 3",
			 "-d", "2", "-f", "json", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_not_null(strstr(r.err, "started child process"), "said: %s", r.err);
	run_release(&r);
}

/* kill -9 of seep does not leave the command running. */
REL(command_dies_with_seep)
{
	char *argv[] = { SEEP_BIN, "trace", "-v", "-s", "1", "-c", TARGET("lifecycle") " 10 sleep 30",
			 NULL };
	struct timespec t0, t;
	struct bg b;
	struct run r;
	pid_t cmd;
	bool gone = false;

	cr_assert_eq(bg_start(argv, &b), 0, "seep started: %s", b.err);
	cmd = command_pid(b.err);
	cr_assert_gt(cmd, 0, "stderr: %s", b.err);
	cr_assert(pid_running(cmd), "the command runs while seep does");
	/* the command leads a process group of its own, not the test's: only
	 * the kernel (PR_SET_PDEATHSIG) can end it when seep dies */
	cr_assert_eq(getpgid(cmd), cmd);
	cr_assert_neq(getpgid(cmd), getpgid(0));
	kill(b.pid, SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		gone = !pid_running(cmd);
		if (!gone)
			usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!gone && (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1000000000L);
	if (!gone)
		kill(cmd, SIGKILL);
	bg_finish(&b, &r);
	cr_expect(gone, "the command (pid %d) ended within a second of seep's kill -9", (int)cmd);
	run_release(&r);
}

/* Whether some stack of REPORT has a frame in function FN. */
static bool any_stack_has(json_t *report, const char *fn)
{
	json_t *st;
	size_t i;

	json_array_foreach(json_object_get(report, "stacks"), i, st)
		if (stack_frame_index(st, fn) >= 0)
			return true;
	return false;
}

/* exec() is a new heap: lifecycle leaks 50 blocks of 2 KiB, then execs
 * leaky_server, which leaks 300 of 1 KiB. The report after the exec has
 * only the new image's leak, named and symbolized against the new image
 * (down to _start with DWARF stacks, no frame unnamed), under the new
 * name; seep said the exec happened and what it dropped. */
static void exec_is_a_new_heap(const char *unwind)
{
	char *argv[] = { SEEP_BIN, "trace", "-u", (char *)unwind, "-s", "1", "-c",
			 TARGET("lifecycle") " 50 exec " TARGET("leaky_server") " 300 2000", "-d", "5",
			 "-f", "json", NULL };
	struct run r;
	json_t *rep, *top, *st, *f;
	size_t i, j;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, json_lines(r.out) - 1);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(rep, "comm")), "leaky_server");
	cr_expect_eq(jint(rep, "execs"), 1, "the exec counted: %s", r.out);
	top = top_stack(rep);
	cr_assert_not_null(top, "a live stack: %s", r.out);
	cr_expect_geq(stack_frame_index(top, "handle_request"), 0, "the new leak named: %s", r.out);
	cr_expect_eq(jint(top, "count"), 300);
	cr_expect_eq(jint(top, "bytes"), 300 * 1024);
	cr_expect_not(any_stack_has(rep, "before_exec"), "the old image's leak is gone: %s", r.out);
	cr_expect_lt(jint(rep, "total_bytes"), 300 * 1024 + 8192, "only the new heap: %s", r.out);
	json_array_foreach(json_object_get(rep, "stacks"), i, st) {
		json_array_foreach(json_object_get(st, "frames"), j, f) {
			const char *fn = json_string_value(json_object_get(f, "function"));

			cr_expect(fn && strcmp(fn, "[unknown]"), "frame %zu of stack %zu named: %s", j,
				  i, r.out);
		}
		if (!strcmp(unwind, "dwarf")) {
			cr_expect_geq(stack_frame_index(st, "_start"), 0, "whole stack: %s", r.out);
			cr_expect_not(json_is_true(json_object_get(st, "truncated")));
		}
	}
	cr_expect_not_null(strstr(r.err, "(lifecycle) called exec(), now 'leaky_server': a new heap"),
			   "the exec said: %s", r.err);
	cr_expect_not_null(strstr(r.err, "the old image's 51 live blocks"), "%s", r.err);
	json_decref(rep);
	run_release(&r);
}

REL(exec_is_a_new_heap_dwarf)
{
	exec_is_a_new_heap("dwarf");
}

REL(exec_is_a_new_heap_fp)
{
	exec_is_a_new_heap("fp");
}

/* An exec of the same program: its new image allocates from the very
 * stacks the old one did; only the new image's 20 blocks are reported,
 * not the old image's 50 as well. */
REL(exec_of_itself_starts_a_new_heap)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c",
			 TARGET("lifecycle") " 50 exec " TARGET("lifecycle") " 20 sleep 1", "-d", "5",
			 "-f", "json", NULL };
	struct run r;
	json_t *rep, *top;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, json_lines(r.out) - 1);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	top = top_stack(rep);
	cr_assert_not_null(top, "a live stack: %s", r.out);
	cr_expect_geq(stack_frame_index(top, "before_exec"), 0, "%s", r.out);
	cr_expect_eq(jint(top, "count"), 20, "the new image's blocks only: %s", r.out);
	cr_expect_eq(jint(top, "bytes"), 20 * 2048);
	cr_expect_eq(jint(rep, "execs"), 1, "the exec counted: %s", r.out);
	cr_expect_not_null(strstr(r.err, "(lifecycle) called exec(), now 'lifecycle'"), "%s", r.err);
	json_decref(rep);
	run_release(&r);
}

/* SIGHUP (a lost ssh session) ends tracing like SIGTERM: final report. */
REL(sighup_writes_the_final_report)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("lifecycle") " 10 sleep 30", "-f",
			 "json", NULL };
	struct bg b;
	struct run r;
	json_t *rep;

	cr_assert_eq(bg_start(argv, &b), 0, "seep started: %s", b.err);
	usleep(300000);
	kill(b.pid, SIGHUP);
	bg_finish(&b, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	cr_expect(json_is_true(json_object_get(rep, "final")));
	cr_expect_eq(jint(top_stack(rep), "count"), 10);
	json_decref(rep);
	run_release(&r);
}

/* A process naming itself with an escape sequence: the text report shows
 * it escaped, never raw on the reader's terminal; JSON keeps it exact. */
REL(control_characters_escaped_in_text)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c",
			 TARGET("lifecycle") " 10 name $SEEP_E2E_NAME 0.5", NULL };
	char *envp[] = { "SEEP_E2E_NAME=\x1b[31mred", NULL };
	struct run r;

	run_cmd(argv, envp, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_not_null(strstr(r.out, "(\\x1b[31mred)"), "escaped: %s", r.out);
	cr_expect_null(strchr(r.out, '\x1b'), "no raw escape on stdout");
	cr_expect_null(strchr(r.err, '\x1b'), "no raw escape on stderr");
	run_release(&r);
}

/* record: every file of the series is 0600 whatever the umask, and the
 * values of the command's NAME=value words are not kept. */
REL(series_files_private_and_command_redacted)
{
	char dir[] = "/tmp/seep-rel-XXXXXX", path[64], cmd[256];
	char *argv[] = { SEEP_BIN, "record", "-s", "1", "-e", "0.2", "-o", path, "-c", cmd, NULL };
	struct run r;
	struct stat st;
	json_t *index;
	const char *kept;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/series", dir);
	snprintf(cmd, sizeof(cmd), "SEEP_TOKEN='hunter 2' EMPTY= %s 10 sleep 0.5",
		 TARGET("lifecycle"));
	umask(022);
	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/index.json");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "index.json mode %o", st.st_mode & 0777);
	index = json_load_file(path, 0, NULL);
	cr_assert_not_null(index);
	kept = json_string_value(json_object_get(index, "command"));
	cr_assert_not_null(kept);
	cr_expect_null(strstr(kept, "hunter"), "the value redacted: %s", kept);
	cr_expect_not_null(strstr(kept, "SEEP_TOKEN=... EMPTY= "), "the names kept: %s", kept);
	cr_expect_not_null(strstr(kept, "lifecycle 10 sleep"), "the command kept: %s", kept);
	json_decref(index);
	snprintf(strrchr(path, '/'), 32, "/snap-000001.pb.gz");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "snapshot mode %o", st.st_mode & 0777);
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* -p of a kernel thread says what it is, not "no such process". */
REL(kernel_thread_refused_clearly)
{
	char *argv[] = { SEEP_BIN, "trace", "-p", "2", "-d", "1", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 1);
	cr_expect_not_null(strstr(r.err, "is a kernel thread"), "stderr: %s", r.err);
	run_release(&r);
}
