#include "lib/strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct strmap {
	char **keys;             /* by index */
	size_t n, cap;
	uint32_t *slots;         /* index + 1, 0 = empty */
	size_t nslots;           /* power of two, > 2 * n */
};

static uint64_t _hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct strmap *strmap__new(void)
{
	return calloc(1, sizeof(struct strmap));
}

void strmap__free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->slots);
	free(m);
}

/* The slot holding KEY, or the empty slot where it would go. */
static size_t _slot(const struct strmap *m, const char *key)
{
	size_t mask = m->nslots - 1, i = (size_t)_hash(key) & mask;

	while (m->slots[i] && strcmp(m->keys[m->slots[i] - 1], key))
		i = (i + 1) & mask;
	return i;
}

static int _grow(struct strmap *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 64;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	free(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	for (size_t i = 0; i < m->n; i++)
		m->slots[_slot(m, m->keys[i])] = (uint32_t)(i + 1);
	return 0;
}

long strmap__find(const struct strmap *m, const char *key)
{
	size_t i;

	if (!m->nslots)
		return -ENOENT;
	i = _slot(m, key);
	return m->slots[i] ? (long)m->slots[i] - 1 : -ENOENT;
}

long strmap__intern(struct strmap *m, const char *key, bool *added)
{
	size_t i;

	if (added)
		*added = false;
	if ((m->n + 1) * 2 > m->nslots && _grow(m))
		return -ENOMEM;
	i = _slot(m, key);
	if (m->slots[i])
		return (long)m->slots[i] - 1;
	if (m->n == UINT32_MAX - 1)
		return -ENOMEM;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		char **keys = realloc(m->keys, cap * sizeof(*keys));

		if (!keys)
			return -ENOMEM;
		m->keys = keys;
		m->cap = cap;
	}
	m->keys[m->n] = strdup(key);
	if (!m->keys[m->n])
		return -ENOMEM;
	m->slots[i] = (uint32_t)(m->n + 1);
	if (added)
		*added = true;
	return (long)m->n++;
}

size_t strmap__size(const struct strmap *m)
{
	return m->n;
}

const char *strmap__key(const struct strmap *m, size_t index)
{
	return index < m->n ? m->keys[index] : NULL;
}
