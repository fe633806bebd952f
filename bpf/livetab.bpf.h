/* livetab.bpf.h — the live table: the blocks live, by (tgid, mapping,
 * address), without a lock.
 *
 * A BPF hash map takes a bucket lock (with interrupts off) and a free-list
 * element at every insert and delete: at one malloc and one free per call
 * it cost exact mode about a third of its time above the bare probes. The
 * live table is a set-associative array instead (include/seep_heap.h has
 * the layout): a block's bucket holds SEEP_LIVE_WAYS slots, an insert
 * claims a free slot with one compare-and-swap of its state word, writes
 * the record and publishes it LIVE; a delete swaps LIVE for EMPTY. The
 * state's generation, bumped at every claim, makes a swap fail when the
 * slot was taken and given again in between. A bucket with every slot
 * taken spills into the hash map `live_spill`, looked at only while
 * `live_spilled` (its entries) is not 0, so a free of a block never
 * recorded reads one cache line: the bucket's states, whose tags rule
 * out the records of other keys.
 *
 * An insert replaces the record of the same key (a block whose free was
 * not seen), as the hash map's BPF_ANY did. Include after vmlinux.h,
 * bpf_helpers.h, seep_heap.h and a stat_add(SEEP_STAT_*, n).
 */
#ifndef SEEP_LIVETAB_BPF_H
#define SEEP_LIVETAB_BPF_H

#define LIVETAB_STATE(p) (*(volatile __u64 *)(p))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 18);   /* buckets; user space sizes it */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct seep_live_bucket);
} live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct seep_live_key);
	__type(value, struct seep_live);
} live_spill SEC(".maps");

/* buckets in `live` (user space sets both) */
const volatile __u32 cfg_live_buckets = 1 << 18;
/* entries of `live_spill` */
__u64 live_spilled;

static __always_inline int livetab_key_eq(const struct seep_live_key *a,
					  const struct seep_live_key *b)
{
	return a->addr == b->addr && a->tgid == b->tgid && a->mapping == b->mapping;
}

static __always_inline struct seep_live_bucket *livetab_bucket(__u64 h)
{
	__u32 b = seep_live_bucket_of(h, cfg_live_buckets);

	return bpf_map_lookup_elem(&live, &b);
}

/* Claims the slot whose state word is ST from state OLD, for a key of
 * TAG: BUSY of the next generation, or 0 if another CPU changed it
 * first. */
static __always_inline __u64 livetab_claim(__u64 *st, __u64 old, __u64 tag)
{
	__u64 busy = ((old & SEEP_LIVE_GEN_MASK) + SEEP_LIVE_GEN_STEP) | tag | SEEP_LIVE_BUSY;

	return __sync_val_compare_and_swap(st, old, busy) == old ? busy : 0;
}

static __always_inline void livetab_publish(__u64 *st, struct seep_live_rec *r, __u64 busy,
					    const struct seep_live_key *k,
					    const struct seep_live *v)
{
	__u64 live = (busy & ~SEEP_LIVE_STATE_MASK) | SEEP_LIVE_LIVE;

	r->key = *k;
	r->val = *v;
#if defined(__TARGET_ARCH_x86)
	/* x86 keeps stores in order: the record's stores are seen before LIVE
	 * once the compiler keeps them there (an atomic exchange would cost
	 * as much as the claim) */
	asm volatile("" ::: "memory");
	LIVETAB_STATE(st) = live;
#else
	__sync_lock_test_and_set(st, live);
#endif
}

/* True if the slot of state ST, in B at I, holds K (TAG its tag). */
static __always_inline int livetab_holds(const struct seep_live_bucket *b, int i, __u64 st,
					 __u64 tag, const struct seep_live_key *k)
{
	return (st & (SEEP_LIVE_STATE_MASK | SEEP_LIVE_TAG_MASK)) == (SEEP_LIVE_LIVE | tag) &&
	       livetab_key_eq(&b->rec[i].key, k);
}

/* Drops K from the spill map, if it spilled: 1 if it was there. */
static __always_inline int livetab_unspill(const struct seep_live_key *k, struct seep_live *out)
{
	if (!live_spilled)
		return 0;
	if (out) {
		struct seep_live *v = bpf_map_lookup_elem(&live_spill, k);

		if (!v)
			return 0;
		*out = *v;
	}
	if (bpf_map_delete_elem(&live_spill, k))
		return 0;
	__sync_fetch_and_add(&live_spilled, -1);
	return 1;
}

/* Records V under K, replacing a record of K. 0, or -1 when the bucket
 * and the spill map are full (counted by the caller). ONLY_EXISTING:
 * replace a record of K only, never add one (1 if there was none). */
