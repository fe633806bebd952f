/* linfit — least-squares lines over windows of a uniformly sampled series in
 * O(1) per window, and the change-point detector (CPD) of Jindal et al.
 *
 * linfit__init() builds prefix sums of y, y² and i·y (y taken relative to the
 * first sample, which keeps the sums well conditioned); linfit__fit() then
 * fits y = a + b·x on any window [from, to) with x the offset from `from`,
 * so a scan over every window length (LBR) is linear in the series length.
 *
 * R² follows the usual definition 1 - SSres/SStot; a window whose values are
 * all equal has R² = 1 when the fit is exact (slope 0), as scikit-learn's
 * r2_score does.
 *
 * Ownership: struct linfit owns its prefix arrays (linfit__release frees
 * them; a zeroed struct is fine). linfit__cpd returns a malloc'ed array the
 * caller frees.
 */
#ifndef SEEP_LINFIT_H
#define SEEP_LINFIT_H

#include <stddef.h>

struct linfit {
	double *sy, *syy, *sxy;	/* prefix sums, n + 1 entries */
	double ref;		/* subtracted from every y */
	size_t n;
};

struct line {
	double intercept;	/* fitted value at the window's first sample */
	double slope;		/* per sample */
	double r2;
	size_t from, to;	/* the window [from, to) */
};

int linfit__init(struct linfit *lf, const double *y, size_t n);
void linfit__release(struct linfit *lf);

/* Fits [from, to); needs to - from >= 2. Returns 0 or -EINVAL. */
int linfit__fit(const struct linfit *lf, size_t from, size_t to, struct line *out);

/* Residual sum of squares of the best line on [from, to), its slope per
 * sample in *SLOPE (0 and 0 for fewer than 2 samples). */
double linfit__sse(const struct linfit *lf, size_t from, size_t to, double *slope);

/* Mean of y over [from, to); needs from < to. */
double linfit__mean(const struct linfit *lf, size_t from, size_t to);

/* Fitted value at the window's last sample. */
double line__end_value(const struct line *l);

/* Samples until the line reaches THRESHOLD after the window's last sample:
 * 0 if it is already there, INFINITY if the slope is not positive. */
double line__samples_to(const struct line *l, double threshold);

/* Change points (Jindal et al., algorithm 2): indexes i + 1 where the z-score
 * of |y[i+1] - y[i]| exceeds Z, thinned so that consecutive points, and the
 * series' ends, are at least MIN_DIST samples apart (the earlier point wins).
 * The result always starts with 0 and ends with n: segments are
 * [P[k], P[k+1]). *np receives the count (>= 2 when n > 0). */
int linfit__cpd(const double *y, size_t n, double z, size_t min_dist,
		size_t **points, size_t *np);

#endif
