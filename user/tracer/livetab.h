/* livetab — user space's side of the live table (bpf/livetab.bpf.h).
 *
 * The table's buckets are an mmapped BPF array: a snapshot reads the
 * blocks in place, no system call per batch. A slot is taken as read when
 * its state is the same LIVE word before and after the copy (a slot that
 * changes meanwhile is read again, a few times); the blocks that spilled
 * from full buckets are read from the spill hash map. As with any live
 * map, blocks allocated or freed during a walk may or may not be seen.
 */
#ifndef SEEP_LIVETAB_H
#define SEEP_LIVETAB_H

#include <stddef.h>
#include <stdint.h>

#include "seep_heap.h"

struct bpf_map;

struct livetab {
	struct seep_live_bucket *buckets;  /* mapped, NULL before livetab__map */
	uint32_t nbuckets;
	size_t len;                         /* bytes mapped */
	struct bpf_map *spill;
	uint64_t *spilled;                  /* the BPF side's count of spill entries */
};

/* Buckets for MAX_LIVE blocks: room for twice as many (when all are
 * live, about 4 % of them spill). */
uint32_t livetab__buckets_for(uint32_t max_live);

/* Maps LIVE (loaded); SPILL is its spill map and SPILLED the BPF side's
 * count of its entries (live_spilled). 0 or -errno. */
int livetab__map(struct livetab *lt, struct bpf_map *live, struct bpf_map *spill,
		 uint64_t *spilled);
void livetab__unmap(struct livetab *lt);

/* Calls FN on each live block; a non-zero return stops and is returned. */
typedef int (*livetab_fn)(const struct seep_live_key *key, const struct seep_live *val,
			  void *ctx);
int livetab__each(const struct livetab *lt, livetab_fn fn, void *ctx);

/* Removes every block of TGID. 0 or -errno. */
int livetab__purge(struct livetab *lt, uint32_t tgid);

#endif
