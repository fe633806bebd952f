/* contrast_search — finding the contrast patterns that maximise an objective.
 *
 * contrast_search__run is CONAN's meta-heuristic (paper Sec. IV-B): a walk
 * over patterns that starts at the empty pattern and at each step applies
 * ADD (an AVP of an attribute not yet in the pattern) or DEL (one of its
 * AVPs), chosen at random; ADD only while shorter than max_len, DEL only when
 * not empty. ADD picks its AVP with BMS (best from multiple selections): the
 * bms_k best AVPs by the per-AVP score table f({AVP}), computed once, among
 * those allowed, sampled with probability proportional to their score
 * (shifted to be positive when needed). DEL draws the AVP to remove the
 * other way round, the lower its score the likelier (the paper leaves the
 * choice open; this keeps a strong core while weak members rotate). AVPs
 * added or deleted recently are tabu for tabu_size steps; attributes related by the hierarchy never share
 * a pattern; an ADD whose pattern covers fewer than min_count target
 * instances is undone (the paper's caveat: a pattern needs enough instances
 * to be significant; percentiles of a handful of rows are noise). Every
 * pattern reached is offered to the best-patterns list L_c. The walk stops
 * statically (max_steps, time_limit) or dynamically (L_c unchanged for
 * patience steps). Scores of patterns already seen come from a cache.
 * The same data, objective and seed give the same result.
 *
 * contrast_search__exhaustive scores every pattern up to max_len (<= 3 is
 * practical) with the same rules (distinct, hierarchy-unrelated attributes,
 * at least min_count target instances): depth-first, partitioning the
 * rows of each pattern by the values of each later attribute, so each level
 * costs one pass over the rows per attribute. It is the reference the
 * meta-heuristic is checked against.
 *
 * Both fill a caller-owned contrast_top; the caller keeps ownership of data,
 * objective and hierarchy. Errors: 0 or -errno.
 */
#ifndef SEEP_CONTRAST_SEARCH_H
#define SEEP_CONTRAST_SEARCH_H

#include <stdint.h>

#include "contrast/contrast.h"

struct hierarchy;

struct contrast_search_opts {
	unsigned max_len;        /* longest pattern (1..CONTRAST_MAX_LEN) */
	unsigned bms_k;          /* BMS: sample among this many best AVPs */
	unsigned tabu_size;      /* steps an added/deleted AVP stays tabu */
	double p_add;            /* chance of ADD when both moves are possible */
	uint64_t max_steps;      /* static stop: steps (0 = no limit) */
	double time_limit;       /* static stop: seconds (0 = no limit) */
	uint64_t patience;       /* dynamic stop: steps without an L_c update (0 = off) */
	uint64_t min_count;      /* least target instances a pattern covers (>= 1) */
	uint64_t seed;
	const struct hierarchy *hier;   /* may be NULL */
};

struct contrast_search_stats {
	uint64_t steps;          /* moves made (meta-heuristic) */
	uint64_t evaluations;    /* patterns scored on the data, score table included */
	uint64_t cache_hits;     /* patterns scored from the cache */
	double seconds;
};

/* Defaults: max_len 4, bms_k 5, tabu 8, p_add 0.5, 200000 steps, patience
 * 20000, min_count 1, seed 1. */
void contrast_search__defaults(struct contrast_search_opts *o);

/* -EINVAL if max_len is out of range or no stop criterion is set. */
int contrast_search__run(const struct contrast_data *d, const struct contrast_objective *obj,
			 const struct contrast_search_opts *o, struct contrast_top *out,
			 struct contrast_search_stats *stats);

/* Uses max_len, min_count and hier from O. */
int contrast_search__exhaustive(const struct contrast_data *d,
				const struct contrast_objective *obj,
				const struct contrast_search_opts *o, struct contrast_top *out,
				struct contrast_search_stats *stats);

#endif
