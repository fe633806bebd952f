/* daemon_leaker — a steady leak for the daemon's tests: every STEP_MS
 * (argv[1], default 250) it allocates and touches CHUNK_KIB (argv[2],
 * default 512) KiB and never frees them: RSS grows at a constant rate. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

static void *leak_chunk(size_t bytes)
{
	char *p = malloc(bytes);

	if (p)
		memset(p, 0x5a, bytes);
	return p;
}

int main(int argc, char **argv)
{
	long step_ms = argc > 1 ? atol(argv[1]) : 250;
	size_t chunk = (size_t)(argc > 2 ? atol(argv[2]) : 512) * 1024;
	struct timespec ts = { step_ms / 1000, (step_ms % 1000) * 1000000L };

	target_wait_attached();
	for (;;) {
		target_sink = leak_chunk(chunk);
		nanosleep(&ts, NULL);
	}
}
