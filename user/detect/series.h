/* series — a memory series (timestamp, value) and its pre-processing.
 *
 * A series is two parallel arrays: t[] in epoch seconds, strictly increasing
 * once loaded, and v[] the values (percent, bytes: the unit is the caller's).
 * Pre-processing as in Jindal et al.: resample to a fixed resolution (mean of
 * the samples in each bin, empty bins filled by linear interpolation), then a
 * trailing median over a window.
 *
 * Loading (series__load) reads `timestamp,value` CSV (plain or gzip, through
 * csv): the header is optional; the timestamp is epoch seconds or ISO-8601
 * (`2018-01-01 00:05:00`, `2018-01-01T00:05:00Z`, `...+02:00`); epoch
 * milliseconds, microseconds and nanoseconds are told by magnitude; rows may come
 * in any order and are sorted; rows with the same timestamp are merged into
 * their mean; empty/`nan`/`NA` values are missing samples, skipped and
 * counted. A value or timestamp that is neither is an error naming the line,
 * and so are infinities, values beyond 1e18 in magnitude, times beyond 1e12 s
 * from 1970 and a truncated gzip file (denormals like 5e-324 are numbers);
 * messages echo at most 40 bytes of a field.
 *
 * Ownership: a struct series owns its arrays; series__release() frees them
 * (and accepts a zeroed struct). Functions return 0 or -errno; on -EINVAL the
 * load functions write a one-line message into the caller's err buffer.
 */
#ifndef SEEP_SERIES_H
#define SEEP_SERIES_H

#include <stddef.h>

struct series {
	double *t;		/* epoch seconds, strictly increasing */
	double *v;		/* values */
	size_t n;
	double step;		/* resolution in seconds after resampling, else 0 */
};

struct series_load_opts {
	const char *column;	/* value column by header name; NULL: auto */
	size_t missing;		/* out: samples skipped as missing */
	size_t duplicates;	/* out: rows merged into an earlier timestamp */
	int unsorted;		/* out: the input was not in time order */
};

int series__init(struct series *s, size_t n);
void series__release(struct series *s);

/* Loads PATH ("-" for stdin) into S (initialized by the call). */
int series__load(struct series *s, const char *path, struct series_load_opts *opts,
		 char *err, size_t errlen);

/* Parses an epoch (s, ms, µs or ns) or ISO-8601 timestamp into seconds.
 * Returns 0 or -EINVAL. */
int series__parse_time(const char *str, double *out);

/* Sorts by time and merges equal timestamps into their mean. Returns the
 * number of merged rows through *merged (may be NULL). */
int series__normalize(struct series *s, size_t *merged);

/* OUT (initialized by the call) = IN on a grid of STEP seconds aligned to a
 * multiple of STEP; bins hold the mean of their samples; empty bins are
 * linearly interpolated. -E2BIG beyond SERIES_MAX_SAMPLES bins (one stray
 * date looks like that). */
#define SERIES_MAX_SAMPLES 10000000.0
int series__resample(const struct series *in, double step, struct series *out);

/* In place: v[i] = median of v[max(0, i-w+1) .. i] (trailing, partial at the
 * start, like a rolling median with min_periods 1). W <= 1 is a no-op. */
int series__median_smooth(struct series *s, size_t w);

/* The longest interval between consecutive samples, and where it starts
 * (index into S through *at, may be NULL). 0 for fewer than 2 samples. */
double series__max_gap(const struct series *s, size_t *at);

/* Copies v[from, to) (and t) into OUT (initialized by the call). */
int series__slice(const struct series *in, size_t from, size_t to, struct series *out);

#endif