static __always_inline int livetab_put_as(const struct seep_live_key *k,
					  const struct seep_live *v, int only_existing)
{
	__u64 h = seep_live_hash(k), tag = seep_live_tag_of(h);
	struct seep_live_bucket *b = livetab_bucket(h);

	if (!b)
		return -1;
	for (int tries = 0; tries < 2; tries++) {
		int at = -1, free_at = -1;   /* the slot holding K; the first free one */
		__u64 at_st = 0, free_st = 0, busy;

#pragma unroll
		for (int i = 0; i < SEEP_LIVE_WAYS; i++) {
			__u64 st = LIVETAB_STATE(&b->state[i]);

			if (at < 0 && livetab_holds(b, i, st, tag, k)) {
				at = i;
				at_st = st;
			} else if ((st & SEEP_LIVE_STATE_MASK) == SEEP_LIVE_EMPTY && free_at < 0) {
				free_at = i;
				free_st = st;
			}
		}
		if (at < 0) {
			if (only_existing) {
				if (!live_spilled || !bpf_map_lookup_elem(&live_spill, k))
					return 1;
				return bpf_map_update_elem(&live_spill, k, v, BPF_EXIST) ? 1 : 0;
			}
			/* K's spilled record, if any, gives way to the new one */
			livetab_unspill(k, NULL);
			at = free_at;
			at_st = free_st;
		}
		if (at < 0 || at >= SEEP_LIVE_WAYS)
			break;
		busy = livetab_claim(&b->state[at], at_st, tag);
		if (!busy)
			continue;   /* another CPU changed the slot first: look again */
		livetab_publish(&b->state[at], &b->rec[at], busy, k, v);
		return 0;
	}
	if (only_existing)
		return 1;
	if (bpf_map_update_elem(&live_spill, k, v, BPF_NOEXIST))
		return -1;
	__sync_fetch_and_add(&live_spilled, 1);
	stat_add(SEEP_STAT_LIVE_SPILLED, 1);
	return 0;
}

static __always_inline int livetab_put(const struct seep_live_key *k, const struct seep_live *v)
{
	return livetab_put_as(k, v, 0);
}

/* The slot of B holding K (TAG its tag): its index and *ST its state,
 * or -1. */
static __always_inline int livetab_find(const struct seep_live_bucket *b, __u64 tag,
					const struct seep_live_key *k, __u64 *st)
{
#pragma unroll
	for (int i = 0; i < SEEP_LIVE_WAYS; i++) {
		__u64 v = LIVETAB_STATE(&b->state[i]);

		if (livetab_holds(b, i, v, tag, k)) {
			*st = v;
			return i;
		}
	}
	return -1;
}

/* Removes the record of K, copying it to OUT when given: 1 if one was
 * removed (0: none, or another CPU removed it first). */
static __always_inline int livetab_take(const struct seep_live_key *k, struct seep_live *out)
{
	__u64 h = seep_live_hash(k), st;
	struct seep_live_bucket *b = livetab_bucket(h);
	int i;

	if (!b)
		return 0;
	i = livetab_find(b, seep_live_tag_of(h), k, &st);
	if (i < 0 || i >= SEEP_LIVE_WAYS)
		return livetab_unspill(k, out);
	if (out)
		*out = b->rec[i].val;
	/* the generation stays: the slot is given again by a claim */
	return __sync_val_compare_and_swap(&b->state[i], st, st & SEEP_LIVE_GEN_MASK) == st;
}

/* Copies the record of K to OUT: 1 if there is one. */
static __always_inline int livetab_get(const struct seep_live_key *k, struct seep_live *out)
{
	__u64 h = seep_live_hash(k), st;
	struct seep_live_bucket *b = livetab_bucket(h);
	struct seep_live *v;
	int i;

	if (!b)
		return 0;
	i = livetab_find(b, seep_live_tag_of(h), k, &st);
	if (i >= 0 && i < SEEP_LIVE_WAYS) {
		*out = b->rec[i].val;
		return LIVETAB_STATE(&b->state[i]) == st;
	}
	if (!live_spilled || !(v = bpf_map_lookup_elem(&live_spill, k)))
		return 0;
	*out = *v;
	return 1;
}

/* Removing every block of one process (its exec: the old image's heap
 * is gone), counting what went. */
struct livetab_purge {
	__u32 tgid;
	__u64 blocks, bytes;
};

static long livetab_purge_bucket(struct bpf_map *map, __u32 *k, struct seep_live_bucket *b,
				 struct livetab_purge *p)
{
	for (int i = 0; i < SEEP_LIVE_WAYS; i++) {
		__u64 st = LIVETAB_STATE(&b->state[i]);
		__u64 size = b->rec[i].val.size;

		if ((st & SEEP_LIVE_STATE_MASK) != SEEP_LIVE_LIVE || b->rec[i].key.tgid != p->tgid)
			continue;
		if (__sync_val_compare_and_swap(&b->state[i], st, st & SEEP_LIVE_GEN_MASK) == st) {
			p->blocks++;
			p->bytes += size;
		}
	}
	return 0;
}

static long livetab_purge_spilled(struct bpf_map *map, struct seep_live_key *k,
				  struct seep_live *v, struct livetab_purge *p)
{
	if (k->tgid == p->tgid && !bpf_map_delete_elem(map, k)) {
		__sync_fetch_and_add(&live_spilled, -1);
		p->blocks++;
		p->bytes += v->size;
	}
	return 0;
}

static __always_inline void livetab_purge(struct livetab_purge *p)
{
	bpf_for_each_map_elem(&live, livetab_purge_bucket, p, 0);
	bpf_for_each_map_elem(&live_spill, livetab_purge_spilled, p, 0);
}

#endif
