#include "snapshot/heap.h"

#include "lib/hash.h"
#include "lib/vec.h"
#include "snapshot/sampling.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void heap__init(struct heap *h, uint64_t sample_bytes)
{
	memset(h, 0, sizeof(*h));
	hashmap__init(&h->index);
	h->sample_bytes = sample_bytes;
}

void heap__release(struct heap *h)
{
	if (!h)
		return;
	free(h->sites);
	hashmap__release(&h->index);
	heap__init(h, h->sample_bytes);
}

static uint64_t _hash(const struct seep_stack_key *k)
{
	uint64_t h = hash__update_u64(HASH_SEED, ((uint64_t)k->tgid << 32) | (uint32_t)k->stack_id);

	return hash__finish(hash__update_u64(h, k->caller));
}

static bool _same(uint32_t id, const void *key, void *ctx)
{
	const struct seep_stack_key *a = &((const struct heap *)ctx)->sites[id].key, *b = key;

	return a->tgid == b->tgid && a->stack_id == b->stack_id && a->caller == b->caller;
}

/* The site of KEY, or NULL. */
static struct heap_site *_find(struct heap *h, const struct seep_stack_key *key, uint64_t hash)
{
	int64_t i = hashmap__find(&h->index, hash, key, _same, h);

	return i >= 0 ? &h->sites[i] : NULL;
}

/* A new zeroed site for KEY, indexed; NULL on -ENOMEM (nothing changed). */
static struct heap_site *_add_site(struct heap *h, const struct seep_stack_key *key,
				   uint64_t hash)
{
	struct heap_site *s = VEC_PUSH(h->sites, h->n, h->cap);

	if (!s || h->n >= UINT32_MAX - 1 || hashmap__add(&h->index, hash, (uint32_t)h->n))
		return NULL;
	h->n++;
	memset(s, 0, sizeof(*s));
	s->key = *key;
	return s;
}

int heap__add_block(struct heap *h, const struct seep_stack_key *site, uint32_t kind,
		    uint64_t size, uint64_t ts_ns)
{
	uint64_t hash = _hash(site);
	struct heap_site *s = _find(h, site, hash);
	struct sample_weight w;

	if (!s) {
		if (!(s = _add_site(h, site, hash)))
			return -ENOMEM;
		s->kind = kind;
		s->oldest_ns = ts_ns;
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
	struct heap_site *s = _find(h, site, _hash(site));

	if (!s)
		return;
	s->alloc_bytes = alloc_bytes;
	s->alloc_count = alloc_count;
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
	if (h->n)
		qsort(h->sites, h->n, sizeof(*h->sites), _cmp);
	/* The index points at old positions: drop it; the heap is now final. */
	hashmap__release(&h->index);
}
