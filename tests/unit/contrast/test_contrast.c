/* Unit tests: contrast (data model, objectives, patterns, best list),
 * contrast_search (meta-heuristic vs exhaustive), hierarchy, consolidate. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrast/consolidate.h"
#include "contrast/contrast.h"
#include "contrast_gen.h"
#include "contrast/contrast_search.h"
#include "contrast/hierarchy.h"

/* --- helpers ---------------------------------------------------------------- */

static int _add_gen_row(const char *const *values, int target, uint64_t count, double metric,
			void *ctx)
{
	return contrast_data__add(ctx, values, target ? CONTRAST_TARGET : CONTRAST_BACKGROUND,
				  count, metric);
}

static struct contrast_data *_generate(const struct gen_spec *s)
{
	const char *names[GEN_NFIXED + GEN_MAX_NOISE];
	size_t n = gen_spec__columns(s, names, GEN_NFIXED + GEN_MAX_NOISE);
	struct contrast_data *d = contrast_data__new(n, names);

	cr_assert_not_null(d);
	contrast_data__set_has_metric(d, s->metric);
	cr_assert_eq(gen__rows(s, _add_gen_row, d), 0);
	cr_assert_eq(contrast_data__finalize(d), 0);
	return d;
}

/* Builds the pattern {attr=value, ...} from "Attr=Value" strings. */
static struct contrast_pattern _pattern(const struct contrast_data *d, size_t n, const char **items)
{
	struct contrast_pattern p = { 0 };

	for (size_t i = 0; i < n; i++) {
		char attr[64];
		const char *eq = strchr(items[i], '=');

		cr_assert_not_null(eq);
		snprintf(attr, sizeof(attr), "%.*s", (int)(eq - items[i]), items[i]);
		int a = contrast_data__attr_index(d, attr);
		cr_assert_geq(a, 0, "no attribute '%s'", attr);
		uint32_t avp = contrast_data__avp_find(d, (size_t)a, eq + 1);
		cr_assert_neq(avp, CONTRAST_NONE, "no value '%s'", items[i]);
		cr_assert_eq(contrast_pattern__add(&p, avp), 0);
	}
	return p;
}

/* Runs the meta-heuristic and the exhaustive search, both up to length 3,
 * with OBJECTIVE into new best lists of 10 (the caller frees them). */
static void _both(const struct contrast_data *d, const struct hierarchy *h, const char *objective,
		  uint64_t seed, struct contrast_top **heur, struct contrast_top **exh)
{
	struct contrast_objective obj;
	struct contrast_search_opts o;

	cr_assert_eq(contrast_objective__lookup(objective, &obj), 0);
	contrast_search__defaults(&o);
	o.max_len = 3;
	o.seed = seed;
	o.hier = h;
	*heur = contrast_top__new(10);
	*exh = contrast_top__new(10);
	cr_assert_eq(contrast_search__run(d, &obj, &o, *heur, NULL), 0);
	cr_assert_eq(contrast_search__exhaustive(d, &obj, &o, *exh, NULL), 0);
}

static void _check_sorted(const struct contrast_top *t)
{
	for (size_t i = 1; i < contrast_top__len(t); i++) {
		cr_assert_lt(contrast_pattern__cmp(contrast_top__get(t, i - 1), contrast_top__get(t, i)), 0,
			     "best list not sorted at %zu", i);
		for (size_t j = 0; j < i; j++)
			cr_assert_not(contrast_pattern__same(contrast_top__get(t, i), contrast_top__get(t, j)));
	}
}

/* Every pattern of a search result: distinct attributes, none two of them
 * related by the hierarchy, at most MAX_LEN items, covering some target. */
static void _check_patterns(const struct contrast_data *d, const struct hierarchy *h,
			    const struct contrast_top *t, unsigned max_len)
{
	_check_sorted(t);
	for (size_t i = 0; i < contrast_top__len(t); i++) {
		const struct contrast_pattern *p = contrast_top__get(t, i);

		cr_assert(p->len >= 1 && p->len <= max_len);
		cr_assert_gt(p->count[CONTRAST_TARGET], 0);
		for (uint32_t a = 0; a < p->len; a++)
			for (uint32_t b = a + 1; b < p->len; b++) {
				uint32_t x = contrast_data__avp_attr(d, p->avp[a]), y = contrast_data__avp_attr(d, p->avp[b]);

				cr_assert_neq(x, y);
				cr_assert_not(hierarchy__related(h, x, y), "%s and %s in one pattern",
					      contrast_data__attr_name(d, x), contrast_data__attr_name(d, y));
			}
	}
}

/* --- a hand-computed table ------------------------------------------------------ */

/*  class  A   B   count metric
 *  T      a1  b1  3     10
 *  B      a2  b2  6     7
 *  T      a1  b2  1     50
 *  B      a1  b1  2     5
 *  T      a2  b1  1     20
 *  B      a2  b1  2     30
 * Totals: T 5, B 10. Rows deliberately out of class and metric order. */
static struct contrast_data *_table(void)
{
	static const char *names[] = { "A", "B" };
	static const struct { const char *a, *b; int t; uint64_t n; double m; } rows[] = {
		{ "a1", "b1", 1, 3, 10 }, { "a2", "b2", 0, 6, 7 }, { "a1", "b2", 1, 1, 50 },
		{ "a1", "b1", 0, 2, 5 }, { "a2", "b1", 1, 1, 20 }, { "a2", "b1", 0, 2, 30 },
	};
	struct contrast_data *d = contrast_data__new(2, names);

	cr_assert_not_null(d);
	contrast_data__set_has_metric(d, true);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *v[] = { rows[i].a, rows[i].b };

