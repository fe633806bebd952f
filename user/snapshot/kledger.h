/* kledger — what user space remembers of each kernel site between two
 * reads of the kernel tracer's site map.
 *
 * A read (kledger__begin, kledger__read for every site in the map,
 * kledger__end) compares each site with the previous read, and so
 * answers two questions:
 *
 * Pruning. A site may go when it holds nothing (live count 0) and either
 * had no allocation since the previous read (it was in that read with
 * the same cumulative allocation count: idle for a whole read period) or
 * its process is gone (the caller says so). A site first seen in this
 * read is never prunable by idleness.
 *
 * Missed frees. The caller passes, per key space (enum seep_kspace), the
 * cumulative recursion misses of the free programs of that space and the
 * cumulative frees seen in it. When the misses of a space rose by D since
 * the previous read, each site of the space gets two figures for that
 * period:
 *   at most:  D, if the site held live objects at some moment of the
 *             period (live at the previous read, or allocated since);
 *             a site that held nothing throughout cannot have lost a free
 *   expected: D * F_site / F_space, where F_site are the site's frees
 *             seen in the period (allocations minus the change of its live
 *             count) and F_space the space's: a recursion miss hits a free
 *             event of its space, whichever site it is of, so a site that
 *             frees nothing (a pure leaker) is expected to have lost none
 * Both add up over the periods and are capped at the site's live count
 * when read (a missed free leaves one live record behind, no more).
 *
 * Sites are told apart by ID (a hash of the site's key). A site not read
 * in a read is forgotten at kledger__end (it left the map). Ownership: the
 * ledger owns its entries; kledger__free() accepts NULL. Pure C over plain
 * data; 0 or -errno.
 */
#ifndef SEEP_KLEDGER_H
#define SEEP_KLEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "seep_kernel.h"

/* A site's missed-free figures, over the whole run. */
struct kledger_missed {
	uint64_t at_most;        /* upper bound of its live objects whose free was missed */
	double expected;         /* estimate of the same */
};

struct kledger;

struct kledger *kledger__new(void);   /* NULL if out of memory */
void kledger__free(struct kledger *l);

/* Starts a read. MISSES[space]: cumulative recursion misses of the free
 * programs of each key space; FREES[space]: cumulative frees seen in it
 * (matched and untracked). */
void kledger__begin(struct kledger *l, const uint64_t misses[SEEP_KSPACE__MAX],
		    const uint64_t frees[SEEP_KSPACE__MAX]);
/* Site ID of key space SPACE holds LIVE_COUNT objects and has had
 * ALLOC_COUNT allocations; GONE: its process has exited. Fills *MISSED
 * (may be NULL) and *PRUNABLE (may be NULL). Each ID once per read.
 * 0, -EINVAL (SPACE out of range) or -ENOMEM. */
int kledger__read(struct kledger *l, uint64_t id, uint32_t space, int64_t live_count,
		  uint64_t alloc_count, bool gone, struct kledger_missed *missed, bool *prunable);
/* Ends the read: the sites it did not read are forgotten. */
void kledger__end(struct kledger *l);
/* Reads begun so far. */
uint64_t kledger__reads(const struct kledger *l);
/* Sites remembered (read in the last read). */
uint64_t kledger__sites(const struct kledger *l);

#endif
