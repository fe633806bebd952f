/*
 * floor: attach empty BPF programs (tools/bench/floor.bpf.c) to an
 * allocator's functions in one process, then wait. The cost it adds to the
 * process is the kernel's uprobe trap and an empty BPF program: the floor
 * for any tracer that probes every call.
 *
 *   floor -p PID -l LIBRARY [-r] [-0] [-d SECONDS]
 *
 * Entry probes go on malloc, calloc, realloc and free in LIBRARY (those it
 * defines); -r adds return probes on malloc, calloc and realloc. A function
 * whose first instructions are `test %rdi,%rdi; je rel` (glibc's free: a
 * NULL check, which the kernel must single-step) is probed just after them,
 * where the kernel emulates the instruction and %rdi still holds the
 * pointer; -0 probes offset 0 everywhere instead. Prints one line per probe
 * and then "ready" on stdout once every probe is attached; exits on SIGINT,
 * SIGTERM, when PID exits, or after SECONDS.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static const char *const funcs[] = { "malloc", "calloc", "realloc", "free" };
#define NFUNCS (sizeof(funcs) / sizeof(funcs[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct func_loc {
	long offset;		/* file offset of the function, -1 if absent */
	unsigned char head[16];	/* its first bytes */
};

/* File offsets and first bytes of funcs[] in the ELF file at path. */
static int locate(const char *path, struct func_loc *locs)
{
	int fd, err = 0;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;

	for (size_t i = 0; i < NFUNCS; i++)
		locs[i].offset = -1;
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		err = -EINVAL;
		goto cleanup;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t k = 0; data && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t i = 0; name && i < NFUNCS; i++) {
				GElf_Shdr th;
				Elf_Scn *text = elf_getscn(elf, sym.st_shndx);

				if (strcmp(name, funcs[i]) || locs[i].offset >= 0 || !text ||
				    !gelf_getshdr(text, &th))
					continue;
				locs[i].offset = sym.st_value - th.sh_addr + th.sh_offset;
				if (pread(fd, locs[i].head, sizeof(locs[i].head), locs[i].offset) !=
				    (ssize_t)sizeof(locs[i].head))
					locs[i].offset = -1;
			}
		}
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* Bytes to skip at a function's entry: a leading `test %rdi,%rdi` followed by
 * `je rel8` or `je rel32`, else 0. */
static int skip_null_check(const unsigned char *h)
{
	if (h[0] != 0x48 || h[1] != 0x85 || h[2] != 0xff)
		return 0;
	if (h[3] == 0x74)
		return 5;
	if (h[3] == 0x0f && h[4] == 0x84)
		return 9;
	return 0;
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
	struct func_loc locs[NFUNCS];
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
	if (locate(lib, locs)) {
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
		int is_free = !strcmp(funcs[i], "free");
		long off;

		if (locs[i].offset < 0)
			continue;
		off = locs[i].offset + (at_zero ? 0 : skip_null_check(locs[i].head));
		/* return probe first, so that no call enters without its return */
		if (ret_probes && !is_free &&
		    !(links[nlinks++] = bpf_program__attach_uprobe(skel->progs.floor_exit, true, pid,
								   lib, locs[i].offset))) {
			fprintf(stderr, "floor: cannot attach uretprobe '%s': %s\n", funcs[i], strerror(errno));
			goto cleanup;
		}
		if (!(links[nlinks++] = bpf_program__attach_uprobe(skel->progs.floor_enter, false,
								    pid, lib, off))) {
			fprintf(stderr, "floor: cannot attach uprobe '%s': %s\n", funcs[i], strerror(errno));
			goto cleanup;
		}
		printf("probe %s+%ld%s\n", funcs[i], off - locs[i].offset,
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
