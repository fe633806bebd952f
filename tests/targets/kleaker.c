/* kleaker — leaks kernel objects from user space: opens N of each kind
 * and never closes them, then waits to be killed.
 *   kleaker KIND N     KIND: pipes, sockets, eventfds, epoll, inotify, memfd, all
 * pipes: N pipes; sockets: N AF_UNIX socket pairs; eventfds: N eventfds;
 * epoll: one epoll instance watching N eventfds; inotify: one instance
 * with N watches (on N directories in /tmp/kleaker-PID, left for the
 * caller to remove); memfd: one memfd with N
 * pages written. With SEEP_READY_FD=M it writes one byte to fd M when
 * everything is open. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"

static void die(const char *what)
{
	fprintf(stderr, "kleaker: cannot %s: %s\n", what, strerror(errno));
	exit(1);
}

static void leak_pipes(int n)
{
	for (int i = 0; i < n; i++) {
		int p[2];

		if (pipe(p))
			die("create a pipe");
	}
}

static void leak_sockets(int n)
{
	for (int i = 0; i < n; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			die("create a socket pair");
	}
}

static void leak_eventfds(int n)
{
	for (int i = 0; i < n; i++)
		if (eventfd(0, 0) < 0)
			die("create an eventfd");
}

static void leak_epoll(int n)
{
	int ep = epoll_create1(0);

	if (ep < 0)
		die("create an epoll instance");
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		int fd = eventfd(0, 0);

		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("add an epoll watch");
	}
}

/* The watched directories stay (removing one would end its watch): they
 * are made in /tmp/kleaker-PID, which the caller removes. */
static void leak_inotify(int n)
{
	char base[64], path[80];
	int in = inotify_init1(0);

	snprintf(base, sizeof(base), "/tmp/kleaker-%d", (int)getpid());
	if (in < 0 || mkdir(base, 0700))
		die("create an inotify instance");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%d", base, i);
		if (mkdir(path, 0700) || inotify_add_watch(in, path, IN_CREATE) < 0)
			die("add an inotify watch");
	}
}

static void leak_memfd(int n)
{
	static char page[4096];
	int fd = memfd_create("kleaker", 0);

	if (fd < 0)
		die("create a memfd");
	memset(page, 0x5a, sizeof(page));
	for (int i = 0; i < n; i++)
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
			die("write a memfd page");
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "all", *ready = getenv("SEEP_READY_FD");
	int n = argc > 2 ? atoi(argv[2]) : 64, all = !strcmp(kind, "all");

	prctl(PR_SET_PDEATHSIG, SIGKILL);  /* a failed test does not leave it behind */
	target_wait_attached();
	if (all || !strcmp(kind, "pipes"))
		leak_pipes(n);
	if (all || !strcmp(kind, "sockets"))
		leak_sockets(n);
	if (all || !strcmp(kind, "eventfds"))
		leak_eventfds(n);
	if (all || !strcmp(kind, "epoll"))
		leak_epoll(n);
	if (all || !strcmp(kind, "inotify"))
		leak_inotify(n);
	if (all || !strcmp(kind, "memfd"))
		leak_memfd(n);
	if (ready && write(atoi(ready), "r", 1) != 1)
		die("say ready");
	for (;;)
		pause();
}
