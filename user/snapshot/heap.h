/* heap — live memory of one process aggregated by allocation site.
 *
 * Fed with the live blocks (and optionally the per-site cumulative totals)
 * read from the tracer; pure C, no BPF. A recorded block stands for what
 * sampling says (sampling.h): with no sampling, its own size. Invariants
 * after any sequence of heap__add_block(): total_bytes, total_count and
 * total_samples are the sums over the sites; after heap__sort(), sites are
 * ordered by bytes (largest first), then count, then key, so reports are
 * deterministic.
 * Ownership: the heap owns its sites array and index; heap__release frees
 * them and accepts NULL.
 */
#ifndef SEEP_HEAP_MODEL_H
#define SEEP_HEAP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/hashmap.h"
#include "seep_heap.h"

struct heap_site {
	struct seep_stack_key key;
	double bytes, count;         /* live, estimated (exact when not sampling) */
	double var_bytes;            /* variance of the bytes estimate */
	uint64_t samples;            /* live blocks recorded */
	uint64_t oldest_ns;          /* allocation time of the oldest live block */
	double alloc_bytes, alloc_count;  /* cumulative since attach, estimated */
	uint32_t kind;               /* enum seep_kind of the site's allocator */
};

struct heap {
	struct heap_site *sites;
	size_t n, cap;
	struct hashmap index;        /* site key -> index into sites; empty once sorted */
	uint64_t sample_bytes;       /* mean bytes between samples; <= 1: exact */
	double total_bytes, total_count;
	uint64_t total_samples;
};

void heap__init(struct heap *h, uint64_t sample_bytes);
void heap__release(struct heap *h);

/* Adds one live block allocated at TS_NS by allocator KIND from SITE. */
int heap__add_block(struct heap *h, const struct seep_stack_key *site, uint32_t kind,
		    uint64_t size, uint64_t ts_ns);
/* Attaches cumulative totals to SITE if the heap has it (no-op otherwise). */
void heap__add_totals(struct heap *h, const struct seep_stack_key *site, double alloc_bytes,
		      double alloc_count);
/* Orders the sites; the heap is final afterwards (no more adds). */
void heap__sort(struct heap *h);

#endif
