/* End to end (root): `seep trace --reach`, the blocks nothing points to.
 * The small-leak suite (tests/targets/sl_*.c, built here at -O0 and -O2
 * as tools/eval-leaks.sh builds them) names its leak first and calls
 * stdio's buffer and the globals' blocks reachable; reach_* targets cover
 * threads' stacks and registers, a register-only pointer, a lost cycle,
 * a stale pointer in a dead stack slot, exits by signal and exit_group
 * with threads running, and a running process seized with -p. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define E2E(name, ...) Test(reach_e2e, name, .timeout = 120, ##__VA_ARGS__)
#define SRC(name) SEEP_SRC_DIR "/tests/targets/" name

/* The line of FILE marked LEAK. */
static int leak_line(const char *file)
{
	char line[512];
	int n = 0, found = 0;
	FILE *f = fopen(file, "r");

	cr_assert_not_null(f, "cannot open %s", file);
	while (!found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, "LEAK */"))
			found = n;
	}
	fclose(f);
	cr_assert_gt(found, 0, "no LEAK line in %s", file);
	return found;
}

/* Whether STACK has a frame at BASE:LINE (file names end with BASE). */
static bool has_line(json_t *stack, const char *base, int line)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *file = json_string_value(json_object_get(f, "file"));
		size_t fl = file ? strlen(file) : 0, bl = strlen(base);

		if (file && fl >= bl && !strcmp(file + fl - bl, base) &&
		    json_integer_value(json_object_get(f, "line")) == line)
			return true;
	}
	return false;
}

static bool is_lost(json_t *stack)
{
	const char *r = json_string_value(json_object_get(stack, "reach"));

	cr_assert_not_null(r, "a scanned report's stack says whether it is reachable");
	return !strcmp(r, "lost");
}

/* The one final report among R's output lines (the command's own output
 * and an error line under --format json share seep's stdout). */
static json_t *final_report(const struct run *r)
{
	json_t *rep = NULL;
	int reports = 0;

	for (int i = 0; i < json_lines(r->out); i++) {
		json_t *j = json_line(r->out, i);

		if (j && json_is_true(json_object_get(j, "final"))) {
			json_decref(rep);
			rep = j;
			reports++;
		} else {
			json_decref(j);
		}
	}
	cr_assert_eq(reports, 1, "one final report; stdout: %s; stderr: %s", r->out, r->err);
	return rep;
}

/* The final report of `seep trace --reach -c CMD -f json` (R kept for
 * its status; the caller releases it and the report). */
static json_t *reach_run(const char *cmd, struct run *r)
{
	char *argv[] = { SEEP_BIN, "trace", "--reach", "-c", (char *)cmd, "-f", "json", NULL };
	json_t *rep;

	run_cmd(argv, NULL, r);
	rep = final_report(r);
	cr_assert(json_is_object(json_object_get(rep, "reach")), "a scan was made: %s", r->err);
	return rep;
}

static json_int_t reach_int(json_t *rep, const char *key)
{
	json_t *v = json_object_get(json_object_get(rep, "reach"), key);

	cr_assert(json_is_integer(v), "reach.%s is an integer", key);
	return json_integer_value(v);
}

/* Every lost stack of REP is at BASE:LINE, the first stack is lost; the
 * number of lost stacks is returned. */
static size_t expect_only_leak(json_t *rep, const char *base, int line)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	size_t i, lost = 0;

	cr_assert_gt(json_array_size(stacks), 0);
	cr_expect(is_lost(json_array_get(stacks, 0)), "the first stack is a lost one");
	json_array_foreach(stacks, i, s) {
		if (!is_lost(s))
			continue;
		lost++;
		cr_expect(has_line(s, base, line), "lost stack #%zu is not %s:%d", i + 1, base,
			  line);
	}
	cr_expect_eq((size_t)reach_int(rep, "lost_stacks"), lost);
	cr_expect(json_is_true(json_object_get(json_object_get(rep, "reach"), "exact")));
	return lost;
}

/* A stack with a frame in function FN. */
static json_t *stack_with(json_t *rep, const char *fn)
{
	json_t *stacks = json_object_get(rep, "stacks"), *s;
	size_t i;

	json_array_foreach(stacks, i, s)
		if (stack_frame_index(s, fn) >= 0)
			return s;
	return NULL;
}

