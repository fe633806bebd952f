#include "testlib.h"
#include "timescale.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void child_dies_with_parent(void)
{
	pid_t parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
}

pid_t target_start(char *const argv[], int *go_fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		child_dies_with_parent();
		char fd[16];

		close(p[1]);
		snprintf(fd, sizeof(fd), "%d", p[0]);
		setenv("SEEP_WAIT_FD", fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

void target_go(int go_fd)
{
	if (write(go_fd, "g", 1) != 1)
		perror("target_go");
	close(go_fd);
}

/* The number after NAME= in /proc/PID/environ, or -1. */
static long _environ_number(pid_t pid, const char *name)
{
	char path[64], buf[16384];
	size_t len = strlen(name), n;
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, name, len) && buf[i + len] == '=')
			v = strtol(buf + i + len + 1, NULL, 10);
	return v;
}

int target_wait_blocked(pid_t pid)
{
	struct timespec t0, now, nap = { 0, 1000000 };
	char path[64], buf[256];
	long nr, arg0, fd;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (;;) {
		/* "NR ARG0 ..." while in a syscall, "running" or "-1 ..." otherwise */
		f = fopen(path, "r");
		if (!f)
			return -ESRCH;
		nr = arg0 = -1;
		if (fgets(buf, sizeof(buf), f))
			sscanf(buf, "%ld %lx", &nr, &arg0);
		fclose(f);
		if (nr == __NR_pause)
			return 0;
		/* the environment is the target's once it has exec'ed */
		if (nr == __NR_read && (fd = _environ_number(pid, "SEEP_WAIT_FD")) >= 0 && arg0 == fd)
			return 0;
		if (kill(pid, 0) && errno == ESRCH)
			return -ESRCH;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >
		    scaled_s(10))
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

int target_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *_slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2048)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

static int _status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void run_cmd(char *const argv[], char *const envp[], struct run *r)
{
	char out_path[] = "/tmp/seep-test-out-XXXXXX", err_path[] = "/tmp/seep-test-err-XXXXXX";
	int out = mkstemp(out_path), err = mkstemp(err_path), st;
	pid_t pid = fork();

	if (pid == 0) {
		child_dies_with_parent();
		dup2(out, 1);
		dup2(err, 2);
		for (int i = 0; envp && envp[i]; i++)
			putenv(envp[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	r->status = _status(st);
	lseek(out, 0, SEEK_SET);
	lseek(err, 0, SEEK_SET);
	r->out = _slurp_fd(out);
	r->err = _slurp_fd(err);
	close(out);
	close(err);
	unlink(out_path);
	unlink(err_path);
}

void run_release(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int json_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

json_t *json_line(const char *text, int n)
{
	const char *p = text;

	while (n-- > 0 && p) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return NULL;
	return json_loadb(p, strcspn(p, "\n"), 0, NULL);
}

int stack_frame_index(json_t *stack, const char *fn)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *name = json_string_value(json_object_get(f, "function"));

		if (name && !strcmp(name, fn))
			return (int)i;
	}
	return -1;
}

int bg_start(char *const argv[], struct bg *b)
{
	int errp[2], out;
	struct timespec t0, t;
	size_t len = 0;

	memset(b, 0, sizeof(*b));
	strcpy(b->out_path, "/tmp/seep-test-bg-XXXXXX");
	out = mkstemp(b->out_path);
	if (out < 0 || pipe(errp))
		return -1;
	b->pid = fork();
	if (b->pid == 0) {
		child_dies_with_parent();
		dup2(out, 1);
		dup2(errp[1], 2);
		close(errp[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out);
	close(errp[1]);
	b->err_fd = errp[0];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Wait for "tracing" (attached) or exit (error), at most 20 s
	 * (time-scaled). */
	for (;;) {
		struct pollfd pfd = { .fd = b->err_fd, .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) > scaled_s(20))
			return -1;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(b->err_fd, b->err + len, sizeof(b->err) - len - 1);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		b->err[len] = '\0';
		if (strstr(b->err, "seep: tracing "))
			return 0;
	}
}

void bg_finish(struct bg *b, struct run *r)
{
	int st, fd;
	char *rest;

	waitpid(b->pid, &st, 0);
	r->status = _status(st);
	rest = _slurp_fd(b->err_fd);
	close(b->err_fd);
	r->err = malloc(strlen(b->err) + strlen(rest) + 1);
	strcpy(r->err, b->err);
	strcat(r->err, rest);
	free(rest);
	fd = open(b->out_path, O_RDONLY);
	r->out = fd >= 0 ? _slurp_fd(fd) : strdup("");
	if (fd >= 0)
		close(fd);
	unlink(b->out_path);
}
