/* fleet — cross-host leak detection over a fleet's process series
 * (fleetset.h), RESIN's way: per component, across hosts, then per process.
 *
 * 1. Order: chunks are sorted by (component, host, comm, pid, other
 *    labels, first sample), with every label compared through its rank in
 *    the sorted list of all names (numbers in numeric order), so the result
 *    depends on the data, never on the order it came in or on hashing.
 *    Chunks of one key are one process (their samples joined, sorted,
 *    equal times merged).
 * 2. Grid: the union of all samples' span at STEP (params.step_s, else the
 *    median over processes of their mean sample interval, at least 1 s);
 *    a process's value at a grid time is its last sample at most step/2
 *    later and at most 2 steps earlier (else it is absent then).
 * 3. Pivot (detect/pivot.h): per component, the instances are its hosts;
 *    a host's value at a grid time is the sum of its processes' values. The
 *    pivot's window is the whole grid (at least 8 points), so the baseline
 *    is the older half of the range and the recent quarter its end.
 * 4. Detectors (detect/detect.h, parameters derived from each series'
 *    span, threshold params.threshold bytes): on every process of a
 *    component whose pivot is anomalous (every component without the
 *    gate). A process the detector calls a leak is a suspect, with
 *    severity min(1, 3/4 · C/(C + time to threshold) + 1/4 · min(pivot, 1))
 *    (C = 7 days): the daemon's formula.
 * 5. Rank: severity descending, then component, host, comm, pid ranks,
 *    growth window start, and the process's place in the order of 1.
 *    (processes told apart only by other labels): a total order.
 *
 * Components go to params.threads threads (at most 64), each taking the
 * next one left when it is free; each writes only its own slots and the
 * ranking is a total order, so the result does not depend on the threads.
 * Ownership: the report owns its arrays; its strings belong to the set and
 * live as long as it does. fleet_report__release() accepts a zeroed
 * report. Functions return 0 or -errno.
 */
#ifndef SEEP_FLEET_FLEET_H
#define SEEP_FLEET_FLEET_H

#include <stddef.h>

#include "detect/detect.h"
#include "detect/pivot.h"
#include "fleet/fleetset.h"

struct fleet_params {
	double threshold;	/* U, bytes (default 8 GiB) */
	double step_s;		/* grid step; 0: from the data */
	struct pivot_params pivot;	/* window: set from the grid */
	enum detect_algo algo;	/* default seep's */
	int gate;		/* detectors only where the pivot is anomalous (default 1) */
	unsigned threads;	/* default 1 */
};

void fleet_params__init(struct fleet_params *p);

struct fleet_suspect {
	const char *host, *component, *comm, *pid;
	enum detect_pattern pattern;
	double severity, pivot_severity;
	double slope_bytes_per_s, r2;
	double bytes;			/* the process's last value */
	double time_to_threshold_s;	/* INFINITY when never */
	double from_s, to_s;		/* the growth window */
	size_t rank;			/* of its process in the sorted order (1.) */
};

struct fleet_component {
	const char *component;
	size_t hosts, processes, suspects;
	int ready, anomalous;
	double severity;		/* the pivot's */
	double lo, hi, z;		/* its worst bucket */
	double instances;		/* hosts in the recent quarter, on average */
};

struct fleet_report {
	struct fleet_suspect *suspects;
	size_t nsuspects;
	struct fleet_component *components;	/* by name */
	size_t ncomponents;
	size_t chunks, processes, hosts, samples, judged;
	size_t labels_cut;			/* the set's: series whose extra labels were cut */
	double start, end, step;		/* the grid */
};

int fleet__analyse(const struct fleet_set *s, const struct fleet_params *p,
		   struct fleet_report *out);
void fleet_report__release(struct fleet_report *r);

/* The rank order of names: digit strings by value, before other strings,
 * which are in strcmp order. */
int fleet__name_cmp(const char *a, const char *b);

#endif
