#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "snapshot/sampling.h"

Test(sampling, exact_when_not_sampling)
{
	for (uint64_t mean = 0; mean <= 1; mean++) {
		struct sample_weight w = sampling__weight(4096, mean);

		cr_assert_eq(w.p, 1);
		cr_assert_eq(w.bytes, 4096);
		cr_assert_eq(w.count, 1);
		cr_assert_eq(w.var_bytes, 0);
	}
}

Test(sampling, horvitz_thompson_weights)
{
	struct sample_weight small = sampling__weight(64, 524288);
	struct sample_weight big = sampling__weight(64 << 20, 524288);

	cr_assert_float_eq(small.p, 1 - exp(-64.0 / 524288), 1e-15);
	cr_assert_float_eq(small.bytes * small.p, 64, 1e-9);
	/* a small block stands for about the mean plus half its size */
	cr_assert_float_eq(small.bytes, 524288 + 32, 1);
	/* a block far larger than the mean is sampled for sure */
	cr_assert_float_eq(big.p, 1, 1e-12);
	cr_assert_float_eq(big.bytes, 64 << 20, 1e-3);
	cr_assert_float_eq(big.var_bytes, 0, 1e-3);
	cr_assert_gt(sampling__weight(0, 4096).count, 1, "0-byte blocks still count");
}

/* The estimator is unbiased: simulate the BPF sampler (exponential gaps)
 * over a known workload and compare. */
Test(sampling, simulated_estimate_within_uncertainty)
{
	const uint64_t R = 65536, size = 1000, n = 200000;
	double left, est = 0, var = 0;

	srand48(42);
	left = -log(drand48()) * R;
	for (uint64_t i = 0; i < n; i++) {
		left -= (double)size;
		if (left > 0)
			continue;
		left = -log(drand48()) * R;
		struct sample_weight w = sampling__weight(size, R);

		est += w.bytes;
		var += w.var_bytes;
	}
	cr_assert_lt(fabs(est - (double)(n * size)), 4 * sqrt(var), "estimate %.0f, exact %lu, sd %.0f",
		     est, (unsigned long)(n * size), sqrt(var));
}
