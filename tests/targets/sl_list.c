/* Small-leak suite: a list freed at exit by a loop that stops one node
 * short (the last node is lost). Runs once and exits. Still reachable at
 * exit, and no leak: stdout's buffer, a lookup cache held by a global
 * pointer (buckets and entries), a global name buffer. The leaking
 * allocation is the line marked LEAK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

struct node {
	struct node *next;
	int value;
	char tag[20];
};

struct entry {
	struct entry *next;
	unsigned key;
	char text[40];
};

static struct entry **cache;   /* still reachable: 64 buckets and their entries */
static char *name;             /* still reachable */

static struct node *push(struct node *head, int v)
{
	struct node *n = malloc(sizeof(*n)); /* LEAK */

	if (!n)
		abort();
	n->next = head;
	n->value = v;
	snprintf(n->tag, sizeof(n->tag), "node %d", v);
	return n;
}

static void cache_put(unsigned key)
{
	struct entry *e = malloc(sizeof(*e));

	if (!e)
		abort();
	e->key = key;
	snprintf(e->text, sizeof(e->text), "entry %u", key);
	e->next = cache[key % 64];
	cache[key % 64] = e;
}

/* Frees the list, but stops at the last node: the bug. */
static void free_list(struct node *n)
{
	while (n && n->next) {
		struct node *next = n->next;

		free(n);
		n = next;
	}
}

int main(void)
{
	struct node *head = NULL;
	long sum = 0;

	target_wait_attached();
	cache = calloc(64, sizeof(*cache));
	name = strdup("sl_list");
	if (!cache || !name)
		return 1;
	for (int i = 0; i < 6; i++)
		head = push(head, i);
	for (unsigned k = 0; k < 10; k++)
		cache_put(k * 7);
	for (struct node *n = head; n; n = n->next)
		sum += n->value;
	printf("%s: sum %ld, cache of %d buckets\n", name, sum, 64);
	free_list(head);
	head = NULL;
	return 0;
}
