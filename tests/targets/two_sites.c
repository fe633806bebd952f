/* ROUNDS times, two_sites() keeps a 16-byte block from one call site and a
 * BIG one from another, at the same stack pointer: glibc maps each BIG
 * block with an mmap inside its malloc. Sampled sparsely, most of those
 * mallocs are unsampled calls at a place (sp, malloc) whose return address
 * was read at the other call site. */
#include <stdlib.h>

#include "target.h"

#define ROUNDS 400
#define BIG (1 << 20)

__attribute__((noinline)) static void two_sites(void **small, void **big)
{
	*small = malloc(16);
	*big = malloc(BIG);
}

int main(void)
{
	static void *small[ROUNDS], *big[ROUNDS];

	target_wait_attached();
	for (int i = 0; i < ROUNDS; i++)
		two_sites(&small[i], &big[i]);
	target_sink = small;
	target_sink = big;
	return 0;
}
