/* stackseries — a snapshot series' stacks as per-stack series: for each
 * distinct stack, its live bytes in every snapshot, their sampling
 * variance, the age of its oldest live block and what it allocated since
 * attach; what verdict.h decides on.
 *
 * Stacks are the same when their frames are (stackseries__key: function,
 * file and line; module base name and offset for a frame without a
 * function), so they match across snapshots and across runs. A stack
 * absent from a snapshot holds 0 bytes there, variance 0, age NAN, and the
 * allocation total of the last snapshot that had it (0 before any).
 * Variance: a snapshot that says its sampling rate (report.sample_bytes >
 * 1) gives each stack C s^2 (1 - p) / p with C its estimated blocks, s
 * their mean size and p the chance of one being sampled (sampling.h); an
 * exact snapshot (1), or one that does not say (0), gives 0.
 * Invariants: rows come in order of first appearance; for each snapshot
 * the rows' bytes sum to its stacks' bytes.
 * Ownership: rows point at the stacks of the reports given, which must
 * outlive the set; stackseries__free accepts NULL. Functions return 0 or
 * -errno.
 */
#ifndef SEEP_STACKSERIES_H
#define SEEP_STACKSERIES_H

#include <stddef.h>

#include "snapshot/report.h"

struct stack_series {
	const struct report_stack *stack;  /* frames to show (first seen) */
	char *key;
	double *bytes, *var, *age, *alloc; /* [nsnaps] */
};

struct stackseries;

int stackseries__build(const struct report *const *snaps, size_t n, struct stackseries **out);
void stackseries__free(struct stackseries *s);
size_t stackseries__rows(const struct stackseries *s);
const struct stack_series *stackseries__row(const struct stackseries *s, size_t i);
/* The row of KEY, or -ENOENT. */
long stackseries__find(const struct stackseries *s, const char *key);

/* The stack's identity as text ("fn@file:line;..." innermost first);
 * malloc'd, NULL if out of memory. */
char *stackseries__key(const struct report_stack *st);

#endif
