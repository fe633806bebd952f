#include "symbols/symcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *build_id;          /* NULL: empty slot */
	uint64_t offset;
	char *function, *file;
	int line;
	uint64_t hash;
};

struct symcache {
	struct entry *v;
	size_t n, cap;           /* cap is a power of two */
};

static uint64_t _hash(const char *build_id, uint64_t offset)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = build_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h ^= offset * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

struct symcache *symcache__new(void)
{
	return calloc(1, sizeof(struct symcache));
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
	for (size_t i = 0; i < c->cap; i++)
		if (c->v[i].build_id)
			_entry_free(&c->v[i]);
	free(c->v);
	free(c);
}

size_t symcache__size(const struct symcache *c)
{
	return c->n;
}

static struct entry *_slot(const struct symcache *c, const char *build_id, uint64_t offset,
			   uint64_t h)
{
	size_t mask = c->cap - 1, i = h & mask;

	for (; c->v[i].build_id; i = (i + 1) & mask)
		if (c->v[i].hash == h && c->v[i].offset == offset &&
		    !strcmp(c->v[i].build_id, build_id))
			break;
	return &c->v[i];
}

static char *_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

bool symcache__get(struct symcache *c, const char *build_id, uint64_t offset, char **function,
		   char **file, int *line)
{
	struct entry *e;

	if (!build_id || !c->cap)
		return false;
	e = _slot(c, build_id, offset, _hash(build_id, offset));
	if (!e->build_id)
		return false;
	*function = _dup(e->function);
	*file = _dup(e->file);
	*line = e->line;
	return true;
}

static int _grow(struct symcache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	struct entry *old = c->v, *v = calloc(cap, sizeof(*v));
	size_t old_cap = c->cap;

	if (!v)
		return -ENOMEM;
	c->v = v;
	c->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].build_id)
			*_slot(c, old[i].build_id, old[i].offset, old[i].hash) = old[i];
	free(old);
	return 0;
}

int symcache__put(struct symcache *c, const char *build_id, uint64_t offset, const char *function,
		  const char *file, int line)
{
	uint64_t h;
	struct entry *e;

	if (!build_id)
		return 0;
	if ((c->n + 1) * 2 > c->cap && _grow(c))
		return -ENOMEM;
	h = _hash(build_id, offset);
	e = _slot(c, build_id, offset, h);
	if (e->build_id)
		return 0;
	*e = (struct entry){ .build_id = strdup(build_id), .offset = offset, .hash = h,
			     .function = _dup(function), .file = _dup(file), .line = line };
	if (!e->build_id || (function && !e->function) || (file && !e->file)) {
		_entry_free(e);
		memset(e, 0, sizeof(*e));
		return -ENOMEM;
	}
	c->n++;
	return 0;
}
