#include "lib/hashmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HASHMAP_MIN_SLOTS 64
#define EMPTY UINT32_MAX

struct hashmap_slot {
	uint64_t hash;
	uint32_t id;             /* EMPTY if free */
};

void hashmap__init(struct hashmap *m)
{
	*m = (struct hashmap){ 0 };
}

void hashmap__release(struct hashmap *m)
{
	if (!m)
		return;
	free(m->slots);
	hashmap__init(m);
}

struct hashmap *hashmap__new(void)
{
	return calloc(1, sizeof(struct hashmap));
}

void hashmap__free(struct hashmap *m)
{
	hashmap__release(m);
	free(m);
}

static void _mark_empty(struct hashmap_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i].id = EMPTY;
}

void hashmap__clear(struct hashmap *m)
{
	_mark_empty(m->slots, m->nslots);
	m->len = 0;
}

static void _place(struct hashmap_slot *slots, size_t nslots, uint64_t hash, uint32_t id)
{
	size_t mask = nslots - 1, i = (size_t)hash & mask;

	while (slots[i].id != EMPTY)
		i = (i + 1) & mask;
	slots[i] = (struct hashmap_slot){ .hash = hash, .id = id };
}

int hashmap__reserve(struct hashmap *m, size_t n)
{
	size_t nslots = m->nslots ? m->nslots : HASHMAP_MIN_SLOTS;
	struct hashmap_slot *slots;

	while (nslots / 2 <= n) {
		if (nslots > SIZE_MAX / 2 / sizeof(*slots))
			return -EOVERFLOW;
		nslots *= 2;
	}
	if (nslots == m->nslots)
		return 0;
	slots = malloc(nslots * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	_mark_empty(slots, nslots);
	for (size_t i = 0; i < m->nslots; i++)
		if (m->slots[i].id != EMPTY)
			_place(slots, nslots, m->slots[i].hash, m->slots[i].id);
	free(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	return 0;
}

int64_t hashmap__find(const struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn *eq,
		      void *ctx)
{
	size_t mask, i;

	if (!m->nslots)
		return -ENOENT;
	mask = m->nslots - 1;
	for (i = (size_t)hash & mask; m->slots[i].id != EMPTY; i = (i + 1) & mask)
		if (m->slots[i].hash == hash && eq(m->slots[i].id, key, ctx))
			return m->slots[i].id;
	return -ENOENT;
}

int hashmap__add(struct hashmap *m, uint64_t hash, uint32_t id)
{
	int err;

	if (id == EMPTY)
		return -EINVAL;
	err = hashmap__reserve(m, m->len + 1);
	if (err)
		return err;
	_place(m->slots, m->nslots, hash, id);
	m->len++;
	return 0;
}

int64_t hashmap__remove(struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn *eq,
			void *ctx)
{
	size_t mask, i, j;
	uint32_t id;

	if (!m->nslots)
		return -ENOENT;
	mask = m->nslots - 1;
	for (i = (size_t)hash & mask; m->slots[i].id != EMPTY; i = (i + 1) & mask)
		if (m->slots[i].hash == hash && eq(m->slots[i].id, key, ctx))
			break;
	if (m->slots[i].id == EMPTY)
		return -ENOENT;
	id = m->slots[i].id;
	/* Backward shift: pull later members of the probe run into the hole
	 * unless their home slot lies cyclically in (hole, their slot]. */
	for (j = (i + 1) & mask; m->slots[j].id != EMPTY; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].id = EMPTY;
	m->len--;
	return id;
}
