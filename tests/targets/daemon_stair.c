/* daemon_stair — a stair leak for the daemon's tests: every PERIOD_MS
 * (argv[1], default 4000) it leaks STEP_MIB (argv[2], default 8) MiB in one
 * burst of 64 KiB blocks (stair_step), then holds: RSS rises in steps. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

static void *stair_block(size_t bytes)
{
	char *p = malloc(bytes);

	if (p)
		memset(p, 0x3c, bytes);
	return p;
}

static void stair_step(size_t mib)
{
	for (size_t i = 0; i < mib * 16; i++)
		target_sink = stair_block(64 * 1024);
}

int main(int argc, char **argv)
{
	long period_ms = argc > 1 ? atol(argv[1]) : 4000;
	size_t mib = (size_t)(argc > 2 ? atol(argv[2]) : 8);
	struct timespec ts = { period_ms / 1000, (period_ms % 1000) * 1000000L };

	target_wait_attached();
	for (;;) {
		stair_step(mib);
		nanosleep(&ts, NULL);
	}
}
