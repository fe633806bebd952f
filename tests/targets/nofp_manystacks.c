/* Leaks one 64-byte block from each of N distinct stacks: the block of
 * stack I is allocated at the bottom of a recursion I deep.
 * usage: nofp_manystacks N S -- then sleeps S seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target.h"

__attribute__((noinline)) static void *leak(void)
{
	void *p = malloc(64);

	target_sink = p;
	return p;
}

/* Not a tail call: the result is used after the call returns. */
__attribute__((noinline)) static int descend(int depth)
{
	void *p = depth > 1 ? (void *)(long)descend(depth - 1) : leak();

	return p != NULL ? depth : 0;
}

int main(int argc, char **argv)
{
	int n;

	if (argc < 3) {
		fprintf(stderr, "usage: nofp_manystacks N S\n");
		return 2;
	}
	target_wait_attached();
	n = atoi(argv[1]);
	for (int i = 1; i <= n; i++)
		if (!descend(i))
			return 1;
	usleep((useconds_t)(atof(argv[2]) * 1e6));
	return 0;
}
