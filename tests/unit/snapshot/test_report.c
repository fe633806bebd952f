/* Golden renderings of a hand-built report (tests/unit/golden/). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot/report.h"

static char *dupe(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void frame(struct stack_frame *f, const char *fn, const char *mod, uint64_t off,
		  const char *file, int line)
{
	f->function = dupe(fn);
	f->module = dupe(mod);
	f->offset = off;
	f->file = dupe(file);
	f->line = line;
}

static void sample(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->pid = 4242;
	strcpy(r->comm, "leaky_server");
	r->time = 1700000000.25;
	r->elapsed_s = 10.0004;
	r->final = true;
	r->total_bytes = 1049600;
	r->total_count = 1026;
	r->stacks_total = 3;
	r->nstacks = 2;
	r->stacks = calloc(2, sizeof(*r->stacks));
	r->stacks[0] = (struct report_stack){ .bytes = 1048576, .count = 1024,
		.oldest_age_s = 9.87654, .alloc_bytes = 1048576, .alloc_count = 1024, .nframes = 3 };
	r->stacks[0].frames = calloc(3, sizeof(struct stack_frame));
	frame(&r->stacks[0].frames[0], "malloc", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x98930,
	      NULL, 0);
	frame(&r->stacks[0].frames[1], "xstrdup", "/srv/leaky_server", 0x1325, "/src/leaky.c", 18);
	r->stacks[0].frames[1].build_id = strdup("5e1f0c2a9b7d4e3f8a6b1c0d2e4f6a8b9c0d1e2f");
	frame(&r->stacks[0].frames[2], "handle_request", "/srv/leaky_server", 0x13fe,
	      "/src/leaky.c", 57);
	r->stacks[1] = (struct report_stack){ .bytes = 1024, .count = 2, .oldest_age_s = 0.5,
		.alloc_bytes = 4096, .alloc_count = 8, .truncated = true, .nframes = 2 };
	r->stacks[1].frames = calloc(2, sizeof(struct stack_frame));
	frame(&r->stacks[1].frames[0], "realloc", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x99130,
	      NULL, 0);
	frame(&r->stacks[1].frames[1], NULL, "[anon:exec]", 0x40, NULL, 0);
	r->stats[SEEP_STAT_ALLOCS] = 5000;
	r->stats[SEEP_STAT_ALLOC_BYTES] = 9000000;
	r->stats[SEEP_STAT_FREES] = 3974;
	r->stats[SEEP_STAT_FREES_UNTRACKED] = 3;
	r->stats[SEEP_STAT_DROP_LIVE_FULL] = 2;
	r->stats[SEEP_STAT_DROP_LIVE_FULL_BYTES] = 2048;
	r->stats[SEEP_STAT_DROP_MISSED_RETURN] = 1;
}

static char *render(const struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(report__write(r, fmt, f), 0);
	fclose(f);
	return buf;
}

/* Reads golden file NAME; with SEEP_UPDATE_GOLDEN=1 in the environment,
 * first rewrites it with GOT (review the diff before committing). */
