/* daemon_churn — a busy allocator for the daemon's budget tests: BURST
 * (argv[1], default 2000) malloc/free pairs of 64..1087 bytes (churn_block),
 * then a 1 ms sleep, forever: the heap probes run on every call while
 * nothing is kept, so their cost against the process's own CPU is high. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

static void *churn_block(size_t bytes)
{
	char *p = malloc(bytes);

	if (p)
		p[0] = 1;
	return p;
}

int main(int argc, char **argv)
{
	long burst = argc > 1 ? atol(argv[1]) : 2000;
	struct timespec ts = { 0, 1000000L };
	unsigned n = 0;

	target_wait_attached();
	for (;;) {
		for (long i = 0; i < burst; i++) {
			void *p = churn_block(64 + (n++ % 1024));

			target_sink = p;
			free(p);
		}
		nanosleep(&ts, NULL);
	}
}
