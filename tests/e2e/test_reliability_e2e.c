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
