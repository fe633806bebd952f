/* A shared library that leaks (built -O2 -fomit-frame-pointer -fPIC). */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *lib_leak(size_t n)
{
	char *p = malloc(n);

	if (p)
		memset(p, 1, n);
	return p;
}

__attribute__((noinline)) int lib_entry(int i, void **out)
{
	*out = lib_leak(128 + (size_t)(i % 2) * 0);
	return *out != NULL;
}
