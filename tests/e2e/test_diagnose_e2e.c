/* End to end (root): seep record on targets of known shape, then seep
 * diagnose --format json: the leak is called a leak and named; a bounded
 * LRU cache and a warm-up get no leak verdict; errors are one JSON object;
 * a reference of healthy runs (seep fingerprint) ranks the stack that
 * departs from it first, and go tool pprof -diff_base reads the pair; the
 * first contrast pattern names the leaking function, against the
 * non-growing stacks or the reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define E2E(name, ...) Test(diagnose_e2e, name, .timeout = 120, ##__VA_ARGS__)

static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/seep-e2e-diag-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(diagnose_e2e, .init = setup, .fini = teardown);

/* Records CMD for 10 s, a snapshot every 0.5 s, every allocation; then
 * diagnoses the series: its JSON (the caller decrefs). */
static json_t *record_and_diagnose(const char *cmd)
{
	char dir[128];
	char *rec[] = { SEEP_BIN, "record", "-s", "1", "-c", (char *)cmd, "--every", "0.5",
			"-d", "10", "--out", dir, NULL };
	char *diag[] = { SEEP_BIN, "diagnose", dir, "--format", "json", "--top", "20", NULL };
	struct run r;
	json_t *j;

	snprintf(dir, sizeof(dir), "%s/series", tmp);
	run_cmd(rec, NULL, &r);
	cr_assert_eq(r.status, 0, "record failed (%d): %s", r.status, r.err);
	run_release(&r);
	run_cmd(diag, NULL, &r);
	cr_assert_eq(r.status, 0, "diagnose failed (%d): %s %s", r.status, r.out, r.err);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	run_release(&r);
	cr_assert_geq(json_integer_value(json_object_get(j, "snapshots")), 15);
	return j;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The stack whose allocating function is FN, or NULL. */
static json_t *stack_of(json_t *j, const char *fn)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(j, "stacks"), i, s)
		if (!strcmp(str(s, "function"), fn))
			return s;
	return NULL;
}

/* Does the first contrast pattern name FN (as its function, or as the
 * function every stack it covers shares), covering at least MIN_SHARE of
 * the target class named TARGET against the class REF? */
static void expect_top_pattern(json_t *j, const char *fn, double min_share, const char *target,
			       const char *ref)
{
	json_t *p = json_array_get(json_object_get(j, "patterns"), 0), *classes;
	const char *a, *b;

	cr_assert_not_null(p, "no contrast pattern");
	a = json_string_value(json_object_get(json_object_get(p, "items"), "function"));
	b = json_string_value(json_object_get(json_object_get(p, "implied"), "function"));
	if (!(a && !strcmp(a, fn)) && !(b && !strcmp(b, fn))) {
		char *text = json_dumps(p, JSON_COMPACT);

		cr_expect_fail("the top pattern does not name %s: %s", fn, text);
		free(text);
	}
	cr_expect_geq(json_real_value(json_object_get(p, "target_share")), min_share);
	cr_expect_lt(json_real_value(json_object_get(p, "reference_share")),
		     json_real_value(json_object_get(p, "target_share")));
	classes = json_object_get(j, "pattern_classes");
	cr_expect_str_eq(str(classes, "target"), target);
	cr_expect_str_eq(str(classes, "reference"), ref);
}

static size_t leaks(json_t *j)
{
	size_t i, n = 0;
	json_t *s;

	json_array_foreach(json_object_get(j, "stacks"), i, s)
		n += !strcmp(str(s, "verdict"), "leak");
	return n;
}

E2E(leaky_server_leak_is_first_and_named)
{
	json_t *j = record_and_diagnose(TARGET("leaky_server") " 0 2000");
	json_t *top = json_array_get(json_object_get(j, "stacks"), 0);
	double rate;

	cr_assert_not_null(top);
	cr_expect_str_eq(str(top, "verdict"), "leak");
	cr_expect_str_eq(str(top, "function"), "xstrdup");
	cr_expect_gt(json_real_value(json_object_get(top, "confidence")), 0.9);
	/* 1 KiB per request, a request every 2 ms or a little more */
	rate = json_real_value(json_object_get(top, "rate_bytes_per_s"));
	cr_expect(rate > 100 * 1024 && rate < 520 * 1024, "rate %.0f", rate);
	cr_expect_gt(json_real_value(json_object_get(json_object_get(top, "all"), "r2")), 0.95);
	cr_expect_gt(json_real_value(json_object_get(top, "age_slope")), 0.8,
		     "every leaked block stays: the oldest ages with the clock");
	expect_top_pattern(j, "xstrdup", 0.9, "leaks", "non-growing stacks");
	json_decref(j);
}

