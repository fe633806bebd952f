/* Built like a distribution builds (-O2 -fomit-frame-pointer): a leak
 * through helpers. Expected stack: malloc, leak_helper, build_record,
 * handle_request, serve, main.
 * usage: nofp_helper [COUNT [hold|time]]: hold waits to be killed (traced by
 * pid); time prints the nanoseconds serve() took (the unwinding benchmark). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

#define N_DEFAULT 200
#define SIZE 256

static void *records[4096];

__attribute__((noinline)) void *leak_helper(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	memset(p, 0x5a, n);
	return p;
}

__attribute__((noinline)) int build_record(int i)
{
	records[i % 4096] = leak_helper(SIZE);
	return i + 1;
}

__attribute__((noinline)) int handle_request(int i)
{
	int r = build_record(i);
	void *churn = malloc(64);

	target_sink = churn;     /* keeps the call: no tail call, no elision */
	free(churn);
	return r + (target_sink != NULL);
}

__attribute__((noinline)) int serve(int n)
{
	int done = 0;

	for (int i = 0; i < n; i++)
		done += handle_request(i) > 1;
	return done;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : N_DEFAULT;

	struct timespec t0, t1;

	target_wait_attached();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (serve(n) != n)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (argc > 2 && !strcmp(argv[2], "time"))
		printf("serve_ns %lld\n", (t1.tv_sec - t0.tv_sec) * 1000000000LL +
					    (t1.tv_nsec - t0.tv_nsec));
	else if (argc > 2)       /* hold: traced by pid */
		for (;;)
			pause();
	return 0;
}
