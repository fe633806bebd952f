#include "symbols/stacks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct stack {
	size_t off, n;           /* frames in the pool */
	uint64_t hash;
	double alloc_bytes, alloc_count;
	bool truncated;
};

struct binding {
	uint64_t seq;            /* 0: empty slot */
	uint32_t id;
	uint32_t gen;
};

struct stacks {
	uint64_t *pool;
	size_t pool_len, pool_cap;
	struct stack *v;
	size_t n, cap;
	uint32_t *index;         /* open addressing: stack id + 1 */
	size_t index_cap;
	struct binding *b;       /* open addressing by seq */
	size_t nb, b_cap;
	uint32_t gen;
};

static uint64_t _mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t _hash(const uint64_t *ips, size_t n)
{
	uint64_t h = n;

	for (size_t i = 0; i < n; i++)
		h = _mix(h ^ ips[i]);
	return h;
}

struct stacks *stacks__new(void)
{
	return calloc(1, sizeof(struct stacks));
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	free(st->pool);
	free(st->v);
	free(st->index);
	free(st->b);
	free(st);
}

static size_t _slot(const struct stacks *st, const uint64_t *ips, size_t n, uint64_t h)
{
	size_t mask = st->index_cap - 1, i = h & mask;

	for (; st->index[i]; i = (i + 1) & mask) {
		const struct stack *s = &st->v[st->index[i] - 1];

		if (s->hash == h && s->n == n && !memcmp(st->pool + s->off, ips, n * sizeof(*ips)))
			break;
	}
	return i;
}

static int _grow_index(struct stacks *st)
{
	size_t cap = st->index_cap ? st->index_cap * 2 : 256;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	free(st->index);
	st->index = idx;
	st->index_cap = cap;
	for (size_t i = 0; i < st->n; i++) {
		const struct stack *s = &st->v[i];

		st->index[_slot(st, st->pool + s->off, s->n, s->hash)] = (uint32_t)i + 1;
	}
	return 0;
}

int stacks__intern(struct stacks *st, const uint64_t *ips, size_t n, bool truncated, uint32_t *id)
{
	uint64_t h = _hash(ips, n) ^ truncated;
	struct stack *s;
	size_t slot;
	int err;

	if ((st->n + 1) * 2 > st->index_cap && (err = _grow_index(st)))
		return err;
	slot = _slot(st, ips, n, h);
	if (st->index[slot]) {
		*id = st->index[slot] - 1;
		return 0;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		struct stack *v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->v = v;
		st->cap = cap;
	}
	if (st->pool_len + n > st->pool_cap) {
		size_t cap = st->pool_cap ? st->pool_cap * 2 : 4096;
		uint64_t *p;

		while (cap < st->pool_len + n)
			cap *= 2;
		p = realloc(st->pool, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		st->pool = p;
		st->pool_cap = cap;
	}
	memcpy(st->pool + st->pool_len, ips, n * sizeof(*ips));
	s = &st->v[st->n];
	*s = (struct stack){ .off = st->pool_len, .n = n, .hash = h, .truncated = truncated };
	st->pool_len += n;
	st->index[slot] = (uint32_t)++st->n;
	*id = (uint32_t)st->n - 1;
	return 0;
}

const uint64_t *stacks__get(const struct stacks *st, uint32_t id, size_t *n, bool *truncated)
{
	if (id >= st->n)
		return NULL;
	*n = st->v[id].n;
	if (truncated)
		*truncated = st->v[id].truncated;
	return st->pool + st->v[id].off;
}

void stacks__count(struct stacks *st, uint32_t id, double bytes, double count)
{
	if (id >= st->n)
		return;
	st->v[id].alloc_bytes += bytes;
	st->v[id].alloc_count += count;
}

void stacks__totals(const struct stacks *st, uint32_t id, double *bytes, double *count)
{
	*bytes = id < st->n ? st->v[id].alloc_bytes : 0;
	*count = id < st->n ? st->v[id].alloc_count : 0;
}

size_t stacks__bindings(const struct stacks *st)
{
	return st->nb;
}

static struct binding *_find(const struct stacks *st, uint64_t seq)
{
	size_t mask = st->b_cap - 1, i = _mix(seq) & mask;

	if (!st->b_cap)
		return NULL;
	for (; st->b[i].seq; i = (i + 1) & mask)
		if (st->b[i].seq == seq)
			return &st->b[i];
	return &st->b[i];
}

/* Rebuilds the binding table with room for NEED bindings, keeping those of
 * generation >= MIN_GEN. */
static int _rebuild(struct stacks *st, size_t need, uint32_t min_gen)
{
	size_t cap = 1024;
	struct binding *old = st->b;
	size_t old_cap = st->b_cap;

	while (cap < need * 2)
		cap *= 2;
	st->b = calloc(cap, sizeof(*st->b));
	if (!st->b) {
		st->b = old;
		return -ENOMEM;
	}
	st->b_cap = cap;
	st->nb = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].seq || (int32_t)(old[i].gen - min_gen) < 0)
			continue;
		*_find(st, old[i].seq) = old[i];
		st->nb++;
	}
	free(old);
	return 0;
}

int stacks__bind(struct stacks *st, uint64_t seq, uint32_t id)
{
	struct binding *b;
	int err;

	if (!seq)
		return -EINVAL;
	if ((st->nb + 1) * 2 > st->b_cap && (err = _rebuild(st, st->nb + 1, 0)))
		return err;
	b = _find(st, seq);
	if (!b->seq)
		st->nb++;
	*b = (struct binding){ .seq = seq, .id = id, .gen = st->gen };
	return 0;
}

int stacks__lookup(struct stacks *st, uint64_t seq, uint32_t *id)
{
	struct binding *b = seq ? _find(st, seq) : NULL;

	if (!b || !b->seq)
		return -ENOENT;
	b->gen = st->gen;
	*id = b->id;
	return 0;
}

void stacks__sweep(struct stacks *st)
{
	/* keep what was bound or looked up in the current generation */
	_rebuild(st, st->nb, st->gen);
	st->gen++;
}