		cr_assert_eq(contrast_data__add(d, v, rows[i].t ? CONTRAST_TARGET : CONTRAST_BACKGROUND,
						rows[i].n, rows[i].m), 0);
	}
	cr_assert_eq(contrast_data__finalize(d), 0);
	return d;
}

/* Parameters are copied to another process: no pointers, only arrays. */
struct objective_case {
	char objective[16];
	char items[2][16];
	size_t nitems;
	double want;
};

static struct objective_case objective_cases[] = {
	{ "proportion", { "A=a1" }, 1, 4.0 / 5 - 2.0 / 10 },
	{ "count", { "A=a1" }, 1, 2 },
	{ "sum", { "A=a1" }, 1, (3 * 10 + 50) - (2 * 5) },
	{ "p90", { "A=a1" }, 1, 50 - 5 },
	{ "proportion", { "B=b1" }, 1, 4.0 / 5 - 4.0 / 10 },
	{ "count", { "B=b1" }, 1, 0 },
	{ "sum", { "B=b1" }, 1, (3 * 10 + 20) - (2 * 5 + 2 * 30) },
	{ "p90", { "B=b1" }, 1, 20 - 30 },
	{ "proportion", { "A=a1", "B=b1" }, 2, 3.0 / 5 - 2.0 / 10 },
	{ "count", { "A=a1", "B=b1" }, 2, 1 },
	{ "sum", { "A=a1", "B=b1" }, 2, 30 - 10 },
	{ "p90", { "A=a1", "B=b1" }, 2, 10 - 5 },
	{ "p90", { "A=a2", "B=b2" }, 2, 0 - 7 },            /* empty target: P90 0 */
	{ "proportion", { "A=a2", "B=b2" }, 2, 0 - 6.0 / 10 },
	{ "p90", { "" }, 0, 50 - 30 },                     /* everything */
};

ParameterizedTestParameters(contrast, objectives)
{
	return cr_make_param_array(struct objective_case, objective_cases,
				   sizeof(objective_cases) / sizeof(objective_cases[0]));
}

ParameterizedTest(struct objective_case *c, contrast, objectives)
{
	struct contrast_data *d = _table();
	struct contrast_objective obj;

	cr_assert_eq(contrast_objective__lookup(c->objective, &obj), 0);
	const char *items[2] = { c->items[0], c->items[1] };
	struct contrast_pattern p = _pattern(d, c->nitems, items);
	struct contrast_eval *ev = contrast_eval__new(d, &obj);
	cr_assert_not_null(ev);
	contrast_eval__pattern(ev, &p, NULL);
	cr_assert(fabs(p.score - c->want) < 1e-12, "%s of %zu items: got %.15g, want %.15g",
		  c->objective, c->nitems, p.score, c->want);
	contrast_eval__free(ev);
	contrast_data__free(d);
}

Test(contrast, table_stats_and_invariants)
{
	struct contrast_data *d = _table();
	struct contrast_objective obj;
	struct contrast_stats s;

	cr_assert_eq(contrast_data__nrows(d), 6);
	cr_assert_eq(contrast_data__navps(d), 4);
	cr_assert_eq(contrast_data__total(d, CONTRAST_TARGET), 5);
	cr_assert_eq(contrast_data__total(d, CONTRAST_BACKGROUND), 10);
	/* Target rows first, each class by ascending metric. */
	for (size_t r = 1; r < contrast_data__nrows(d); r++) {
		enum contrast_class a = contrast_data__row_class(d, r - 1), b = contrast_data__row_class(d, r);

		cr_assert(a >= b);
		if (a == b)
			cr_assert_leq(contrast_data__row_metric(d, r - 1), contrast_data__row_metric(d, r));
	}
	/* Postings: ascending, and their counts add up to the totals. */
	for (size_t a = 0; a < 2; a++) {
		uint64_t sum = 0;

		for (uint32_t v = 0; v < contrast_data__navps(d); v++) {
			size_t n;
			const uint32_t *post = contrast_data__postings(d, v, &n);

			if (contrast_data__avp_attr(d, v) != a)
				continue;
			for (size_t k = 0; k < n; k++) {
				if (k)
					cr_assert_lt(post[k - 1], post[k]);
				cr_assert_eq(contrast_data__value(d, post[k], a), v);
				sum += contrast_data__row_count(d, post[k]);
			}
		}
		cr_assert_eq(sum, 15);
	}
	contrast_objective__lookup("p90", &obj);
	struct contrast_pattern p = _pattern(d, 1, (const char *[]){ "A=a2" });
	struct contrast_eval *ev = contrast_eval__new(d, &obj);
	contrast_eval__pattern(ev, &p, &s);
	cr_assert_eq(s.count[CONTRAST_TARGET], 1);
	cr_assert_eq(s.count[CONTRAST_BACKGROUND], 8);
	cr_assert_eq(s.sum[CONTRAST_BACKGROUND], 6 * 7 + 2 * 30);
	cr_assert_eq(s.p90[CONTRAST_BACKGROUND], 30);      /* 8 * 0.9 = 7.2 -> 8th */
	cr_assert_eq(s.p90[CONTRAST_TARGET], 20);
	contrast_eval__free(ev);
	contrast_data__free(d);
}

/* Nearest rank: the P90 of ten instances is the 9th smallest, exactly at
 * the 90% boundary; one more instance above moves it up. */
