#include "tracer/launch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "sys/proc.h"

/* The breakpoint planted at the entry point, and the word it replaced. */
struct _breakpoint {
	uint64_t addr;
	long orig;
};

/* Waits for the child's next stop with signal SIG, passing other signals
 * on. Returns 0, or -ECHILD if the child ended. */
static int _wait_stop(pid_t pid, int sig)
{
	int st;

	for (;;) {
		if (waitpid(pid, &st, 0) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ECHILD;
		if (WIFSTOPPED(st) && WSTOPSIG(st) == sig)
			return 0;
		if (ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(st)) < 0)
			return -errno;
	}
}

/* In the child: a process group of its own (what seep stops at the end),
 * killed if seep dies (PR_SET_PDEATHSIG: kill -9 of seep does not leave it
 * running untraced), the environment set; asks to be traced and execs
 * ARGV; if that fails, sends errno on ERR_FD. Does not return. */
static __attribute__((noreturn)) void _child_exec(char *const argv[], char *const env[],
						   int err_fd, pid_t parent)
{
	int child_errno;

	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
	if (setpgid(0, 0) == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 &&
	    getppid() == parent &&   /* seep did not die before the prctl */
	    ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
		execvp(argv[0], argv);
	child_errno = getppid() == parent ? errno : ESRCH;
	if (write(err_fd, &child_errno, sizeof(child_errno)) < 0)
		_exit(127);
	_exit(127);
}

/* Forks the child that execs ARGV under ptrace and waits for its exec
 * stop. -errno from exec (the child is reaped), -ECHILD if it ended. */
static int _fork_exec(char *const argv[], char *const env[], pid_t *pidp)
{
	int pipefd[2], child_errno = 0, err;
	pid_t pid, self = getpid();

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		_child_exec(argv, env, pipefd[1], self);
	}
	close(pipefd[1]);
	err = _wait_stop(pid, SIGTRAP);  /* the exec stop */
	/* the pipe closes on a successful exec (O_CLOEXEC): nothing to read */
	if (read(pipefd[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno)) {
		close(pipefd[0]);
		waitpid(pid, NULL, 0);
		pr_err("cannot run '%s': %s", argv[0], strerror(child_errno));
		return -child_errno;
	}
	close(pipefd[0]);
	if (err) {
		pr_err("command '%s' ended before it started", argv[0]);
		return err;
	}
	*pidp = pid;
	return 0;
}

/* Plants an int3 at PID's entry point (AT_ENTRY) and lets it run there. */
static int _plant_breakpoint(pid_t pid, const char *what, struct _breakpoint *bp)
{
	int err = proc__read_auxv(pid, AT_ENTRY, &bp->addr);

	if (!err && !bp->addr)
		err = -ENOEXEC;
	if (!err) {
		errno = 0;
		bp->orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)bp->addr, 0);
		err = -errno;
	}
	if (err) {
		pr_err("cannot find the entry point of '%s': %s", what, strerror(-err));
		return err;
	}
	if (ptrace(PTRACE_POKETEXT, pid, (void *)bp->addr, (void *)((bp->orig & ~0xffL) | 0xcc)) < 0 ||
	    ptrace(PTRACE_CONT, pid, 0, 0) < 0)
		return -errno;
	return 0;
}

/* PID stopped on the breakpoint: puts the original word back and the
 * instruction pointer on the entry point. */
static int _remove_breakpoint(pid_t pid, const struct _breakpoint *bp)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
		return -errno;
	regs.rip = bp->addr;
	if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0 ||
	    ptrace(PTRACE_POKETEXT, pid, (void *)bp->addr, (void *)bp->orig) < 0)
		return -errno;
	return 0;
}

int launch__start(char *const argv[], char *const env[], pid_t *pidp)
{
	struct _breakpoint bp;
	pid_t pid = 0;
	int err;

	err = _fork_exec(argv, env, &pid);
	if (err)
		return err;
	/* the child dies with us until released */
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_EXITKILL) < 0) {
		err = -errno;
		goto kill;
	}
	if ((err = _plant_breakpoint(pid, argv[0], &bp)))
		goto kill;
	err = _wait_stop(pid, SIGTRAP);  /* the entry breakpoint */
	if (err) {
		pr_err("command '%s' ended before reaching its entry point", argv[0]);
		return err;
	}
	if ((err = _remove_breakpoint(pid, &bp)))
		goto kill;
	*pidp = pid;
	return 0;
kill:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return err;
}

int launch__release(pid_t pid)
{
	return ptrace(PTRACE_DETACH, pid, 0, 0) < 0 ? -errno : 0;
}