E2E(lru_cache_gets_no_leak_verdict)
{
	json_t *j = record_and_diagnose(TARGET("lru_cache") " 2000 1000");
	json_t *s = stack_of(j, "cache_value");

	cr_assert_not_null(s, "the cache's values are a stack");
	cr_expect_str_eq(str(s, "verdict"), "bounded");
	cr_expect_gt(json_real_value(json_object_get(s, "turnover")), 0.5);
	cr_expect_eq(leaks(j), 0);
	json_decref(j);
}

E2E(warm_up_is_warm_up_not_leak)
{
	json_t *j = record_and_diagnose(TARGET("warmup") " 3000 3");
	json_t *s = stack_of(j, "load_table");

	cr_assert_not_null(s);
	cr_expect_str_eq(str(s, "verdict"), "warm-up");
	cr_expect_eq(leaks(j), 0);
	json_decref(j);
}

/* phases: 500 blocks, 4 s asleep, 500 more, then nothing: two steps, no leak */
E2E(phases_steps_are_not_leaks)
{
	json_t *j = record_and_diagnose(TARGET("phases") " 500 4 500");
	json_t *two = stack_of(j, "phase_two");

	cr_assert_not_null(two);
	cr_expect_str_eq(str(two, "verdict"), "warm-up");
	cr_expect_eq(leaks(j), 0);
	json_decref(j);
}

E2E(errors_are_one_json_object)
{
	char *missing[] = { SEEP_BIN, "diagnose", "/nonexistent-series", "-f", "json", NULL };
	char *usage[] = { SEEP_BIN, "diagnose", "--top", "0", "-f", "json", "x", NULL };
	struct run r;
	json_t *j;

	run_cmd(missing, NULL, &r);
	cr_expect_eq(r.status, 1);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	cr_expect_not_null(json_string_value(json_object_get(j, "error")));
	cr_expect_eq(json_lines(r.out), 1);
	json_decref(j);
	run_release(&r);
	run_cmd(usage, NULL, &r);
	cr_expect_eq(r.status, 2);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	cr_expect(strstr(json_string_value(json_object_get(j, "error")), "--top") != NULL);
	json_decref(j);
	run_release(&r);
}

/* Records CMD for SECONDS into TMP/NAME, every allocation, every 0.5 s. */
static void record(const char *cmd, const char *name, const char *seconds)
{
	char dir[128];
	char *rec[] = { SEEP_BIN, "record", "-s", "1", "-c", (char *)cmd, "--every", "0.5",
			"-d", (char *)seconds, "--out", dir, NULL };
	struct run r;

	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	run_cmd(rec, NULL, &r);
	cr_assert_eq(r.status, 0, "record failed (%d): %s", r.status, r.err);
	run_release(&r);
}

/* Two healthy runs of ref_server make a reference (in a reference
 * directory, under the executable's build-id); a run that loses a token
 * on every 5th line departs from it at parse_line, first; go tool pprof
 * -diff_base reads the reference against the suspect's last snapshot. */