Test(contrast, p90_nearest_rank_boundary)
{
	static const char *names[] = { "A" };
	const char *v[] = { "x" };
	struct contrast_objective obj;
	struct contrast_stats s;

	contrast_objective__lookup("p90", &obj);
	for (int extra = 0; extra <= 1; extra++) {
		struct contrast_data *d = contrast_data__new(1, names);

		contrast_data__set_has_metric(d, true);
		contrast_data__add(d, v, CONTRAST_TARGET, 9, 1);
		contrast_data__add(d, v, CONTRAST_TARGET, 1 + extra, 100);
		contrast_data__add(d, v, CONTRAST_BACKGROUND, 1, 3);
		contrast_data__finalize(d);
		struct contrast_eval *ev = contrast_eval__new(d, &obj);
		struct contrast_pattern p = _pattern(d, 1, (const char *[]){ "A=x" });
		contrast_eval__pattern(ev, &p, &s);
		cr_assert_eq(s.p90[CONTRAST_TARGET], extra ? 100 : 1, "extra %d: p90 %g", extra,
			     s.p90[CONTRAST_TARGET]);
		cr_assert_eq(s.p90[CONTRAST_BACKGROUND], 3);
		cr_assert_eq(p.score, (extra ? 100 : 1) - 3);
		contrast_eval__free(ev);
		contrast_data__free(d);
	}
}

/* A user objective through the callback hook: the lift of the target share. */
static double _lift(const struct contrast_stats *s, void *ctx)
{
	double eps = *(double *)ctx;
	double t = (double)s->count[CONTRAST_TARGET] / (double)s->total[CONTRAST_TARGET];
	double b = (double)s->count[CONTRAST_BACKGROUND] / (double)s->total[CONTRAST_BACKGROUND];

	return t / (b + eps);
}

Test(contrast, user_objective_hook)
{
	struct contrast_data *d = _table();
	double eps = 0.1;
	struct contrast_objective obj = { "lift", _lift, 0, &eps };
	struct contrast_top *top = contrast_top__new(4);
	struct contrast_search_stats st;
	struct contrast_search_opts o;

	contrast_search__defaults(&o);
	o.max_len = 2;

	cr_assert_eq(contrast_search__exhaustive(d, &obj, &o, top, &st), 0);
	/* {A=a1,B=b2}: 1/5 / (0 + 0.1) = 2; {A=a1}: 0.8/0.3; {A=a1,B=b1}: 0.6/0.3 = 2. */
	const struct contrast_pattern *best = contrast_top__get(top, 0);
	cr_assert(fabs(best->score - 0.8 / 0.3) < 1e-12, "got %g", best->score);
	cr_assert_eq(best->len, 1);
	cr_assert_str_eq(contrast_data__avp_value(d, best->avp[0]), "a1");
	_check_sorted(top);
	contrast_top__free(top);
	contrast_data__free(d);
}

Test(contrast, parse_metric)
{
	static const struct { const char *s; double want; int ok; } cases[] = {
		{ "12.5", 12.5, 1 }, { "-3", -3, 1 }, { " 7 ", 7, 1 }, { "100-500", 500, 1 },
		{ "<100", 100, 1 }, { ">1000", 1000, 1 }, { "1000+", 1000, 1 },
		{ "", 0, 0 }, { " ", 0, 0 }, { "-", 0, 0 }, { "<", 0, 0 }, { "+", 0, 0 }, { "--", 0, 0 },
		{ "abc", 0, 0 }, { "500-100", 0, 0 }, { "1-2-3", 0, 0 }, { "nan", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		int err = contrast__parse_metric(cases[i].s, &v);

		if (cases[i].ok) {
			cr_assert_eq(err, 0, "'%s' should parse", cases[i].s);
			cr_assert_eq(v, cases[i].want, "'%s': got %g", cases[i].s, v);
		} else {
			cr_assert_eq(err, -EINVAL, "'%s' should not parse", cases[i].s);
		}
	}
}

/* Raw instances aggregate on load: identical rows (values, class, metric)
 * merge and their counts add up; a different class or metric stays apart. */
Test(contrast, identical_rows_merge)
{
	static const char *names[] = { "A", "B" };
	const char *x[] = { "a1", "b1" }, *y[] = { "a1", "b2" };
	struct contrast_data *d = contrast_data__new(2, names);

	contrast_data__set_has_metric(d, true);
	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(contrast_data__add(d, i % 2 ? x : y, CONTRAST_TARGET, 1, 5), 0);
		cr_assert_eq(contrast_data__add(d, x, CONTRAST_BACKGROUND, 2, i % 3), 0);
	}
	cr_assert_eq(contrast_data__add(d, x, CONTRAST_TARGET, 7, 5), 0);
	cr_assert_eq(contrast_data__finalize(d), 0);
	cr_assert_eq(contrast_data__nrows(d), 2 + 3);
	cr_assert_eq(contrast_data__total(d, CONTRAST_TARGET), 10007);
	cr_assert_eq(contrast_data__total(d, CONTRAST_BACKGROUND), 20000);
	uint64_t sum = 0;
	for (size_t r = 0; r < contrast_data__nrows(d); r++) {
		sum += contrast_data__row_count(d, r);
		if (contrast_data__row_class(d, r) == CONTRAST_TARGET && contrast_data__value(d, r, 1) ==
		    contrast_data__avp_find(d, 1, "b1"))
			cr_assert_eq(contrast_data__row_count(d, r), 5007);
	}
	cr_assert_eq(sum, 30007);
	contrast_data__free(d);
}

/* Thousands of distinct rows, each added three times in scattered order:
 * the merge index grows many times and still finds every earlier row. */
