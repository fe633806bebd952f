#include "snapshot/sampling.h"

#include <math.h>

struct sample_weight sampling__weight(uint64_t size, uint64_t mean)
{
	struct sample_weight w = { .p = 1, .bytes = (double)size, .count = 1, .var_bytes = 0 };
	double s = (double)size;

	if (mean <= 1)
		return w;
	w.p = -expm1(-s / (double)mean);
	if (w.p <= 0)  /* a 0-byte allocation: only ever sampled at a gap's end */
		w.p = 1.0 / (double)mean;
	w.bytes = s / w.p;
	w.count = 1 / w.p;
	w.var_bytes = s * s * (1 - w.p) / (w.p * w.p);
	return w;
}
