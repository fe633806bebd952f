/* Unit tests: hierarchy — against a brute-force reference of its definition
 * on random data full of aliases and nested levels, and its cost on many
 * one-to-one columns (50 rows x 5,000 columns of unique values); the
 * search over alias columns keeps to the hierarchy's rules. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "contrast/contrast.h"
#include "contrast/contrast_search.h"
#include "contrast/hierarchy.h"
#include "lib/rng.h"

struct rng {
	uint64_t s;
};

static void _seed(struct rng *g, uint64_t seed)
{
	g->s = seed;
}

static uint64_t _below(struct rng *g, uint64_t n)
{
	return rng__next(&g->s) % n;
}

/* --- the definition, by brute force ---------------------------------------- */

/* Does every value of A occur with exactly one value of B? */
static bool _determines(const struct contrast_data *d, size_t a, size_t b)
{
	size_t n = contrast_data__nrows(d);

	for (size_t r = 0; r < n; r++)
		for (size_t s = 0; s < r; s++)
			if (contrast_data__value(d, r, a) == contrast_data__value(d, s, a) &&
			    contrast_data__value(d, r, b) != contrast_data__value(d, s, b))
				return false;
	return true;
}

/* A -> B as hierarchy.h defines it. */
static bool _ref_below(const struct contrast_data *d, size_t a, size_t b)
{
	size_t na = contrast_data__nvalues(d, a), nb = contrast_data__nvalues(d, b);

	if (a == b || na < 2 || nb < 2 || nb > na || (nb == na && b < a))
		return false;
	return _determines(d, a, b);
}

struct ref {
	size_t n;
	bool *below;
	size_t nchains;
	uint32_t chains[HIERARCHY_MAX_CHAINS][64];
	size_t len[HIERARCHY_MAX_CHAINS];
};

static bool _ref_direct(const struct ref *r, size_t a, size_t b)
{
	if (!r->below[a * r->n + b])
		return false;
	for (size_t c = 0; c < r->n; c++)
		if (r->below[a * r->n + c] && r->below[c * r->n + b])
			return false;
	return true;
}

/* The maximal paths of the reduction, from each lowest attribute in column
 * order, successors in column order (what hierarchy__chain lists). */
static void _ref_walk(struct ref *r, uint32_t *path, size_t len)
{
	bool extended = false;

	for (size_t b = 0; b < r->n; b++) {
		if (!_ref_direct(r, path[len - 1], b))
			continue;
		extended = true;
		path[len] = (uint32_t)b;
		_ref_walk(r, path, len + 1);
	}
	if (extended || len < 2 || r->nchains == HIERARCHY_MAX_CHAINS)
		return;
	memcpy(r->chains[r->nchains], path, len * sizeof(*path));
	r->len[r->nchains++] = len;
}

static void _ref_build(struct ref *r, const struct contrast_data *d)
{
	uint32_t path[64];

	r->n = contrast_data__nattrs(d);
	r->nchains = 0;
	r->below = calloc(r->n * r->n, sizeof(*r->below));
	cr_assert_not_null(r->below);
	for (size_t a = 0; a < r->n; a++)
		for (size_t b = 0; b < r->n; b++)
			r->below[a * r->n + b] = _ref_below(d, a, b);
	for (size_t a = 0; a < r->n; a++) {
		bool high = false, low = false;

		for (size_t b = 0; b < r->n; b++) {
			high |= r->below[a * r->n + b];
			low |= r->below[b * r->n + a];
		}
		if (high && !low) {
			path[0] = (uint32_t)a;
			_ref_walk(r, path, 1);
		}
	}
}

/* Random rows: base columns of a few sizes, each column either a base
 * column, a coarsening of one (a level above it), a relabelling of one (an
 * alias), constant, or noise. */
static struct contrast_data *_random_data(struct rng *g, size_t nattrs, size_t nrows)
{
	char *names[32], *cells[32], buf[32][16];
	unsigned kind[32], of[32], mod[32];
	struct contrast_data *d;

