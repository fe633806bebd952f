/* jsonscan — a pull scanner over one JSON text in memory, for readers of
 * large answers of a known shape (a TSDB's series) that want their numbers
 * without building a document tree.
 *
 * The caller walks the text: jsonscan__object_next() / jsonscan__array_next()
 * step through a container, jsonscan__string(), jsonscan__number() and
 * jsonscan__value_number() read a scalar, jsonscan__skip() passes over any
 * value. Nothing is allocated except for a number longer than 64 bytes.
 *
 * Strict RFC 8259: strings must be valid UTF-8 without raw control
 * characters, escapes are decoded (\uXXXX with surrogate pairs; \u0000 and
 * lone surrogates are errors, as in jansson), numbers follow the JSON
 * grammar and convert exactly as strtod() would (correctly rounded: the
 * digits gathered here, lib/decimal's exact fast path for up to 19 of them
 * and powers of ten it can apply exactly, strtod otherwise); containers nest at most JSONSCAN_MAX_DEPTH deep.
 *
 * Errors: functions return 0 (or 1 for "one more element"), or -EINVAL
 * for malformed text with the reason in scan->why and its byte offset in
 * scan->at; -E2BIG when a string does not fit the caller's buffer;
 * -ENOMEM. After an error the scanner must not be used further.
 * The scanner does not own the text.
 */
#ifndef SEEP_LIB_JSONSCAN_H
#define SEEP_LIB_JSONSCAN_H

#include <stddef.h>

#define JSONSCAN_MAX_DEPTH 64

struct jsonscan {
	const char *begin, *p, *end;
	const char *why;	/* the first error */
	size_t at;		/* its offset from begin */
	int depth;
};

void jsonscan__init(struct jsonscan *s, const char *buf, size_t len);

/* The next character after whitespace without consuming it; -1 at the end. */
int jsonscan__peek(struct jsonscan *s);
/* Whitespace, then C; -EINVAL when something else comes. */
int jsonscan__expect(struct jsonscan *s, char c);
/* 0 when only whitespace is left. */
int jsonscan__end(struct jsonscan *s);

/* Steps through an object whose '{' was consumed (by expect): reads the
 * next key into KEY[KEYLEN] (NUL-terminated) and its ':', returning 1; 0
 * at the closing '}'. *FIRST starts at 1 (the caller's loop state). */
int jsonscan__object_next(struct jsonscan *s, int *first, char *key, size_t keylen);
/* Steps through an array whose '[' was consumed: 1 when an element
 * follows, 0 at the closing ']'. */
int jsonscan__array_next(struct jsonscan *s, int *first);

/* A string into BUF[LEN], NUL-terminated, its length in *N (NULL: not
 * wanted). BUF NULL: checked and passed over. On -E2BIG the scanner is
 * left at the string's start (read it again into a larger buffer, or pass
 * over it with BUF NULL). */
int jsonscan__string(struct jsonscan *s, char *buf, size_t len, size_t *n);
/* A JSON number. */
int jsonscan__number(struct jsonscan *s, double *out);
/* Any value read as a number: a JSON number; a string as strtod() reads
 * the whole of it (Prometheus' "123.5", "NaN", "+Inf"; NAN when it is not
 * a number); null, booleans, arrays and objects are passed over as NAN. */
int jsonscan__value_number(struct jsonscan *s, double *out);
/* Passes over one value of any kind. */
int jsonscan__skip(struct jsonscan *s);
/* Opens a container of kind C ('{' or '['): expect plus the depth check;
 * jsonscan__object_next/array_next close it at its end. */
int jsonscan__open(struct jsonscan *s, char c);

#endif
