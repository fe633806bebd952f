/* consolidate — removing redundant patterns from a best-patterns list.
 *
 * CONAN (paper Sec. IV-C): two patterns are redundant when one describes a
 * subset of the other's instances by construction, either because its AVPs
 * are a superset ({App=APP1, APIVersion=V1} vs {APIVersion=V1}) or because a
 * hierarchy chain puts its AVPs under the other's ({Node=n7} vs {Rack=r2}
 * when n7 is in r2). When two such patterns have comparable scores, only the
 * one covering fewer instances (the more specific) is kept: it points closer
 * to the root cause. Scores are comparable when they differ by at most
 * TOLERANCE times the larger absolute score.
 *
 * Works in place on the list; order is preserved. Errors: 0 or -errno.
 */
#ifndef SEEP_CONSOLIDATE_H
#define SEEP_CONSOLIDATE_H

#include <stdbool.h>

struct contrast_data;
struct contrast_pattern;
struct contrast_top;
struct hierarchy;

#define CONSOLIDATE_TOLERANCE 0.05

/* True if SPEC's instances are, by construction, a subset of GEN's: every
 * AVP of GEN is in SPEC or lies above one of SPEC's AVPs. H may be NULL. */
bool consolidate__more_specific(const struct hierarchy *h, const struct contrast_pattern *spec,
				const struct contrast_pattern *gen);

int consolidate__run(const struct hierarchy *h, double tolerance, struct contrast_top *top);

#endif
