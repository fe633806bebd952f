/* End to end (no root needed): runs the built `seep detect` on small CSV
 * files and checks its JSON report with jansson, its exit codes and its
 * errors. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"

#ifndef SEEP_BUILD_DIR
#error "SEEP_BUILD_DIR must name the build directory"
#endif

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "cli"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(cli_detect, .init = setup, .fini = teardown);

/* Writes DIR/NAME: 1 day at 40 then 2 days rising 1/h (5-minute samples);
 * or FLAT at 40 throughout. */
static const char *series_file(const char *name, int flat)
{
	static char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f, "timestamp,value\n");
	for (int i = 0; i < 72 * 12; i++) {
		double v = i < 24 * 12 || flat ? 40 : 40 + (i - 24 * 12) / 12.0;

		fprintf(f, "%d,%.4f\n", 1600000000 + i * 300, v);
	}
	fclose(f);
	return p;
}

static const char *text_file(const char *name, const char *text)
{
	static char p[128];

	cr_assert_eq(scratch__put(p, sizeof(p), dir, name, text), 0);
	return p;
}

/* Runs `seep detect ARGS`; returns the exit code, *OUT the parsed stdout
 * (NULL when it is not JSON). */
static int run(const char *args, json_t **out)
{
	char cmd[1024], buf[65536];
	size_t len;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/seep detect %s 2>%s/stderr", SEEP_BUILD_DIR, args, dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	len = fread(buf, 1, sizeof(buf) - 1, p);
	buf[len] = 0;
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s: did not exit", cmd);
	if (out)
		*out = json_loads(buf, 0, NULL);
	return WEXITSTATUS(st);
}

Test(cli_detect, leak_json)
{
	char args[256];
	json_t *j;

	snprintf(args, sizeof(args), "%s --format json", series_file("leak.csv", 0));
	cr_assert_eq(run(args, &j), 0);
	cr_assert_not_null(j);
	cr_assert(json_is_true(json_object_get(j, "leak")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "algorithm")), "seep");
	cr_assert_str_eq(json_string_value(json_object_get(j, "pattern")), "steady");
	/* why: the rule that chose it, and a ramp that a line explains */
	{
		json_t *why = json_object_get(j, "pattern_why");

		cr_assert(json_is_object(why));
		cr_assert_str_eq(json_string_value(json_object_get(why, "rule")), "sustained trend");
		cr_assert_gt(json_number_value(json_object_get(why, "line_fit")), 0.9);
		cr_assert_eq(json_integer_value(json_object_get(why, "drops")), 0);
	}
	double ws = json_number_value(json_object_get(j, "window_start"));
	double we = json_number_value(json_object_get(j, "window_end"));
	cr_assert_lt(ws, we);
	/* the 5-minute grid is aligned to multiples of 300 s */
	cr_assert_float_eq(we, 1600000000 + (72 * 12 - 1) * 300, 300);
	cr_assert_float_eq(json_number_value(json_object_get(j, "slope_per_hour")), 1, 0.05);
	cr_assert_gt(json_number_value(json_object_get(j, "r2")), 0.95);
	/* at 87.9 now, rising 1/h; the 1 h trailing median lags by 27.5 min:
	 * 12.5 h to 100 */
	cr_assert_float_eq(json_number_value(json_object_get(j, "time_to_threshold_s")),
			   12.5 * 3600, 600);
	json_decref(j);
}

Test(cli_detect, every_algorithm_reports_the_required_keys)
{
	static const char *const algos[] = { "lbr", "lbrcpd", "precog", "precogmf", "seep" };
	static const char *const keys[] = { "leak", "algorithm", "window_start", "window_end",
		"slope_per_hour", "r2", "time_to_threshold_s", "pattern" };
	const char *file = series_file("leak.csv", 0);

	for (size_t a = 0; a < 5; a++) {
		char args[256];
		json_t *j;

		snprintf(args, sizeof(args), "%s -a %s --format json", file, algos[a]);
		cr_assert_eq(run(args, &j), 0, "%s", algos[a]);
		cr_assert_not_null(j, "%s", algos[a]);
		for (size_t k = 0; k < 8; k++)
			cr_assert_not_null(json_object_get(j, keys[k]), "%s: no '%s'", algos[a], keys[k]);
		cr_assert_str_eq(json_string_value(json_object_get(j, "algorithm")), algos[a]);
		/* a perfect ramp over the last two days: every detector sees it */
		cr_assert(json_is_true(json_object_get(j, "leak")), "%s", algos[a]);
		json_decref(j);
	}
}

