#include "snapshot/kledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hashmap.h"
#include "lib/vec.h"

struct entry {
	uint64_t id;
	uint64_t read;           /* the read that last saw it */
	int64_t live_count;
	uint64_t alloc_count;
	uint64_t at_most;
	double expected;
};

struct kledger {
	struct entry *v;
	size_t n, cap;
	struct hashmap index;
	uint64_t reads;          /* reads begun */
	uint64_t misses[SEEP_KSPACE__MAX], frees[SEEP_KSPACE__MAX];   /* at the last begin */
	uint64_t d_misses[SEEP_KSPACE__MAX], d_frees[SEEP_KSPACE__MAX]; /* since the read before */
};

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct kledger *l = ctx;

	return l->v[id].id == *(const uint64_t *)key;
}

struct kledger *kledger__new(void)
{
	struct kledger *l = calloc(1, sizeof(*l));

	if (l)
		hashmap__init(&l->index);
	return l;
}

void kledger__free(struct kledger *l)
{
	if (!l)
		return;
	hashmap__release(&l->index);
	free(l->v);
	free(l);
}

void kledger__begin(struct kledger *l, const uint64_t misses[SEEP_KSPACE__MAX],
		    const uint64_t frees[SEEP_KSPACE__MAX])
{
	for (int s = 0; s < SEEP_KSPACE__MAX; s++) {
		/* counters only rise; a lower one (a new tracer) starts over */
		l->d_misses[s] = misses[s] >= l->misses[s] ? misses[s] - l->misses[s] : misses[s];
		l->d_frees[s] = frees[s] >= l->frees[s] ? frees[s] - l->frees[s] : frees[s];
		l->misses[s] = misses[s];
		l->frees[s] = frees[s];
	}
	l->reads++;
}

int kledger__read(struct kledger *l, uint64_t id, uint32_t space, int64_t live_count,
		  uint64_t alloc_count, bool gone, struct kledger_missed *missed, bool *prunable)
{
	int64_t at = hashmap__find(&l->index, id, &id, _eq, l);
	struct entry *e, prev = { 0 };
	bool known = at >= 0;
	uint64_t d, allocs, live = live_count > 0 ? (uint64_t)live_count : 0;
	int64_t freed;
	int err;

	if (space >= SEEP_KSPACE__MAX)
		return -EINVAL;
	if (known) {
		e = &l->v[at];
		prev = *e;
		if (alloc_count < prev.alloc_count) {  /* pruned and made again */
			prev.alloc_count = 0;
			prev.live_count = 0;
		}
	} else {
		if (l->n >= UINT32_MAX - 1)
			return -ENOMEM;
		if (!(e = VEC_PUSH(l->v, l->n, l->cap)))
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->id = id;
		if ((err = hashmap__add(&l->index, id, (uint32_t)l->n)))
			return err;
		l->n++;
	}
	allocs = alloc_count - prev.alloc_count;
	freed = (int64_t)allocs - (live_count - prev.live_count);
	d = l->d_misses[space];
	if (d && (prev.live_count > 0 || allocs)) {
		e->at_most += d;
		if (freed > 0 && l->d_frees[space])
			e->expected += (double)d * (double)freed / (double)l->d_frees[space];
	}
	e->read = l->reads;
	e->live_count = live_count;
	e->alloc_count = alloc_count;
	if (missed) {
		missed->at_most = e->at_most < live ? e->at_most : live;
		missed->expected = e->expected < (double)live ? e->expected : (double)live;
	}
	if (prunable)
		*prunable = live_count == 0 && (gone || (known && allocs == 0));
	return 0;
}

void kledger__end(struct kledger *l)
{
	size_t k = 0;

	hashmap__clear(&l->index);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].read != l->reads)
			continue;
		l->v[k] = l->v[i];
		/* cannot fail: the table held more ids a moment ago */
		(void)hashmap__add(&l->index, l->v[k].id, (uint32_t)k);
		k++;
	}
	l->n = k;
}

uint64_t kledger__reads(const struct kledger *l)
{
	return l->reads;
}

uint64_t kledger__sites(const struct kledger *l)
{
	return l->n;
}
