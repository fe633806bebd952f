/* kdetect: LBR over each kernel site's live-bytes series, one sample per
 * report; a site absent from a report starts over. */
#include <criterion/criterion.h>

#include "diagnose/kdetect.h"

/* Feeds site 1 the values V (one per report), site 2 a flat series. */
static struct kreport_detect run(struct kdetect *d, const double *v, size_t n)
{
	struct kreport_detect out;

	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(kdetect__observe(d, 1, (uint64_t)v[i]), 0);
		cr_assert_eq(kdetect__observe(d, 2, 4096), 0);
		cr_assert_eq(kdetect__commit(d), 0);
	}
	kdetect__verdict(d, 2, &out);
	cr_expect_not(out.leak, "a flat series is no leak");
	kdetect__verdict(d, 1, &out);
	return out;
}

Test(kdetect, a_steady_rise_is_a_leak)
{
	const double v[] = { 1000, 2000, 2900, 4100, 5000, 6000, 7100, 8000 };
	struct kdetect *d = kdetect__new(0.5, 0);
	struct kreport_detect r = run(d, v, 8);

	cr_expect(r.judged);
	cr_expect(r.leak);
	cr_expect_eq(r.points, 8);
	cr_expect_float_eq(r.slope_per_s, 2000, 100, "about 1000 bytes per 0.5 s");
	cr_expect_geq(r.r2, 0.8);
	cr_expect_str_eq(r.algo, "lbr");
	cr_expect_eq(kdetect__leaks(d), 1);
	kdetect__free(d);
	kdetect__free(NULL);
}

Test(kdetect, a_rise_with_a_pause_is_a_leak_a_step_is_not)
{
	const double paused[] = { 1000, 2000, 3000, 3000, 4000, 5000, 6000, 7000 };
	const double step[] = { 1000, 1000, 1000, 1000, 9000, 9000, 9000, 9000 };
	const double storm[] = { 0, 8000, 200, 7900, 100, 8100, 0, 7800 };
	struct kdetect *d = kdetect__new(0.5, 0);
	struct kreport_detect r = run(d, paused, 8);

	cr_expect(r.leak, "kgrowth would not call it growing; the detector does");
	kdetect__free(d);
	d = kdetect__new(0.5, 0);
	r = run(d, step, 8);
	cr_expect(r.judged);
	cr_expect_not(r.leak, "one step up is no leak");
	kdetect__free(d);
	d = kdetect__new(0.5, 0);
	r = run(d, storm, 8);
	cr_expect_not(r.leak, "churn that comes back is no leak");
	kdetect__free(d);
}

Test(kdetect, short_series_are_not_judged_and_absence_starts_over)
{
	const double v[] = { 1000, 2000, 3000, 4000 };
	struct kdetect *d = kdetect__new(1, 0);
	struct kreport_detect r = run(d, v, 4);
	struct kreport rep = { 0 };
	struct kreport_site ks = { .id = 1 };

	cr_expect_not(r.judged, "fewer than %d points", KDETECT_MIN_POINTS);
	cr_assert_eq(kdetect__observe(d, 1, 5000), 0);
	cr_assert_eq(kdetect__commit(d), 0);
	kdetect__verdict(d, 1, &r);
	cr_expect(r.judged);
	cr_expect(r.leak);
	cr_assert_eq(kdetect__commit(d), 0);    /* site 1 absent: forgotten */
	kdetect__verdict(d, 1, &r);
	cr_expect_not(r.judged);
	cr_assert_eq(kdetect__observe(d, 1, 9000), 0);
	cr_assert_eq(kdetect__commit(d), 0);
	rep.base.nstacks = 1;
	rep.sites = &ks;
	kdetect__annotate(d, &rep);
	cr_expect_eq(ks.detect.points, 1, "started over");
	cr_expect_eq(rep.detected_total, 0);
	cr_expect_null(kdetect__new(0, 0));
	kdetect__free(d);
}
