/* daemon_spiky — a spiky batch for the daemon's tests: every PERIOD_MS
 * (argv[1], default 3000) a batch allocates and touches BATCH_MIB (argv[2],
 * default 24) MiB, holds it HOLD_MS (argv[3], default 1000), then frees all
 * of it: RSS spikes and comes back down; nothing leaks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

#define BLOCK (256 * 1024)

static void batch_run(size_t mib, long hold_ms)
{
	size_t n = mib * 4;
	struct timespec hold = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
	void **blocks = calloc(n, sizeof(*blocks));

	if (!blocks)
		return;
	for (size_t i = 0; i < n; i++)
		if ((blocks[i] = malloc(BLOCK)))
			memset(blocks[i], 0x77, BLOCK);
	nanosleep(&hold, NULL);
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
	free(blocks);
}

int main(int argc, char **argv)
{
	long period_ms = argc > 1 ? atol(argv[1]) : 3000;
	size_t mib = (size_t)(argc > 2 ? atol(argv[2]) : 24);
	long hold_ms = argc > 3 ? atol(argv[3]) : 1000;
	struct timespec ts = { period_ms / 1000, (period_ms % 1000) * 1000000L };

	target_wait_attached();
	for (;;) {
		batch_run(mib, hold_ms);
		nanosleep(&ts, NULL);
	}
}
