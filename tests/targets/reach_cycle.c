/* Reachability target: a cycle of three nodes nothing outside points to
 * (lost, the line marked LEAK), beside a cycle a global holds (reachable). */
#include <stdlib.h>

#include "target.h"

struct node {
	struct node *next;
	char payload[40];
};

static struct node *volatile held;   /* a reachable cycle */

static struct node *__attribute__((noinline)) ring(int n, int lost)
{
	struct node *first = NULL, *prev = NULL;

	for (int i = 0; i < n; i++) {
		struct node *x = lost ? malloc(sizeof(*x)) /* LEAK */
				      : malloc(sizeof(*x) + 8);

		if (!x)
			abort();
		x->next = NULL;
		if (prev)
			prev->next = x;
		else
			first = x;
		prev = x;
	}
	prev->next = first;
	return first;
}

static void __attribute__((noinline)) drop(struct node *r)
{
	(void)r;   /* the ring's last pointer goes away with this frame */
}

int main(void)
{
	target_wait_attached();
	held = ring(4, 0);
	drop(ring(3, 1));
	return 0;
}