Test(contrast, many_distinct_rows_merge)
{
	static const char *names[] = { "A", "B", "C" };
	struct contrast_data *d = contrast_data__new(3, names);
	const size_t n = 6000;
	uint64_t sum = 0;

	cr_assert_not_null(d);
	contrast_data__set_has_metric(d, true);
	for (size_t round = 0; round < 3; round++)
		for (size_t k = 0; k < n; k++) {
			size_t i = (k * 4001 + round * 17) % n;	/* 4001 is prime to 6000 */
			char a[16], b[16], c[16];
			const char *v[] = { a, b, c };

			snprintf(a, sizeof(a), "a%zu", i % 50);
			snprintf(b, sizeof(b), "b%zu", i / 50);
			snprintf(c, sizeof(c), "c%zu", i % 7);
			/* the same values with another class or metric are other rows */
			cr_assert_eq(contrast_data__add(d, v, i % 2 ? CONTRAST_TARGET : CONTRAST_BACKGROUND,
							i + 1, (double)(i % 3)), 0);
		}
	cr_assert_eq(contrast_data__finalize(d), 0);
	cr_assert_eq(contrast_data__nrows(d), n);
	cr_assert_eq(contrast_data__navps(d), 50 + n / 50 + 7);
	for (size_t r = 0; r < n; r++) {
		const char *a = contrast_data__avp_value(d, contrast_data__value(d, r, 0));
		const char *b = contrast_data__avp_value(d, contrast_data__value(d, r, 1));
		size_t i = strtoul(a + 1, NULL, 10) + 50 * strtoul(b + 1, NULL, 10);

		cr_assert_eq(contrast_data__row_count(d, r), 3 * (i + 1), "row of i = %zu", i);
		cr_assert_eq(contrast_data__row_class(d, r), i % 2 ? CONTRAST_TARGET : CONTRAST_BACKGROUND);
		cr_assert_float_eq(contrast_data__row_metric(d, r), (double)(i % 3), 1e-12);
		sum += contrast_data__row_count(d, r);
	}
	cr_assert_eq(sum, 3 * n * (n + 1) / 2);
	cr_assert_eq(sum, contrast_data__total(d, CONTRAST_TARGET) +
			  contrast_data__total(d, CONTRAST_BACKGROUND));
	contrast_data__free(d);
}

static int _add_raw_row(const char *const *values, int target, uint64_t count, double metric,
			void *ctx)
{
	for (uint64_t i = 0; i < count; i++) {
		int err = _add_gen_row(values, target, 1, metric, ctx);

		if (err)
			return err;
	}
	return 0;
}

/* One row per instance or aggregated rows: the same data, the same result. */
Test(contrast, raw_equals_aggregated)
{
	struct gen_spec s;
	const char *names[GEN_NFIXED + GEN_MAX_NOISE];
	struct contrast_objective obj;
	struct contrast_search_opts o;

	gen_spec__defaults(&s, 2000, 21);
	s.mean_count = 20;
	cr_assert_eq(gen_spec__plant(&s, "App=APP2"), 0);
	size_t n = gen_spec__columns(&s, names, GEN_NFIXED + GEN_MAX_NOISE);
	struct contrast_data *agg = _generate(&s), *raw = contrast_data__new(n, names);
	cr_assert_eq(gen__rows(&s, _add_raw_row, raw), 0);
	cr_assert_eq(contrast_data__finalize(raw), 0);
	cr_assert_eq(contrast_data__nrows(raw), contrast_data__nrows(agg));
	cr_assert_eq(contrast_data__total(raw, CONTRAST_TARGET), contrast_data__total(agg, CONTRAST_TARGET));

	contrast_objective__lookup("proportion", &obj);
	contrast_search__defaults(&o);
	struct contrast_top *a = contrast_top__new(10), *b = contrast_top__new(10);
	cr_assert_eq(contrast_search__run(agg, &obj, &o, a, NULL), 0);
	cr_assert_eq(contrast_search__run(raw, &obj, &o, b, NULL), 0);
	cr_assert_eq(contrast_top__len(a), contrast_top__len(b));
	for (size_t i = 0; i < contrast_top__len(a); i++)
		cr_assert_eq(contrast_pattern__cmp(contrast_top__get(a, i), contrast_top__get(b, i)), 0);
	contrast_top__free(a);
	contrast_top__free(b);
	contrast_data__free(agg);
	contrast_data__free(raw);
}

Test(contrast, data_errors)
{
	static const char *names[] = { "A" };
	const char *v[] = { "x" };
	struct contrast_data *d = contrast_data__new(1, names);

	cr_assert_null(contrast_data__new(0, names));
	cr_assert_eq(contrast_data__add(d, v, 7, 1, 0), -EINVAL);
	cr_assert_eq(contrast_data__add(d, v, CONTRAST_TARGET, 0, 0), 0);   /* dropped */
	cr_assert_eq(contrast_data__nrows(d), 0);
	cr_assert_eq(contrast_data__finalize(d), 0);
	cr_assert_eq(contrast_data__add(d, v, CONTRAST_TARGET, 1, 0), -EBUSY);
	struct contrast_objective obj;
	cr_assert_eq(contrast_objective__lookup("median", &obj), -ENOENT);
	contrast_data__free(d);
	contrast_data__free(NULL);
}

Test(contrast, best_list)
{
	struct contrast_top *t = contrast_top__new(3);
	struct contrast_pattern p[5] = {
		{ .len = 1, .avp = { 4 }, .score = 0.5 },
		{ .len = 2, .avp = { 1, 2 }, .score = 0.9 },
		{ .len = 1, .avp = { 2 }, .score = 0.9 },   /* ties: shorter first */
		{ .len = 1, .avp = { 3 }, .score = 0.1 },   /* worse than all: out */
		{ .len = 1, .avp = { 5 }, .score = 0.7 },
	};

	for (size_t i = 0; i < 5; i++)
		contrast_top__offer(t, &p[i]);
	cr_assert_eq(contrast_top__offer(t, &p[1]), 0);     /* duplicate */
	_check_sorted(t);
	cr_assert_eq(contrast_top__len(t), 3);
	cr_assert(contrast_pattern__same(contrast_top__get(t, 0), &p[2]));
	cr_assert(contrast_pattern__same(contrast_top__get(t, 1), &p[1]));
	cr_assert(contrast_pattern__same(contrast_top__get(t, 2), &p[4]));
	contrast_top__free(t);
}

