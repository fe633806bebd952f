/* hashmap — the one hash table of seep: an index from keys to dense ids.
 *
 * The caller keeps its entries in its own array (ids 0, 1, 2, ... index
 * it) and the keys' hashes (lib/hash.h); the map keeps (hash, id) pairs in
 * an open-addressed table (linear probing, power-of-two size, at most half
 * full) and asks the caller, through EQ, whether entry ID holds KEY when
 * hashes match. Growth rehashes from the stored hashes: the caller's
 * entries are never touched.
 *
 * Invariants: hashmap__len() is the number of ids added; every id added is
 * found by its hash and key until it is removed or the map cleared. Ids are opaque to the
 * map (any uint32_t but UINT32_MAX); adding the same key twice is the
 * caller's error (look it up first: hashmap__find).
 * Ownership: the map owns only its table; hashmap__free() accepts NULL.
 * Errors: 0 / an id, or -errno.
 */
#ifndef SEEP_HASHMAP_H
#define SEEP_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashmap {
	struct hashmap_slot *slots;
	size_t nslots;           /* 0 or a power of two, > 2 * len */
	size_t len;
};

/* Does the caller's entry ID hold KEY? */
typedef bool hashmap_eq_fn(uint32_t id, const void *key, void *ctx);

void hashmap__init(struct hashmap *m);
void hashmap__release(struct hashmap *m);
struct hashmap *hashmap__new(void);        /* NULL with errno set */
void hashmap__free(struct hashmap *m);
/* Forgets every id; keeps the table's memory. */
void hashmap__clear(struct hashmap *m);

/* The id of KEY (hash HASH), or -ENOENT. */
int64_t hashmap__find(const struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn *eq,
		      void *ctx);
/* Adds ID under HASH: 0, or -ENOMEM (the map is unchanged then). */
int hashmap__add(struct hashmap *m, uint64_t hash, uint32_t id);
/* Removes the id of KEY (hash HASH): returns it, or -ENOENT. The caller
 * then owns what its entry held (ids are not renumbered). */
int64_t hashmap__remove(struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn *eq,
			void *ctx);
/* Makes room for N ids without growing again: 0 or -ENOMEM/-EOVERFLOW. */
int hashmap__reserve(struct hashmap *m, size_t n);

static inline size_t hashmap__len(const struct hashmap *m)
{
	return m->len;
}

#endif
