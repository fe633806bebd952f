#include "snapshot/heap.h"

#include "snapshot/sampling.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void heap__init(struct heap *h, uint64_t sample_bytes)
{
	memset(h, 0, sizeof(*h));
	h->sample_bytes = sample_bytes;
}

void heap__release(struct heap *h)
{
	if (!h)
		return;
	free(h->sites);
	free(h->index);
	heap__init(h, h->sample_bytes);
}

static uint64_t _hash(const struct seep_stack_key *k)
{
	uint64_t x = ((uint64_t)k->tgid << 32) ^ (uint32_t)k->stack_id;

	x ^= k->caller * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static int _same(const struct seep_stack_key *a, const struct seep_stack_key *b)
{
	return a->tgid == b->tgid && a->stack_id == b->stack_id && a->caller == b->caller;
}

/* Slot of KEY in the index: holding it, or the empty slot where it goes. */
static size_t _slot(const struct heap *h, const struct seep_stack_key *key)
{
	size_t mask = h->index_cap - 1, i = _hash(key) & mask;

	while (h->index[i] && !_same(&h->sites[h->index[i] - 1].key, key))
		i = (i + 1) & mask;
	return i;
}

static int _grow_index(struct heap *h)
{
	size_t cap = h->index_cap ? h->index_cap * 2 : 1024;
	uint32_t *old = h->index;
	size_t old_cap = h->index_cap;

	h->index = calloc(cap, sizeof(*h->index));
	if (!h->index) {
		h->index = old;
		return -ENOMEM;
	}
	h->index_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			h->index[_slot(h, &h->sites[old[i] - 1].key)] = old[i];
	free(old);
	return 0;
}

int heap__add_block(struct heap *h, const struct seep_stack_key *site, uint32_t kind,
		    uint64_t size, uint64_t ts_ns)
{
	struct sample_weight w;
	struct heap_site *s;
	size_t slot;
	int err;

	if ((h->n + 1) * 2 > h->index_cap && (err = _grow_index(h)))
		return err;
	slot = _slot(h, site);
	if (h->index[slot]) {
		s = &h->sites[h->index[slot] - 1];
	} else {
		if (h->n == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 256;
			struct heap_site *v = realloc(h->sites, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			h->sites = v;
			h->cap = cap;
		}
		s = &h->sites[h->n++];
		memset(s, 0, sizeof(*s));
		s->key = *site;
		s->kind = kind;
		s->oldest_ns = ts_ns;
		h->index[slot] = (uint32_t)h->n;
	}
	w = sampling__weight(size, h->sample_bytes);
	s->bytes += w.bytes;
	s->count += w.count;
	s->var_bytes += w.var_bytes;
	s->samples++;
	if (ts_ns < s->oldest_ns)
		s->oldest_ns = ts_ns;
	h->total_bytes += w.bytes;
	h->total_count += w.count;
	h->total_samples++;
	return 0;
}

void heap__add_totals(struct heap *h, const struct seep_stack_key *site, double alloc_bytes,
		      double alloc_count)
{
	size_t slot;

	if (!h->index_cap)
		return;
	slot = _slot(h, site);
	if (!h->index[slot])
		return;
	h->sites[h->index[slot] - 1].alloc_bytes = alloc_bytes;
	h->sites[h->index[slot] - 1].alloc_count = alloc_count;
}

static int _cmp(const void *a, const void *b)
{
	const struct heap_site *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->key.stack_id != y->key.stack_id)
		return x->key.stack_id < y->key.stack_id ? -1 : 1;
	if (x->key.caller != y->key.caller)
		return x->key.caller < y->key.caller ? -1 : 1;
	return 0;
}

void heap__sort(struct heap *h)
{
	qsort(h->sites, h->n, sizeof(*h->sites), _cmp);
	/* The index points at old positions: drop it; the heap is now final. */
	free(h->index);
	h->index = NULL;
	h->index_cap = 0;
}
