#include "tracer/launch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

static uint64_t _entry_point(pid_t pid)
{
	char path[64];
	uint64_t av[2], entry = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == sizeof(av) && av[0] != AT_NULL)
		if (av[0] == AT_ENTRY)
			entry = av[1];
	close(fd);
	return entry;
}

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

int launch__start(char *const argv[], char *const env[], pid_t *pidp)
{
	int pipefd[2], child_errno = 0, err;
	uint64_t entry;
	long orig;
	pid_t pid;

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
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
			execvp(argv[0], argv);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	err = _wait_stop(pid, SIGTRAP);  /* the exec stop */
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
	ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_EXITKILL);
	entry = _entry_point(pid);
	errno = 0;
	orig = entry ? ptrace(PTRACE_PEEKTEXT, pid, (void *)entry, 0) : -1;
	if (!entry || errno) {
		err = errno ? -errno : -ENOEXEC;
		pr_err("cannot find the entry point of '%s'", argv[0]);
		goto kill;
	}
	if (ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)((orig & ~0xffL) | 0xcc)) < 0 ||
	    ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		err = -errno;
		goto kill;
	}
	err = _wait_stop(pid, SIGTRAP);  /* the entry breakpoint */
	if (err) {
		pr_err("command '%s' ended before reaching its entry point", argv[0]);
		return err;
	}
	{
		struct user_regs_struct regs;

		if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) {
			err = -errno;
			goto kill;
		}
		regs.rip = entry;
		if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0 ||
		    ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)orig) < 0) {
			err = -errno;
			goto kill;
		}
	}
	*pidp = pid;
	return 0;
kill:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return err;
}

int launch__release(pid_t pid)
{
	return ptrace(PTRACE_DETACH, pid, 0, 0) < 0 ? -errno : 0;
}
