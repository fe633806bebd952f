/* Unit tests: lib/jsonscan — numbers convert exactly as strtod() does
 * (fast path and fallback, bit for bit), strings decode escapes and
 * surrogate pairs and reject what RFC 8259 rejects (raw control
 * characters, bad UTF-8, lone surrogates, \u0000), values of any kind are
 * passed over, and malformed or hostile text (truncated, trailing commas,
 * nesting beyond the limit) is -EINVAL with a reason, never a crash. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonscan.h"

/* arrays, not pointers: criterion copies the cases into another process */
struct text {
	char s[96];
};

static int number_of(const char *text, double *d)
{
	struct jsonscan s;
	int e;

	jsonscan__init(&s, text, strlen(text));
	e = jsonscan__number(&s, d);
	return e ? e : jsonscan__end(&s);
}

static void expect_as_strtod(const char *text)
{
	double d = 0, want = strtod(text, NULL);

	cr_assert_eq(number_of(text, &d), 0, "'%s' is a JSON number", text);
	cr_expect(memcmp(&d, &want, sizeof(d)) == 0 || (d == 0 && want == 0), "'%s': %.17g, strtod %.17g",
		  text, d, want);
}

Test(jsonscan, numbers_are_strtods)
{
	static const char *const fixed[] = {
		"0", "1", "-1", "9007199254740992", "9007199254740993", "18446744073709551615",
		"123456789012345678901234567890", "1764660300000", "65948706", "0.1", "0.3",
		"1.5e+06", "1E22", "1e23", "1e-22", "1e-23", "2.2250738585072014e-308", "4.9e-324",
		"1.7976931348623157e308", "1e309", "-0.0", "0.000000000000000000000000001",
		"1700000015.5", "123456789.123456789", "3.14159265358979323846264338327950288",
		"12345678901234567890e-10", "99999999999999999999", "1.00000000000000011102230246251565",
	};
	char buf[64];
	unsigned long long r = 42;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		expect_as_strtod(fixed[i]);
	/* random tokens of every shape the fast path might take or refuse */
	for (int i = 0; i < 200000; i++) {
		int n = 0, digits, frac, ex;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		digits = 1 + (int)(r >> 59);	/* 1..32 */
		frac = (int)(r >> 54 & 31) % 12;
		ex = (int)(r >> 40 & 63) - 32;
		if (r & 1)
			buf[n++] = '-';
		for (int k = 0; k < digits; k++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[n++] = (char)('0' + (k == 0 ? 1 + (r >> 33) % 9 : (r >> 33) % 10));
		}
		if (frac) {
			buf[n++] = '.';
			for (int k = 0; k < frac; k++) {
				r = r * 6364136223846793005ULL + 1442695040888963407ULL;
				buf[n++] = (char)('0' + (r >> 33) % 10);
			}
		}
		if (r & 2)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "e%d", ex);
		buf[n] = '\0';
		expect_as_strtod(buf);
	}
}

Test(jsonscan, integers_have_no_negative_zero)
{
	double d = 1;

	cr_assert_eq(number_of("-0", &d), 0);
	cr_expect(d == 0 && !signbit(d), "-0 as an integer is 0, as jansson reads it");
	cr_assert_eq(number_of("-0.0", &d), 0);
	cr_expect(d == 0 && signbit(d), "-0.0 is a real: negative zero");
}

static const struct text bad_numbers[] = {
	{ "" }, { "-" }, { "01" }, { "1." }, { ".5" }, { "1e" }, { "1e+" }, { "+1" }, { "0x10" },
	{ "1.5.3" }, { "--1" }, { "1ee5" }, { "Infinity" }, { "NaN" }, { "1 2" },
};

ParameterizedTestParameters(jsonscan, bad_numbers)
{
	return cr_make_param_array(struct text, (void *)bad_numbers,
				   sizeof(bad_numbers) / sizeof(bad_numbers[0]));
}

ParameterizedTest(struct text *text, jsonscan, bad_numbers)
{
	double d;

	cr_expect_eq(number_of(text->s, &d), -EINVAL, "'%s' is not a JSON number", text->s);
}