	cr_assert_leq(nattrs, 32);
	for (size_t a = 0; a < nattrs; a++) {
		names[a] = malloc(8);
		snprintf(names[a], 8, "A%zu", a);
		kind[a] = a ? (unsigned)_below(g, 5) : 0;
		of[a] = a ? (unsigned)_below(g, a) : 0;
		mod[a] = 2 + (unsigned)_below(g, 6);
		cells[a] = buf[a];
	}
	d = contrast_data__new(nattrs, (const char *const *)names);
	cr_assert_not_null(d);
	for (size_t r = 0; r < nrows; r++) {
		unsigned v[32];

		for (size_t a = 0; a < nattrs; a++) {
			switch (kind[a]) {
			case 0: v[a] = (unsigned)_below(g, 12); break;        /* base */
			case 1: v[a] = v[of[a]] / mod[a]; break;                  /* a level above */
			case 2: v[a] = v[of[a]] * 7 + 3; break;                   /* an alias */
			case 3: v[a] = 0; break;                                  /* one value */
			default: v[a] = (unsigned)_below(g, 3); break;        /* noise */
			}
			snprintf(buf[a], sizeof(buf[a]), "%u", v[a]);
		}
		cr_assert_eq(contrast_data__add(d, (const char *const *)cells,
						r % 3 ? CONTRAST_BACKGROUND : CONTRAST_TARGET, 1, 0), 0);
	}
	cr_assert_eq(contrast_data__finalize(d), 0);
	for (size_t a = 0; a < nattrs; a++)
		free(names[a]);
	return d;
}

/* below, related, parent and the chains equal the definition's. */
Test(hierarchy, equals_the_definition_on_random_data)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct rng g;
		struct ref r;
		struct hierarchy *h;

		_seed(&g, seed);
		size_t nattrs = 3 + (size_t)_below(&g, 12), nrows = 5 + (size_t)_below(&g, 60);
		struct contrast_data *d = _random_data(&g, nattrs, nrows);

		_ref_build(&r, d);
		cr_assert_eq(hierarchy__mine(d, &h), 0);
		for (size_t a = 0; a < nattrs; a++)
			for (size_t b = 0; b < nattrs; b++) {
				cr_assert_eq(hierarchy__below(h, (uint32_t)a, (uint32_t)b),
					     r.below[a * nattrs + b], "seed %llu: %zu -> %zu",
					     (unsigned long long)seed, a, b);
				cr_assert_eq(hierarchy__related(h, (uint32_t)a, (uint32_t)b),
					     r.below[a * nattrs + b] || r.below[b * nattrs + a]);
			}
		for (size_t row = 0; row < contrast_data__nrows(d); row++)
			for (size_t a = 0; a < nattrs; a++)
				for (size_t b = 0; b < nattrs; b++) {
					uint32_t low = contrast_data__value(d, row, a);
					uint32_t want = r.below[a * nattrs + b]
							? contrast_data__value(d, row, b) : CONTRAST_NONE;

					cr_assert_eq(hierarchy__parent(h, low, (uint32_t)b), want,
						     "seed %llu: parent of %u in %zu",
						     (unsigned long long)seed, low, b);
				}
		cr_assert_eq(hierarchy__nchains(h), r.nchains, "seed %llu",
			     (unsigned long long)seed);
		for (size_t i = 0; i < r.nchains; i++) {
			size_t len;
			const uint32_t *c = hierarchy__chain(h, i, &len);

			cr_assert_eq(len, r.len[i], "seed %llu chain %zu", (unsigned long long)seed, i);
			cr_assert_arr_eq(c, r.chains[i], len * sizeof(*c));
		}
		free(r.below);
		hierarchy__free(h);
		contrast_data__free(d);
	}
}

static double _seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 50 rows x 5,000 columns, every column unique per row: all 5,000 are
 * aliases of each other, one chain through them in column order. Bounded
 * loosely: a few seconds and 300 MB peak (the per-pair maps took 2.7 GB). */
Test(hierarchy, many_alias_columns_cost_columns_times_rows, .timeout = 60)
{
	enum { NROWS = 50, NCOLS = 5000 };
	char **names = calloc(NCOLS, sizeof(*names)), **cells = calloc(NCOLS, sizeof(*cells));
	struct contrast_data *d;
	struct hierarchy *h;
	struct rusage ru;
	double t0;

	cr_assert(names && cells);
	for (size_t a = 0; a < NCOLS; a++) {
		cr_assert_geq(asprintf(&names[a], "c%zu", a), 0);
		cells[a] = malloc(16);
	}
	d = contrast_data__new(NCOLS, (const char *const *)names);
	cr_assert_not_null(d);
	for (size_t r = 0; r < NROWS; r++) {
		for (size_t a = 0; a < NCOLS; a++)
			snprintf(cells[a], 16, "v%zu_%zu", a, r);
		cr_assert_eq(contrast_data__add(d, (const char *const *)cells,
						r % 2 ? CONTRAST_TARGET : CONTRAST_BACKGROUND, 1, 0), 0);
	}
	cr_assert_eq(contrast_data__finalize(d), 0);

	t0 = _seconds();
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	double took = _seconds() - t0;
	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	cr_log_info("hierarchy of %d x %d: %.3f s, peak RSS %ld KiB", NROWS, NCOLS, took,
		    ru.ru_maxrss);
	cr_expect_lt(ru.ru_maxrss, 300L * 1024, "peak RSS %ld KiB", ru.ru_maxrss);
	cr_expect_lt(took, 10.0, "%.1f s", took);

	cr_assert(hierarchy__below(h, 0, NCOLS - 1));
	cr_assert(hierarchy__below(h, 17, 18));
	cr_assert_not(hierarchy__below(h, 18, 17));
	cr_assert_eq(hierarchy__nchains(h), 1);
	size_t len;
	const uint32_t *c = hierarchy__chain(h, 0, &len);
	cr_assert_eq(len, NCOLS);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(c[i], i);
	uint32_t low = contrast_data__avp_find(d, 3, "v3_7");
	cr_assert_eq(hierarchy__parent(h, low, 4000), contrast_data__avp_find(d, 4000, "v4000_7"));

	hierarchy__free(h);
	contrast_data__free(d);
	for (size_t a = 0; a < NCOLS; a++) {
		free(names[a]);
		free(cells[a]);
	}
	free(names);
	free(cells);
}

