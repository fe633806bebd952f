/*
 * floor: attach empty BPF programs (tools/bench/floor.bpf.c) to an
 * allocator's functions in one process, then wait. The cost it adds to the
 * process is the kernel's uprobe trap and an empty BPF program: the floor
 * for any tracer that probes every call.
 *
 *   floor -p PID -l LIBRARY [-r] [-0] [-d SECONDS]
 *
 * Entry probes go on malloc, calloc, realloc and free in LIBRARY (those it
 * defines); -r adds return probes on malloc, calloc and realloc. Probes go
 * where seep puts them (user/elf/placement.c: the first instruction the kernel
 * emulates, past glibc free's NULL check, jemalloc's cmp and movs); -0
 * probes offset 0 everywhere instead. Prints one line per probe and then
 * "ready" on stdout once every probe is attached; exits on SIGINT, SIGTERM,
 * when PID exits, or after SECONDS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "elf/allocators.h"
#include "floor.skel.h"

static const enum seep_kind kinds[] = {
	SEEP_KIND_MALLOC, SEEP_KIND_CALLOC, SEEP_KIND_REALLOC, SEEP_KIND_FREE,
};
#define NFUNCS (sizeof(kinds) / sizeof(kinds[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The plain-named entry of KIND in FUNCS, or NULL. */
static const struct alloc_func *find(const struct alloc_funcs *funcs, enum seep_kind kind)
{
	for (size_t i = 0; i < funcs->n; i++)
		if (funcs->f[i].kind == kind && !strcmp(funcs->f[i].name, allocators__kind_name(kind)))
			return &funcs->f[i];
	return NULL;
}

static int pid_alive(int pidfd)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

int main(int argc, char **argv)
{
	int opt, pid = 0, ret_probes = 0, at_zero = 0, pidfd, status = 1;
	double duration = 0;
	const char *lib = NULL;
	struct floor_bpf *skel = NULL;
	struct alloc_funcs funcs;
	struct bpf_link *links[2 * NFUNCS] = { 0 };
	size_t nlinks = 0;
	time_t start = time(NULL);

	while ((opt = getopt(argc, argv, "p:l:r0d:")) != -1) {
		switch (opt) {
		case 'p': pid = atoi(optarg); break;
		case 'l': lib = optarg; break;
		case 'r': ret_probes = 1; break;
		case '0': at_zero = 1; break;
		case 'd': duration = atof(optarg); break;
		default: goto usage;
		}
	}
	if (pid <= 0 || !lib)
		goto usage;
	if (allocators__find(lib, &funcs)) {
		fprintf(stderr, "floor: cannot read ELF '%s'\n", lib);
		return 1;
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "floor: pid %d: %s\n", pid, strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load BPF programs: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < NFUNCS; i++) {
		const struct alloc_func *f = find(&funcs, kinds[i]);
		const char *name = allocators__kind_name(kinds[i]);
		int is_free = kinds[i] == SEEP_KIND_FREE;
		long off;

		if (!f)
			continue;
		off = (long)(at_zero ? f->offset : f->probe_offset);
		/* return probe first, so that no call enters without its return;
		 * at the entry probe's address, as seep does */
		if (ret_probes && !is_free &&
		    !(links[nlinks++] = bpf_program__attach_uprobe(skel->progs.floor_exit, true, pid,
								   lib, off))) {
			fprintf(stderr, "floor: cannot attach uretprobe '%s': %s\n", name, strerror(errno));
			goto cleanup;
		}
		if (!(links[nlinks++] = bpf_program__attach_uprobe(skel->progs.floor_enter, false,
								    pid, lib, off))) {
			fprintf(stderr, "floor: cannot attach uprobe '%s': %s\n", name, strerror(errno));
			goto cleanup;
		}
		printf("probe %s+%ld%s\n", name, off - (long)f->offset,
		       ret_probes && !is_free ? " +return" : "");
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop && pid_alive(pidfd) && (duration <= 0 || time(NULL) - start < duration))
		;
	status = 0;
cleanup:
	for (size_t i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	floor_bpf__destroy(skel);
	return status;
usage:
	fprintf(stderr, "usage: floor -p PID -l LIBRARY [-r] [-0] [-d SECONDS]\n");
	return 2;
}