/* --- search ------------------------------------------------------------------ */

struct plant_case {
	char items[3][32];
	size_t n;
	uint64_t seed;
};

static struct plant_case plant_cases[] = {
	{ { "Noise2=v3" }, 1, 11 },
	{ { "Noise1=v2", "Noise3=v5" }, 2, 12 },
	{ { "App=APP4", "Noise2=v1", "Noise4=v6" }, 3, 13 },
	{ { "App=APP7", "APIVersion=V2" }, 2, 14 },
	{ { "Noise1=v1", "Noise2=v2", "Noise3=v3" }, 3, 15 },
};

ParameterizedTestParameters(search, planted)
{
	return cr_make_param_array(struct plant_case, plant_cases,
				   sizeof(plant_cases) / sizeof(plant_cases[0]));
}

/* The planted pattern comes out first, from the meta-heuristic and from the
 * exhaustive search, which agree on the best pattern and its score. */
ParameterizedTest(struct plant_case *c, search, planted)
{
	struct gen_spec s;
	struct hierarchy *h;

	gen_spec__defaults(&s, 20000, c->seed);
	s.base_rate = 0.002;
	s.planted_rate = 0.8;
	for (size_t i = 0; i < c->n; i++)
		cr_assert_eq(gen_spec__plant(&s, c->items[i]), 0);
	struct contrast_data *d = _generate(&s);
	const char *items[3] = { c->items[0], c->items[1], c->items[2] };
	struct contrast_pattern want = _pattern(d, c->n, items);

	cr_assert_eq(hierarchy__mine(d, &h), 0);

	struct contrast_top *heur, *exh;
	_both(d, h, "proportion", c->seed, &heur, &exh);
	_check_patterns(d, h, heur, 3);
	cr_assert(contrast_pattern__same(contrast_top__get(heur, 0), &want),
		  "planted pattern of length %zu not first (first has length %u)", c->n,
		  contrast_top__get(heur, 0)->len);
	_check_patterns(d, h, exh, 3);
	cr_assert(contrast_pattern__same(contrast_top__get(exh, 0), contrast_top__get(heur, 0)));
	cr_assert_eq(contrast_top__get(exh, 0)->score, contrast_top__get(heur, 0)->score);
	cr_assert_eq(contrast_top__get(exh, 0)->count[CONTRAST_TARGET],
		     contrast_top__get(heur, 0)->count[CONTRAST_TARGET]);

	contrast_top__free(heur);
	contrast_top__free(exh);
	hierarchy__free(h);
	contrast_data__free(d);
}

/* On small random sets without a planted pattern, for several objectives and
 * seeds, the meta-heuristic's best equals the exhaustive best. */
Test(search, equals_exhaustive_on_small_sets)
{
	static const char *objectives[] = { "proportion", "count" };

	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct gen_spec s;

		gen_spec__defaults(&s, 3000, seed);
		s.napps = 6;
		s.nnodes = 40;
		s.nnoise = 3;
		s.noise_values = 4;
		s.base_rate = 0.5 + 0.05 * (double)seed;    /* targets outnumber */
		s.planted_rate = 0.95;
		char item[32];
		snprintf(item, sizeof(item), "App=APP%u", (unsigned)seed);
		cr_assert_eq(gen_spec__plant(&s, item), 0);
		snprintf(item, sizeof(item), "Noise1=v%u", (unsigned)(seed % 4) + 1);
		cr_assert_eq(gen_spec__plant(&s, item), 0);
		struct contrast_data *d = _generate(&s);
		struct hierarchy *h;
		cr_assert_eq(hierarchy__mine(d, &h), 0);
		for (size_t k = 0; k < 2; k++) {
			struct contrast_top *heur, *exh;

			_both(d, h, objectives[k], seed, &heur, &exh);
			cr_assert_eq(contrast_top__get(heur, 0)->score, contrast_top__get(exh, 0)->score,
				     "seed %llu %s: %g vs exhaustive %g", (unsigned long long)seed,
				     objectives[k], contrast_top__get(heur, 0)->score,
				     contrast_top__get(exh, 0)->score);
			cr_assert(contrast_pattern__same(contrast_top__get(heur, 0), contrast_top__get(exh, 0)));
			contrast_top__free(heur);
			contrast_top__free(exh);
		}
		hierarchy__free(h);
		contrast_data__free(d);
	}
}

static bool _contains(const struct contrast_pattern *p, const struct contrast_pattern *sub)
{
	for (uint32_t i = 0; i < sub->len; i++) {
		bool found = false;

		for (uint32_t j = 0; j < p->len; j++)
			found |= p->avp[j] == sub->avp[i];
		if (!found)
			return false;
	}
	return true;
}

/* Performance data (latencies): targets matching the planted pattern are
 * slow. For sum the meta-heuristic finds the exhaustive best (the same
 * score; the same pattern unless the exhaustive best is tied). For P90 the
 * exhaustive best over 3-patterns is whichever small group around the slow
 * App came out highest by chance (a percentile of few rows is noisy); the
 * meta-heuristic's best must contain the planted App, score at least as much
 * as the planted pair, and not beat the exhaustive best. */