E2E(reference_ranks_the_departing_stack_first)
{
	char h1[128], h2[128], refdir[128], bad[128], cmd[512];
	char *fp[] = { SEEP_BIN, "fingerprint", h1, h2, "-o", refdir, "-f", "json", NULL };
	char *diag[] = { SEEP_BIN, "diagnose", bad, "--reference", refdir, "-f", "json", NULL };
	struct run r;
	json_t *j, *ref, *top;
	const char *path;
	FILE *p;
	char out[4096];
	size_t n;

	record(TARGET("ref_server") " 0", "h1", "3");
	record(TARGET("ref_server") " 0", "h2", "3");
	record(TARGET("ref_server") " 5", "bad", "3");
	snprintf(h1, sizeof(h1), "%s/h1", tmp);
	snprintf(h2, sizeof(h2), "%s/h2", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	snprintf(refdir, sizeof(refdir), "%s/refs", tmp);
	cr_assert_eq(mkdir(refdir, 0700), 0);
	run_cmd(fp, NULL, &r);
	cr_assert_eq(r.status, 0, "fingerprint failed (%d): %s %s", r.status, r.out, r.err);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	cr_expect_eq(json_integer_value(json_object_get(j, "runs")), 2);
	cr_assert_not_null(json_string_value(json_object_get(j, "build_id")));
	path = json_string_value(json_object_get(j, "reference"));
	cr_assert(path && strstr(path, json_string_value(json_object_get(j, "build_id"))), "%s",
		  path);
	cr_assert_eq(access(path, R_OK), 0, "%s", path);
	snprintf(cmd, sizeof(cmd),
		 "go tool pprof -top -sample_index=inuse_space -diff_base '%s' \"$(ls '%s'/snap-*.pb.gz | tail -1)\" 2>&1",
		 path, bad);
	json_decref(j);
	run_release(&r);

	run_cmd(diag, NULL, &r);
	cr_assert_eq(r.status, 0, "diagnose failed (%d): %s %s", r.status, r.out, r.err);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	ref = json_object_get(j, "reference");
	cr_assert(json_is_object(ref), "%s", r.out);
	cr_expect_eq(json_integer_value(json_object_get(ref, "runs")), 2);
	top = json_array_get(json_object_get(ref, "departures"), 0);
	cr_assert_not_null(top, "%s", r.out);
	cr_expect_str_eq(str(top, "function"), "parse_line");
	cr_expect(!strcmp(str(top, "departure"), "grew") || !strcmp(str(top, "departure"), "new"),
		  "%s", str(top, "departure"));
	cr_expect_gt(json_real_value(json_object_get(top, "share")),
		     json_real_value(json_object_get(top, "ref_share")));
	cr_expect_gt(json_real_value(json_object_get(top, "excess_bytes")), 8 * 1024,
		     "about 100 lost tokens of 96 bytes a second");
	cr_expect_eq(json_array_size(json_object_get(ref, "departures")), 1,
		     "load_config holds its usual share");
	expect_top_pattern(j, "parse_line", 0.5, json_array_size(json_object_get(j, "stacks")) &&
			   leaks(j) ? "leaks" : "growth", "reference");
	json_decref(j);
	run_release(&r);

	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_expect_eq(pclose(p), 0, "go tool pprof failed: %s", out);
	cr_expect(strstr(out, "parse_line") != NULL, "%s", out);
	cr_expect(strstr(out, "Type: inuse_space") != NULL, "%s", out);
}

E2E(reference_of_another_build_is_refused)
{
	char h1[128], refpath[128], other[128];
	char *fp[] = { SEEP_BIN, "fingerprint", h1, "-o", refpath, NULL };
	char *diag[] = { SEEP_BIN, "diagnose", other, "--reference", refpath, "-f", "json", NULL };
	struct run r;
	json_t *j;

	record(TARGET("ref_server") " 0", "h1", "2");
	record(TARGET("warmup") " 300 1", "other", "2");
	snprintf(h1, sizeof(h1), "%s/h1", tmp);
	snprintf(other, sizeof(other), "%s/other", tmp);
	snprintf(refpath, sizeof(refpath), "%s/ref.pb.gz", tmp);
	run_cmd(fp, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_release(&r);
	run_cmd(diag, NULL, &r);
	cr_expect_eq(r.status, 1);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	cr_expect(strstr(json_string_value(json_object_get(j, "error")), "build-id") != NULL, "%s",
		  r.out);
	cr_expect_eq(json_lines(r.out), 1);
	json_decref(j);
	run_release(&r);
}

/* With a reference, a series too short for verdicts is still compared:
 * no verdicts, the departures as usual. */
E2E(reference_needs_no_verdicts)
{
	char h1[128], refpath[128], bad[128];
	char *fp[] = { SEEP_BIN, "fingerprint", h1, "-o", refpath, NULL };
	char *diag[] = { SEEP_BIN, "diagnose", bad, "--reference", refpath, "-f", "json", NULL };
	char *alone[] = { SEEP_BIN, "diagnose", bad, "-f", "json", NULL };
	struct run r;
	json_t *j, *top;

	record(TARGET("ref_server") " 0", "h1", "2");
	record(TARGET("ref_server") " 2", "bad", "1");
	snprintf(h1, sizeof(h1), "%s/h1", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	snprintf(refpath, sizeof(refpath), "%s/ref.pb.gz", tmp);
	run_cmd(fp, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_release(&r);
	run_cmd(diag, NULL, &r);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	cr_assert_lt(json_integer_value(json_object_get(j, "snapshots")), 3);
	cr_expect_eq(json_array_size(json_object_get(j, "stacks")), 0);
	top = json_array_get(json_object_get(json_object_get(j, "reference"), "departures"), 0);
	cr_assert_not_null(top, "%s", r.out);
	cr_expect_str_eq(str(top, "function"), "parse_line");
	json_decref(j);
	run_release(&r);
	run_cmd(alone, NULL, &r);
	cr_expect_eq(r.status, 1, "without a reference it needs 3 snapshots");
	run_release(&r);
}
