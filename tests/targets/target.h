/* Helpers shared by the target programs (header-only: each target is one
 * executable). A target started with SEEP_WAIT_FD=N reads one byte from fd
 * N before it does anything measurable, so a test can attach first. */
#ifndef SEEP_TARGET_H
#define SEEP_TARGET_H

#include <stdlib.h>
#include <unistd.h>

static inline void target_wait_attached(void)
{
	const char *fd = getenv("SEEP_WAIT_FD");
	char c;

	if (fd && read(atoi(fd), &c, 1) != 1)
		exit(3);
}

/* Keeps pointers reachable so the compiler cannot drop the calls. */
static void *volatile target_sink;

#endif
