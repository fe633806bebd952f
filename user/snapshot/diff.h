/* diff — per-stack heap growth between two snapshots.
 *
 * Lines the stacks of a base and a new report up (see stacktab.h: stacks
 * match by function, file and line, not by address) and gives each its
 * growth in live bytes and objects. Rows are sorted by growth in bytes,
 * largest first, then growth in objects, then new bytes; stacks that only
 * shrank come last. Renderings: text, JSON (one object), folded (the
 * stacks that grew, by bytes grown: a flame graph of the growth).
 * Invariant: sum of rows' delta_bytes == new total - base total.
 * Ownership: a diff points into the two reports, which must outlive it;
 * diff__release() frees what the diff owns.
 */
#ifndef SEEP_DIFF_H
#define SEEP_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot/report.h"

struct diff_row {
	const struct report_stack *stack;   /* the new report's, else the base's */
	uint64_t base_bytes, base_count, new_bytes, new_count;
	int64_t delta_bytes, delta_count;
};

struct diff {
	const struct report *base, *new;
	const char *base_name, *new_name;   /* file names to show; may be NULL */
	struct diff_row *rows;
	size_t n;
	int64_t delta_bytes, delta_count;
};

int diff__compute(const struct report *base, const struct report *new, struct diff *out);
void diff__release(struct diff *d);

/* TOP: rows shown (0 = all). */
int diff__write_text(const struct diff *d, size_t top, FILE *out);
int diff__write_json(const struct diff *d, size_t top, FILE *out);
int diff__write_folded(const struct diff *d, FILE *out);

#endif
