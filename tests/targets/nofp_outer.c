/* Allocations whose inner frames stay and whose outer frames change: the
 * same leak() and common() frames, at the same stack addresses, under
 * three callers in turn (path_a, path_b, path_c: the same frame size,
 * different return addresses), and now and then under one more frame
 * (path_d calling path_a). A walk that took the last walk's outer frames
 * without checking them would give the last stack; each block has its
 * own. usage: nofp_outer N -- N rounds of the four calls (4 N blocks of
 * 24, 40, 56 and 72 bytes). The first round runs alone, then the
 * program pauses for 200 ms: the tracer learns the four stacks' walk rules
 * from that round's copies (a loaded machine can keep its reader off the
 * CPU for milliseconds, longer than all the other rounds take), and the
 * rounds after, from the same call sites, find them learnt. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target.h"

static volatile int sunk;

__attribute__((noinline)) static void leak(size_t size)
{
	target_sink = malloc(size);
}

__attribute__((noinline)) static void common(size_t size)
{
	leak(size);
	sunk += 1;    /* not a tail call */
}

/* Three callers alike but for what they do after the call (so that the
 * compiler does not fold them into one). */
__attribute__((noinline)) static void path_a(size_t size)
{
	common(size);
	sunk += 2;
}

__attribute__((noinline)) static void path_b(size_t size)
{
	common(size);
	sunk += 3;
}

__attribute__((noinline)) static void path_c(size_t size)
{
	common(size);
	sunk += 4;
}

__attribute__((noinline)) static void path_d(size_t size)
{
	path_a(size);
	sunk += 5;
}

/* Round I of the four calls; the first one ends with the pause (here, not
 * in main's loop: a test there would let the compiler peel the first round
 * off the loop, with call sites, and so stacks, of its own). */
__attribute__((noinline)) static void round_of_calls(int i)
{
	path_a(24);
	path_b(40);
	path_c(56);
	path_d(72);
	if (i == 0)
		usleep(200 * 1000);
}

int main(int argc, char **argv)
{
	int n;

	if (argc < 2) {
		fprintf(stderr, "usage: nofp_outer N\n");
		return 2;
	}
	target_wait_attached();
	n = atoi(argv[1]);
	for (int i = 0; i < n; i++)
		round_of_calls(i);
	return 0;
}
