/* stacktab — the stacks of several reports lined up: one row per distinct
 * stack, one column per report (live bytes and objects).
 *
 * Stacks are the same when their frames are: function, source file and
 * line, or module base name and offset for a frame without a function.
 * Addresses are left out, so stacks match across runs (ASLR) and between a
 * process's successive snapshots. Stacks of one report that are the same
 * are summed.
 * Invariants: for each column, the sum of rows' bytes is the sum of the
 * report's stacks' bytes; rows come in order of first appearance.
 * Ownership: rows point at the stacks of the reports added (the first
 * seen): the reports must outlive the table. stacktab__free accepts NULL.
 */
#ifndef SEEP_STACKTAB_H
#define SEEP_STACKTAB_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/report.h"

struct stacktab_row {
	const struct report_stack *stack;  /* frames to show the row with */
	uint64_t *bytes, *count;           /* [ncols]; 0 where absent */
};

struct stacktab;

struct stacktab *stacktab__new(size_t ncols);
void stacktab__free(struct stacktab *t);
/* Adds every stack of R to column COL. */
int stacktab__add(struct stacktab *t, size_t col, const struct report *r);
size_t stacktab__rows(const struct stacktab *t);
struct stacktab_row *stacktab__row(struct stacktab *t, size_t i);

#endif