Test(search, metric_objectives)
{
	static const char *objectives[] = { "p90", "sum" };

	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct gen_spec s;
		char a[16], n[16];

		gen_spec__defaults(&s, 3000, seed);
		s.metric = true;
		s.napps = 4;
		s.nnodes = 20;
		s.nodes_per_rack = 5;
		s.racks_per_dc = 2;
		s.nnoise = 3;
		s.noise_values = 3;
		s.base_rate = s.planted_rate = 0.5;    /* during vs before */
		snprintf(a, sizeof(a), "App=APP%u", (unsigned)seed);
		snprintf(n, sizeof(n), "Noise1=v%u", (unsigned)(seed % 3) + 1);
		cr_assert_eq(gen_spec__plant(&s, a), 0);
		cr_assert_eq(gen_spec__plant(&s, n), 0);
		struct contrast_data *d = _generate(&s);
		struct contrast_pattern planted = _pattern(d, 2, (const char *[]){ a, n });
		struct hierarchy *h;
		cr_assert_eq(hierarchy__mine(d, &h), 0);
		for (size_t k = 0; k < 2; k++) {
			struct contrast_objective obj;
			struct contrast_top *heur, *exh;

			contrast_objective__lookup(objectives[k], &obj);
			_both(d, h, objectives[k], seed, &heur, &exh);
			const struct contrast_pattern *best = contrast_top__get(heur, 0);
			const struct contrast_pattern *e0 = contrast_top__get(exh, 0), *e1 = contrast_top__get(exh, 1);
			if (k == 0) {
				struct contrast_eval *ev = contrast_eval__new(d, &obj);
				contrast_eval__pattern(ev, &planted, NULL);
				contrast_eval__free(ev);
				struct contrast_pattern app = { .len = 1, .avp = { CONTRAST_NONE } };
				for (uint32_t i = 0; i < planted.len; i++)
					if (contrast_data__avp_attr(d, planted.avp[i]) == (uint32_t)contrast_data__attr_index(d, "App"))
						app.avp[0] = planted.avp[i];
				cr_assert(_contains(best, &app), "seed %llu: p90 best lacks the planted App",
					  (unsigned long long)seed);
				cr_assert_geq(best->score, planted.score);
				cr_assert_leq(best->score, e0->score);
				cr_assert_gt(planted.score, 100);
			} else {
				cr_assert_eq(best->score, e0->score, "seed %llu %s: %g vs exhaustive %g",
					     (unsigned long long)seed, objectives[k], best->score, e0->score);
				if (e1->score < e0->score)
					cr_assert(contrast_pattern__same(best, e0));
			}
			contrast_top__free(heur);
			contrast_top__free(exh);
		}
		hierarchy__free(h);
		contrast_data__free(d);
	}
}

Test(search, deterministic_for_a_seed)
{
	struct gen_spec s;
	struct contrast_objective obj;
	struct contrast_search_opts o;

	gen_spec__defaults(&s, 5000, 3);
	struct contrast_data *d = _generate(&s);
	contrast_objective__lookup("proportion", &obj);
	contrast_search__defaults(&o);
	o.max_steps = 3000;
	o.patience = 0;
	o.seed = 42;
	struct contrast_top *a = contrast_top__new(30), *b = contrast_top__new(30);
	struct contrast_search_stats sa, sb;
	cr_assert_eq(contrast_search__run(d, &obj, &o, a, &sa), 0);
	cr_assert_eq(contrast_search__run(d, &obj, &o, b, &sb), 0);
	cr_assert_eq(sa.steps, 3000);
	cr_assert_eq(sa.evaluations, sb.evaluations);
	cr_assert_eq(contrast_top__len(a), contrast_top__len(b));
	for (size_t i = 0; i < contrast_top__len(a); i++)
		cr_assert_eq(contrast_pattern__cmp(contrast_top__get(a, i), contrast_top__get(b, i)), 0);
	/* Dynamic stop: no better pattern for `patience` steps; static stop by time. */
	o.max_steps = 0;
	o.patience = 500;
	cr_assert_eq(contrast_search__run(d, &obj, &o, b, &sb), 0);
	cr_assert_lt(sb.steps, 200000);
	o.patience = 0;
	cr_assert_eq(contrast_search__run(d, &obj, &o, b, &sb), -EINVAL);   /* no stop */
	o.time_limit = 1e-9;
	cr_assert_eq(contrast_search__run(d, &obj, &o, b, &sb), 0);
	cr_assert_eq(sb.steps, 255, "time limit checked every 256 steps, stopped after %llu",
		     (unsigned long long)sb.steps);
	/* max_len is honoured. */
	for (size_t i = 0; i < contrast_top__len(a); i++)
		cr_assert_leq(contrast_top__get(a, i)->len, o.max_len);
	contrast_top__free(a);
	contrast_top__free(b);
	contrast_data__free(d);
}

/* The walk on two attributes of two values each can reach only 4 + 4
 * distinct patterns: each is scored on the data once, every other visit
 * comes from the cache. */
