/* pivot — RESIN's bucketization-pivot over the instances of one component.
 *
 * A component (an executable build, a systemd unit, a cgroup, a comm) runs
 * as several instances (processes here; hosts in a fleet). Each sample
 * turns the instances' raw usage into a histogram: how many instances sit
 * in each usage bucket. Buckets double from params.base: bucket 0 holds
 * usage below base, bucket b in [base·2^(b-1), base·2^b), the last one
 * everything above. The component's history is then one small series per
 * bucket (instance counts), which tolerates noise in any one instance and
 * costs the same for 1 or 10,000 instances.
 *
 * pivot__evaluate() compares, per bucket, the recent quarter of the window
 * with the baseline (the older half): z = (recent mean - baseline mean) /
 * max(baseline std, std_floor). A bucket is anomalous when z >= z_min, it
 * holds an instance now, and it lies above the baseline's median bucket
 * (instances moved up into it: growth, not shrinkage). Its score is
 * z · (b + 1) / nbuckets: the higher the bucket, the worse; z has no upper
 * bound (a flat baseline divides by std_floor), so its severity is the
 * score clamped to [0, 1]. The worst bucket is the one of the highest
 * score, and the component's severity is its severity (in [0, 1]).
 *
 * Invariants: the window holds the last min(n, params.window) samples;
 * per sample, the bucket counts sum to that sample's instance count.
 * Pure computation; the pivot owns its arrays, pivot__release() frees them
 * (and accepts a zeroed struct). Functions return 0 or -errno.
 */
#ifndef SEEP_PIVOT_H
#define SEEP_PIVOT_H

#include <stddef.h>
#include <stdint.h>

#define PIVOT_MAX_BUCKETS 48

struct pivot_params {
	double base;		/* upper edge of bucket 0, in the values' unit (1 MiB) */
	unsigned nbuckets;	/* 2..PIVOT_MAX_BUCKETS (24: up to 4 TiB from 1 MiB) */
	size_t window;		/* samples kept (>= 8; default 64) */
	double z_min;		/* default 3 */
	double std_floor;	/* instances (default 0.25) */
};

void pivot_params__init(struct pivot_params *p);

struct pivot {
	struct pivot_params params;
	uint32_t *counts;	/* window x nbuckets ring, oldest at head once full */
	uint32_t *total;	/* instances per sample (ring) */
	double *t;		/* sample times (ring) */
	size_t n;		/* samples added in all */
	size_t head;		/* ring slot of the next sample */
};

int pivot__init(struct pivot *p, const struct pivot_params *params);
void pivot__release(struct pivot *p);

/* Bucket of a value under PARAMS. */
unsigned pivot__bucket(const struct pivot_params *params, double value);
/* Lower and upper edge of bucket B (the upper edge of the last is INFINITY). */
void pivot__bucket_range(const struct pivot_params *params, unsigned b, double *lo, double *hi);

/* One sample at time T: the usage of the N instances alive then. */
int pivot__add(struct pivot *p, double t, const double *values, size_t n);

/* Count of bucket B in the I-th sample of the window (0 = oldest). */
uint32_t pivot__count(const struct pivot *p, size_t i, unsigned b);
size_t pivot__len(const struct pivot *p);

struct pivot_bucket {
	double lo, hi;		/* the bucket's edges */
	double baseline, sd;	/* mean and std of its count over the baseline */
	double recent;		/* mean count over the recent quarter */
	double z;
	double score;		/* z · (b + 1) / nbuckets: unbounded, ranks the buckets */
	double severity;	/* min(1, score) */
	int anomalous;
};

struct pivot_verdict {
	int ready;		/* enough samples to judge (window / 2) */
	int anomalous;
	double severity;	/* the worst bucket's, in [0, 1]; 0 when none is anomalous */
	unsigned worst;		/* that bucket */
	double instances;	/* mean instance count over the recent quarter */
	unsigned nbuckets;
	struct pivot_bucket buckets[PIVOT_MAX_BUCKETS];
};

int pivot__evaluate(const struct pivot *p, struct pivot_verdict *v);

#endif
