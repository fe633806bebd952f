/* mitigate_leaker — a steady leak that can be stopped, for the mitigation
 * tests: every STEP_MS (argv[1], default 200) it allocates and touches
 * CHUNK_KIB (argv[2], default 1024) KiB and never frees them; after
 * SIGUSR1 it stops allocating and holds what it has (RSS levels off). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

static volatile sig_atomic_t stopped;

static void on_usr1(int sig)
{
	(void)sig;
	stopped = 1;
}

static void *leak_chunk(size_t bytes)
{
	char *p = malloc(bytes);

	if (p)
		memset(p, 0x5a, bytes);
	return p;
}

int main(int argc, char **argv)
{
	long step_ms = argc > 1 ? atol(argv[1]) : 200;
	size_t chunk = (size_t)(argc > 2 ? atol(argv[2]) : 1024) * 1024;
	struct timespec ts = { step_ms / 1000, (step_ms % 1000) * 1000000L };

	signal(SIGUSR1, on_usr1);
	target_wait_attached();
	for (;;) {
		if (!stopped)
			target_sink = leak_chunk(chunk);
		nanosleep(&ts, NULL);
	}
}
