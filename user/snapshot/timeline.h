/* timeline — a snapshot series over time: its reports in order, their
 * stacks lined up (stacktab), and the stacks ranked by growth.
 *
 * What `seep report` shows, and what a diagnosis asks of a series: which
 * stacks grew most from the first snapshot to the last, and how steadily.
 * Built from a series directory (timeline__load: store__list, then
 * pprof__read_file on each snapshot) or from reports in hand
 * (timeline__add, then timeline__rank).
 *
 * Growth of a stack: its live bytes in the last snapshot minus those in the
 * first (0 where it is absent). Ranking: largest growth first; equal growth
 * keeps the order of first appearance (stacktab's row order).
 * Invariants, once ranked: at least one snapshot; the ranking is a
 * permutation of the stacks; growth never increases along it; the
 * snapshots keep the order they were added in (elapsed is relative to the
 * first, and may be negative if times go backwards).
 *
 * Ownership: the timeline owns the reports added (timeline__add moves a
 * report in and leaves the caller's empty) and copies of their paths;
 * rows and reports it returns live as long as it does. timeline__free
 * accepts NULL. Functions return 0 or -errno; timeline__load's failures
 * are logged (by the layers it reads with, or here for an empty series).
 */
#ifndef SEEP_TIMELINE_H
#define SEEP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/report.h"
#include "snapshot/stacktab.h"

struct timeline;

/* Reads the series in DIR and ranks it: -ENOENT if DIR is not a series or
 * has no snapshots, a reader's error for a snapshot it cannot read. */
int timeline__load(const char *dir, struct timeline **out);

/* An empty timeline, to add reports to; NULL if out of memory. */
struct timeline *timeline__new(void);
/* Appends the snapshot R (moved in: *R is left empty), read from PATH (may
 * be NULL). -EBUSY once ranked. */
int timeline__add(struct timeline *t, struct report *r, const char *path);
/* Lines the snapshots' stacks up and ranks them; -ENOENT with no
 * snapshot. Once ranked, nothing more can be added. */
int timeline__rank(struct timeline *t);
void timeline__free(struct timeline *t);

/* --- a ranked timeline --- */

size_t timeline__snapshots(const struct timeline *t);
const struct report *timeline__snapshot(const struct timeline *t, size_t i);
/* The path snapshot I was read from ("" if none was given). */
const char *timeline__path(const struct timeline *t, size_t i);
/* Seconds from the first snapshot to snapshot I. */
double timeline__elapsed(const struct timeline *t, size_t i);
/* Distinct stacks over the whole series. */
size_t timeline__stacks(const struct timeline *t);
/* The K-th stack by growth (K < timeline__stacks): its frames and its live
 * bytes and objects in each snapshot. */
const struct stacktab_row *timeline__ranked(const struct timeline *t, size_t k);
/* The growth of the K-th stack by growth, in bytes. */
int64_t timeline__growth(const struct timeline *t, size_t k);
/* In how many of the intervals between snapshots the K-th stack grew. */
size_t timeline__grew(const struct timeline *t, size_t k);

#endif
