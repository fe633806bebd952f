/* End to end: the CLI's weak spots of the reliability matrix, each with its
 * defined behaviour — a report whose chart cannot be written, a bad
 * snapshot -o told up front, -d 0, a full disk and a closed pipe on stdout,
 * a mapped file seep may not read, attach progress on a terminal, a -c of
 * NAME=value words only. Root (the tracer); the report runs as nobody. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64];
static char series[128];

static void setup(void)
{
	strcpy(dir, "/tmp/seep-cli-weak-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(series, sizeof(series), "%s/series", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(cli_weak, .init = setup, .fini = teardown, .timeout = 120);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A short series of root's, its files then made readable by all (as an
 * older seep left them), in a directory only root may write. */
static void record_series(void)
{
	char *argv[] = { SEEP_BIN, "record", "-c", "sleep 1.2", "--every",
			 "0.2", "-d", "5", "--out", series, NULL };
	char cmd[400];
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "record: %s", r.err);
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "chmod 0755 '%s' && chmod 0644 '%s'/*", series, series);
	cr_assert_eq(system(cmd), 0);
}

/* `seep report` as nobody, with EXTRA arguments. */
static void report_as_nobody(const char *extra1, const char *extra2, struct run *r)
{
	char *argv[16] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			   SEEP_BIN, "report", series };
	int n = 7;

	if (extra1)
		argv[n++] = (char *)extra1;
	if (extra2)
		argv[n++] = (char *)extra2;
	argv[n] = NULL;
	run_cmd(argv, NULL, r);
}

/* The default chart cannot be written: the summary all the same, a warning
 * naming the chart, success; an asked-for chart: the summary, then exit 1. */
Test(cli_weak, report_without_its_chart)
{
	char chart[160];
	struct run r;
	json_t *j;

	record_series();
	report_as_nobody(NULL, NULL, &r);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "series ") && strstr(r.out, "snapshots"), "summary: '%s'", r.out);
	cr_expect_null(strstr(r.out, "chart:"), "no chart named: '%s'", r.out);
	cr_expect(strstr(r.err, "growth.svg") && strstr(r.err, "Permission denied"), "%s", r.err);
	run_release(&r);

	report_as_nobody("-f", "json", &r);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	j = json_loads(r.out, 0, NULL);
	cr_expect(json_is_object(j) && json_is_null(json_object_get(j, "chart")) &&
		  json_is_array(json_object_get(j, "snapshots")), "'%s'", r.out);
	json_decref(j);
	run_release(&r);

	snprintf(chart, sizeof(chart), "%s/mine.svg", series);
	report_as_nobody("--chart", chart, &r);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "series "), "summary first: '%s'", r.out);
	cr_expect(strstr(r.err, "mine.svg"), "%s", r.err);
	run_release(&r);
}

/* A bad -o is refused before the duration is spent. */
Test(cli_weak, snapshot_output_checked_up_front)
{
	char out[160];
	const char *bad[] = { "/nonexistent/dir/x.pb.gz", dir };

	for (size_t i = 0; i < 2; i++) {
		char *argv[] = { SEEP_BIN, "snapshot", "-c", "sleep 30",
				 "-d", "30", "-o", (char *)bad[i], NULL };
		struct run r;
		double t0 = now_s();

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1, "%s: exit %d: %s", bad[i], r.status, r.err);
		cr_expect_lt(now_s() - t0, 10.0, "%s: refused after %.1f s", bad[i], now_s() - t0);
		cr_expect(strstr(r.err, "cannot write"), "%s: %s", bad[i], r.err);
		run_release(&r);
	}
	snprintf(out, sizeof(out), "%s/leftover", dir);
	cr_expect(access(out, F_OK), "nothing left behind");
}

/* -d 0 in snapshot is no limit, as in trace and record: the snapshot comes
 * at the command's exit, not at once. */
Test(cli_weak, snapshot_d0_waits_for_the_command)
{
	char *argv[] = { SEEP_BIN, "snapshot", "-c", "sleep 1.5", "-d", "0", "-f", "json", NULL };
	struct run r;
	double t0 = now_s();
	json_t *j;

	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect_geq(now_s() - t0, 1.3, "took %.2f s", now_s() - t0);
	j = json_loads(r.out, 0, NULL);
	cr_expect(json_is_object(j), "'%s'", r.out);
	json_decref(j);
	run_release(&r);
}

