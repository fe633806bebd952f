/* Reachability target: the program calls exit() itself, from a function
 * whose callee-saved registers hold the only pointer to a block (kept in a
 * register across calls): that block is reachable; the line marked LEAK
 * is lost. */
#include <stdlib.h>
#include <string.h>

#include "target.h"

static void __attribute__((noinline)) lose(void)
{
	target_sink = malloc(40); /* LEAK */
	target_sink = NULL;
}

static void __attribute__((noinline, noreturn)) finish(char *held)
{
	lose();
	if (held[0] != 'h')
		abort();
	exit(0);
}

int main(void)
{
	char *held;

	target_wait_attached();
	held = malloc(64);
	if (!held)
		return 1;
	strcpy(held, "held only by a register");
	finish(held);
}
