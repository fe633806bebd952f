/* A bounded cache: an LRU of CAP entries of 1 KiB, filled by lookups of
 * ever new keys (every lookup misses, inserts, and evicts the least
 * recently used entry once full), so its live memory fills up to the cap
 * and stays there while its blocks turn over.
 * usage: lru_cache CAP USEC_BETWEEN */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define ENTRY_SIZE 1024

struct entry {
	struct entry *prev, *next;   /* most recent first */
	unsigned long key;
	char *value;
};

static struct entry head = { &head, &head, 0, NULL };
static unsigned long len;

__attribute__((noinline)) static char *cache_value(unsigned long key)
{
	char *v = malloc(ENTRY_SIZE);

	if (!v)
		abort();
	snprintf(v, ENTRY_SIZE, "value %lu", key);
	return v;
}

__attribute__((noinline)) static void cache_evict(void)
{
	struct entry *e = head.prev;

	e->prev->next = &head;
	head.prev = e->prev;
	free(e->value);
	free(e);
	len--;
}

__attribute__((noinline)) static void cache_insert(unsigned long key, unsigned long cap)
{
	struct entry *e = malloc(sizeof(*e));

	if (!e)
		abort();
	if (len == cap)
		cache_evict();
	e->key = key;
	e->value = cache_value(key);
	e->next = head.next;
	e->prev = &head;
	head.next->prev = e;
	head.next = e;
	len++;
}

int main(int argc, char **argv)
{
	unsigned long cap = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	unsigned long pause_us = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;

	target_wait_attached();
	for (unsigned long key = 1;; key++) {
		cache_insert(key, cap);
		if (pause_us)
			usleep(pause_us);
	}
}
