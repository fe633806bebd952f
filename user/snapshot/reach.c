/* reach — a conservative mark over a process image; see reach.h. */
#include "snapshot/reach.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

#define CHUNK (64u << 10)        /* bytes of a block read at a time */

struct scan {
	struct reach_block *b;
	size_t n;
	size_t *work;            /* blocks reached, not yet scanned */
	size_t nwork, cap;
	int err;
};

static int _by_addr(const void *a, const void *b)
{
	const struct reach_block *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The block holding ADDR, or -1: the last block starting at or below it. */
static long _find(const struct scan *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->b[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	lo--;
	if (addr < s->b[lo].addr + s->b[lo].size || addr == s->b[lo].addr)
		return (long)lo;
	return -1;
}

static void _mark(struct scan *s, uint64_t word)
{
	long i = _find(s, word);
	size_t *slot;

	if (i < 0 || s->b[i].reached || (s->b[i].not_ptr && word == s->b[i].not_ptr))
		return;
	s->b[i].reached = true;
	if (!(slot = VEC_PUSH(s->work, s->nwork, s->cap))) {
		s->err = -ENOMEM;
		return;
	}
	*slot = (size_t)i;
	s->nwork++;
}

/* Scans the aligned words of DATA (LEN bytes at ADDR). */
static void _words(struct scan *s, uint64_t addr, const uint8_t *data, size_t len)
{
	size_t skip = (size_t)((8 - (addr & 7)) & 7);

	for (size_t off = skip; off + 8 <= len; off += 8) {
		uint64_t w;

		memcpy(&w, data + off, 8);
		_mark(s, w);
	}
}

/* A root region, less the tracked blocks inside it. */
static void _root(struct scan *s, const struct reach_region *r, struct reach_stats *st)
{
	uint64_t pos = r->addr, end = r->addr + r->len;
	long i = _find(s, pos);
	size_t k;

	if (i < 0) {   /* the first block at or after pos */
		size_t lo = 0, hi = s->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (s->b[mid].addr < pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		k = lo;
	} else {
		k = (size_t)i;
	}
	while (pos < end) {
		uint64_t stop = k < s->n && s->b[k].addr < end ? s->b[k].addr : end;

		if (stop > pos) {
			_words(s, pos, (const uint8_t *)r->data + (pos - r->addr), (size_t)(stop - pos));
			st->root_bytes += stop - pos;
		}
		if (k >= s->n || s->b[k].addr >= end)
			break;
		pos = s->b[k].addr + s->b[k].size > pos ? s->b[k].addr + s->b[k].size : pos;
		k++;
	}
}

static void _block(struct scan *s, size_t i, reach_read_fn read, void *ctx, uint8_t *buf,
		   struct reach_stats *st)
{
	const struct reach_block *b = &s->b[i];

	for (uint64_t off = 0; off < b->size; off += CHUNK) {
		size_t len = b->size - off < CHUNK ? (size_t)(b->size - off) : CHUNK;

		if (read(ctx, b->addr + off, buf, len)) {
			st->unreadable++;
			return;
		}
		_words(s, b->addr + off, buf, len);
		st->block_bytes += len;
	}
}

int reach__scan(struct reach_block *blocks, size_t n, const struct reach_region *roots,
		size_t nroots, reach_read_fn read, void *ctx, struct reach_stats *stats)
{
	struct scan s = { .b = blocks, .n = n };
	uint8_t *buf = NULL;
	int err = 0;

	memset(stats, 0, sizeof(*stats));
	if (n)
		qsort(blocks, n, sizeof(*blocks), _by_addr);
	for (size_t i = 0; i < n; i++) {
		blocks[i].reached = false;
		if (i && blocks[i - 1].addr + blocks[i - 1].size > blocks[i].addr)
			return -EINVAL;
		if (blocks[i].addr + blocks[i].size < blocks[i].addr)
			return -EINVAL;
	}
	if (!(buf = malloc(CHUNK)))
		return -ENOMEM;
	for (size_t r = 0; r < nroots && !s.err; r++)
		_root(&s, &roots[r], stats);
	while (s.nwork && !s.err)
		_block(&s, s.work[--s.nwork], read, ctx, buf, stats);
	if ((err = s.err))
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		if (blocks[i].reached) {
			stats->reached++;
		} else {
			stats->lost++;
			stats->lost_bytes += blocks[i].size;
		}
	}
cleanup:
	free(s.work);
	free(buf);
	return err;
}