static void small_leak(const char *name, const char *opt)
{
	char dir[] = "/tmp/seep-reach-XXXXXX", bin[256], cc[1024], src[256], base[64];
	struct run r;
	json_t *rep, *stdio;
	int line;

	snprintf(src, sizeof(src), SRC("%s.c"), name);
	snprintf(base, sizeof(base), "%s.c", name);
	line = leak_line(src);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/%s-%s", dir, name, opt);
	snprintf(cc, sizeof(cc), "gcc -g -%s -I%s -o %s %s", opt, SRC(""), bin, src);
	cr_assert_eq(system(cc), 0, "%s", cc);
	rep = reach_run(bin, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(expect_only_leak(rep, base, line), 1, "%s -%s: one lost stack", name, opt);
	stdio = stack_with(rep, "_IO_file_doallocate");
	cr_assert_not_null(stdio, "stdout's buffer is in the report");
	cr_expect(!is_lost(stdio), "stdout's buffer is reachable");
	cr_expect_geq(reach_int(rep, "reachable_blocks"), 2, "stdio and the globals' blocks");
	cr_expect_gt(reach_int(rep, "scanned_bytes"), 0);
	cr_expect_eq(reach_int(rep, "threads"), 1);
	json_decref(rep);
	run_release(&r);
	unlink(bin);
	rmdir(dir);
}

E2E(sl_parser) { small_leak("sl_parser", "O0"); small_leak("sl_parser", "O2"); }
E2E(sl_list) { small_leak("sl_list", "O0"); small_leak("sl_list", "O2"); }
E2E(sl_tokens) { small_leak("sl_tokens", "O0"); small_leak("sl_tokens", "O2"); }
E2E(sl_reader) { small_leak("sl_reader", "O0"); small_leak("sl_reader", "O2"); }

/* Four threads hold a block each on their stacks when the process ends in
 * MODE; main lost one. RC: seep's exit status. */
static void threads(const char *mode, int rc, const char *signal)
{
	char cmd[256];
	struct run r;
	json_t *rep, *worker;

	snprintf(cmd, sizeof(cmd), "%s %s", TARGET("reach_threads"), mode);
	rep = reach_run(cmd, &r);
	cr_assert_eq(r.status, rc, "stderr: %s", r.err);
	if (signal)
		cr_expect_str_eq(json_string_value(json_object_get(rep, "signal")), signal);
	cr_expect_eq(expect_only_leak(rep, "reach_threads.c", leak_line(SRC("reach_threads.c"))), 1);
	cr_expect_eq(reach_int(rep, "lost_blocks"), 1);
	cr_expect_eq(reach_int(rep, "threads"), 5, "every thread's registers and stack");
	worker = stack_with(rep, "worker");
	cr_assert_not_null(worker);
	cr_expect(!is_lost(worker), "blocks held on the threads' stacks are reachable");
	cr_expect_eq(json_integer_value(json_object_get(worker, "count")), 4);
	cr_expect_gt(reach_int(rep, "stack_bytes"), 0);
	json_decref(rep);
	run_release(&r);
}

E2E(threads_exit) { threads("exit", 0, NULL); }
E2E(threads_killed_by_signal) { threads("signal", 3, "SIGTERM"); }
E2E(threads_exit_group_from_a_thread) { threads("exit_group", 0, NULL); }

E2E(pointer_only_in_a_register)
{
	struct run r;
	json_t *rep = reach_run(TARGET("reach_regs"), &r), *stacks, *s;
	size_t i;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(expect_only_leak(rep, "reach_regs.c", leak_line(SRC("reach_regs.c"))), 1);
	stacks = json_object_get(rep, "stacks");
	json_array_foreach(stacks, i, s)
		if (json_integer_value(json_object_get(s, "bytes")) == 72)
			cr_expect(!is_lost(s), "the block r12 points to is reachable");
	cr_expect_eq(reach_int(rep, "lost_bytes"), 24);
	json_decref(rep);
	run_release(&r);
}

E2E(lost_cycle)
{
	struct run r;
	json_t *rep = reach_run(TARGET("reach_cycle"), &r);

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(expect_only_leak(rep, "reach_cycle.c", leak_line(SRC("reach_cycle.c"))), 1);
	cr_expect_eq(reach_int(rep, "lost_blocks"), 3, "the three nodes of the lost ring");
	cr_expect_eq(reach_int(rep, "reachable_blocks"), 4, "the ring a global holds");
	json_decref(rep);
	run_release(&r);
}

E2E(stale_pointer_in_a_dead_stack_slot)
{
	struct run r;
	json_t *rep = reach_run(TARGET("reach_stale"), &r);

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(expect_only_leak(rep, "reach_stale.c", leak_line(SRC("reach_stale.c"))), 1);
	cr_expect_eq(reach_int(rep, "lost_bytes"), 48);
	json_decref(rep);
	run_release(&r);
}

/* exit() called by the program: its frames are live, and the callee-saved
 * register exit's frames saved still points to a block. */
E2E(exit_called_by_the_program_keeps_its_frames)
{
	struct run r;
	json_t *rep = reach_run(TARGET("reach_exit_call"), &r), *held;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(expect_only_leak(rep, "reach_exit_call.c", leak_line(SRC("reach_exit_call.c"))),
		     1);
	held = stack_with(rep, "main");
	cr_assert_not_null(held);
	cr_expect_eq(reach_int(rep, "lost_bytes"), 40);
	json_decref(rep);
	run_release(&r);
}

/* State and TracerPid of PID from /proc/PID/status. */
static void proc_state(pid_t pid, char *state, int *tracer)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "pid %d is gone", (int)pid);
	*state = '?';
	*tracer = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "State: %c", state);
		sscanf(line, "TracerPid: %d", tracer);
	}
	fclose(f);
}

