/* A warm-up: loads N tables of 1 KiB over the first S seconds (kept for
 * good: a lookup structure built at start), then serves requests whose
 * allocations are all freed, until killed.
 * usage: warmup N S */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static char **tables;

__attribute__((noinline)) static char *load_table(unsigned long i)
{
	char *t = malloc(1024);

	if (!t)
		abort();
	snprintf(t, 1024, "table %lu", i);
	return t;
}

__attribute__((noinline)) static void serve(unsigned long i)
{
	char *buf = malloc(256 + i % 512);

	target_sink = buf;
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 4000;
	double secs = argc > 2 ? atof(argv[2]) : 3;

	target_wait_attached();
	if (!(tables = calloc(n, sizeof(*tables))))
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		tables[i] = load_table(i);
		usleep((useconds_t)(secs * 1e6 / (double)n));
	}
	for (unsigned long i = 0;; i++) {
		serve(i);
		usleep(1000);
	}
}