static int string_of(const char *text, char *buf, size_t len)
{
	struct jsonscan s;
	int e;

	jsonscan__init(&s, text, strlen(text));
	e = jsonscan__string(&s, buf, len, NULL);
	return e ? e : jsonscan__end(&s);
}

Test(jsonscan, strings_decode)
{
	char buf[64];

	cr_assert_eq(string_of("\"plain\"", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "plain");
	cr_assert_eq(string_of("\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "a\"b\\c/d\n\t\r\b\f");
	cr_assert_eq(string_of("\"\\u00e9\\u20ac\\ud83d\\ude00\"", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "é € and a pair: U+1F600");
	cr_assert_eq(string_of("\"caf\xc3\xa9\"", buf, sizeof(buf)), 0, "raw UTF-8 kept");
	cr_expect_str_eq(buf, "caf\xc3\xa9");
	cr_expect_eq(string_of("\"0123456789\"", buf, 10), -E2BIG, "no room for the NUL");
	cr_expect_eq(string_of("\"012345678\"", buf, 10), 0);
}

Test(jsonscan, too_long_string_can_be_read_again)
{
	const char *text = "\"0123456789abcdef\" 5";
	struct jsonscan s;
	char small[8], big[32];
	double d;

	jsonscan__init(&s, text, strlen(text));
	cr_assert_eq(jsonscan__string(&s, small, sizeof(small), NULL), -E2BIG);
	cr_assert_eq(jsonscan__string(&s, big, sizeof(big), NULL), 0, "left at the string");
	cr_expect_str_eq(big, "0123456789abcdef");
	cr_assert_eq(jsonscan__number(&s, &d), 0);
	cr_expect_eq(d, 5);
}

static const struct text bad_strings[] = {
	{ "\"unterminated" }, { "\"tab\there\"" }, { "\"bad \\x escape\"" }, { "\"\\u12\"" },
	{ "\"\\u0000\"" }, { "\"\\ud800\"" }, { "\"\\udc00\"" }, { "\"\\ud800\\u0041\"" },
	{ "\"\xff\"" }, { "\"\xc0\xaf\"" }, { "\"\xed\xa0\x80\"" }, { "\"\xf4\x90\x80\x80\"" },
	{ "\"\xe2\x82\"" }, { "\"\\" }, { "noquote" },
};

ParameterizedTestParameters(jsonscan, bad_strings)
{
	return cr_make_param_array(struct text, (void *)bad_strings,
				   sizeof(bad_strings) / sizeof(bad_strings[0]));
}

ParameterizedTest(struct text *text, jsonscan, bad_strings)
{
	char buf[64];
	struct jsonscan s;

	cr_expect_eq(string_of(text->s, buf, sizeof(buf)), -EINVAL, "'%s'", text->s);
	/* passed over, it is as bad */
	jsonscan__init(&s, text->s, strlen(text->s));
	cr_expect_eq(jsonscan__skip(&s), -EINVAL, "'%s' skipped", text->s);
	cr_expect(s.why, "a reason");
}

static int skip_of(const char *text)
{
	struct jsonscan s;
	int e;

	jsonscan__init(&s, text, strlen(text));
	e = jsonscan__skip(&s);
	return e ? e : jsonscan__end(&s);
}

Test(jsonscan, skip_passes_any_value)
{
	cr_expect_eq(skip_of(" {\"a\": [1, 2.5e3, \"x\", true, false, null, {}, []], \"b\": {\"c\": -1}} "), 0);
	cr_expect_eq(skip_of("[]"), 0);
	cr_expect_eq(skip_of("\"s\""), 0);
	cr_expect_eq(skip_of("null"), 0);
}

static const struct text bad_values[] = {
	{ "" }, { "{" }, { "[" }, { "[1,]" }, { "[,1]" }, { "{\"a\":1,}" }, { "{\"a\" 1}" },
	{ "{1:2}" }, { "[1 2]" }, { "tru" }, { "nul" }, { "{\"a\":1}}" }, { "[1]x" }, { "{\"a\":}" },
	{ "[\"a\":1]" },
};

ParameterizedTestParameters(jsonscan, bad_values)
{
	return cr_make_param_array(struct text, (void *)bad_values,
				   sizeof(bad_values) / sizeof(bad_values[0]));
}

ParameterizedTest(struct text *text, jsonscan, bad_values)
{
	cr_expect_eq(skip_of(text->s), -EINVAL, "'%s'", text->s);
}

Test(jsonscan, nesting_is_bounded)
{
	char deep[4 * JSONSCAN_MAX_DEPTH + 8];
	size_t n = 0;

	for (int i = 0; i < JSONSCAN_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSONSCAN_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	cr_expect_eq(skip_of(deep), 0, "%d levels are fine", JSONSCAN_MAX_DEPTH);
	n = 0;
	for (int i = 0; i <= JSONSCAN_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i <= JSONSCAN_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	cr_expect_eq(skip_of(deep), -EINVAL, "one more is refused");
	{
		/* a million opening brackets: refused at the limit, no recursion blow-up */
		size_t big = 1000000;
		char *t = malloc(big + 1);
		struct jsonscan s;

		cr_assert(t);
		memset(t, '[', big);
		t[big] = '\0';
		jsonscan__init(&s, t, big);
		cr_expect_eq(jsonscan__skip(&s), -EINVAL);
		cr_expect_str_eq(s.why, "nested too deep");
		free(t);
	}
}

Test(jsonscan, value_number_reads_strings_as_strtod)
{
	static const struct {
		const char *text;
		double want;	/* NAN: not a number */
	} cases[] = {
		{ "\"12345\"", 12345 }, { "\"1.5e3\"", 1500 }, { "\"-7\"", -7 }, { "\"+Inf\"", INFINITY },
		{ "\"-Inf\"", -INFINITY }, { "\"NaN\"", NAN }, { "\"12x\"", NAN }, { "\"\"", 0 },
		{ "\"0x10\"", 16 }, { "null", NAN }, { "true", NAN }, { "[1]", NAN }, { "{\"a\":1}", NAN },
		{ "42", 42 }, { "\"\\u0031\\u0032\"", 12 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonscan s;
		double d = 0;

		jsonscan__init(&s, cases[i].text, strlen(cases[i].text));
		cr_assert_eq(jsonscan__value_number(&s, &d), 0, "%s", cases[i].text);
		cr_expect_eq(jsonscan__end(&s), 0, "%s read whole", cases[i].text);
		if (isnan(cases[i].want))
			cr_expect(isnan(d), "%s: %g", cases[i].text, d);
		else
			cr_expect_eq(d, cases[i].want, "%s: %g", cases[i].text, d);
	}
}

Test(jsonscan, objects_and_arrays_step)
{
	const char *text = "{\"a\": [1, 2], \"bb\": \"x\"}";
	struct jsonscan s;
	char key[8];
	int first = 1, f = 1;
	double d, sum = 0;

	jsonscan__init(&s, text, strlen(text));
	cr_assert_eq(jsonscan__open(&s, '{'), 0);
	cr_assert_eq(jsonscan__object_next(&s, &first, key, sizeof(key)), 1);
	cr_expect_str_eq(key, "a");
	cr_assert_eq(jsonscan__open(&s, '['), 0);
	while (jsonscan__array_next(&s, &f) == 1) {
		cr_assert_eq(jsonscan__number(&s, &d), 0);
		sum += d;
	}
	cr_expect_eq(sum, 3);
	cr_assert_eq(jsonscan__object_next(&s, &first, key, sizeof(key)), 1);
	cr_expect_str_eq(key, "bb");
	cr_assert_eq(jsonscan__skip(&s), 0);
	cr_expect_eq(jsonscan__object_next(&s, &first, key, sizeof(key)), 0);
	cr_expect_eq(jsonscan__end(&s), 0);
	cr_expect_eq(s.depth, 0);
}
