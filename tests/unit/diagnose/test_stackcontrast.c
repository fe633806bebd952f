/* Unit tests for diagnose/stackcontrast: contrast patterns over stacks
 * with known answers (the shares a pattern covers), the redundant
 * equivalents folded, the rows a diagnosis gives. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "diagnose/diagnosis.h"
#include "diagnose/stackcontrast.h"

#define F(fn, mod, src) { .function = fn, .module = mod, .file = src, .line = 1 }

/* parse_item and parse_value in libfoo.so leak under parse_config; the
 * application's own cache and reader are the reference. */
static struct stack_frame item[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("parse_item", "/opt/libfoo.so", "src/foo.c"), F("parse_config", "/opt/libfoo.so", "src/foo.c"),
	F("main", "/usr/bin/app", "app.c") };
static struct stack_frame value[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("parse_value", "/opt/libfoo.so", "src/foo.c"), F("parse_config", "/opt/libfoo.so", "src/foo.c"),
	F("main", "/usr/bin/app", "app.c") };
static struct stack_frame cache[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("cache_put", "/usr/bin/app", "app.c"), F("main", "/usr/bin/app", "app.c") };
static struct stack_frame reader[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("read_buf", "/usr/bin/app", "io.c"), F("main", "/usr/bin/app", "app.c") };

#define ST(f) { .nframes = sizeof(f) / sizeof(f[0]), .frames = f }
static struct report_stack s_item = ST(item), s_value = ST(value), s_cache = ST(cache),
			   s_reader = ST(reader);

static const char *item_of(const struct stackcontrast_pattern *p, const char *attr,
			   const struct stackcontrast_item *items, size_t n)
{
	(void)p;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(items[i].attr, attr))
			return items[i].value;
	return NULL;
}

static void check_invariants(const struct stackcontrast *sc)
{
	for (size_t i = 0; i < stackcontrast__len(sc); i++) {
		const struct stackcontrast_pattern *p = stackcontrast__get(sc, i);

		cr_expect_gt(p->score, 0);
		cr_expect_float_eq(p->target_share,
				   (double)p->target_bytes / (double)stackcontrast__total(sc, CONTRAST_TARGET), 1e-12);
		cr_expect_float_eq(p->score, p->target_share - p->ref_share, 1e-9);
		if (i)
			cr_expect_geq(stackcontrast__get(sc, i - 1)->score, p->score, "best first");
	}
}

Test(stackcontrast, family_in_a_module_covers_92_of_the_growth_and_3_of_the_reference)
{
	struct stackcontrast_row rows[] = {
		{ &s_item, 600, CONTRAST_TARGET }, { &s_value, 320, CONTRAST_TARGET },
		{ &s_cache, 80, CONTRAST_TARGET }, { &s_item, 30, CONTRAST_BACKGROUND },
		{ &s_cache, 500, CONTRAST_BACKGROUND }, { &s_reader, 470, CONTRAST_BACKGROUND },
	};
	struct stackcontrast *sc;
	const struct stackcontrast_pattern *p;
	char desc[256];

	cr_assert_eq(stackcontrast__run(rows, 6, 5, &sc), 0);
	cr_assert_eq(stackcontrast__total(sc, CONTRAST_TARGET), 1000);
	cr_assert_eq(stackcontrast__total(sc, CONTRAST_BACKGROUND), 1000);
	cr_assert_geq(stackcontrast__len(sc), 2);
	p = stackcontrast__get(sc, 0);
	/* module=libfoo.so, file=foo.c and path3=main;parse_config cover the
	 * same bytes: the one item of the earliest attribute stays */
	cr_assert_eq(p->nitems, 1);
	stackcontrast__describe(p, desc, sizeof(desc));
	cr_expect_str_eq(desc, "{family=parse_*}");
	cr_expect_eq(p->target_bytes, 920);
	cr_expect_eq(p->ref_bytes, 30);
	cr_expect_float_eq(p->target_share, 0.92, 1e-12);
	cr_expect_float_eq(p->ref_share, 0.03, 1e-12);
	cr_expect_str_eq(item_of(p, "module", p->implied, p->nimplied), "libfoo.so");
	cr_expect_str_eq(item_of(p, "file", p->implied, p->nimplied), "foo.c");
	cr_expect_null(item_of(p, "function", p->implied, p->nimplied), "two functions");
	/* the second: parse_item alone (600 of the growth, 30 of the reference) */
	p = stackcontrast__get(sc, 1);
	stackcontrast__describe(p, desc, sizeof(desc));
	cr_expect_str_eq(desc, "{function=parse_item}");
	cr_expect_float_eq(p->score, 0.57, 1e-12, "%s", desc);
	cr_expect_eq(p->ref_bytes, 30);
	check_invariants(sc);
	stackcontrast__free(sc);
	stackcontrast__free(NULL);
}

/* Two growing stacks share no function, family, call, file or module, only
 * the frames main;serve;handle; the reference shares main;serve. */
