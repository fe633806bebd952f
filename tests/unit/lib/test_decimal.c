/* decimal__strtod is strtod to the bit: the same double (compared as bits:
 * -0 is not 0, NaN is NaN), the same end, ERANGE exactly when strtod says
 * it; on a table of edge cases and on random decimals of every shape. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decimal.h"
#include "lib/rng.h"

TestSuite(decimal);

/* Checks S against strtod: value bits, end and errno. */
static void same_as_strtod(const char *s)
{
	char *e1, *e2;
	int err1, err2;
	double a, b;
	uint64_t ba, bb;

	errno = 0;
	a = strtod(s, &e1);
	err1 = errno;
	errno = 0;
	b = decimal__strtod(s, &e2);
	err2 = errno;
	memcpy(&ba, &a, 8);
	memcpy(&bb, &b, 8);
	cr_assert(ba == bb || (a != a && b != b), "'%s': strtod %.17g (%#llx), ours %.17g (%#llx)",
		  s, a, (unsigned long long)ba, b, (unsigned long long)bb);
	cr_assert_eq(e1 - s, e2 - s, "'%s': strtod ends at %td, ours at %td", s, e1 - s, e2 - s);
	cr_assert_eq(err1, err2, "'%s': strtod errno %d, ours %d", s, err1, err2);
}

Test(decimal, edge_cases)
{
	static const char *const cases[] = {
		"0", "-0", "+0", "0.0", "-0.0e5", "00", "0.", ".0", "-.0", "000000000000000000000000",
		"66", "-12", "66.25", "1304251200", "1304251200.5", "1600000000123", " 12",
		"\t-3.5", "\n\v\f\r 7", "1e", "1e+", "1.5e-", "1E5", "1e+05", "2.5E-3", ".5",
		"5.", ".", "-", "+", "", " ", "e5", "-e5", "+-1", "--1", "1.2.3", "1e5e6", "1ee5",
		"inf", "-inf", "+INF", "infinity", "nan", "NaN", "-nan", "nan(123)", "0x1p3",
		"0x", "0X10", "-0x1.8p1", "1_000", "1,5", "12abc", "3.25e4kB",
		"66.000000000000000000000", "000000000000000000000001",
		"0.000000000000000000000000000001", "0.1", "0.2", "0.3", "1e22", "1e23",
		"1e-22", "1e-23", "9007199254740991", "9007199254740992", "9007199254740993",
		"9007199254740993e-5", "4503599627370497.5", "123456789012345678",
		"1234567890123456789", "12345678901234567890", "18446744073709551615",
		"18446744073709551616", "9999999999999999999", "99999999999999999999",
		"9.999999999999999e22", "1e37", "12e36", "123456789e30", "900719925474099e23",
		"900719925474100e23", "1e38", "8.98846567431158e307", "1.7976931348623157e308",
		"1.7976931348623159e308", "1.8e308", "1e309", "-1e309", "1e400", "1e99999",
		"1e-99999", "0e99999", "5e-324", "4.9406564584124654e-324", "2.4e-324",
		"2.5e-324", "1e-400", "2.2250738585072011e-308", "2.2250738585072014e-308",
		"1e-307", "1e-308", "1e-320", "7.2057594037927933e16", "0.1e1", "00000.00001e5",
		"1e0000000000000000000000010", "1e-0000000000000000000000010", "3.", "-3.e2",
		"1.000000000000000000000000000000000000001", "2.220446049250313e-16",
		"123.456e-7", "-987654321.123456789", "1234567890123456789e-19",
		"1234567890123456789e-40", "1e1000", "1e1001", "1e-1001",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_strtod(cases[i]);
}

/* Random decimals: sign, leading blanks and zeros, 1 to 25 digits, a point
 * anywhere (or none), an exponent small or large (or none), and a tail. */
Test(decimal, random_decimals)
{
	uint64_t r = 20261202;
	char s[128];

	for (int n = 0; n < 400000; n++) {
		size_t len = 0;
		int digits = 1 + (int)(rng__next(&r) % 25);
		int point = (int)(rng__next(&r) % (uint64_t)(digits + 2)) - 1;
		uint64_t x = rng__next(&r);

		if (x & 1)
			s[len++] = ' ';
		if (x & 2)
			s[len++] = (x & 4) ? '-' : '+';
		for (int z = (int)((x >> 3) % 4); z > 0 && (x & 32); z--)
			s[len++] = '0';
		for (int d = 0; d < digits; d++) {
			if (d == point)
				s[len++] = '.';
			/* runs of 9s and 0s make the ties and carries */
			uint64_t k = rng__next(&r) % 12;

			s[len++] = k == 10 ? '9' : k == 11 ? '0' : (char)('0' + k);
		}
		if (point == digits)
			s[len++] = '.';
		if (x & 64) {
			int big = (x >> 7) & 1;
			int e = (int)(rng__next(&r) % (big ? 700 : 60)) - (big ? 350 : 30);

			len += (size_t)sprintf(s + len, "%c%d", (x & 256) ? 'E' : 'e', e);
		}
		if (x & 512)
			s[len++] = (x & 1024) ? 'x' : ',';
		s[len] = '\0';
		same_as_strtod(s);
	}
}

/* Every double printed the way series files hold them (%.17g, %g, %.3f)
 * reads back as strtod reads it. */
Test(decimal, printed_doubles)
{
	uint64_t r = 7;
	char s[64];

	for (int n = 0; n < 200000; n++) {
		uint64_t bits = rng__next(&r);
		double v;

		memcpy(&v, &bits, 8);
		if (v != v)
			continue;
		snprintf(s, sizeof(s), "%.17g", v);
		same_as_strtod(s);
		snprintf(s, sizeof(s), "%g", v);
		same_as_strtod(s);
		snprintf(s, sizeof(s), "%.3f", (double)(rng__next(&r) % 100000000) / 7.0);
		same_as_strtod(s);
	}
}
