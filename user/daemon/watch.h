/* watch — one watched memory series (a process's or a component's) and
 * the tier-1 verdict on it.
 *
 * The series is a ring of the last CAP samples; its arrays grow with it
 * (16, 32, ... up to CAP), so a short-lived process costs a few hundred
 * bytes, not CAP's 8 bytes a sample. A sample is kept in single
 * precision: its time as seconds after the series' first sample (to 1/16 s
 * for 6 days, to 1 s for 194), its value to 1 part in 16 million (64 bytes
 * of a GiB), far below what the detectors resolve at the daemon's
 * intervals; half the memory of doubles, which matters with a series per
 * process. watch__judge() runs the
 * configured detectors (detect/detect.h) on it at the daemon's resolution:
 * sample i is placed at i * scale_s detector seconds, so every duration
 * the detectors know (the 5-minute step, 6 h trends, a 24 h window, 7 days
 * to the threshold) is counted in samples as if one sample were scale_s
 * seconds; results are mapped back to wall-clock times and real rates.
 * The first detector that finds a leak gives the verdict.
 * Ownership: the watch owns its arrays; watch__release() accepts a zeroed
 * struct. Functions return 0 or -errno.
 */
#ifndef SEEP_DAEMON_WATCH_H
#define SEEP_DAEMON_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/detect.h"

struct watch {
	float *t, *v;		/* ring: wall seconds after t0, bytes */
	double t0;		/* wall time of the first sample */
	size_t cap, n, head;	/* head: where the next sample goes */
	size_t alloc;		/* allocated samples, <= cap; == cap once it wraps */
};

struct watch_params {
	const enum detect_algo *algos;
	size_t nalgos;
	double scale_s;		/* detector seconds per sample */
	double interval_s;	/* wall seconds per sample */
	double threshold;	/* U, bytes */
	size_t min_samples;
};

struct watch_verdict {
	bool judged;		/* enough samples */
	bool leak;
	enum detect_algo algo;
	enum detect_pattern pattern;
	double from_s, to_s;	/* wall time of the window */
	double slope_bytes_per_s;
	double r2;
	double time_to_threshold_s;	/* wall seconds, INFINITY when never */
};

int watch__init(struct watch *w, size_t cap);
void watch__release(struct watch *w);
/* 0 or -ENOMEM (the sample is then not added). */
int watch__push(struct watch *w, double t, double v);
size_t watch__len(const struct watch *w);
double watch__last(const struct watch *w);
/* The smallest value of the samples at T or later (0 if none). */
double watch__min_since(const struct watch *w, double t);
int watch__judge(const struct watch *w, const struct watch_params *p, struct watch_verdict *out);

#endif
