#include "daemonlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "timescale.h"

static pid_t procs[64];
static int nprocs;

pid_t procs_track(pid_t pid)
{
	if (pid > 0 && nprocs < (int)(sizeof(procs) / sizeof(procs[0])))
		procs[nprocs++] = pid;
	return pid;
}

void procs_kill_all(void)
{
	for (int i = 0; i < nprocs; i++)
		if (kill(procs[i], SIGKILL) == 0 || errno != ESRCH)
			waitpid(procs[i], NULL, 0);
	nprocs = 0;
}

char *free_listen(char *buf, size_t len)
{
	int port = free_port();

	cr_assert_gt(port, 0, "no free loopback port");
	snprintf(buf, len, "127.0.0.1:%d", port);
	return buf;
}

/* Under ASan (the test built as seep is, `make check-asan-e2e`) the daemon
 * starts at ~77 MiB resident, not ~20 (shadow, quarantine): its memory
 * budget and cap (64 and 96 MiB) would shed the very series a test
 * watches. They go first, so that a test's own --set still wins. */
#ifdef __SANITIZE_ADDRESS__
#define SAN_DAEMON_ARGS "--set", "budget.rss=512MiB", "--set", "budget.rss_cap=768MiB",
#define SAN_DAEMON_NARGS 4
#else
#define SAN_DAEMON_ARGS
#define SAN_DAEMON_NARGS 0
#endif

pid_t daemon_spawn(const char *err_path, const char *path_prefix, char *const args[])
{
	char *argv[64] = { SEEP_BIN, "daemon", SAN_DAEMON_ARGS };
	int n = 2 + SAN_DAEMON_NARGS;
	pid_t pid;

	for (int i = 0; args[i]; i++) {
		cr_assert_lt(n, 63, "too many daemon arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_dies_with_parent();
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_WRONLY);
		char path[4096];

		if (fd < 0 || null < 0)
			_exit(127);
		if (path_prefix) {
			snprintf(path, sizeof(path), "%s:%s", path_prefix, getenv("PATH") ?: "");
			setenv("PATH", path, 1);
		}
		dup2(null, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return procs_track(pid);
}

void daemon_wait_ready(pid_t pid, const char *err_path, double timeout_s)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 }, t0, now;
	double limit = scaled_s(timeout_s);
	char *log;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (file_says(err_path, "daemon ready"))
			return;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			log = file_text(err_path);
			cr_assert_fail("the daemon exited (status %d) before it was ready: %s", st, log);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 > limit)
			break;
		nanosleep(&nap, NULL);
	}
	log = file_text(err_path);
	cr_assert_fail("the daemon did not get ready in %.0f s: %s", limit, log);
}

int daemon_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

json_t *daemon_status_json(const char *listen)
{
	char *argv[] = { SEEP_BIN, "status", "--listen", (char *)listen, "--format", "json", NULL };
	struct run r;
	json_t *j;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "seep status: exit %d, stdout '%.300s', stderr '%s'", r.status,
		     r.out, r.err);
	j = json_loads(r.out, 0, NULL);
	cr_assert(j, "seep status printed no JSON: %s", r.out);
	run_release(&r);
	return j;
}

int http_call(const char *method, const char *listen, const char *path, char **body)
{
	char url[512], code_out[] = "%{http_code}";
	char *argv[] = { "/usr/bin/curl", "-s", "-X", (char *)method, "-o", NULL, "-w", code_out,
			 url, NULL };
	char out_path[] = "/tmp/seep-test-http-XXXXXX";
	struct run r;
	int fd = mkstemp(out_path), code;

	cr_assert_geq(fd, 0);
	close(fd);
	argv[5] = out_path;
	snprintf(url, sizeof(url), "http://%s%s", listen, path);
	run_cmd(argv, NULL, &r);
	code = atoi(r.out ? r.out : "0");
	run_release(&r);
	if (body)
		*body = file_text(out_path);
	unlink(out_path);
	return code;
}

char *file_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f || getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	if (f)
		fclose(f);
	return buf;
}

bool file_says(const char *path, const char *what)
{
	char *t = file_text(path);
	bool yes = strstr(t, what) != NULL;

	free(t);
	return yes;
}
