/* Allocates at the bottom of a recursion DEPTH deep (default 50).
 * Expected stack: malloc, leaf_alloc, recurse x DEPTH, main. */
#include <stdlib.h>

#include "target.h"

static void *kept;

__attribute__((noinline)) void *leaf_alloc(void)
{
	void *p = malloc(4096);

	target_sink = p;          /* no tail call into malloc */
	return p;
}

__attribute__((noinline)) int recurse(int depth)
{
	int r;

	if (depth == 0) {
		kept = leaf_alloc();
		return kept != NULL;
	}
	r = recurse(depth - 1);
	target_sink = &r;         /* no tail call: every level keeps its frame */
	return r + 1;
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 50;

	target_wait_attached();
	return recurse(depth) == depth + 1 ? 0 : 1;
}