Test(search, cache_scores_each_pattern_once)
{
	static const char *names[] = { "A", "B" };
	const char *rows[][2] = { { "a1", "b1" }, { "a1", "b2" }, { "a2", "b1" }, { "a2", "b2" } };
	struct contrast_data *d = contrast_data__new(2, names);
	struct contrast_objective obj;
	struct contrast_search_opts o;
	struct contrast_search_stats st;
	struct contrast_top *top = contrast_top__new(10);
	uint64_t scored = 0;

	cr_assert_not_null(d);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(contrast_data__add(d, rows[i], CONTRAST_TARGET, 1 + i, 0), 0);
		cr_assert_eq(contrast_data__add(d, rows[i], CONTRAST_BACKGROUND, 4 - i, 0), 0);
	}
	cr_assert_eq(contrast_data__finalize(d), 0);
	contrast_objective__lookup("proportion", &obj);
	contrast_search__defaults(&o);
	o.max_steps = 2000;
	o.patience = 0;
	o.tabu_size = 0;
	cr_assert_eq(contrast_search__run(d, &obj, &o, top, &st), 0);
	cr_assert_eq(st.steps, 2000);
	/* the score table (4 AVPs), then at most the 8 patterns once each */
	cr_assert_geq(st.evaluations, 4);
	cr_assert_leq(st.evaluations, 4 + 8, "evaluations %llu", (unsigned long long)st.evaluations);
	scored = st.evaluations - 4 + st.cache_hits;
	cr_assert_gt(st.cache_hits, 1000, "cache hits %llu", (unsigned long long)st.cache_hits);
	/* one score per step that did not end on the empty pattern */
	cr_assert_leq(scored, st.steps);
	cr_assert_gt(scored, st.steps / 2);
	/* the best: {A=a2} covers 7 of 10 target, 3 of 10 background; then
	 * {A=a2, B=b2} with 4 and 1 */
	cr_assert_float_eq(contrast_top__get(top, 0)->score, 0.4, 1e-12);
	cr_assert_eq(contrast_top__get(top, 0)->len, 1);
	cr_assert_float_eq(contrast_top__get(top, 1)->score, 0.3, 1e-12);
	cr_assert_eq(contrast_top__get(top, 1)->len, 2);
	contrast_top__free(top);
	contrast_data__free(d);
}

/* --- hierarchy and consolidation -------------------------------------------- */

static uint32_t _attr(const struct contrast_data *d, const char *name)
{
	int a = contrast_data__attr_index(d, name);

	cr_assert_geq(a, 0);
	return (uint32_t)a;
}

Test(hierarchy, node_rack_datacenter)
{
	struct gen_spec s;
	struct hierarchy *h;

	gen_spec__defaults(&s, 20000, 5);
	struct contrast_data *d = _generate(&s);
	uint32_t node = _attr(d, "Node"), rack = _attr(d, "Rack"), dc = _attr(d, "Datacenter");
	uint32_t ver = _attr(d, "APIVersion"), app = _attr(d, "App");

	cr_assert_eq(hierarchy__mine(d, &h), 0);
	cr_assert(hierarchy__below(h, node, rack));
	cr_assert(hierarchy__below(h, rack, dc));
	cr_assert(hierarchy__below(h, node, dc));
	cr_assert(hierarchy__below(h, node, ver));
	cr_assert_not(hierarchy__below(h, rack, node));
	cr_assert_not(hierarchy__below(h, dc, rack));
	cr_assert_not(hierarchy__related(h, app, node));
	cr_assert_not(hierarchy__related(h, rack, ver));
	for (uint32_t a = 0; a < contrast_data__nattrs(d); a++)
		if (a != node && a != rack && a != dc && a != ver)
			for (uint32_t b = 0; b < contrast_data__nattrs(d); b++)
				cr_assert_not(hierarchy__related(h, a, b), "%s ~ %s",
					      contrast_data__attr_name(d, a), contrast_data__attr_name(d, b));
	/* The chains are exactly Node -> Rack -> Datacenter and Node -> APIVersion. */
	cr_assert_eq(hierarchy__nchains(h), 2);
	bool seen_long = false, seen_short = false;
	for (size_t i = 0; i < hierarchy__nchains(h); i++) {
		size_t len;
		const uint32_t *c = hierarchy__chain(h, i, &len);

		if (len == 3 && c[0] == node && c[1] == rack && c[2] == dc)
			seen_long = true;
		if (len == 2 && c[0] == node && c[1] == ver)
			seen_short = true;
	}
	cr_assert(seen_long && seen_short);
	/* Value map: N0042 is in rack R004, datacenter DC1. */
	uint32_t n42 = contrast_data__avp_find(d, node, "N0042");
	cr_assert_eq(hierarchy__parent(h, n42, rack), contrast_data__avp_find(d, rack, "R004"));
	cr_assert_eq(hierarchy__parent(h, n42, dc), contrast_data__avp_find(d, dc, "DC1"));
	cr_assert_eq(hierarchy__parent(h, n42, app), CONTRAST_NONE);
	hierarchy__free(h);
	contrast_data__free(d);
}

Test(hierarchy, not_a_hierarchy_when_one_value_has_two_parents)
{
	static const char *names[] = { "Node", "Rack" };
	static const char *rows[][2] = { { "n1", "r1" }, { "n2", "r1" }, { "n3", "r2" }, { "n1", "r2" } };
	struct contrast_data *d = contrast_data__new(2, names);
	struct hierarchy *h;

	for (size_t i = 0; i < 4; i++)
		contrast_data__add(d, rows[i], i % 2 ? CONTRAST_TARGET : CONTRAST_BACKGROUND, 1, 0);
	contrast_data__finalize(d);
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	cr_assert_not(hierarchy__related(h, 0, 1));
	cr_assert_eq(hierarchy__nchains(h), 0);
	hierarchy__free(h);
	contrast_data__free(d);
}

/* Two names for the same thing (one to one): the earlier column is taken as
 * the lower level, so the relation stays acyclic, and consolidation keeps a
 * single one of the two equal patterns. */
Test(hierarchy, aliases)
{
	static const char *names[] = { "NodeId", "NodeName", "Module" };
	static const char *rows[][3] = {
		{ "1", "alpha", "m1" }, { "2", "beta", "m1" }, { "3", "gamma", "m2" }, { "1", "alpha", "m2" },
	};
	struct contrast_data *d = contrast_data__new(3, names);
	struct hierarchy *h;

	for (size_t i = 0; i < 4; i++)
		contrast_data__add(d, rows[i], i == 0 ? CONTRAST_TARGET : CONTRAST_BACKGROUND, 1, 0);
	contrast_data__finalize(d);
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	cr_assert(hierarchy__below(h, 0, 1));
	cr_assert_not(hierarchy__below(h, 1, 0));
	cr_assert_not(hierarchy__related(h, 0, 2));
	cr_assert_eq(hierarchy__nchains(h), 1);

	struct contrast_top *top = contrast_top__new(4);
	struct contrast_pattern id = _pattern(d, 1, (const char *[]){ "NodeId=1" });
	struct contrast_pattern name = _pattern(d, 1, (const char *[]){ "NodeName=alpha" });
	id.score = name.score = 0.5;
	id.count[0] = name.count[0] = 1;
	contrast_top__offer(top, &id);
	contrast_top__offer(top, &name);
	cr_assert_eq(consolidate__run(h, CONSOLIDATE_TOLERANCE, top), 0);
	cr_assert_eq(contrast_top__len(top), 1);
	contrast_top__free(top);
	hierarchy__free(h);
	contrast_data__free(d);
}

