/* kstorm — a fork/exec storm that frees everything it allocates.
 *   kstorm N     N times: fork, exec this program as "kstorm child", wait
 * A child opens and closes a pipe, a socket pair, an eventfd, an inotify
 * watch and a memfd with a page written, then exits: after the storm no
 * kernel object it made should remain. No epoll instance: on 6.18 its
 * struct eventpoll goes through kfree_rcu(), whose batched frees
 * (kfree_bulk) fire no kfree tracepoint, so seep cannot see them (they
 * count as frees_unseen when the address is reused). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

static int child(void)
{
	static char page[4096];
	int p[2], sv[2], efd, in, mfd;

	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	efd = eventfd(0, 0);
	in = inotify_init1(0);
	mfd = memfd_create("kstorm", 0);
	if (efd < 0 || in < 0 || mfd < 0)
		return 1;
	if (inotify_add_watch(in, "/tmp", IN_CREATE) < 0)
		return 1;
	if (write(mfd, page, sizeof(page)) != (ssize_t)sizeof(page))
		return 1;
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	close(mfd);
	close(in);
	close(efd);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	char self[4096];
	ssize_t len;

	if (argc > 1 && !strcmp(argv[1], "child"))
		return child();
	/* exec'ed by its path, the children keep the comm "kstorm" */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 1;
	self[len] = '\0';
	target_wait_attached();
	for (int i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "kstorm: cannot fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			execl(self, "kstorm", "child", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "kstorm: child %d failed\n", i);
			return 1;
		}
	}
	return 0;
}
