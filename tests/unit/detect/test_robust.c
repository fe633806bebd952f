/* robust: selection, median and the lag-difference noise. */
#include <criterion/criterion.h>
#include <math.h>

#include "detect/robust.h"

Test(robust, kth_matches_sorted_order)
{
	const double src[] = { 5, -1, 3, 3, 9, 0, 7, 2, 8, 3 };
	const double sorted[] = { -1, 0, 2, 3, 3, 3, 5, 7, 8, 9 };
	size_t n = sizeof(src) / sizeof(src[0]);

	for (size_t k = 0; k < n; k++) {
		double a[sizeof(src) / sizeof(src[0])];

		memcpy(a, src, sizeof(a));
		cr_assert_eq(robust__kth(a, n, k), sorted[k], "k %zu", k);
	}
}

Test(robust, median_odd_even_empty)
{
	double odd[] = { 4, 1, 3 }, even[] = { 10, 1, 4, 2 }, one[] = { 7 };

	cr_assert_eq(robust__median(odd, 3), 3);
	cr_assert_eq(robust__median(even, 4), 3);	/* (2 + 4) / 2 */
	cr_assert_eq(robust__median(one, 1), 7);
	cr_assert_eq(robust__median(NULL, 0), 0);
}

/* A line with ±1 alternating noise: lag-1 differences are slope ± 2 (MAD 2),
 * lag-2 ones exactly 2·slope (MAD 0); the trend comes back per lag. */
Test(robust, diff_noise_removes_the_trend)
{
	double v[101], trend = -1;

	for (size_t i = 0; i < 101; i++)
		v[i] = 0.5 * (double)i + (i & 1 ? 1 : -1);
	cr_assert_float_eq(robust__diff_noise(v, 101, 1, &trend), 1.4826 * 2, 1e-9);
	cr_assert_float_eq(trend, 0.5, 1e-9);
	cr_assert_float_eq(robust__diff_noise(v, 101, 2, &trend), 0, 1e-9);
	cr_assert_float_eq(trend, 1.0, 1e-9);
	cr_assert_eq(robust__diff_noise(v, 101, 1, NULL) > 0, 1);
}

/* One step of 50 touches LAG differences only: the noise it reports is
 * that of the series without the step (within a few percent). */
Test(robust, diff_noise_ignores_a_step_and_short_input)
{
	double v[200], w[200], trend = 1;

	for (size_t i = 0; i < 200; i++) {
		w[i] = sin(1.7 * (double)i) + 0.5 * sin(0.31 * (double)(i * i));
		v[i] = w[i] + (i >= 100 ? 50 : 0);
	}
	for (size_t lag = 1; lag <= 4; lag++) {
		double clean = robust__diff_noise(w, 200, lag, NULL);

		cr_assert_gt(clean, 0.5, "lag %zu: %g", lag, clean);
		cr_assert_float_eq(robust__diff_noise(v, 200, lag, NULL), clean, 0.05 * clean,
				   "lag %zu", lag);
	}
	cr_assert_eq(robust__diff_noise(v, 4, 2, &trend), 0);	/* 2 differences */
	cr_assert_eq(trend, 0);
	cr_assert_eq(robust__diff_noise(v, 200, 0, NULL), 0);	/* no lag */
}
