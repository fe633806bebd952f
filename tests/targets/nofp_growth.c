/* Built like a distribution builds (-O2 -fomit-frame-pointer): memory that
 * grows through the three ways the growth probes see, each from a known
 * function. grow_mmap_blocks() mallocs BLOCKS blocks of 1 MiB (glibc maps
 * each with mmap), touch_pages() writes one byte per page of them (write
 * faults on fresh anonymous pages), grow_brk_heap() mallocs SMALL blocks
 * of 256 bytes (glibc moves the break with brk; malloc writes them).
 * Then it writes one byte to the fd in SEEP_READY_FD and waits to be
 * killed, its memory kept.
 * usage: nofp_growth [BLOCKS [SMALL]] (64 and 40000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

#define BLOCK (1 << 20)
#define SMALL_SIZE 256

static char *blocks[1024];
static void *small[1 << 20];

__attribute__((noinline)) void grow_mmap_blocks(int n)
{
	for (int i = 0; i < n; i++) {
		blocks[i] = malloc(BLOCK);
		if (!blocks[i])
			abort();
	}
}

__attribute__((noinline)) void touch_pages(int n)
{
	for (int i = 0; i < n; i++)
		for (size_t off = 0; off < BLOCK; off += 4096)
			((volatile char *)blocks[i])[off] = (char)off | 1;
}

__attribute__((noinline)) void grow_brk_heap(int n)
{
	for (int i = 0; i < n; i++) {
		small[i] = malloc(SMALL_SIZE);
		if (!small[i])
			abort();
	}
	target_sink = small[n - 1];
}

int main(int argc, char **argv)
{
	int nblocks = argc > 1 ? atoi(argv[1]) : 64;
	int nsmall = argc > 2 ? atoi(argv[2]) : 40000;
	const char *ready = getenv("SEEP_READY_FD");

	if (nblocks < 1 || nblocks > 1024 || nsmall < 1 || nsmall > (1 << 20))
		return 2;
	target_wait_attached();
	grow_mmap_blocks(nblocks);
	touch_pages(nblocks);
	grow_brk_heap(nsmall);
	if (ready && write(atoi(ready), "r", 1) != 1)
		return 3;
	for (;;)
		pause();
}