/* 40 rows x 300 alias columns (every value unique to its row) and two
 * free attributes: the hierarchy rules out every alias column once a
 * pattern holds one, so ADD's candidates come from the open attributes'
 * own lists. The walk keeps to the rules and finds the exhaustive best. */
Test(hierarchy, search_over_alias_columns_keeps_the_rules)
{
	enum { NROWS = 40, NALIAS = 300, NCOLS = NALIAS + 2 };
	char **names = calloc(NCOLS, sizeof(*names)), **cells = calloc(NCOLS, sizeof(*cells));
	struct contrast_search_opts o;
	struct contrast_objective obj;
	struct contrast_top *heur, *exh;
	struct contrast_search_stats st;
	struct contrast_data *d;
	struct hierarchy *h;

	cr_assert(names && cells);
	for (size_t a = 0; a < NCOLS; a++) {
		cr_assert_geq(asprintf(&names[a], "c%zu", a), 0);
		cells[a] = malloc(16);
	}
	d = contrast_data__new(NCOLS, (const char *const *)names);
	cr_assert_not_null(d);
	for (size_t r = 0; r < NROWS; r++) {
		bool target = r % 2;

		for (size_t a = 0; a < NALIAS; a++)
			snprintf(cells[a], 16, "v%zu_%zu", a, r);
		/* the free attributes: X=x1 on most target rows, Y by row % 3 */
		snprintf(cells[NALIAS], 16, "%s", target && r % 10 != 1 ? "x1" : "x0");
		snprintf(cells[NALIAS + 1], 16, "y%zu", r % 3);
		cr_assert_eq(contrast_data__add(d, (const char *const *)cells,
						target ? CONTRAST_TARGET : CONTRAST_BACKGROUND, 1, 0), 0);
	}
	cr_assert_eq(contrast_data__finalize(d), 0);
	cr_assert_eq(hierarchy__mine(d, &h), 0);
	cr_assert(hierarchy__related(h, 0, NALIAS - 1));
	contrast_search__defaults(&o);
	o.hier = h;
	o.max_len = 2;
	o.patience = 2000;
	cr_assert_eq(contrast_objective__lookup("proportion", &obj), 0);
	heur = contrast_top__new(20);
	exh = contrast_top__new(20);
	cr_assert_eq(contrast_search__run(d, &obj, &o, heur, &st), 0);
	cr_assert_gt(st.steps, 1000);
	cr_assert_eq(contrast_search__exhaustive(d, &obj, &o, exh, NULL), 0);
	cr_expect(contrast_pattern__same(contrast_top__get(heur, 0), contrast_top__get(exh, 0)),
		  "the walk's best is the exhaustive best");
	cr_expect_float_eq(contrast_top__get(heur, 0)->score, contrast_top__get(exh, 0)->score, 1e-12);
	for (size_t i = 0; i < contrast_top__len(heur); i++) {
		const struct contrast_pattern *p = contrast_top__get(heur, i);

		for (uint32_t a = 0; a < p->len; a++)
			for (uint32_t b = a + 1; b < p->len; b++)
				cr_expect_not(hierarchy__related(h, contrast_data__avp_attr(d, p->avp[a]),
								 contrast_data__avp_attr(d, p->avp[b])),
					      "pattern %zu joins related attributes", i);
	}
	contrast_top__free(heur);
	contrast_top__free(exh);
	hierarchy__free(h);
	contrast_data__free(d);
	for (size_t a = 0; a < NCOLS; a++) {
		free(names[a]);
		free(cells[a]);
	}
	free(names);
	free(cells);
}
