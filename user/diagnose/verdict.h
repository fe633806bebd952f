/* verdict — is a stack's live memory a leak, a bounded cache or pool, a
 * warm-up, or a transient? Decided from its live bytes over a snapshot
 * series, with the evidence and a confidence. Pure C over plain data.
 *
 * Evidence per stack (struct verdict):
 *  - trend (verdict__trend) over the whole series and over its tail (the
 *    last TAIL_FRAC of the snapshots, at least 4): the Theil-Sen slope
 *    (median of the pairwise slopes, bytes per second) with its
 *    distribution-free confidence interval from Kendall's S, widened to
 *    at least slope +- z * sd where sd is the least-squares slope's
 *    standard deviation under the estimates' known sampling variance
 *    (VAR; with exact values, or none given, the interval rests on the
 *    scatter alone); the least-squares slope and R^2; the one-sided
 *    Mann-Kendall test of an increasing trend (S, z, p; ties corrected).
 *  - shape: growth (last - first), the peak and how far it fell back;
 *    in how many intervals the stack grew.
 *  - age and turnover, where the snapshots carry them: the slope of the
 *    oldest live block's age against time (about 1 when nothing old is
 *    freed: a leak or a warm-up; well below 1 when old blocks are freed:
 *    a cache's live set turns over), and the bytes allocated from the
 *    stack during the tail relative to its live bytes at the end.
 *
 * Decision, in this order (P = struct verdict_params):
 *  transient  the stack fell back from its peak by at least SPIKE_FALL of
 *             its rise, and the fall is beyond the noise (z * the
 *             estimates' and the residuals' standard deviation);
 *  leak       it grew over the whole series and still grows in the tail:
 *             both Mann-Kendall p < ALPHA, the last value above the first
 *             beyond the noise, both intervals' lower bounds > 0, the tail's slope at least KEEP_RATE of the whole
 *             series' (growth that has not died down), and growth of at
 *             least MIN_GROWTH bytes;
 *  bounded    otherwise, if it did not grow (Mann-Kendall p >= ALPHA, or
 *             the last value not above the first beyond the noise), or if
 *             it grew and stopped while its live set turns over (tail
 *             allocations >= TURNOVER of its live bytes, or, without
 *             allocation totals, an age slope below 0.5): a cache or pool;
 *  warm-up    it grew and stopped, and what it holds stays (no turnover).
 * Confidence in [0, 1]: a leak's is (1 - p_all) (1 - p_tail), halved
 * when the age slope says old blocks are freed; a transient's is how far
 * it fell back relative to its rise (at most 1); for bounded and warm-up
 * it is 1 - (the tail interval's upper slope * the series' span) / the
 * live bytes at the end, clamped: how sure it is that another span as
 * long would not grow the stack by as much as it holds.
 *
 * Process level (verdict__process): when the resident memory (RSS) grows
 * significantly and the sampled live heap does not account for at least
 * half of that growth, the growth is "allocator retention or
 * fragmentation", not a leak of the program's.
 *
 * Invariants: n >= 2 snapshots with strictly increasing times; at most
 * VERDICT_MAX_POINTS (the pairwise slopes take O(n^2) memory). Functions
 * return 0 or -errno (-EINVAL for a bad series, -E2BIG, -ENOMEM); nothing
 * is allocated that outlives a call; reason strings are static.
 */
#ifndef SEEP_VERDICT_H
#define SEEP_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#define VERDICT_MAX_POINTS 4096

enum verdict_kind { VERDICT_LEAK, VERDICT_BOUNDED, VERDICT_WARMUP, VERDICT_TRANSIENT };

struct verdict_params {
	double alpha;            /* significance of the trend tests (default 0.01) */
	double tail_frac;        /* the tail: this last fraction of the snapshots (0.5) */
	double keep_rate;        /* a leak's tail slope / whole slope, at least (0.25) */
	double min_growth;       /* bytes a leak grew by, at least (1) */
	double spike_fall;       /* a transient fell back by this fraction of its rise (0.5) */
	double turnover;         /* tail allocations / live bytes for a turning-over set (0.5) */
};

void verdict__defaults(struct verdict_params *p);

/* One stack's series (or the process's); optional arrays may be NULL. */
struct verdict_series {
	size_t n;
	const double *t;           /* seconds, strictly increasing */
	const double *bytes;       /* live bytes (estimates when sampled) */
	const double *var;         /* their sampling variance; NULL: exact */
	const double *oldest_age;  /* seconds, of the oldest live block; NAN where absent */
	const double *alloc_bytes; /* allocated since attach (cumulative) */
};

struct trend {
	size_t n;
	double slope, lo, hi;    /* Theil-Sen, bytes/s, and its interval */
	double ols_slope, r2;    /* least squares */
	double mk_s, mk_z, mk_p; /* Mann-Kendall, one-sided (increase) */
};

struct verdict {
	enum verdict_kind kind;
	double confidence;
	const char *reason;      /* one line of why (static) */
	struct trend all, tail;
	double first, last, peak;  /* live bytes */
	double growth;           /* last - first */
	double rate;             /* a leak's rate, bytes/s (the tail's slope); else 0 */
	double age_slope;        /* NAN without ages */
	double turnover;         /* tail allocations / live at end; NAN without totals */
	size_t grew, intervals;  /* intervals it grew in, of */
};

/* The trend of Y[N] over T[N] (VAR may be NULL) at significance ALPHA. */
int verdict__trend(const double *t, const double *y, const double *var, size_t n,
		   double alpha, struct trend *out);
int verdict__decide(const struct verdict_series *s, const struct verdict_params *p,
		    struct verdict *out);
/* "leak", "bounded", "warm-up", "transient" */
const char *verdict__name(enum verdict_kind k);

/* Seconds until NOW bytes growing at RATE bytes/s reach LIMIT: 0 if
 * already there, INFINITY if RATE <= 0. */
double verdict__time_to(double now, double rate, double limit);

struct process_verdict {
	struct trend heap, rss;  /* rss.n == 0 without an RSS series */
	bool retention;          /* RSS grows, the sampled heap does not explain it */
	const char *reason;      /* static */
};

/* HEAP (with VAR, may be NULL) and RSS (may be NULL) over T[N]. */
int verdict__process(const double *t, const double *heap, const double *var,
		     const double *rss, size_t n, const struct verdict_params *p,
		     struct process_verdict *out);

#endif
