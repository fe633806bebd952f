/* Reachability target: the only copies of a lost block's address linger in
 * a dead part of the stack. make_lost() stores the pointer at several
 * depths of a large frame, then forgets it and returns; main returns. Nothing live points to the block (the line marked
 * LEAK): a scan that reads only the live part of the stack calls it lost;
 * one that reads stale slots (a check run from deeper frames that reuse
 * that memory without writing it) misses it. Still reachable: a block
 * held by a global. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define FRAME_WORDS 2048         /* 16 KiB of locals */

static char *volatile kept;      /* still reachable */

static void __attribute__((noinline)) make_lost(void)
{
	void *volatile slots[FRAME_WORDS];
	char *p = malloc(48); /* LEAK */

	if (!p)
		abort();
	strcpy(p, "lost");
	for (size_t i = 0; i < FRAME_WORDS; i += 64)
		slots[i] = p;            /* stale copies, at every depth of the frame */
	p = NULL;
	(void)slots[0];
}

int main(void)
{
	target_wait_attached();
	kept = strdup("kept by a global");
	make_lost();
	printf("%s\n", kept);
	return 0;
}
