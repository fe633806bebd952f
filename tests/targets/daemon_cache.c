/* daemon_cache — a bounded cache for the daemon's tests: it fills
 * ENTRIES (argv[1], default 32) slots of 1 MiB, one every STEP_MS
 * (argv[2], default 250), then keeps replacing the oldest entry (free,
 * allocate, touch): RSS rises to its bound and stays there. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target.h"

#define ENTRY (1024 * 1024)

int main(int argc, char **argv)
{
	size_t entries = (size_t)(argc > 1 ? atol(argv[1]) : 32), next = 0;
	long step_ms = argc > 2 ? atol(argv[2]) : 250;
	struct timespec ts = { step_ms / 1000, (step_ms % 1000) * 1000000L };
	char **slot = calloc(entries, sizeof(*slot));

	if (!slot)
		return 1;
	target_wait_attached();
	for (;;) {
		free(slot[next]);
		slot[next] = malloc(ENTRY);
		if (slot[next])
			memset(slot[next], 0x3c, ENTRY);
		next = (next + 1) % entries;
		nanosleep(&ts, NULL);
	}
}
