/* Calls every hooked function from its own caller function, so a test can
 * check exact bytes and counts per allocator. Expected live memory per
 * caller is listed in tests/bpf/test_heap_bpf.c. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target.h"

#define KEEP(p) (target_sink = (p))

__attribute__((noinline)) static void do_malloc(void)
{
	for (int i = 0; i < 10; i++)
		KEEP(malloc(100));               /* live: 10 x 100 */
	for (int i = 0; i < 5; i++)
		free(malloc(50));                /* freed */
}

__attribute__((noinline)) static void do_calloc(void)
{
	for (int i = 0; i < 10; i++)
		KEEP(calloc(3, 33));             /* live: 10 x 99 */
}

__attribute__((noinline)) static void do_realloc_chain(void)
{
	void *p = realloc(NULL, 16);             /* realloc(NULL) jumps to malloc */

	p = realloc(p, 32);
	p = realloc(p, 4000);
	p = realloc(p, 64);                      /* live: 1 x 64 */
	KEEP(p);
}

__attribute__((noinline)) static void do_realloc_zero(void)
{
	void *p = malloc(300);

	KEEP(realloc(p, 0));                     /* frees p: nothing live */
}

__attribute__((noinline)) static void do_reallocarray(void)
{
	KEEP(reallocarray(NULL, 10, 8));         /* live: 1 x 80 */
}

__attribute__((noinline)) static void do_posix_memalign(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = NULL;

		if (posix_memalign(&p, 64, 1000) == 0)
			KEEP(p);                 /* live: 3 x 1000 */
	}
}

__attribute__((noinline)) static void do_aligned_alloc(void)
{
	KEEP(aligned_alloc(64, 128));
	KEEP(aligned_alloc(64, 128));            /* live: 2 x 128 */
}

__attribute__((noinline)) static void do_memalign(void)
{
	KEEP(memalign(32, 96));
	KEEP(memalign(32, 96));                  /* live: 2 x 96 */
}

__attribute__((noinline)) static void do_valloc(void)
{
	KEEP(valloc(5000));                      /* live: 1 x 5000 */
}

__attribute__((noinline)) static void do_pvalloc(void)
{
	KEEP(pvalloc(100));                      /* live: 1 x 100 (as requested) */
}

__attribute__((noinline)) static void do_mmap(void)
{
	char *a = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *c = mmap(NULL, 12288, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	KEEP(a);
	munmap(b, 8192);
	munmap(c, 4096);                         /* live: 16384 + 8192 in 2 */
}

__attribute__((noinline)) static void do_file_mmap(void)
{
	/* a file mapping is not heap: not recorded */
	FILE *f = fopen("/proc/self/exe", "r");

	if (f) {
		KEEP(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fileno(f), 0));
		fclose(f);
	}
}

__attribute__((noinline)) static void do_mremap(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	KEEP(mremap(m, 4096, 65536, MREMAP_MAYMOVE));  /* live: 1 x 65536 */
}

__attribute__((noinline)) static void do_large_malloc(void)
{
	KEEP(malloc(1 << 20));                   /* glibc mmaps inside: counted once */
}

__attribute__((noinline)) static void do_failed(void)
{
	volatile size_t huge = SIZE_MAX - 4096;

	KEEP(malloc(huge));                      /* fails: not recorded */
	KEEP(calloc(huge / 8, 16));              /* overflows: fails */
}

int main(void)
{
	void *before = malloc(777);              /* allocated before attach */

	target_wait_attached();
	do_malloc();
	do_calloc();
	do_realloc_chain();
	do_realloc_zero();
	do_reallocarray();
	do_posix_memalign();
	do_aligned_alloc();
	do_memalign();
	do_valloc();
	do_pvalloc();
	do_mmap();
	do_file_mmap();
	do_mremap();
	do_large_malloc();
	do_failed();
	free(NULL);
	free(before);                            /* untracked free */
	return 0;
}
