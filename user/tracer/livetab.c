#include "tracer/livetab.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "tracer/mapwalk.h"

/* Reads of a slot that keeps changing before it is given up (it is being
 * freed and given again faster than a copy: a block gone by then). */
#define LIVETAB_READS 4

uint32_t livetab__buckets_for(uint32_t max_live)
{
	uint64_t n = ((uint64_t)max_live * 2 + SEEP_LIVE_WAYS - 1) / SEEP_LIVE_WAYS;

	return n < 1 ? 1 : n > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)n;
}

int livetab__map(struct livetab *lt, struct bpf_map *live, struct bpf_map *spill,
		 uint64_t *spilled)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)bpf_map__max_entries(live) * sizeof(struct seep_live_bucket);
	void *p;

	len = (len + (size_t)page - 1) & ~((size_t)page - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(live), 0);
	if (p == MAP_FAILED) {
		int err = -errno;

		pr_err("cannot map the live table (%zu bytes): %s", len, strerror(-err));
		return err;
	}
	lt->buckets = p;
	lt->nbuckets = bpf_map__max_entries(live);
	lt->len = len;
	lt->spill = spill;
	lt->spilled = spilled;
	return 0;
}

void livetab__unmap(struct livetab *lt)
{
	if (lt->buckets)
		munmap(lt->buckets, lt->len);
	lt->buckets = NULL;
}

/* Copies slot I of B if it holds a block: 1 and *KEY, *VAL; 0 if not. */
static int _read_slot(struct seep_live_bucket *b, int i, struct seep_live_key *key,
		      struct seep_live *val)
{
	for (int n = 0; n < LIVETAB_READS; n++) {
		uint64_t st = __atomic_load_n(&b->state[i], __ATOMIC_ACQUIRE);

		if ((st & SEEP_LIVE_STATE_MASK) == SEEP_LIVE_EMPTY)
			return 0;
		if ((st & SEEP_LIVE_STATE_MASK) != SEEP_LIVE_LIVE)
			continue;       /* being written: read again */
		memcpy(key, &b->rec[i].key, sizeof(*key));
		memcpy(val, &b->rec[i].val, sizeof(*val));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->state[i], __ATOMIC_RELAXED) == st)
			return 1;
	}
	return 0;
}

struct _spill_cb {
	livetab_fn fn;
	void *ctx;
};

static int _spill_tramp(const void *k, const void *v, void *ctx)
{
	struct _spill_cb *cb = ctx;

	return cb->fn(k, v, cb->ctx);
}

static int _each_spilled(const struct livetab *lt, livetab_fn fn, void *ctx)
{
	struct _spill_cb cb = { .fn = fn, .ctx = ctx };

	return mapwalk__each(lt->spill, sizeof(struct seep_live_key), sizeof(struct seep_live),
			     _spill_tramp, &cb);
}

int livetab__each(const struct livetab *lt, livetab_fn fn, void *ctx)
{
	struct seep_live_key key;
	struct seep_live val;
	int err;

	if (!lt->buckets)
		return -EINVAL;
	for (uint32_t b = 0; b < lt->nbuckets; b++)
		for (int i = 0; i < SEEP_LIVE_WAYS; i++)
			if (_read_slot(&lt->buckets[b], i, &key, &val) &&
			    (err = fn(&key, &val, ctx)))
				return err;
	return _each_spilled(lt, fn, ctx);
}

struct _purge {
	int fd;
	uint32_t tgid;
	uint64_t *spilled;
};

static int _purge_spilled(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	const struct _purge *p = ctx;

	(void)v;
	if (k->tgid != p->tgid)
		return 0;
	if (bpf_map_delete_elem(p->fd, k))
		return errno == ENOENT ? 0 : -errno;  /* gone already: freed meanwhile */
	__atomic_fetch_sub(p->spilled, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int livetab__purge(struct livetab *lt, uint32_t tgid)
{
	struct _purge p = { .fd = bpf_map__fd(lt->spill), .tgid = tgid, .spilled = lt->spilled };

	if (!lt->buckets)
		return -EINVAL;
	for (uint32_t b = 0; b < lt->nbuckets; b++)
		for (int i = 0; i < SEEP_LIVE_WAYS; i++) {
			struct seep_live_bucket *bk = &lt->buckets[b];
			__u64 st = __atomic_load_n(&bk->state[i], __ATOMIC_ACQUIRE);

			if ((st & SEEP_LIVE_STATE_MASK) != SEEP_LIVE_LIVE ||
			    __atomic_load_n(&bk->rec[i].key.tgid, __ATOMIC_RELAXED) != tgid)
				continue;
			/* a slot given again meanwhile has a new generation:
			 * the swap fails and the new block stays */
			__atomic_compare_exchange_n(&bk->state[i], &st, st & SEEP_LIVE_GEN_MASK, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		}
	return _each_spilled(lt, _purge_spilled, &p);
}
