/* End to end (no root needed): build/seep is the launcher. `seep detect`
 * runs in it, without libbpf, cairo or X11 mapped; every other command,
 * and `detect --plot`, is the full program (build/libexec/seep/seep)
 * exec'd in the same process, with the same output and exit code as
 * when the full program is run itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

#define SEEP_FULL_BIN SEEP_BUILD_DIR "/libexec/seep/seep"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "launcher"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(launcher, .init = setup, .fini = teardown, .timeout = 60);

/* Runs ARGV (ARGV[0] set here) once with the launcher and once with the
 * full program in its place; both runs must agree on exit code, stdout
 * and stderr. Returns the exit code. */
static int same_as_full(char **argv, const char *want_out)
{
	struct run a, b;
	char *full[16];
	int i;

	argv[0] = (char *)SEEP_BIN;
	for (i = 0; argv[i]; i++)
		full[i] = argv[i];
	full[i] = NULL;
	full[0] = (char *)SEEP_FULL_BIN;
	run_cmd(argv, NULL, &a);
	run_cmd(full, NULL, &b);
	cr_expect_eq(a.status, b.status, "%s: exit %d via the launcher, %d from the full program",
		     argv[1], a.status, b.status);
	cr_expect_str_eq(a.out, b.out);
	cr_expect_str_eq(a.err, b.err);
	if (want_out)
		cr_expect(strstr(a.out, want_out), "stdout of %s lacks '%s': %s", argv[1],
			  want_out, a.out);
	int status = a.status;

	run_release(&a);
	run_release(&b);
	return status;
}

Test(launcher, other_commands_run_the_full_program)
{
	char *help[] = { NULL, "report", "--help", NULL };
	char *version[] = { NULL, "--version", NULL };
	char *usage[] = { NULL, "--help", NULL };

	cr_assert_eq(same_as_full(help, "usage: seep report"), 0);
	cr_assert_eq(same_as_full(version, "seep "), 0);
	cr_assert_eq(same_as_full(usage, "commands:"), 0);
}

Test(launcher, exit_codes_and_errors_pass_through)
{
	char *unknown[] = { NULL, "no-such-command", NULL };
	char *none[] = { NULL, NULL };
	char *diff[] = { NULL, "diff", "/nonexistent/a.pb.gz", "/nonexistent/b.pb.gz", NULL };
	char *bad_opt[] = { NULL, "report", "--no-such-option", NULL };

	cr_assert_eq(same_as_full(unknown, NULL), 2);
	cr_assert_eq(same_as_full(none, NULL), 2);
	cr_assert_eq(same_as_full(diff, NULL), 1);
	cr_assert_eq(same_as_full(bad_opt, NULL), 2);
}

Test(launcher, detect_in_process_matches_the_full_program)
{
	char csv[128];
	char *missing[] = { NULL, "detect", "/nonexistent/x.csv", NULL };
	char *json[] = { NULL, "detect", "--format", "json", "/nonexistent/x.csv", NULL };
	char *usage[] = { NULL, "detect", NULL };
	char *bad[] = { NULL, "detect", "--no-such-option", NULL };
	char *help[] = { NULL, "detect", "--help", NULL };
	char *ok[] = { NULL, "detect", "--format", "json", csv, NULL };
	char text[64 * 1024];
	size_t len = 0;

	len += (size_t)snprintf(text + len, sizeof(text) - len, "timestamp,value\n");
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d,%.2f\n",
					1600000000 + i * 300, 40 + i * 0.01);
	cr_assert_eq(scratch__put(csv, sizeof(csv), dir, "ramp.csv", text), 0);
	cr_assert_eq(same_as_full(missing, NULL), 1);
	cr_assert_eq(same_as_full(json, "\"error\""), 1);
	cr_assert_eq(same_as_full(usage, NULL), 2);
	cr_assert_eq(same_as_full(bad, NULL), 2);
	cr_assert_eq(same_as_full(help, "usage: seep detect"), 0);
	cr_assert_eq(same_as_full(ok, "\"leak\""), 0);
}

/* Starts seep ARGV reading the FIFO at PATH and returns its pid once it
 * has opened the FIFO (its libraries are loaded by then); *WFD is the
 * FIFO's write end. */
static pid_t start_on_fifo(char **argv, const char *path, int *wfd)
{
	pid_t pid = fork();

	if (!pid) {
		child_dies_with_parent();
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	*wfd = open(path, O_WRONLY);	/* returns once seep opened it */
	cr_assert_geq(*wfd, 0, "open '%s': %s", path, strerror(errno));
	return pid;
}

/* Feeds a 2000-row ramp through WFD and returns the exit code of PID. */
static int feed_and_wait(pid_t pid, int wfd)
{
	char line[64];
	int st;

	cr_assert_gt(write(wfd, "timestamp,value\n", 16), 0);
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(line, sizeof(line), "%d,%.2f\n", 1600000000 + i * 300,
				 40 + i * 0.01);

		cr_assert_eq(write(wfd, line, (size_t)n), n);
	}
	close(wfd);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char *read_file(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "open '%s': %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void exe_of(pid_t pid, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, out, len - 1);
	cr_assert_gt(n, 0);
	out[n] = '\0';
}

Test(launcher, detect_maps_no_tracer_or_plotting_library)
{
	char fifo[128], real[PATH_MAX], exe[PATH_MAX], maps[64];
	char *argv[] = { (char *)SEEP_BIN, "detect", fifo, NULL };
	const char *text;
	int wfd;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "%s/series.csv", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	pid = start_on_fifo(argv, fifo, &wfd);
	exe_of(pid, exe, sizeof(exe));
	cr_assert_not_null(realpath(SEEP_BIN, real));
	cr_expect_str_eq(exe, real, "seep detect ran '%s', not the launcher", exe);
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	text = read_file(maps);
	cr_assert(strstr(text, "libc.so"), "maps unreadable: %s", text);
	cr_expect_null(strstr(text, "libcairo"), "seep detect maps libcairo");
	cr_expect_null(strstr(text, "libX11"), "seep detect maps libX11");
	cr_expect_null(strstr(text, "libbpf"), "seep detect maps libbpf");
	cr_assert_eq(feed_and_wait(pid, wfd), 0);
}

Test(launcher, detect_plot_runs_the_full_program)
{
	char fifo[128], svg[128], real[PATH_MAX], exe[PATH_MAX];
	char *argv[] = { (char *)SEEP_BIN, "detect", "--plot", svg, fifo, NULL };
	const char *text;
	int wfd;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "%s/series.csv", dir);
	snprintf(svg, sizeof(svg), "%s/plot.svg", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	pid = start_on_fifo(argv, fifo, &wfd);
	exe_of(pid, exe, sizeof(exe));
	cr_assert_not_null(realpath(SEEP_FULL_BIN, real));
	cr_expect_str_eq(exe, real, "seep detect --plot ran '%s', not the full program", exe);
	cr_assert_eq(feed_and_wait(pid, wfd), 0);
	text = read_file(svg);
	cr_expect(strstr(text, "<svg"), "no SVG in '%s': %.80s", svg, text);
}
