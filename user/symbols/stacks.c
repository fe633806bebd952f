#include "symbols/stacks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

struct stack {
	size_t off, n;           /* frames in the pool */
	double alloc_bytes, alloc_count;
	double kernel_bytes, kernel_count;   /* counted in the kernel */
	bool truncated;
};

/* What a stack is looked up by. */
struct frames {
	const uint64_t *ips;
	size_t n;
	bool truncated;
};

struct binding {
	uint64_t seq;            /* never 0 */
	uint32_t id;
	uint32_t gen;            /* the generation it was last bound or looked up in */
};

struct stacks {
	uint64_t *pool;          /* the frames of every stack, back to back */
	size_t pool_len, pool_cap;
	struct stack *v;         /* by stack id */
	size_t n, cap;
	struct hashmap index;    /* frames -> stack id */
	struct binding *b;       /* in no order */
	size_t nb, b_cap;
	struct hashmap bound;    /* seq -> index into b */
	uint32_t gen;
	size_t max;              /* most stacks kept; 0: no bound */
};

static uint64_t _frames_hash(const struct frames *f)
{
	uint64_t h = hash__update_u64(HASH_SEED, f->n);

	h = hash__update(h, &f->truncated, sizeof(f->truncated));
	return hash__finish(hash__update(h, f->ips, f->n * sizeof(*f->ips)));
}

static bool _frames_eq(uint32_t id, const void *key, void *ctx)
{
	const struct stacks *st = ctx;
	const struct stack *s = &st->v[id];
	const struct frames *f = key;

	return s->n == f->n && s->truncated == f->truncated &&
	       !memcmp(st->pool + s->off, f->ips, f->n * sizeof(*f->ips));
}

static uint64_t _seq_hash(uint64_t seq)
{
	return hash__finish(hash__update_u64(HASH_SEED, seq));
}

static bool _seq_eq(uint32_t i, const void *key, void *ctx)
{
	return ((const struct stacks *)ctx)->b[i].seq == *(const uint64_t *)key;
}

struct stacks *stacks__new(void)
{
	struct stacks *st = calloc(1, sizeof(struct stacks));

	if (st) {
		hashmap__init(&st->index);
		hashmap__init(&st->bound);
	}
	return st;
}

void stacks__set_max(struct stacks *st, size_t max)
{
	st->max = max;
}

size_t stacks__len(const struct stacks *st)
{
	return st->n;
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	free(st->pool);
	free(st->v);
	hashmap__release(&st->index);
	free(st->b);
	hashmap__release(&st->bound);
	free(st);
}

int stacks__intern(struct stacks *st, const uint64_t *ips, size_t n, bool truncated, uint32_t *id)
{
	struct frames key = { ips, n, truncated };
	uint64_t h = _frames_hash(&key);
	int64_t found = hashmap__find(&st->index, h, &key, _frames_eq, st);
	struct stack *s;
	int err;

	if (found >= 0) {
		*id = (uint32_t)found;
		return 0;
	}
	if (st->max && st->n >= st->max)
		return -ENOSPC;
	if (st->n >= UINT32_MAX - 1 || n > SIZE_MAX - st->pool_len)
		return -EOVERFLOW;
	if ((err = VEC_RESERVE(st->pool, st->pool_cap, st->pool_len + n)))
		return err;
	if (!(s = VEC_PUSH(st->v, st->n, st->cap)))
		return -ENOMEM;
	if ((err = hashmap__add(&st->index, h, (uint32_t)st->n)))
		return err;
	if (n)
		memcpy(st->pool + st->pool_len, ips, n * sizeof(*ips));
	*s = (struct stack){ .off = st->pool_len, .n = n, .truncated = truncated };
	st->pool_len += n;
	*id = (uint32_t)st->n++;
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
	*bytes = id < st->n ? st->v[id].alloc_bytes + st->v[id].kernel_bytes : 0;
	*count = id < st->n ? st->v[id].alloc_count + st->v[id].kernel_count : 0;
}

void stacks__set_kernel_totals(struct stacks *st, uint32_t id, double bytes, double count)
{
	if (id >= st->n)
		return;
	st->v[id].kernel_bytes = bytes;
	st->v[id].kernel_count = count;
}

size_t stacks__bindings(const struct stacks *st)
{
	return st->nb;
}

/* The binding of SEQ, or NULL. */
static struct binding *_find(const struct stacks *st, uint64_t seq)
{
	int64_t i = hashmap__find(&st->bound, _seq_hash(seq), &seq, _seq_eq, (void *)st);

	return i >= 0 ? &st->b[i] : NULL;
}

int stacks__bind(struct stacks *st, uint64_t seq, uint32_t id)
{
	struct binding *b;
	int err;

	if (!seq)
		return -EINVAL;
	b = _find(st, seq);
	if (!b) {
		if (st->nb >= UINT32_MAX - 1)
			return -EOVERFLOW;
		if (!(b = VEC_PUSH(st->b, st->nb, st->b_cap)))
			return -ENOMEM;
		if ((err = hashmap__add(&st->bound, _seq_hash(seq), (uint32_t)st->nb)))
			return err;
		st->nb++;
	}
	*b = (struct binding){ .seq = seq, .id = id, .gen = st->gen };
	return 0;
}

int stacks__lookup(struct stacks *st, uint64_t seq, uint32_t *id)
{
	struct binding *b = seq ? _find(st, seq) : NULL;

	if (!b)
		return -ENOENT;
	b->gen = st->gen;
	*id = b->id;
	return 0;
}

void stacks__sweep(struct stacks *st)
{
	size_t kept = 0;

	/* keep what was bound or looked up in the current generation */
	for (size_t i = 0; i < st->nb; i++)
		if ((int32_t)(st->b[i].gen - st->gen) >= 0)
			st->b[kept++] = st->b[i];
	/* Re-index the kept ones. The table held all NB, so adding KEPT <= NB
	 * again never grows it and cannot fail; were it to, the bindings from
	 * there on would be dropped, which a sweep is allowed to do. */
	hashmap__clear(&st->bound);
	st->nb = 0;
	while (st->nb < kept && !hashmap__add(&st->bound, _seq_hash(st->b[st->nb].seq),
					       (uint32_t)st->nb))
		st->nb++;
	st->gen++;
}
