/* robust — order statistics and noise estimates that outliers do not move.
 *
 * robust__kth() and robust__median() select in expected O(n) (quickselect)
 * and reorder the caller's array. robust__diff_noise() is the one noise
 * estimate of the detectors, the pattern classes and the evaluation: the
 * robust sd (1.4826 · MAD) of the lag-L differences v[i + L] - v[i]. A
 * linear trend only moves their median, which is removed (and handed back:
 * what the series typically moves over L samples), so the estimate is the
 * noise around any trend; a step or a spike touches only L of the
 * differences, and a restart one, so they do not inflate it either.
 *
 * For white noise of sd σ the lag differences have sd σ·√2: divide by √2
 * for the per-sample noise (robust__diff_noise does not).
 *
 * Pure computation; the only allocation is a scratch copy, freed before
 * return (on failure the estimate is 0).
 */
#ifndef SEEP_ROBUST_H
#define SEEP_ROBUST_H

#include <stddef.h>

/* The k-th smallest of a[0, n) (0-based, k < n; reorders A). */
double robust__kth(double *a, size_t n, size_t k);

/* The median of a[0, n) (the mean of the two middle values when n is even;
 * 0 when n is 0; reorders A). */
double robust__median(double *a, size_t n);

/* 1.4826 · MAD of v[i + LAG] - v[i] for i in [0, n - LAG), LAG >= 1; the
 * differences' median goes to *TREND when TREND is not NULL. 0 (and a
 * trend of 0) under 3 differences. */
double robust__diff_noise(const double *v, size_t n, size_t lag, double *trend);

#endif
