/* stackcontrast — contrast patterns over stacks: which modules,
 * functions, files, call edges and frame paths set the growing memory
 * apart from the rest.
 *
 * Each stack is an instance of the CONAN engine (contrast/) weighted by
 * bytes: a target row (growing allocations) or a background row (the
 * reference), so a pattern's share of a class is the share of its bytes.
 * The attributes of a stack, all taken at its allocating function (the
 * first named frame above the allocator's entry, diagnosis__site):
 *   function  its name ("?" without symbols)
 *   family    the name up to its first '_' after a leading run of them,
 *             or up to its last "::", then '*' ("parse_item" -> "parse_*",
 *             "ns::Cache::put" -> "ns::Cache::*"); the name when neither
 *   call      "caller->function", the caller the next named frame out
 *   file      the source file's base name ("?" without debug info)
 *   module    the base name of the function's module
 *   path1..D  the frame path prefixes: the outermost K frames' names,
 *             outermost first, ';' between them (the whole stack when it
 *             is shorter), D the deepest stack's depth, at most
 *             STACKCONTRAST_MAX_DEPTH; a node of the growth's flame graph
 * (threads and cgroups are not in the snapshots: no attribute for them).
 * Search: every pattern of up to 3 items (2 over more than
 * STACKCONTRAST_ROWS_LEN3 rows: the page a daemon serves stays quick) on hierarchy-unrelated attributes
 * (contrast_search__exhaustive, objective "proportion": target share -
 * reference share), the hierarchy mined from the rows (path(K+1) below
 * path(K), function below family, ...). Then, of patterns that cover the
 * very same bytes of both classes, only the one with fewest items (ties:
 * the earliest attribute, in the order above) stays; then CONAN's
 * consolidation (consolidate.h) keeps the more specific of near-equal
 * patterns, along the frame hierarchy too. The first TOP with a positive
 * score are kept, best first. Each names, besides its items, the
 * function, module and file that every stack it covers shares.
 *
 * Rows from a diagnosis (stackcontrast__from_diagnosis): the target is the
 * growth (last - first live bytes) of the stacks with a leak verdict, or
 * of every stack that grew when none has one; the reference is a
 * fingerprint's stacks (their mean live bytes) when one is given, else
 * the non-growing part (the live bytes at the end of every stack not in
 * the target).
 *
 * Ownership: the result owns its strings (items point into it) and does
 * not keep the rows; stackcontrast__free accepts NULL. Errors: 0 or
 * -errno. An empty target gives an empty result, not an error.
 */
#ifndef SEEP_STACKCONTRAST_H
#define SEEP_STACKCONTRAST_H

#include <stddef.h>
#include <stdint.h>

#include "contrast/contrast.h"
#include "snapshot/report.h"

#define STACKCONTRAST_MAX_DEPTH 16
#define STACKCONTRAST_TOP 5
#define STACKCONTRAST_ROWS_LEN3 2000

struct diagnosis;
struct fingerprint;

struct stackcontrast_row {
	const struct report_stack *stack;
	uint64_t bytes;
	enum contrast_class cls;       /* CONTRAST_TARGET: growing */
};

struct stackcontrast_item {
	const char *attr, *value;
};

struct stackcontrast_pattern {
	size_t nitems, nimplied;
	struct stackcontrast_item items[CONTRAST_MAX_LEN];   /* by attribute order */
	struct stackcontrast_item implied[3];   /* function, module, file it implies */
	double score, target_share, ref_share;
	uint64_t target_bytes, ref_bytes;
};

struct stackcontrast;

int stackcontrast__run(const struct stackcontrast_row *rows, size_t n, size_t top,
		       struct stackcontrast **out);
/* The rows of a diagnosis (and REF, may be NULL) as above, then run. */
int stackcontrast__from_diagnosis(const struct diagnosis *d, struct fingerprint *ref, size_t top,
				  struct stackcontrast **out);
void stackcontrast__free(struct stackcontrast *sc);

size_t stackcontrast__len(const struct stackcontrast *sc);
const struct stackcontrast_pattern *stackcontrast__get(const struct stackcontrast *sc, size_t i);
uint64_t stackcontrast__total(const struct stackcontrast *sc, enum contrast_class cls);
/* What the classes are: "leaks" or "growth"; "reference" or "non-growing stacks"
 * (from_diagnosis), else "target" and "background". */
const char *stackcontrast__target_name(const struct stackcontrast *sc);
const char *stackcontrast__ref_name(const struct stackcontrast *sc);
/* "{function=parse_*, module=libfoo.so}" into BUF (truncated to LEN). */
void stackcontrast__describe(const struct stackcontrast_pattern *p, char *buf, size_t len);

#endif
