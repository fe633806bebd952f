/* Two allocators from one call site: main's loop calls malloc and valloc in
 * turn through one function pointer, so both calls return to the same
 * address, at the same stack pointer, under the same outer frames. Only the
 * allocator differs, and with it the stack (its first frame): a walk that
 * took the last walk's stack for the same return would give one
 * allocator's blocks the other's stack. usage: nofp_indirect N -- N calls
 * of each (2 N blocks of 64 bytes); the first two, then a 200 ms pause, so
 * that the tracer learns both stacks before the rest. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target.h"

static void *(*volatile alloc_fn)(size_t);

/* One call through the pointer: its return address is the same for both. */
__attribute__((noinline)) static void allocate(int i)
{
	alloc_fn = (i & 1) ? valloc : malloc;
	target_sink = alloc_fn(64);
	if (i == 1)
		usleep(200 * 1000);
}

int main(int argc, char **argv)
{
	int n;

	if (argc < 2) {
		fprintf(stderr, "usage: nofp_indirect N\n");
		return 2;
	}
	target_wait_attached();
	n = atoi(argv[1]);
	for (int i = 0; i < 2 * n; i++)
		allocate(i);
	return 0;
}