/* Runs ARGV with stdout on OUT_FD; returns the exit status, stderr in ERR. */
static int run_with_stdout(char *const argv[], int out_fd, char *err, size_t errlen)
{
	int ep[2], st;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	cr_assert_eq(pipe(ep), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(out_fd, 1);
		dup2(ep[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(ep[1]);
	while (len + 1 < errlen && (n = read(ep[0], err + len, errlen - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(ep[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A full disk under stdout says so; a closed pipe ends quietly with 1. */
Test(cli_weak, stdout_full_and_closed)
{
	char *text[] = { SEEP_BIN, "report", series, "--no-chart", NULL };
	char *json[] = { SEEP_BIN, "report", series, "--no-chart", "-f", "json", NULL };
	char *const *cmds[] = { text, json };
	char err[4096];
	int full, p[2], status;

	record_series();
	for (size_t i = 0; i < 2; i++) {
		full = open("/dev/full", O_WRONLY);
		cr_assert_geq(full, 0);
		status = run_with_stdout(cmds[i], full, err, sizeof(err));
		close(full);
		cr_expect_eq(status, 1, "/dev/full %zu: exit %d: %s", i, status, err);
		cr_expect(strstr(err, "No space left on device"), "/dev/full %zu: %s", i, err);
		cr_expect_null(strstr(err, "Input/output error"), "%s", err);

		cr_assert_eq(pipe(p), 0);
		close(p[0]);
		status = run_with_stdout(cmds[i], p[1], err, sizeof(err));
		close(p[1]);
		cr_expect_eq(status, 1, "closed pipe %zu: exit %d: %s", i, status, err);
		cr_expect_str_eq(err, "", "closed pipe %zu: quiet", i);
	}
}

/* An executable seep may not read (mode 0111, without CAP_DAC_OVERRIDE):
 * permission denied, not "a static, stripped binary?". */
Test(cli_weak, unreadable_binary_is_permission_denied)
{
	char bin[160], cmd[400];
	struct run r;

	snprintf(bin, sizeof(bin), "%s/static_noread", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0111 '%s'", TARGET("static_helper"), bin,
		 bin);
	cr_assert_eq(system(cmd), 0);
	char *argv[] = { "/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", SEEP_BIN,
			 "trace", "-c", bin, "-d", "2", NULL };
	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "Permission denied") && strstr(r.err, "static_noread"), "%s", r.err);
	cr_expect_null(strstr(r.err, "stripped"), "%s", r.err);
	run_release(&r);
}

/* Several -p: progress on a terminal (script(1) gives seep one), none when
 * stderr is not one. */
Test(cli_weak, attach_progress_on_a_terminal_only)
{
	pid_t kids[3];
	char line[512];
	struct run r;

	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (!kids[i]) {
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
	}
	usleep(200000);
	snprintf(line, sizeof(line), "%s trace -p %d -p %d -p %d -d 0.5", SEEP_BIN, (int)kids[0],
		 (int)kids[1], (int)kids[2]);
	char *tty[] = { "/usr/bin/script", "-qec", line, "/dev/null", NULL };
	run_cmd(tty, NULL, &r);
	cr_expect_eq(r.status, 0, "exit %d: %s %s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "attaching to 3 processes"), "on a terminal: '%s'", r.out);
	run_release(&r);

	char *plain[] = { SEEP_BIN, "trace", "-p", NULL, "-p", NULL, "-p", NULL, "-d", "0.5", NULL };
	char p0[16], p1[16], p2[16];
	snprintf(p0, sizeof(p0), "%d", (int)kids[0]);
	snprintf(p1, sizeof(p1), "%d", (int)kids[1]);
	snprintf(p2, sizeof(p2), "%d", (int)kids[2]);
	plain[3] = p0;
	plain[5] = p1;
	plain[7] = p2;
	run_cmd(plain, NULL, &r);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect_null(strstr(r.err, "attaching to"), "not a terminal: '%s'", r.err);
	run_release(&r);
	for (int i = 0; i < 3; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
}

/* -c 'A=1 B=2' is an environment without a command: refused, nothing run. */
Test(cli_weak, command_of_assignments_only)
{
	char *argv[] = { SEEP_BIN, "trace", "-c", "A=1 B=2", "-d", "1", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_expect_neq(r.status, 0, "exit %d", r.status);
	cr_expect(strstr(r.err, "no command after the NAME=value words"), "%s", r.err);
	cr_expect_null(strstr(r.err, "tracing"), "nothing started: %s", r.err);
	run_release(&r);
}
