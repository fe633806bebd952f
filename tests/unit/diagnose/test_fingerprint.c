/* Unit tests for diagnose/fingerprint: shares and spreads over runs, the
 * executable check, the pprof round trip of a reference, departures. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "diagnose/fingerprint.h"
#include "snapshot/pprof.h"

#define EXE_ID "6de8348c4d39b88ba5b462bd034f805a5b3265b8"

static struct stack_frame fa[] = { { .function = "malloc" },
				   { .function = "cache_put", .file = "a.c", .line = 3 },
				   { .function = "main", .file = "a.c", .line = 40, .module = "/srv/app",
				     .build_id = EXE_ID } };
static struct stack_frame fb[] = { { .function = "malloc" },
				   { .function = "table", .file = "a.c", .line = 9 },
				   { .function = "main", .file = "a.c", .line = 41, .module = "/srv/app",
				     .build_id = EXE_ID } };
static struct stack_frame fc[] = { { .function = "malloc" },
				   { .function = "parse_error", .file = "p.c", .line = 77 },
				   { .function = "main", .file = "a.c", .line = 42, .module = "/srv/app",
				     .build_id = EXE_ID } };
static struct stack_frame fother[] = { { .function = "malloc" },
				       { .function = "main", .module = "/srv/other",
					 .build_id = "aaaa" } };

static struct report_stack st(struct stack_frame *f, size_t nf, uint64_t bytes)
{
	return (struct report_stack){ .bytes = bytes, .count = bytes / 100, .nframes = nf, .frames = f };
}

static struct report snap(struct report_stack *s, size_t n)
{
	struct report r = { .nstacks = n, .stacks = s, .comm = "app" };

	for (size_t i = 0; i < n; i++)
		r.total_bytes += s[i].bytes;
	return r;
}

/* Three healthy runs: A holds 60, 70, 80 % (the rest B), one snapshot
 * each, except the first run's two snapshots (60 % and 60 %). */
static struct fingerprint *healthy(void)
{
	static struct report_stack r1a[] = { { 0 }, { 0 } }, r1b[2], r2[2], r3[2];
	struct report s1a, s1b, s2, s3;
	const struct report *run1[2] = { &s1a, &s1b }, *run2[1] = { &s2 }, *run3[1] = { &s3 };
	struct fingerprint *fp = fingerprint__new();
	char why[128];

	r1a[0] = st(fa, 3, 600); r1a[1] = st(fb, 3, 400);
	r1b[0] = st(fa, 3, 1200); r1b[1] = st(fb, 3, 800);
	r2[0] = st(fa, 3, 700); r2[1] = st(fb, 3, 300);
	r3[0] = st(fa, 3, 800); r3[1] = st(fb, 3, 200);
	s1a = snap(r1a, 2); s1b = snap(r1b, 2); s2 = snap(r2, 2); s3 = snap(r3, 2);
	cr_assert_not_null(fp);
	cr_assert_eq(fingerprint__add_run(fp, run1, 2, why, sizeof(why)), 0);
	cr_assert_eq(fingerprint__add_run(fp, run2, 1, why, sizeof(why)), 0);
	cr_assert_eq(fingerprint__add_run(fp, run3, 1, why, sizeof(why)), 0);
	return fp;
}

Test(fingerprint, share_and_spread_over_runs)
{
	struct fingerprint *fp = healthy();
	const struct fingerprint_stack *a, *b;
	double sum = 0;

	cr_expect_eq(fingerprint__runs(fp), 3);
	cr_assert_eq(fingerprint__stacks(fp), 2);
	cr_expect_str_eq(fingerprint__build_id(fp), EXE_ID);
	a = fingerprint__stack(fp, 0);
	b = fingerprint__stack(fp, 1);
	cr_expect_str_eq(a->stack.frames[1].function, "cache_put", "largest share first");
	cr_expect_float_eq(a->share, 0.7, 1e-12);
	cr_expect_float_eq(a->share_sd, 0.1, 1e-12, "sample sd of 0.6, 0.7, 0.8");
	cr_expect_float_eq(b->share, 0.3, 1e-12);
	cr_expect_eq(a->runs, 3);
	cr_expect_eq(a->stack.bytes, (900 + 700 + 800) / 3, "mean bytes over runs (run 1: its mean)");
	for (size_t i = 0; i < fingerprint__stacks(fp); i++)
		sum += fingerprint__stack(fp, i)->share;
	cr_expect_float_eq(sum, 1, 1e-12, "shares sum to 1");
	cr_expect_null(fingerprint__stack(fp, 2));
	fingerprint__free(fp);
	fingerprint__free(NULL);
}

