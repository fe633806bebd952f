#include "lib/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define VEC_MIN_CAP 16

int vec__reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? *cap : VEC_MIN_CAP, bytes;
	void *p;

	if (n <= *cap)
		return 0;
	if (!elem)
		return -EINVAL;
	while (ncap < n) {
		if (ncap > SIZE_MAX / 2)
			return -EOVERFLOW;
		ncap *= 2;
	}
	if (__builtin_mul_overflow(ncap, elem, &bytes))
		return -EOVERFLOW;
	p = realloc(*v, bytes);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}