Test(consolidate, more_specific)
{
	struct gen_spec s;
	struct hierarchy *h;

	gen_spec__defaults(&s, 20000, 5);
	struct contrast_data *d = _generate(&s);
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	struct contrast_pattern app_ver = _pattern(d, 2, (const char *[]){ "App=APP1", "APIVersion=V1" });
	struct contrast_pattern ver = _pattern(d, 1, (const char *[]){ "APIVersion=V1" });
	struct contrast_pattern node = _pattern(d, 1, (const char *[]){ "Node=N0042" });
	struct contrast_pattern rack = _pattern(d, 1, (const char *[]){ "Rack=R004" });
	struct contrast_pattern other_rack = _pattern(d, 1, (const char *[]){ "Rack=R005" });
	struct contrast_pattern node_app = _pattern(d, 2, (const char *[]){ "App=APP2", "Node=N0042" });
	struct contrast_pattern dc_app = _pattern(d, 2, (const char *[]){ "App=APP2", "Datacenter=DC1" });

	cr_assert(consolidate__more_specific(h, &app_ver, &ver));
	cr_assert_not(consolidate__more_specific(h, &ver, &app_ver));
	cr_assert(consolidate__more_specific(h, &node, &rack));
	cr_assert_not(consolidate__more_specific(h, &rack, &node));
	cr_assert_not(consolidate__more_specific(h, &node, &other_rack));
	cr_assert(consolidate__more_specific(h, &node_app, &dc_app));
	cr_assert_not(consolidate__more_specific(NULL, &node, &rack));
	cr_assert_not(consolidate__more_specific(h, &node, &node));
	hierarchy__free(h);
	contrast_data__free(d);
}

static bool _listed(const struct contrast_top *t, const struct contrast_pattern *p, double *score)
{
	for (size_t i = 0; i < contrast_top__len(t); i++)
		if (contrast_pattern__same(contrast_top__get(t, i), p)) {
			*score = contrast_top__get(t, i)->score;
			return true;
		}
	return false;
}

/* A node-level leak: {Node=N0042}, its rack and its datacenter all score
 * about the same; consolidation keeps the node, the most specific. */
Test(consolidate, keeps_the_specific_pattern)
{
	struct gen_spec s;
	struct hierarchy *h;
	struct contrast_objective obj;
	struct contrast_search_opts o;

	gen_spec__defaults(&s, 40000, 9);
	s.nnodes = 1000;
	s.base_rate = 0.0005;
	s.planted_rate = 0.8;
	cr_assert_eq(gen_spec__plant(&s, "Node=N0042"), 0);
	struct contrast_data *d = _generate(&s);
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	contrast_objective__lookup("proportion", &obj);
	contrast_search__defaults(&o);
	o.hier = h;
	struct contrast_top *top = contrast_top__new(50);
	cr_assert_eq(contrast_search__run(d, &obj, &o, top, NULL), 0);

	struct contrast_pattern node = _pattern(d, 1, (const char *[]){ "Node=N0042" });
	struct contrast_pattern rack = _pattern(d, 1, (const char *[]){ "Rack=R004" });
	struct contrast_pattern dc = _pattern(d, 1, (const char *[]){ "Datacenter=DC1" });
	double sn, sr, sd;
	/* Before: all three are there with comparable scores. */
	cr_assert(_listed(top, &node, &sn) && _listed(top, &rack, &sr) && _listed(top, &dc, &sd));
	cr_assert_lt(fabs(sn - sr), CONSOLIDATE_TOLERANCE * fmax(sn, sr), "node %g rack %g", sn, sr);
	cr_assert_lt(fabs(sn - sd), CONSOLIDATE_TOLERANCE * fmax(sn, sd), "node %g dc %g", sn, sd);
	_check_patterns(d, h, top, o.max_len);    /* the search kept Node, Rack, DC apart */
	size_t before = contrast_top__len(top);

	cr_assert_eq(consolidate__run(h, CONSOLIDATE_TOLERANCE, top), 0);
	cr_assert(_listed(top, &node, &sn));
	cr_assert_not(_listed(top, &rack, &sr));
	cr_assert_not(_listed(top, &dc, &sd));
	cr_assert_lt(contrast_top__len(top), before);
	cr_assert(contrast_pattern__same(contrast_top__get(top, 0), &node));
	_check_patterns(d, h, top, o.max_len);
	/* No two survivors are redundant with comparable scores. */
	for (size_t i = 0; i < contrast_top__len(top); i++)
		for (size_t j = 0; j < contrast_top__len(top); j++) {
			const struct contrast_pattern *a = contrast_top__get(top, i), *b = contrast_top__get(top, j);

			if (consolidate__more_specific(h, a, b))
				cr_assert_gt(fabs(a->score - b->score),
					     CONSOLIDATE_TOLERANCE * fmax(fabs(a->score), fabs(b->score)));
		}
	contrast_top__free(top);
	hierarchy__free(h);
	contrast_data__free(d);
}
