/* The option-value parsers: tables of good values (with what they parse to)
 * and bad ones (refused, *out untouched, a reason given). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lib/parse.h"

/* No pointers in parameters: Criterion may copy them across processes. */
struct real_case {
	char in[24];
	double want;             /* NAN: refused */
};

#define BAD NAN

static void check_real(const struct real_case *c, int rc, double got, const char *why)
{
	if (isnan(c->want)) {
		cr_expect_eq(rc, -EINVAL, "'%s' was taken as %g", c->in, got);
		cr_expect_eq(got, -7.0, "'%s': *out was written on failure", c->in);
		cr_expect(!strncmp(why, "expected ", 9), "'%s': reason '%s'", c->in, why);
	} else {
		cr_expect_eq(rc, 0, "'%s' refused: %s", c->in, why);
		cr_expect_float_eq(got, c->want, 1e-9 * fmax(1, fabs(c->want)), "'%s': %g", c->in, got);
	}
}

/* seconds in [0.1, 1e9] */
ParameterizedTestParameters(parse, seconds)
{
	static struct real_case cases[] = {
		{ "0.1", 0.1 }, { "1", 1 }, { "2.5", 2.5 }, { "1e3", 1000 }, { "1000000000", 1e9 },
		{ "0.09", BAD }, { "0", BAD }, { "-1", BAD }, { "", BAD }, { " 1", BAD },
		{ "1 ", BAD }, { "1s", BAD }, { "abc", BAD }, { "nan", BAD }, { "inf", BAD },
		{ "1e10", BAD }, { "+1", BAD }, { "1e999", BAD },
	};
	return cr_make_param_array(struct real_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct real_case *c, parse, seconds)
{
	char why[128] = "";
	double got = -7;

	int rc = parse__seconds(c->in, 0.1, PARSE_SECONDS_MAX, &got, why, sizeof(why));

	check_real(c, rc, got, why);
}

/* durations more than 0, at most 30 days */
ParameterizedTestParameters(parse, duration)
{
	static struct real_case cases[] = {
		{ "90", 90 }, { "90s", 90 }, { "15m", 900 }, { "6h", 21600 }, { "1.5d", 129600 },
		{ "2w", 1209600 }, { "0.5", 0.5 }, { "30d", 2592000 },
		{ "0", BAD }, { "0h", BAD }, { "-5m", BAD }, { "5x", BAD }, { "5mm", BAD },
		{ "m", BAD }, { "", BAD }, { "31d", BAD }, { "5 m", BAD }, { "5M", BAD },
		{ "nanm", BAD }, { "infh", BAD },
	};
	return cr_make_param_array(struct real_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct real_case *c, parse, duration)
{
	char why[128] = "";
	double got = -7;

	int rc = parse__duration(c->in, 30 * 86400, &got, why, sizeof(why));

	check_real(c, rc, got, why);
}

/* reals in [0, 1] */
ParameterizedTestParameters(parse, real)
{
	static struct real_case cases[] = {
		{ "0", 0 }, { "1", 1 }, { "0.8", 0.8 }, { ".5", 0.5 }, { "1e-3", 0.001 },
		{ "-0.1", BAD }, { "1.01", BAD }, { "nan", BAD }, { "", BAD }, { "0.5x", BAD },
		{ "inf", BAD },
	};
	return cr_make_param_array(struct real_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct real_case *c, parse, real)
{
	char why[128] = "";
	double got = -7;

	int rc = parse__real(c->in, 0, 1, &got, why, sizeof(why));

	check_real(c, rc, got, why);
}

Test(parse, real_unbounded_takes_infinity)
{
	double got = 0;

	cr_assert_eq(parse__real("inf", 0, INFINITY, &got, NULL, 0), 0);
	cr_assert(isinf(got));
	cr_assert_eq(parse__real("-inf", 0, INFINITY, &got, NULL, 0), -EINVAL);
}

struct int_case {
	char in[32];
	int ok;
	uint64_t want;
};

static void check_int(const struct int_case *c, int rc, uint64_t got, const char *why)
{
	if (!c->ok) {
		cr_expect_eq(rc, -EINVAL, "'%s' was taken as %llu", c->in, (unsigned long long)got);
		cr_expect_eq(got, 7, "'%s': *out was written on failure", c->in);
		cr_expect(!strncmp(why, "expected ", 9), "'%s': reason '%s'", c->in, why);
	} else {
		cr_expect_eq(rc, 0, "'%s' refused: %s", c->in, why);
		cr_expect_eq(got, c->want, "'%s': %llu", c->in, (unsigned long long)got);
	}
}

/* counts in [1, 1000] */
ParameterizedTestParameters(parse, count)
{
	static struct int_case cases[] = {
		{ "1", 1, 1 }, { "42", 1, 42 }, { "1000", 1, 1000 }, { "0x10", 1, 16 },
		{ "0X3e8", 1, 1000 }, { "007", 1, 7 },
		{ "0", 0, 0 }, { "1001", 0, 0 }, { "-1", 0, 0 }, { "+1", 0, 0 }, { " 1", 0, 0 },
		{ "1 ", 0, 0 }, { "", 0, 0 }, { "1.5", 0, 0 }, { "1e2", 0, 0 }, { "0x", 0, 0 },
		{ "0x0x5", 0, 0 }, { "abc", 0, 0 }, { "99999999999999999999999", 0, 0 },
	};
	return cr_make_param_array(struct int_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct int_case *c, parse, count)
{
	char why[128] = "";
	uint64_t got = 7;

	int rc = parse__count(c->in, 1, 1000, &got, why, sizeof(why));

	check_int(c, rc, got, why);
}

Test(parse, count_full_range)
{
	uint64_t got = 0;

	cr_assert_eq(parse__count("18446744073709551615", 0, UINT64_MAX, &got, NULL, 0), 0);
	cr_assert_eq(got, UINT64_MAX);
	cr_assert_eq(parse__count("18446744073709551616", 0, UINT64_MAX, &got, NULL, 0), -EINVAL);
	cr_assert_eq(parse__count("0", 0, 0, &got, NULL, 0), 0);
	cr_assert_eq(got, 0);
}

/* byte sizes in [1, 1 TiB] */
ParameterizedTestParameters(parse, bytes)
{
	static struct int_case cases[] = {
		{ "1", 1, 1 }, { "4096", 1, 4096 }, { "512B", 1, 512 }, { "64K", 1, 65536 },
		{ "64kib", 1, 65536 }, { "1KB", 1, 1000 }, { "1.5MiB", 1, 1572864 },
		{ "2g", 1, 2147483648ULL }, { "1T", 1, 1099511627776ULL }, { "3mb", 1, 3000000 },
		{ "0", 0, 0 }, { "2T", 0, 0 }, { "0.3K", 0, 0 }, { "1.5", 0, 0 }, { "-1K", 0, 0 },
		{ "K", 0, 0 }, { "", 0, 0 }, { "5 K", 0, 0 }, { "5Q", 0, 0 }, { " 5", 0, 0 },
		{ "infK", 0, 0 },
	};
	return cr_make_param_array(struct int_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct int_case *c, parse, bytes)
{
	char why[128] = "";
	uint64_t got = 7;

	int rc = parse__bytes(c->in, 1, 1ULL << 40, &got, why, sizeof(why));

	check_int(c, rc, got, why);
}

ParameterizedTestParameters(parse, pid)
{
	static struct int_case cases[] = {
		{ "1", 1, 1 }, { "4194304", 1, 4194304 }, { "2147483647", 1, 2147483647 },
		{ "0", 0, 0 }, { "-1", 0, 0 }, { "2147483648", 0, 0 }, { "0x10", 0, 0 },
		{ "12a", 0, 0 }, { "", 0, 0 },
	};
	return cr_make_param_array(struct int_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct int_case *c, parse, pid)
{
	char why[128] = "";
	pid_t pid = 7;

	int rc = parse__pid(c->in, &pid, why, sizeof(why));

	check_int(c, rc, (uint64_t)pid, why);
}

Test(parse, names)
{
	static const char *const names[] = { "text", "json", "folded" };
	char why[128] = "";
	size_t got = 9;

	cr_assert_eq(parse__name("json", names, 3, &got, why, sizeof(why)), 0);
	cr_assert_eq(got, 1);
	cr_assert_eq(parse__name("folded", names, 3, &got, why, sizeof(why)), 0);
	cr_assert_eq(got, 2);
	got = 9;
	cr_assert_eq(parse__name("JSON", names, 3, &got, why, sizeof(why)), -EINVAL);
	cr_assert_eq(got, 9);
	cr_assert_str_eq(why, "expected text, json or folded");
	cr_assert_eq(parse__name("", names, 2, &got, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "expected text or json");
	cr_assert_eq(parse__name("x", names, 1, &got, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "expected text");
}

Test(parse, reasons)
{
	char why[128];
	double d;
	uint64_t u;

	parse__seconds("x", 0.1, PARSE_SECONDS_MAX, &d, why, sizeof(why));
	cr_expect_str_eq(why, "expected seconds, at least 0.1");
	parse__seconds("x", 0, 60, &d, why, sizeof(why));
	cr_expect_str_eq(why, "expected seconds from 0 to 60");
	parse__count("x", 0, 64, &u, why, sizeof(why));
	cr_expect_str_eq(why, "expected an integer from 0 to 64");
	/* a short buffer is cut, and terminated */
	parse__count("x", 0, 64, &u, why, 9);
	cr_expect_str_eq(why, "expected");
	/* no buffer: still refused */
	cr_expect_eq(parse__count("x", 0, 64, &u, NULL, 0), -EINVAL);
}

Test(parse, errno_is_left_alone)
{
	double d;
	uint64_t u;

	errno = EBADF;
	parse__seconds("1e999", 0, PARSE_SECONDS_MAX, &d, NULL, 0);
	parse__count("99999999999999999999999", 0, UINT64_MAX, &u, NULL, 0);
	cr_assert_eq(errno, EBADF);
}