E2E(running_process_seized_scanned_and_let_go)
{
	char *targv[] = { TARGET("reach_running"), NULL }, pid_s[16];
	char *argv[] = { SEEP_BIN, "trace", "--reach", "-p", pid_s, "-d", "1", "-f", "json", NULL };
	int go, tracer, line = leak_line(SRC("reach_running.c"));
	pid_t pid = target_start(targv, &go);
	json_t *rep, *top;
	struct bg b;
	struct run r;
	char state;

	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start tracing: %s", b.err);
	target_go(go);
	bg_finish(&b, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = final_report(&r);
	cr_assert(json_is_object(json_object_get(rep, "reach")), "scanned: %s", r.err);
	cr_expect(json_is_false(json_object_get(json_object_get(rep, "reach"), "exact")),
		  "attached to a running process: blocks from before are untracked roots");
	cr_expect_gt(json_real_value(json_object_get(json_object_get(rep, "reach"), "pause_ms")),
		     0.0);
	top = json_array_get(json_object_get(rep, "stacks"), 0);
	cr_expect(is_lost(top));
	cr_expect(has_line(top, "reach_running.c", line), "the first lost stack is the leak's");
	cr_expect_geq(json_integer_value(json_object_get(top, "count")), 10,
		      "one lost block every 20 ms");
	cr_expect(!is_lost(stack_with(rep, "keep_one")), "the list a global holds is reachable");
	usleep(100000);
	proc_state(pid, &state, &tracer);
	cr_expect_eq(tracer, 0, "not left traced");
	cr_expect(state == 'S' || state == 'R', "not left stopped: state %c", state);
	cr_expect_eq(kill(pid, 0), 0, "still running");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	json_decref(rep);
	run_release(&r);
}

E2E(reach_wants_every_allocation_tracked)
{
	char *argv[] = { SEEP_BIN, "trace", "--reach", "-s", "4096", "-c", TARGET("reach_cycle"),
			 NULL };
	char *kargv[] = { SEEP_BIN, "trace", "--kernel", "--reach", "-d", "1", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 2, "usage error");
	cr_expect(strstr(r.err, "--reach") != NULL, "%s", r.err);
	run_release(&r);
	run_cmd(kargv, NULL, &r);
	cr_expect_eq(r.status, 2, "usage error");
	cr_expect(strstr(r.err, "--reach") != NULL, "%s", r.err);
	run_release(&r);
}
