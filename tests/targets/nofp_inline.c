/* Built like a distribution builds (-O2 -g -fomit-frame-pointer), with the
 * leaking call inlined twice: malloc is called from make_entry, inlined
 * into template_in_dir, inlined into make_tempname (a real function), called
 * from main. Expected stack, with inline frames: malloc, make_entry,
 * template_in_dir, make_tempname, main; each inline level with its own line
 * (the lines marked "site:" below). */
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define N 100
#define SIZE 48

static void *names[N];

static inline __attribute__((always_inline)) char *make_entry(size_t n, int i)
{
	char *p = malloc(n);     /* site: make_entry */

	if (!p)
		abort();
	memset(p, 'a' + i % 26, n - 1);
	p[n - 1] = '\0';
	return p;
}

static inline __attribute__((always_inline)) char *template_in_dir(int i)
{
	char *p = make_entry(SIZE, i);   /* site: template_in_dir */

	p[0] = '/';
	return p;
}

__attribute__((noinline)) void make_tempname(int i)
{
	names[i % N] = template_in_dir(i);   /* site: make_tempname */
	target_sink = names[i % N];
}

int main(void)
{
	target_wait_attached();
	for (int i = 0; i < N; i++)
		make_tempname(i);   /* site: main */
	return target_sink == NULL;
}