Test(cli_detect, flat_is_not_a_leak)
{
	char args[256];
	json_t *j;

	snprintf(args, sizeof(args), "%s --format json -a lbrcpd", series_file("flat.csv", 1));
	cr_assert_eq(run(args, &j), 0);
	cr_assert_not_null(j);
	cr_assert(json_is_false(json_object_get(j, "leak")));
	cr_assert(json_is_null(json_object_get(j, "window_start")));
	cr_assert(json_is_null(json_object_get(j, "time_to_threshold_s")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "pattern")), "none");
	cr_assert_not_null(json_object_get(json_object_get(j, "pattern_why"), "rule"));
	json_decref(j);
}

Test(cli_detect, threshold_relative_to_a_limit)
{
	char args[256];
	json_t *j;

	/* U = 50% of 180 bytes = 90: reached sooner than 100 */
	snprintf(args, sizeof(args), "%s --format json --threshold 50%% --limit 180B",
		 series_file("leak.csv", 0));
	cr_assert_eq(run(args, &j), 0);
	cr_assert_float_eq(json_number_value(json_object_get(j, "threshold")), 90, 1e-9);
	cr_assert_float_eq(json_number_value(json_object_get(j, "time_to_threshold_s")),
			   2.5 * 3600, 600);
	json_decref(j);
}

/* Bad input: exit 1 and a JSON error that says what and where. No pointers
 * in parameters: they cross processes. */
struct bad_input {
	char text[48];
	char want[2][24];
};

ParameterizedTestParameters(cli_detect, bad_input_exits_1)
{
	static struct bad_input cases[] = {
		{ "timestamp,value\n0,1\n300,oops\n", { "line 3", "'oops'" } },
		{ "0,1\nsoon,2\n", { "line 2", "invalid timestamp" } },
		{ "", { "no samples", "bad.csv" } },
		{ "timestamp,value\n", { "no samples", "bad.csv" } },
		{ "0,1\n4000000000,2\n", { "stray timestamp", "bad.csv" } },
	};
	return cr_make_param_array(struct bad_input, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_input *c, cli_detect, bad_input_exits_1)
{
	char args[256];
	const char *e;
	json_t *j;

	snprintf(args, sizeof(args), "%s --format json", text_file("bad.csv", c->text));
	cr_assert_eq(run(args, &j), 1, "%s", c->text);
	cr_assert_not_null(j);
	e = json_string_value(json_object_get(j, "error"));
	cr_assert_not_null(e);
	for (int k = 0; k < 2; k++)
		cr_assert(strstr(e, c->want[k]), "'%s' lacks '%s'", e, c->want[k]);
	json_decref(j);
}

Test(cli_detect, usage_errors_exit_2)
{
	char args[256];
	const char *f = series_file("leak.csv", 0);

	cr_assert_eq(run("", NULL), 2);
	snprintf(args, sizeof(args), "%s --algo nope", f);
	cr_assert_eq(run(args, NULL), 2);
	snprintf(args, sizeof(args), "%s --critical soon", f);
	cr_assert_eq(run(args, NULL), 2);
	snprintf(args, sizeof(args), "%s --threshold lots", f);
	cr_assert_eq(run(args, NULL), 2);
	cr_assert_eq(run("--help", NULL), 0);
}

Test(cli_detect, precog_model_round_trip_and_plot)
{
	char args[512], model[128], svg[128], head[64] = "";
	const char *f = series_file("leak.csv", 0);
	json_t *a, *b;
	FILE *fp;

	snprintf(model, sizeof(model), "%s/model.json", dir);
	snprintf(svg, sizeof(svg), "%s/plot.svg", dir);
	snprintf(args, sizeof(args), "%s -a precogmf --train-fraction 0.5 --save-model %s "
		 "--plot %s --format json", f, model, svg);
	cr_assert_eq(run(args, &a), 0);
	cr_assert(access(model, R_OK) == 0);
	/* the saved model, applied to the same series, gives the same verdict */
	snprintf(args, sizeof(args), "%s -a precogmf --model %s --format json", f, model);
	cr_assert_eq(run(args, &b), 0);
	cr_assert_eq(json_is_true(json_object_get(a, "leak")), json_is_true(json_object_get(b, "leak")));
	json_decref(a);
	json_decref(b);
	fp = fopen(svg, "r");
	cr_assert_not_null(fp);
	cr_assert_not_null(fgets(head, sizeof(head), fp));
	fclose(fp);
	cr_assert(strstr(head, "<?xml") || strstr(head, "<svg"), "%s", head);
}
