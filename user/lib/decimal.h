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

double decimal__strtod(const char *s, char **end);

#endif
