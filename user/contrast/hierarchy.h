/* hierarchy — attribute hierarchy chains mined from contrast data.
 *
 * Attribute A is below attribute B (written A -> B, e.g. Node -> Rack ->
 * Datacenter) when every value of A occurs with exactly one value of B in
 * the data (a functional dependency) and B has fewer values than A (one B
 * holds many A). When A and B determine each other one to one (aliases), the
 * attribute earlier in the column order is taken as the lower one, so the
 * relation stays acyclic. Attributes with a single value are left out: they
 * sit above everything and say nothing.
 *
 * The relation is transitive by construction. Chains are the maximal paths of
 * its transitive reduction, from a lowest attribute to a highest one.
 * The search (contrast_search) never puts two related attributes in one
 * pattern, and consolidation (consolidate) uses the value map to see that
 * {Node=n7} is more specific than {Rack=r2}.
 *
 * Ownership: the hierarchy owns its arrays; it does not keep a reference to
 * the data. Errors: 0 or -errno.
 */
#ifndef SEEP_HIERARCHY_H
#define SEEP_HIERARCHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct contrast_data;
struct hierarchy;

#define HIERARCHY_MAX_CHAINS 64

int hierarchy__mine(const struct contrast_data *d, struct hierarchy **out);
void hierarchy__free(struct hierarchy *h);

/* True if LOW -> HIGH (directly or through other attributes). */
bool hierarchy__below(const struct hierarchy *h, uint32_t low, uint32_t high);
/* True if A -> B or B -> A. */
bool hierarchy__related(const struct hierarchy *h, uint32_t a, uint32_t b);
/* The AVP of attribute HIGH that the AVP LOW_AVP lies under, or
 * CONTRAST_NONE when attr(LOW_AVP) is not below HIGH. */
uint32_t hierarchy__parent(const struct hierarchy *h, uint32_t low_avp, uint32_t high);

/* Attribute of AVP, from the hierarchy's copy of the data's AVP table. */
uint32_t hierarchy__avp_attr(const struct hierarchy *h, uint32_t avp);

/* Chains, each a list of attribute indices from low to high. */
size_t hierarchy__nchains(const struct hierarchy *h);
const uint32_t *hierarchy__chain(const struct hierarchy *h, size_t i, size_t *len);

#endif
