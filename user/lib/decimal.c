/* decimal — strtod with a fast exact path; see decimal.h. */
#include "lib/decimal.h"

#include <stdint.h>
#include <stdlib.h>

/* Powers of ten that are exact doubles (10^22 < 2^53 * 2^22 is the last). */
static const double exact_pow10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define MANT_MAX (UINT64_C(1) << 53)

static inline int _digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int _space(char c)
{
	return c == ' ' || (unsigned)(c - '\t') < 5;	/* \t \n \v \f \r */
}

int decimal__exact(uint64_t m, int e10, double *out)
{
	if (m > MANT_MAX)
		return 0;
	if (!m) {
		*out = 0;
	} else if (e10 >= 0 && e10 <= 22) {
		*out = (double)m * exact_pow10[e10];
	} else if (e10 < 0 && e10 >= -22) {
		*out = (double)m / exact_pow10[-e10];
	} else if (e10 > 22 && e10 <= 22 + 15) {
		/* move the excess power into the mantissa while it stays exact */
		for (int k = e10 - 22; k > 0; k--) {
			if (m > MANT_MAX / 10)
				return 0;
			m *= 10;
		}
		*out = (double)m * 1e22;
	} else {
		return 0;
	}
	return 1;
}

double decimal__strtod(const char *s, char **end)
{
	const char *p = s;
	uint64_t m = 0;
	int sig = 0, any = 0, neg, e10 = 0;
	double v;

	while (_space(*p))
		p++;
	neg = *p == '-';
	p += neg || *p == '+';
	/* the integer digits; leading zeros are not significant */
	while (*p == '0') {
		p++;
		any = 1;
	}
	for (; _digit(*p); p++, any = 1) {
		if (++sig > 19)
			return strtod(s, end);
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		const char *q = ++p;

		if (!sig)
			while (*p == '0')
				p++;
		for (; _digit(*p); p++) {
			if (++sig > 19)
				return strtod(s, end);
			m = m * 10 + (uint64_t)(*p - '0');
		}
		any |= p > q;
		e10 = -(int)(p - q);
	}
	/* "0x..." is hexadecimal for strtod; "", ".", "inf", "nan": not ours */
	if (!any || *p == 'x' || *p == 'X')
		return strtod(s, end);
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;
		int eneg = *q == '-', x = 0;

		q += eneg || *q == '+';
		if (_digit(*q)) {
			for (; _digit(*q); q++)
				if ((x = x * 10 + (*q - '0')) > 1000)
					return strtod(s, end);
			e10 += eneg ? -x : x;
			p = q;
		}
		/* else "1e" or "1e+": the number ends before the 'e' */
	}
	if (!decimal__exact(m, e10, &v))
		return strtod(s, end);
	if (end)
		*end = (char *)p;
	return neg ? -v : v;
}
