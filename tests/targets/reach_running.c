/* Reachability target for a running process (-p): every 20 ms it loses one
 * 48-byte block (the line marked LEAK) and appends a node to a list a
 * global holds (reachable); runs until killed. */
#include <stdlib.h>
#include <time.h>

#include "target.h"

struct node {
	struct node *next;
	long n;
};

static struct node *list;        /* still reachable */

static void __attribute__((noinline)) lose_one(long n)
{
	char *p = malloc(48); /* LEAK */

	if (p)
		p[0] = (char)n;
	target_sink = p;
	target_sink = NULL;
}

static void __attribute__((noinline)) keep_one(long n)
{
	struct node *x = malloc(sizeof(*x));

	if (!x)
		abort();
	x->n = n;
	x->next = list;
	list = x;
}

int main(void)
{
	struct timespec ts = { 0, 20000000 };

	target_wait_attached();
	for (long n = 0;; n++) {
		lose_one(n);
		keep_one(n);
		nanosleep(&ts, NULL);
	}
}