static struct stack_frame t1[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("xstrdup", "/usr/bin/srv", "str.c"), F("handle", "/usr/bin/srv", "srv.c"),
	F("serve", "/usr/bin/srv", "srv.c"), F("main", "/usr/bin/srv", "srv.c") };
static struct stack_frame t2[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("build_reply", "/lib/libz.so", "z.c"), F("zwrap", "/lib/libz.so", "z.c"),
	F("handle", "/usr/bin/srv", "srv.c"), F("serve", "/usr/bin/srv", "srv.c"),
	F("main", "/usr/bin/srv", "srv.c") };
static struct stack_frame b1[] = { F("malloc", "/lib/libc.so.6", NULL),
	F("load_conf", "/usr/bin/srv", "conf.c"), F("serve", "/usr/bin/srv", "srv.c"),
	F("main", "/usr/bin/srv", "srv.c") };
static struct report_stack s_t1 = ST(t1), s_t2 = ST(t2), s_b1 = ST(b1);

Test(stackcontrast, the_frame_path_node_that_holds_the_growth)
{
	struct stackcontrast_row rows[] = {
		{ &s_t1, 500, CONTRAST_TARGET }, { &s_t2, 500, CONTRAST_TARGET },
		{ &s_b1, 700, CONTRAST_BACKGROUND }, { &s_cache, 300, CONTRAST_BACKGROUND },
	};
	struct stackcontrast *sc;
	const struct stackcontrast_pattern *p;
	char desc[256];

	cr_assert_eq(stackcontrast__run(rows, 4, 5, &sc), 0);
	p = stackcontrast__get(sc, 0);
	cr_assert_not_null(p);
	stackcontrast__describe(p, desc, sizeof(desc));
	cr_expect_str_eq(desc, "{path3=main;serve;handle}");
	cr_expect_float_eq(p->target_share, 1.0, 1e-12);
	cr_expect_float_eq(p->ref_share, 0.0, 1e-12);
	cr_expect_str_eq(item_of(p, "module", p->implied, p->nimplied) ?: "", "",
			 "two modules: none implied");
	for (size_t i = 1; i < stackcontrast__len(sc); i++)
		cr_expect_lt(stackcontrast__get(sc, i)->score, 0.99, "one pattern covers it all");
	check_invariants(sc);
	stackcontrast__free(sc);
}

Test(stackcontrast, nothing_grew_no_patterns)
{
	struct stackcontrast_row rows[] = { { &s_cache, 700, CONTRAST_BACKGROUND } };
	struct stackcontrast *sc;

	cr_assert_eq(stackcontrast__run(rows, 1, 5, &sc), 0);
	cr_expect_eq(stackcontrast__len(sc), 0);
	cr_expect_null(stackcontrast__get(sc, 0));
	stackcontrast__free(sc);
	cr_assert_eq(stackcontrast__run(NULL, 0, 5, &sc), 0);
	cr_expect_eq(stackcontrast__len(sc), 0);
	stackcontrast__free(sc);
}

/* A series of 6 snapshots: parse_item leaks 1000 B a second, cache_put
 * holds 5000 B throughout. */
Test(stackcontrast, from_a_diagnosis_the_leak_against_the_non_growing)
{
	enum { N = 6 };
	struct report_stack st[N][2];
	struct report r[N];
	const struct report *snaps[N];
	double t[N];
	struct diagnosis d;
	struct stackcontrast *sc;
	const struct stackcontrast_pattern *p;
	char msg[256];

	for (int i = 0; i < N; i++) {
		st[i][0] = s_item;
		st[i][0].bytes = 1000 * (uint64_t)(i + 1);
		st[i][0].count = (uint64_t)(i + 1);
		st[i][0].oldest_age_s = i;
		st[i][1] = s_cache;
		st[i][1].bytes = 5000;
		st[i][1].count = 5;
		st[i][1].oldest_age_s = 0.5;
		r[i] = (struct report){ .nstacks = 2, .stacks = st[i], .sample_bytes = 1 };
		snaps[i] = &r[i];
		t[i] = i;
	}
	cr_assert_eq(diagnosis__run(snaps, t, N, false, &d, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(d.j[0].v.kind, VERDICT_LEAK);
	cr_assert_eq(stackcontrast__from_diagnosis(&d, NULL, 5, &sc), 0);
	cr_expect_str_eq(stackcontrast__target_name(sc), "leaks");
	cr_expect_str_eq(stackcontrast__ref_name(sc), "non-growing stacks");
	cr_expect_eq(stackcontrast__total(sc, CONTRAST_TARGET), 5000);
	cr_expect_eq(stackcontrast__total(sc, CONTRAST_BACKGROUND), 5000);
	p = stackcontrast__get(sc, 0);
	cr_assert_not_null(p);
	cr_expect_str_eq(p->items[0].attr, "function");
	cr_expect_str_eq(p->items[0].value, "parse_item");
	cr_expect_float_eq(p->target_share, 1.0, 1e-12);
	cr_expect_float_eq(p->ref_share, 0.0, 1e-12);
	check_invariants(sc);
	stackcontrast__free(sc);
	diagnosis__release(&d);
	diagnosis__release(&d);
}
