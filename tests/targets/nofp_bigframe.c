/* Built like a distribution builds (-O2 -fomit-frame-pointer): a leak below
 * a function with a 16 KiB local array, on two paths, so that a stack cut
 * at the array would merge them. Expected stacks: malloc, leak_small,
 * parse_big, path_a (or path_b), main. */
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define N 50

__attribute__((noinline)) void *leak_small(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	memset(p, 1, n);
	return p;
}

/* 16 KiB on the stack, as a line or path buffer in a C tool. */
__attribute__((noinline)) void *parse_big(int i)
{
	char buf[16384];
	void *p;

	memset(buf, i, sizeof(buf));
	target_sink = buf;
	p = leak_small(32 + (size_t)(buf[i % sizeof(buf)] & 1));
	target_sink = p;
	return p;
}

__attribute__((noinline)) void *path_a(int i)
{
	void *p = parse_big(i);

	target_sink = p;
	return p;
}

__attribute__((noinline)) void *path_b(int i)
{
	void *p = parse_big(i + 1);

	target_sink = p;
	return p;
}

int main(void)
{
	target_wait_attached();
	for (int i = 0; i < N; i++)
		target_sink = path_a(i);
	for (int i = 0; i < 2 * N; i++)
		target_sink = path_b(i);
	return 0;
}