Test(fingerprint, runs_of_another_executable_are_refused)
{
	struct fingerprint *fp = healthy();
	struct report_stack o[] = { st(fother, 2, 100) };
	struct report r = snap(o, 1);
	const struct report *run[1] = { &r };
	char why[128] = "";

	cr_assert_not_null(fingerprint__stack(fp, 0));
	cr_expect_eq(fingerprint__add_run(fp, run, 1, why, sizeof(why)), -EBUSY,
		     "no run after the reference was read");
	fingerprint__free(fp);
	fp = fingerprint__new();
	{
		struct report_stack a[] = { st(fa, 3, 100) };
		struct report ra = snap(a, 1);
		const struct report *runa[1] = { &ra };

		cr_assert_eq(fingerprint__add_run(fp, runa, 1, why, sizeof(why)), 0);
	}
	cr_expect_eq(fingerprint__add_run(fp, run, 1, why, sizeof(why)), -EXDEV);
	cr_expect(strstr(why, "aaaa") && strstr(why, EXE_ID), "%s", why);
	cr_expect_str_eq(fingerprint__exe_id(&r), "aaaa");
	fingerprint__free(fp);
}

Test(fingerprint, reference_survives_pprof)
{
	struct fingerprint *fp = healthy(), *back;
	struct report r, d;
	const char *why;
	void *buf;
	size_t len;
	struct pprof_options o = { 0 };

	cr_assert_eq(fingerprint__to_report(fp, &r), 0);
	cr_expect_eq(r.total_bytes, 817 + 350, "scaled to the runs' mean heap (1500, 1000, 1000)");
	cr_assert_eq(pprof__encode(&r, &o, &buf, &len), 0);
	cr_assert_eq(pprof__decode(buf, len, &d, &why), 0, "%s", why);
	cr_assert_eq(fingerprint__from_report(&d, &back), 0);
	cr_expect_eq(fingerprint__runs(back), 3);
	cr_expect_str_eq(fingerprint__build_id(back), EXE_ID);
	cr_assert_eq(fingerprint__stacks(back), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct fingerprint_stack *x = fingerprint__stack(fp, i),
					       *y = fingerprint__stack(back, i);

		cr_expect_str_eq(x->key, y->key);
		cr_expect_float_eq(x->share, y->share, 1e-3);
		cr_expect_float_eq(x->share_sd, y->share_sd, 1e-3);
		cr_expect_eq(x->runs, y->runs);
	}
	report__release(&r);
	report__release(&d);
	free(buf);
	fingerprint__free(fp);
	fingerprint__free(back);
}

Test(fingerprint, departures_rank_new_and_grown_stacks_first)
{
	struct fingerprint *fp = healthy();
	/* A at 50 % (usual: -2 sd), B at 35 % (usual), C new at 15 % */
	struct report_stack s[] = { st(fa, 3, 5000), st(fb, 3, 3500), st(fc, 3, 1500) };
	struct report r = snap(s, 3);
	struct departure *d;
	size_t n;

	cr_assert_eq(fingerprint__compare(fp, &r, &d, &n), 0);
	cr_assert_eq(n, 3);
	cr_expect_eq(d[0].kind, DEPART_NEW);
	cr_expect_str_eq(d[0].stack->frames[1].function, "parse_error");
	cr_expect_float_eq(d[0].share, 0.15, 1e-12);
	cr_expect_float_eq(d[0].z, 0.15 / FINGERPRINT_ABS_FLOOR, 1e-9);
	cr_expect_float_eq(d[0].excess, 1500, 1e-9);
	for (size_t i = 1; i < n; i++) {
		cr_expect_eq(d[i].kind, DEPART_USUAL, "%zu", i);
		cr_expect_leq(d[i].z, d[i - 1].z, "ranked by z");
	}
	cr_expect_str_eq(fingerprint__kind_name(d[0].kind), "new");
	free(d);
	/* B's share tripled (90 %): grew, by far */
	s[0].bytes = 1000;
	s[1].bytes = 9000;
	r = snap(s, 2);
	cr_assert_eq(fingerprint__compare(fp, &r, &d, &n), 0);
	cr_expect_eq(d[0].kind, DEPART_GREW);
	cr_expect_str_eq(d[0].stack->frames[1].function, "table");
	cr_expect_float_eq(d[0].excess, 9000 - 0.3 * 10000, 1e-6);
	cr_expect_eq(d[1].kind, DEPART_SHRANK);
	free(d);
	fingerprint__free(fp);
}
