/* decimal — strtod, fast for the numbers CSV series hold.
 *
 * decimal__strtod(S, END) is strtod(S, END) in the C locale, to the bit:
 * the same double, the same end, errno set to ERANGE exactly when strtod
 * sets it. Most decimals ("66", "-12.5", "1304251200", "3.25e4": at most 19
 * significant digits, a value that is an exact integer below 2^53 times a
 * power of ten that is exact too, 10^-22..10^37) are computed by one
 * correctly rounded multiplication or division (Clinger's fast path); the
 * rest (more digits, large or tiny exponents, hexadecimal, "inf", "nan",
 * no number at all) are strtod's own. Pure: no allocation, no state.
 */
#ifndef SEEP_DECIMAL_H
#define SEEP_DECIMAL_H

#include <stdint.h>

double decimal__strtod(const char *s, char **end);

/* M * 10^E10 into *OUT when one correctly rounded operation gives it
 * exactly (M at most 2^53; 10^-22..10^22, or up to 10^37 with the excess
 * moved into M while it stays exact): 1; else 0 and the caller has to take
 * strtod. The core of decimal__strtod, for scanners of their own grammar
 * (lib/jsonscan). The sign is the caller's. */
int decimal__exact(uint64_t m, int e10, double *out);

#endif
