/* executor — real and recording executors; see executor.h. */
#include "mitigate/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/vec.h"

struct executor {
	const struct executor_ops *ops;
	void *ctx;
	uint64_t calls, errors;
	struct record *rec;	/* the recording one's state, else NULL */
};

int executor__new(const struct executor_ops *ops, void *ctx, struct executor **out)
{
	struct executor *x = calloc(1, sizeof(*x));

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->ops = ops;
	x->ctx = ctx;
	*out = x;
	return 0;
}

void executor__free(struct executor *x)
{
	if (!x)
		return;
	if (x->ops->free)
		x->ops->free(x->ctx);
	free(x);
}

static int _count(struct executor *x, int err)
{
	x->calls++;
	if (err)
		x->errors++;
	return err;
}

int executor__restart_unit(struct executor *x, const char *unit, char *err, size_t errlen)
{
	return _count(x, x->ops->restart_unit(x->ctx, unit, err, errlen));
}

int executor__run_command(struct executor *x, const char *command,
			  const struct executor_target *t, char *err, size_t errlen)
{
	return _count(x, x->ops->run_command(x->ctx, command, t, err, errlen));
}

int executor__write_file(struct executor *x, const char *path, const char *value, char *err,
			 size_t errlen)
{
	return _count(x, x->ops->write_file(x->ctx, path, value, err, errlen));
}

uint64_t executor__calls(const struct executor *x)
{
	return x ? x->calls : 0;
}

uint64_t executor__errors(const struct executor *x)
{
	return x ? x->errors : 0;
}

/* --- the real executor ------------------------------------------------------ */

/* Waits for child PID up to EXEC_TIMEOUT_S, then kills it. */
static int _reap(pid_t pid, const char *what, char *err, size_t errlen)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st = 0;

	for (int i = 0; i < EXEC_TIMEOUT_S * 100; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				return 0;
			if (WIFEXITED(st))
				snprintf(err, errlen, "'%s' exited with status %d", what,
					 WEXITSTATUS(st));
			else
				snprintf(err, errlen, "'%s' was killed by signal %d", what,
					 WTERMSIG(st));
			return -EIO;
		}
		if (r < 0) {
			int e = -errno;

			snprintf(err, errlen, "cannot wait for '%s': %s", what, strerror(-e));
			return e;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	snprintf(err, errlen, "'%s' did not finish in %ds: killed", what, EXEC_TIMEOUT_S);
	return -ETIMEDOUT;
}

static int _real_restart_unit(void *ctx, const char *unit, char *err, size_t errlen)
{
	char *const argv[] = { "systemctl", "--no-block", "try-restart", (char *)unit, NULL };
	pid_t pid;

	(void)ctx;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		snprintf(err, errlen, "cannot fork for 'systemctl': %s", strerror(-e));
		return e;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return _reap(pid, "systemctl try-restart", err, errlen);
}

extern char **environ;

