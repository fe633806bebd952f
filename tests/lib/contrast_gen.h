/* contrast_gen — synthetic CONAN data sets with planted contrast patterns.
 *
 * Models the paper's safe-deployment scenario as memory-leak diagnosis: each
 * combination of App, APIVersion, Node, Rack, Datacenter and noise
 * attributes Noise1..NoiseK is a group of processes; its instances split into
 * "leak" (target) and "ok" (background). Node -> Rack -> Datacenter and
 * Node -> APIVersion hold by construction. Instances that match every planted
 * AVP leak at planted_rate, all others at base_rate.
 *
 * With metric set, each (combination, class) is further split into up to
 * three rows with a latency each, drawn from 10..100 (normal) or 200..400
 * (target instances matching the planted pattern): a performance data set.
 *
 * Output: aggregated rows (one per combination and class, with a count),
 * either through a callback or as a CSV file with the header
 * Status,Count[,Latency],App,APIVersion,Node,Rack,Datacenter,Noise1..NoiseK.
 * Deterministic for a seed.
 */
#ifndef SEEP_TEST_CONTRAST_GEN_H
#define SEEP_TEST_CONTRAST_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_NOISE 16
#define GEN_NFIXED 5          /* App, APIVersion, Node, Rack, Datacenter */

struct gen_spec {
	uint64_t seed;
	size_t ncombos;           /* combinations drawn (rows ~ 2x) */
	unsigned mean_count;      /* mean instances per combination */
	unsigned napps, nversions, nnodes, nodes_per_rack, racks_per_dc;
	unsigned nnoise, noise_values;
	char planted[4][2][32];      /* {attribute, value}, up to 4: gen_spec__plant */
	size_t nplanted;
	double base_rate, planted_rate;
	bool metric;
};

/* A spec with sensible defaults: 20 apps, 5 versions, 200 nodes, 10 per
 * rack, 4 racks per DC, 4 noise attributes of 6 values, rates 2% / 40%. */
void gen_spec__defaults(struct gen_spec *s, size_t ncombos, uint64_t seed);

/* Plants ITEM, "Attribute=Value". -EINVAL if malformed or too long, -E2BIG
 * when four are planted already. */
int gen_spec__plant(struct gen_spec *s, const char *item);

/* Column names, in order; NULL-terminated, static storage per spec. */
size_t gen_spec__columns(const struct gen_spec *s, const char **names, size_t max);

typedef int (*gen_row_fn)(const char *const *values, int target, uint64_t count,
			  double metric, void *ctx);

/* Calls ROW for every generated row: VALUES are the attribute values (the
 * columns after Status and Count). Stops at the first non-zero return. */
int gen__rows(const struct gen_spec *s, gen_row_fn row, void *ctx);

/* Writes the CSV to PATH. 0 or -errno. */
int gen__csv(const struct gen_spec *s, const char *path);

#endif
