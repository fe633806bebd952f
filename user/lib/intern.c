/* intern — string to dense id table. See intern.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/intern.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct intern {
	uint32_t *slots;        /* id + 1, 0 = empty */
	uint64_t *hashes;       /* hash of each id */
	char **strs;            /* id -> string in the arena */
	size_t nslots, len, cap;
	struct arena_chunk *chunks;
};

static uint64_t _hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static char *_arena_dup(struct intern *t, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = t->chunks;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = t->chunks;
		c->used = 0;
		c->cap = cap;
		t->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	c->used += n;
	return p;
}

struct intern *intern__new(void)
{
	struct intern *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nslots = 64;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void intern__free(struct intern *t)
{
	if (!t)
		return;
	while (t->chunks) {
		struct arena_chunk *next = t->chunks->next;

		free(t->chunks);
		t->chunks = next;
	}
	free(t->slots);
	free(t->hashes);
	free(t->strs);
	free(t);
}

static size_t _probe(const struct intern *t, const char *s, uint64_t h, int *found)
{
	size_t mask = t->nslots - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t v = t->slots[i];

		if (!v) {
			*found = 0;
			return i;
		}
		if (t->hashes[v - 1] == h && !strcmp(t->strs[v - 1], s)) {
			*found = 1;
			return i;
		}
	}
}

static int _grow(struct intern *t)
{
	size_t n = t->nslots * 2;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t id = 0; id < t->len; id++) {
		size_t i = t->hashes[id] & (n - 1);

		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

int64_t intern__find(const struct intern *t, const char *str)
{
	int found;
	size_t i = _probe(t, str, _hash(str), &found);

	return found ? (int64_t)t->slots[i] - 1 : -ENOENT;
}

int64_t intern__add(struct intern *t, const char *str)
{
	uint64_t h = _hash(str);
	int found;
	size_t i = _probe(t, str, h, &found);

	if (found)
		return (int64_t)t->slots[i] - 1;
	if (t->len >= UINT32_MAX - 1)
		return -ENOSPC;
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		uint64_t *hashes = realloc(t->hashes, cap * sizeof(*hashes));

		if (!hashes)
			return -ENOMEM;
		t->hashes = hashes;
		char **strs = realloc(t->strs, cap * sizeof(*strs));
		if (!strs)
			return -ENOMEM;
		t->strs = strs;
		t->cap = cap;
	}
	char *copy = _arena_dup(t, str);
	if (!copy)
		return -ENOMEM;
	size_t id = t->len++;
	t->strs[id] = copy;
	t->hashes[id] = h;
	t->slots[i] = (uint32_t)id + 1;
	if (t->len * 2 > t->nslots) {
		int err = _grow(t);

		if (err)
			return err;
	}
	return (int64_t)id;
}

size_t intern__len(const struct intern *t)
{
	return t->len;
}

const char *intern__str(const struct intern *t, size_t id)
{
	return id < t->len ? t->strs[id] : NULL;
}
