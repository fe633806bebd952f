/* jsonscan — a pull scanner over JSON text; see jsonscan.h. */
#include "lib/jsonscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decimal.h"

#define FAST_DIGITS 19		/* a uint64_t holds any 19 decimal digits */
#define NUM_STACK 64

void jsonscan__init(struct jsonscan *s, const char *buf, size_t len)
{
	s->begin = s->p = buf;
	s->end = buf + len;
	s->why = NULL;
	s->at = 0;
	s->depth = 0;
}

static int _fail(struct jsonscan *s, const char *why)
{
	if (!s->why) {
		s->why = why;
		s->at = (size_t)(s->p - s->begin);
	}
	return -EINVAL;
}

static void _ws(struct jsonscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

int jsonscan__peek(struct jsonscan *s)
{
	_ws(s);
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

int jsonscan__expect(struct jsonscan *s, char c)
{
	static const char *const whys[] = { "expected '{'", "expected '['", "expected ':'",
					    "unexpected character" };

	_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 0;
	}
	return _fail(s, s->p >= s->end ? "unexpected end of text" :
			c == '{' ? whys[0] : c == '[' ? whys[1] : c == ':' ? whys[2] : whys[3]);
}

int jsonscan__end(struct jsonscan *s)
{
	_ws(s);
	return s->p < s->end ? _fail(s, "unexpected text after the value") : 0;
}

int jsonscan__open(struct jsonscan *s, char c)
{
	int e = jsonscan__expect(s, c);

	if (e)
		return e;
	if (++s->depth > JSONSCAN_MAX_DEPTH)
		return _fail(s, "nested too deep");
	return 0;
}

/* After an element: ',' (1, another follows) or CLOSE (0). */
static int _next(struct jsonscan *s, int *first, char close)
{
	int c = jsonscan__peek(s);

	if (c < 0)
		return _fail(s, "unexpected end of text");
	if (c == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	if (*first) {
		*first = 0;
		return 1;
	}
	if (c != ',')
		return _fail(s, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	s->p++;
	if (jsonscan__peek(s) == close)
		return _fail(s, "trailing ','");
	return 1;
}

int jsonscan__object_next(struct jsonscan *s, int *first, char *key, size_t keylen)
{
	int e = _next(s, first, '}');

	if (e <= 0)
		return e;
	if (jsonscan__peek(s) != '"')
		return _fail(s, "expected a key string");
	if ((e = jsonscan__string(s, key, keylen, NULL)) || (e = jsonscan__expect(s, ':')))
		return e;
	return 1;
}

int jsonscan__array_next(struct jsonscan *s, int *first)
{
	return _next(s, first, ']');
}

static int _hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at P (at most AVAIL bytes), 0 when
 * invalid (overlong, a surrogate, beyond U+10FFFF, cut short). */
static size_t _utf8(const unsigned char *p, size_t avail)
{
	unsigned c = p[0], cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Appends code point CP as UTF-8 at OUT[*O] (when OUT). */
static int _put_cp(char *out, size_t len, size_t *o, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	if (out) {
		if (*o + n >= len)
			return -E2BIG;
		memcpy(out + *o, b, n);
	}
	*o += n;
	return 0;
}

static int _string(struct jsonscan *s, char *buf, size_t len, size_t *n);

int jsonscan__string(struct jsonscan *s, char *buf, size_t len, size_t *n)
{
	const char *at;
	int e;

	if (buf && !len)
		return -E2BIG;
	if (jsonscan__peek(s) != '"')
		return _fail(s, "expected a string");
	at = s->p;
	e = _string(s, buf, len, n);
	if (e == -E2BIG)
		s->p = at;	/* the caller may read it again */
	return e;
}

static int _string(struct jsonscan *s, char *buf, size_t len, size_t *n)
{
	size_t o = 0;

	s->p++;
	for (;;) {
		const char *run = s->p;
		size_t k;

		/* a run of plain characters */
		while (s->p < s->end && (unsigned char)*s->p >= 0x20 && *s->p != '"' &&
		       *s->p != '\\' && (unsigned char)*s->p < 0x80)
			s->p++;
		k = (size_t)(s->p - run);
		if (buf) {
			if (o + k >= len)
				return -E2BIG;
			memcpy(buf + o, run, k);
		}
		o += k;
		if (s->p >= s->end)
			return _fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			break;
		}
		if ((unsigned char)*s->p < 0x20)
			return _fail(s, "control character in a string");
		if (*s->p == '\\') {
			unsigned cp, lo;
			char c;
			int e;

			if (s->end - s->p < 2)
				return _fail(s, "unterminated string");
			c = s->p[1];
			s->p += 2;
			switch (c) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (s->end - s->p < 4 || _hex4(s->p, &cp))
					return _fail(s, "invalid \\u escape");
				s->p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return _fail(s, "lone low surrogate in \\u escape");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
					    _hex4(s->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return _fail(s, "lone high surrogate in \\u escape");
					s->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (!cp)
					return _fail(s, "\\u0000 in a string");
				break;
			default:
				return _fail(s, "invalid escape in a string");
			}
			if ((e = _put_cp(buf, len, &o, cp)))
				return e;
			continue;
		}
		/* a multi-byte UTF-8 sequence */
		k = _utf8((const unsigned char *)s->p, (size_t)(s->end - s->p));
		if (!k)
			return _fail(s, "invalid UTF-8 in a string");
		if (buf) {
			if (o + k >= len)
				return -E2BIG;
			memcpy(buf + o, s->p, k);
		}
		o += k;
		s->p += k;
	}
	if (buf)
		buf[o] = '\0';
	if (n)
		*n = o;
	return 0;
}

/* strtod over TEXT[N] copied (the text is not NUL-terminated); *ALL says
 * whether it read all of it. */
static int _strtod(const char *text, size_t n, double *out, int *all)
{
	char stack[NUM_STACK], *b = n < sizeof(stack) ? stack : malloc(n + 1), *end;

	if (!b)
		return -ENOMEM;
	memcpy(b, text, n);
	b[n] = '\0';
	*out = strtod(b, &end);
	*all = *end == '\0';
	if (b != stack)
		free(b);
	return 0;
}

/* The value of 8 ASCII digits at P, or -1 when they are not all digits
 * (SWAR: digits paired, then pairs of pairs, in a few multiplications). */
static int64_t _eight(const char *p)
{
	uint64_t x, lo, hi;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		return -1;	/* the byte order below is little-endian's */
	memcpy(&x, p, 8);
	if ((x & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL ||
	    ((x + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL)
		return -1;
	x -= 0x3030303030303030ULL;	/* byte i: digit i (little-endian) */
	x = x * 10 + (x >> 8);		/* bytes 0, 2, 4, 6: two-digit numbers */
	lo = (x & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32));
	hi = ((x >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32));
	return (int64_t)((lo + hi) >> 32);
}

/* A number token at P (checked against the grammar) into *OUT, its end in
 * *NEXT. -EINVAL when P does not start a JSON number. */
static int _number(const char *p, const char *end, double *out, const char **next,
		   int *strtod_all)
{
	const char *start = p;
	uint64_t m = 0;
	int neg = 0, digits = 0, frac = 0, exact = 1, integer = 1, e;
	long ex = 0;
	double d;

	if (p < end && *p == '-')
		neg = 1, p++;
	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	if (*p == '0') {
		p++;
	} else {
		int64_t eight;

		while (digits + 8 <= FAST_DIGITS && end - p >= 8 && (eight = _eight(p)) >= 0) {
			m = m * 100000000 + (uint64_t)eight;
			digits += 8;
			p += 8;
		}
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (digits < FAST_DIGITS)
				m = m * 10 + (uint64_t)(*p - '0'), digits++;
			else
				exact = 0;
		}
	}
	if (p < end && *p == '.') {
		integer = 0;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return -EINVAL;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (!digits && *p == '0') {
				frac++;	/* leading zeros of 0.00x */
				continue;
			}
			if (digits < FAST_DIGITS)
				m = m * 10 + (uint64_t)(*p - '0'), digits++, frac++;
			else
				exact = 0;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0;

		integer = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p == '-', p++;
		if (p >= end || *p < '0' || *p > '9')
			return -EINVAL;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		if (eneg)
			ex = -ex;
	}
	*next = p;
	ex -= frac;
	if (exact && ex >= -400 && ex <= 400 && decimal__exact(m, (int)ex, &d)) {
		/* an integer token is a C integer: no negative zero */
		*out = neg && !(integer && m == 0) ? -d : d;
		return 0;
	}
	if ((e = _strtod(start, (size_t)(p - start), out, strtod_all)))
		return e;
	if (integer && *out == 0)
		*out = 0;
	return 0;
}

int jsonscan__number(struct jsonscan *s, double *out)
{
	const char *next;
	int all = 1, e;

	_ws(s);
	e = _number(s->p, s->end, out, &next, &all);
	if (e == -EINVAL)
		return _fail(s, "invalid number");
	if (e)
		return e;
	s->p = next;
	return 0;
}

/* The strtod reading of a string value whose text (escape-free) is
 * P[N]; NAN unless strtod reads all of it. */
static int _string_number(const char *p, size_t n, double *out)
{
	const char *next;
	int all = 1, e;

	/* the usual case, a plain JSON number: no copy */
	if (n && n < 32 && *p != '-' && _number(p, p + n, out, &next, &all) == 0 && next == p + n)
		return all ? 0 : (*out = NAN, 0);
	e = _strtod(p, n, out, &all);
	if (!e && !all)
		*out = NAN;
	return e;
}

int jsonscan__value_number(struct jsonscan *s, double *out)
{
	int c = jsonscan__peek(s);

	if (c == '"') {
		const char *q = s->p + 1, *p;
		char buf[128];
		size_t n;
		int e;

		/* escape-free strings are read in place */
		for (p = q; p < s->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20 &&
			    (unsigned char)*p < 0x80; p++)
			;
		if (p < s->end && *p == '"') {
			s->p = p + 1;
			return _string_number(q, (size_t)(p - q), out);
		}
		e = jsonscan__string(s, buf, sizeof(buf), &n);
		if (e == -E2BIG) {
			/* too long for any number */
			*out = NAN;
			return jsonscan__string(s, NULL, 0, NULL);
		}
		if (e)
			return e;
		return _string_number(buf, n, out);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return jsonscan__number(s, out);
	*out = NAN;
	return jsonscan__skip(s);
}

static int _literal(struct jsonscan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return _fail(s, "invalid literal");
	s->p += n;
	return 0;
}

int jsonscan__skip(struct jsonscan *s)
{
	int c = jsonscan__peek(s), first = 1, e;
	double d;

	switch (c) {
	case -1:
		return _fail(s, "unexpected end of text");
	case '"':
		return jsonscan__string(s, NULL, 0, NULL);
	case '{':
		if ((e = jsonscan__open(s, '{')))
			return e;
		while ((e = jsonscan__object_next(s, &first, NULL, 0)) == 1)
			if ((e = jsonscan__skip(s)))
				return e;
		return e;
	case '[':
		if ((e = jsonscan__open(s, '[')))
			return e;
		while ((e = jsonscan__array_next(s, &first)) == 1)
			if ((e = jsonscan__skip(s)))
				return e;
		return e;
	case 't':
		return _literal(s, "true");
	case 'f':
		return _literal(s, "false");
	case 'n':
		return _literal(s, "null");
	default:
		return jsonscan__number(s, &d);
	}
}
