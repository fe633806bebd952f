#include "symbols/symcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

struct entry {
	char *build_id;
	uint64_t offset;
	char *function, *file;   /* NULL if unknown */
	int line;
};

/* The key a lookup is made with. */
struct key {
	const char *build_id;
	uint64_t offset;
};

struct symcache {
	struct entry *v;         /* by id */
	size_t n, cap;
	struct hashmap index;    /* (build ID, offset) -> id */
};

static uint64_t _hash(const char *build_id, uint64_t offset)
{
	return hash__finish(hash__update_u64(hash__update_str(HASH_SEED, build_id), offset));
}

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct entry *e = &((const struct symcache *)ctx)->v[id];
	const struct key *k = key;

	return e->offset == k->offset && !strcmp(e->build_id, k->build_id);
}

struct symcache *symcache__new(void)
{
	struct symcache *c = calloc(1, sizeof(struct symcache));

	if (c)
		hashmap__init(&c->index);
	return c;
}

static void _entry_free(struct entry *e)
{
	free(e->build_id);
	free(e->function);
	free(e->file);
}

void symcache__free(struct symcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		_entry_free(&c->v[i]);
	free(c->v);
	hashmap__release(&c->index);
	free(c);
}

size_t symcache__size(const struct symcache *c)
{
	return c->n;
}

static char *_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool symcache__get(struct symcache *c, const char *build_id, uint64_t offset, char **function,
		   char **file, int *line)
{
	struct key k = { build_id, offset };
	const struct entry *e;
	int64_t id;

	if (!build_id)
		return false;
	id = hashmap__find(&c->index, _hash(build_id, offset), &k, _eq, c);
	if (id < 0)
		return false;
	e = &c->v[id];
	*function = _dup(e->function);
	*file = _dup(e->file);
	*line = e->line;
	return true;
}

int symcache__put(struct symcache *c, const char *build_id, uint64_t offset, const char *function,
		  const char *file, int line)
{
	struct key k = { build_id, offset };
	struct entry *e;
	uint64_t h;

	if (!build_id)
		return 0;
	h = _hash(build_id, offset);
	if (hashmap__find(&c->index, h, &k, _eq, c) >= 0)
		return 0;
	if (c->n >= UINT32_MAX - 1 || !(e = VEC_PUSH(c->v, c->n, c->cap)))
		return -ENOMEM;
	*e = (struct entry){ .build_id = strdup(build_id), .offset = offset,
			     .function = _dup(function), .file = _dup(file), .line = line };
	if (!e->build_id || (function && !e->function) || (file && !e->file) ||
	    hashmap__add(&c->index, h, (uint32_t)c->n)) {
		_entry_free(e);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}