static char *golden(const char *name, const char *got)
{
	char path[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/golden/%s", SEEP_SRC_DIR, name);
	if (getenv("SEEP_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(got, f);
		fclose(f);
	}
	f = fopen(path, "r");
	cr_assert_not_null(f, "missing golden file %s", path);
	cr_assert_eq(getdelim(&buf, &len, '\0', f) > 0, 1);
	fclose(f);
	return buf;
}

/* The sample as a sampled trace reports it: estimates with uncertainty. */
static void sampled(struct report *r)
{
	r->sample_bytes = 524288;
	r->total_samples = 7;
	r->stacks[0].bytes_stddev = 412345.6;
	r->stacks[0].samples = 5;
	r->stacks[1].bytes_stddev = 1200;
	r->stacks[1].samples = 2;
}

static void check_with(enum report_format fmt, const char *name, bool is_sampled)
{
	struct report r;
	char *got, *want;

	setenv("TZ", "UTC", 1);
	tzset();
	sample(&r);
	if (is_sampled)
		sampled(&r);
	got = render(&r, fmt);
	want = golden(name, got);
	cr_expect_str_eq(got, want, "rendering differs from %s:\n%s", name, got);
	free(got);
	free(want);
	report__release(&r);
}

static void check(enum report_format fmt, const char *name)
{
	check_with(fmt, name, false);
}

Test(report, json_golden)
{
	check(REPORT_JSON, "report.json");
}

Test(report, text_golden)
{
	check(REPORT_TEXT, "report.txt");
}

Test(report, sampled_text_golden)
{
	check_with(REPORT_TEXT, "report-sampled.txt", true);
}

Test(report, sampled_json_golden)
{
	check_with(REPORT_JSON, "report-sampled.json", true);
}

Test(report, drops_named_and_totalled)
{
	cr_assert_str_eq(report__stat_name(SEEP_STAT_DROP_MISSED_RETURN), "missed_returns");
	cr_assert(report__stat_is_drop(SEEP_STAT_DROP_STACK_LOST));
	cr_assert(!report__stat_is_drop(SEEP_STAT_FREES_UNTRACKED));
	for (int s = 0; s < SEEP_STAT__MAX; s++)
		cr_assert_not_null(report__stat_name(s), "counter %d has a name", s);
}

/* User space's own drops (a stack store full, copies still queued) are
 * named apart from the BPF side's stacks_lost and counted in drops_total;
 * the execs followed are a field of their own, shown in text once any. */
Test(report, user_space_drops_and_execs)
{
	struct report r;
	char *json, *text;
	json_t *j, *drops;

	setenv("TZ", "UTC", 1);
	tzset();
	sample(&r);
	json = render(&r, REPORT_JSON);
	j = json_loads(json, 0, NULL);
	cr_assert_not_null(j, "%s", json);
	drops = json_object_get(json_object_get(j, "stats"), "drops");
	cr_expect_eq(json_integer_value(json_object_get(drops, "stack_store_full")), 0);
	cr_expect_eq(json_integer_value(json_object_get(drops, "stacks_queued")), 0);
	cr_expect_eq(json_integer_value(json_object_get(j, "execs")), 0);
	json_int_t total = json_integer_value(json_object_get(json_object_get(j, "stats"),
							      "drops_total"));
	json_decref(j);
	free(json);
	text = render(&r, REPORT_TEXT);
	cr_expect_null(strstr(text, "execs:"), "no exec, no line: %s", text);
	free(text);

	r.stack_store_full = 40;
	r.stacks_queued = 5;
	r.execs = 2;
	json = render(&r, REPORT_JSON);
	j = json_loads(json, 0, NULL);
	cr_assert_not_null(j, "%s", json);
	drops = json_object_get(json_object_get(j, "stats"), "drops");
	cr_expect_eq(json_integer_value(json_object_get(drops, "stack_store_full")), 40);
	cr_expect_eq(json_integer_value(json_object_get(drops, "stacks_queued")), 5);
	cr_expect_eq(json_integer_value(json_object_get(drops, "stacks_lost")),
		     (json_int_t)r.stats[SEEP_STAT_DROP_STACK_LOST], "the BPF side's alone");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "stats"), "drops_total")),
		     total + 45);
	cr_expect_eq(json_integer_value(json_object_get(j, "execs")), 2);
	json_decref(j);
	text = render(&r, REPORT_TEXT);
	cr_expect_not_null(strstr(text, "stack_store_full 40, stacks_queued 5)"), "%s", text);
	cr_expect_not_null(strstr(text, "  execs: 2 followed"), "%s", text);
	free(json);
	free(text);
	report__release(&r);
}

Test(report, release_is_null_safe)
{
	struct report r = { 0 };

	report__release(&r);
	report__release(NULL);
}

/* A stack that back-pressure took by frame pointers says so: true in the
 * JSON, a note under its frames in text, its counter named as a drop. */
Test(report, frame_pointer_fallback_marked)
{
	struct report r;
	char *json, *text;

	setenv("TZ", "UTC", 1);
	tzset();
	sample(&r);
	r.stacks[1].fp_fallback = true;
	r.stats[SEEP_STAT_DEGRADED_FP] = 7;
	json = render(&r, REPORT_JSON);
	text = render(&r, REPORT_TEXT);
	cr_expect_not_null(strstr(json, "\"truncated\":false,\"fp_fallback\":false"), "%s", json);
	cr_expect_not_null(strstr(json, "\"truncated\":true,\"fp_fallback\":true"), "%s", json);
	cr_expect_not_null(strstr(json, "\"stacks_frame_pointer\":7"), "%s", json);
	cr_expect_not_null(strstr(json, "\"drops_total\":10"), "%s", json);
	cr_expect_not_null(strstr(text, "(frame-pointer frames: the stack ring was full"), "%s", text);
	cr_expect_null(strstr(strstr(text, "#2"), "#1"), "the note is under stack #2");
	cr_expect(report__stat_is_drop(SEEP_STAT_DEGRADED_FP));
	cr_expect_str_eq(report__stat_name(SEEP_STAT_DEGRADED_FP), "stacks_frame_pointer");
	free(json);
	free(text);
	report__release(&r);
}
