/* parse — option values from text; see parse.h. */
#include "lib/parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Says what was expected in WHY (if any) and returns -EINVAL. */
static int _expected(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int _expected(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A number at the start of S (no leading blank or sign other than '-'),
 * into *V; *END after it. errno is left as it was found. */
static int _number(const char *s, double *v, const char **end)
{
	int saved = errno, bad;
	char *e;

	if (!*s || isspace((unsigned char)*s) || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &e);
	bad = e == s || errno == ERANGE || isnan(*v);
	errno = saved;
	*end = e;
	return bad ? -EINVAL : 0;
}

int parse__seconds(const char *s, double min, double max, double *out, char *why,
		   size_t whylen)
{
	const char *end;
	double v;

	if (_number(s, &v, &end) || *end || !isfinite(v) || v < min || v > max) {
		if (max >= PARSE_SECONDS_MAX)
			return _expected(why, whylen, "expected seconds, at least %g", min);
		return _expected(why, whylen, "expected seconds from %g to %g", min, max);
	}
	*out = v;
	return 0;
}

int parse__duration(const char *s, double max, double *out, char *why, size_t whylen)
{
	static const struct { char unit; double seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	const char *end;
	double v, mult = 0;

	if (!_number(s, &v, &end) && isfinite(v)) {
		if (!*end)
			mult = 1;
		else if (!end[1])
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (*end == units[i].unit)
					mult = units[i].seconds;
	}
	if (mult && v > 0 && isfinite(v * mult) && v * mult <= max) {
		*out = v * mult;
		return 0;
	}
	if (isinf(max))
		return _expected(why, whylen,
				 "expected a duration more than 0 (90, 90s, 15m, 6h, 7d, 2w)");
	return _expected(why, whylen,
			 "expected a duration more than 0 and at most %g s (90, 90s, 15m, 6h)", max);
}

int parse__real(const char *s, double min, double max, double *out, char *why, size_t whylen)
{
	const char *end;
	double v;

	if (_number(s, &v, &end) || *end || !(v >= min && v <= max)) {
		if (isinf(max))
			return _expected(why, whylen, "expected a number, at least %g", min);
		return _expected(why, whylen, "expected a number from %g to %g", min, max);
	}
	*out = v;
	return 0;
}

int parse__count(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
		 size_t whylen)
{
	static const char dec[] = "0123456789", hex[] = "0123456789abcdefABCDEF";
	int saved = errno, base = 10, bad;
	const char *digits = s;
	unsigned long long v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	/* only digits: strtoull would take blanks, a sign or a second 0x */
	bad = !*digits || digits[strspn(digits, base == 16 ? hex : dec)];
	if (!bad) {
		errno = 0;
		v = strtoull(digits, NULL, base);
		bad = errno == ERANGE || v < min || v > max;
	}
	errno = saved;
	if (bad)
		return _expected(why, whylen, "expected an integer from %" PRIu64 " to %" PRIu64,
				 min, max);
	*out = v;
	return 0;
}

int parse__bytes(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
		 size_t whylen)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1024.0 }, { "kib", 1024.0 }, { "kb", 1e3 },
		{ "m", 1048576.0 }, { "mib", 1048576.0 }, { "mb", 1e6 },
		{ "g", 1073741824.0 }, { "gib", 1073741824.0 }, { "gb", 1e9 },
		{ "t", 1099511627776.0 }, { "tib", 1099511627776.0 }, { "tb", 1e12 },
	};
	const char *end;
	double v, bytes = -1;

	if (isdigit((unsigned char)*s) && !_number(s, &v, &end) && isfinite(v))
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcasecmp(end, units[i].unit)) {
				bytes = v * units[i].mult;
				break;
			}
	/* 2^64 is the first double past UINT64_MAX */
	if (bytes < 0 || bytes != floor(bytes) || bytes >= 18446744073709551616.0 ||
	    (uint64_t)bytes < min || (uint64_t)bytes > max)
		return _expected(why, whylen,
				 "expected a size from %" PRIu64 " to %" PRIu64
				 " bytes (4096, 64K, 1.5MiB)", min, max);
	*out = (uint64_t)bytes;
	return 0;
}

int parse__pid(const char *s, pid_t *out, char *why, size_t whylen)
{
	uint64_t v;

	if (parse__count(s, 1, INT32_MAX, &v, NULL, 0) || s[1] == 'x' || s[1] == 'X')
		return _expected(why, whylen, "expected a process id (an integer from 1 to %d)",
				 INT32_MAX);
	*out = (pid_t)v;
	return 0;
}

int parse__name(const char *s, const char *const *names, size_t n, size_t *out, char *why,
		size_t whylen)
{
	size_t pos;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	if (!why || !whylen)
		return -EINVAL;
	pos = (size_t)snprintf(why, whylen, "expected");
	for (size_t i = 0; i < n && pos < whylen; i++)
		pos += (size_t)snprintf(why + pos, whylen - pos, "%s%s",
					!i ? " " : i + 1 == n ? " or " : ", ", names[i]);
	return -EINVAL;
}
