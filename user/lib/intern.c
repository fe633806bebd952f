/* intern — string to dense id table. See intern.h. */
#include "lib/intern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

#define ARENA_CHUNK (64 * 1024)

/* The arena: chunks that never move, so string pointers stay valid. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct intern {
	struct hashmap index;    /* hash__str(string) -> id */
	char **strs;             /* id -> string in the arena */
	size_t len, cap;
	struct arena_chunk *chunks;
};

/* Room for N bytes in the arena, or NULL. */
static char *_arena_alloc(struct intern *t, size_t n)
{
	struct arena_chunk *c = t->chunks;
	char *p;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		if (cap > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = t->chunks;
		c->used = 0;
		c->cap = cap;
		t->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

/* Gives back the last N bytes taken from the arena. */
static void _arena_unalloc(struct intern *t, size_t n)
{
	t->chunks->used -= n;
}

struct intern *intern__new(void)
{
	struct intern *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->index);
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
	hashmap__release(&t->index);
	free(t->strs);
	free(t);
}

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct intern *t = ctx;

	return !strcmp(t->strs[id], key);
}

int64_t intern__find(const struct intern *t, const char *str)
{
	return hashmap__find(&t->index, hash__str(str), str, _eq, (void *)t);
}

int64_t intern__add(struct intern *t, const char *str)
{
	uint64_t h = hash__str(str);
	int64_t id = hashmap__find(&t->index, h, str, _eq, t);
	size_t n = strlen(str) + 1;
	char *copy, **slot;
	int err;

	if (id >= 0)
		return id;
	if (t->len >= UINT32_MAX - 1)
		return -ENOSPC;
	slot = VEC_PUSH(t->strs, t->len, t->cap);
	if (!slot)
		return -ENOMEM;
	copy = _arena_alloc(t, n);
	if (!copy)
		return -ENOMEM;
	err = hashmap__add(&t->index, h, (uint32_t)t->len);
	if (err) {
		_arena_unalloc(t, n);
		return err;
	}
	memcpy(copy, str, n);
	*slot = copy;
	return (int64_t)t->len++;
}

size_t intern__len(const struct intern *t)
{
	return t->len;
}

const char *intern__str(const struct intern *t, size_t id)
{
	return id < t->len ? t->strs[id] : NULL;
}