static int _real_run_command(void *ctx, const char *command, const struct executor_target *t,
			     char *err, size_t errlen)
{
	char vars[6][1200], **envp = NULL;
	char *const argv[] = { "sh", "-c", (char *)command, NULL };
	size_t n = 0, k = 0;
	pid_t pid;
	int e;

	(void)ctx;
	/* the environment is built before the fork: the child only execs */
	snprintf(vars[0], sizeof(vars[0]), "SEEP_PID=%d", t->pid);
	snprintf(vars[1], sizeof(vars[1]), "SEEP_START=%llu", (unsigned long long)t->start);
	snprintf(vars[2], sizeof(vars[2]), "SEEP_COMM=%s", t->comm ? t->comm : "");
	snprintf(vars[3], sizeof(vars[3]), "SEEP_UNIT=%s", t->unit ? t->unit : "");
	snprintf(vars[4], sizeof(vars[4]), "SEEP_CGROUP=%s", t->cgroup ? t->cgroup : "");
	snprintf(vars[5], sizeof(vars[5]), "SEEP_REASON=%s", t->reason ? t->reason : "");
	while (environ && environ[n])
		n++;
	envp = calloc(n + 7, sizeof(*envp));
	if (!envp) {
		snprintf(err, errlen, "cannot run '%s': %s", command, strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SEEP_", 5))
			envp[k++] = environ[i];
	for (size_t i = 0; i < 6; i++)
		envp[k++] = vars[i];
	pid = fork();
	if (pid < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot fork for '%s': %s", command, strerror(-e));
		free(envp);
		return e;
	}
	if (pid == 0) {
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	free(envp);
	return _reap(pid, command, err, errlen);
}

static int _real_write_file(void *ctx, const char *path, const char *value, char *err,
			    size_t errlen)
{
	size_t n = strlen(value);
	int fd, e = 0;
	ssize_t w;

	(void)ctx;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(-e));
		return e;
	}
	w = write(fd, value, n);
	if (w < 0)
		e = -errno;
	else if ((size_t)w != n)
		e = -EIO;
	if (close(fd) && !e)
		e = -errno;
	if (e)
		snprintf(err, errlen, "cannot write '%s' to '%s': %s", value, path, strerror(-e));
	return e;
}

static const struct executor_ops real_ops = {
	.restart_unit = _real_restart_unit,
	.run_command = _real_run_command,
	.write_file = _real_write_file,
};

int executor__new_real(struct executor **out)
{
	return executor__new(&real_ops, NULL, out);
}

/* --- the recording executor ------------------------------------------------- */

struct record {
	char path[4096];
	char **lines;
	size_t n, cap;
};

static int _record(struct record *r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int _record(struct record *r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL, **slot;
	FILE *f;
	int e = 0;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line || !(slot = VEC_PUSH(r->lines, r->n, r->cap))) {
		free(line);
		snprintf(err, errlen, "cannot record a call: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	*slot = line;
	r->n++;
	if (!r->path[0])
		return 0;
	f = fopen(r->path, "ae");
	if (!f || fprintf(f, "%s\n", line) < 0)
		e = -(errno ? errno : EIO);
	if (f && fclose(f) && !e)
		e = -errno;
	if (e)
		snprintf(err, errlen, "cannot record a call in '%s': %s", r->path, strerror(-e));
	return e;
}

static int _rec_restart_unit(void *ctx, const char *unit, char *err, size_t errlen)
{
	return _record(ctx, err, errlen, "restart_unit %s", unit);
}

static int _rec_run_command(void *ctx, const char *command, const struct executor_target *t,
			    char *err, size_t errlen)
{
	return _record(ctx, err, errlen, "command %s pid=%d", command, t->pid);
}

static int _rec_write_file(void *ctx, const char *path, const char *value, char *err,
			   size_t errlen)
{
	return _record(ctx, err, errlen, "write %s %s", path, value);
}

static void _rec_free(void *ctx)
{
	struct record *r = ctx;

	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	free(r);
}

static const struct executor_ops record_ops = {
	.restart_unit = _rec_restart_unit,
	.run_command = _rec_run_command,
	.write_file = _rec_write_file,
	.free = _rec_free,
};

int executor__new_record(const char *path, struct executor **out)
{
	struct record *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
	err = executor__new(&record_ops, r, out);
	if (err) {
		_rec_free(r);
		return err;
	}
	(*out)->rec = r;
	return 0;
}

int executor__from_spec(const char *spec, struct executor **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!strcmp(spec, "real"))
		return executor__new_real(out);
	if (!strncmp(spec, "record:", 7))
		return executor__new_record(spec + 7, out);
	snprintf(err, errlen, "bad executor '%s' (want real or record:PATH)", spec);
	return -EINVAL;
}

const char *const *executor__recorded(const struct executor *x, size_t *n)
{
	*n = x && x->rec ? x->rec->n : 0;
	return x && x->rec ? (const char *const *)x->rec->lines : NULL;
}
