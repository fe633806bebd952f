/* End to end: `seep contrast` on generated CSV files, asserting on its JSON
 * output and exit codes. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contrast_gen.h"

#ifndef SEEP_BUILD_DIR
#error "SEEP_BUILD_DIR must name the build directory"
#endif

#define SEEP SEEP_BUILD_DIR "/seep"

static char csv_path[64], err_path[64];

static void _setup(void)
{
	strcpy(csv_path, "/tmp/seep-e2e-contrast-XXXXXX");
	int fd = mkstemp(csv_path);
	cr_assert(fd >= 0);
	close(fd);
	strcpy(err_path, "/tmp/seep-e2e-contrast-err-XXXXXX");
	fd = mkstemp(err_path);
	cr_assert(fd >= 0);
	close(fd);
}

static void _teardown(void)
{
	unlink(csv_path);
	unlink(err_path);
}

TestSuite(contrast_cli, .init = _setup, .fini = _teardown);

/* Runs seep with ARGS, returns the exit code; *OUT gets stdout parsed as
 * JSON when OUT is not NULL (NULL if it is not JSON). */
static int _run(const char *args, json_t **out)
{
	char cmd[1024];
	json_error_t jerr;

	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", SEEP, args, err_path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	json_t *j = json_loadf(p, JSON_DISABLE_EOF_CHECK, &jerr);
	char sink[4096];
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;
	int status = pclose(p);
	cr_assert(WIFEXITED(status), "seep did not exit normally: %s", cmd);
	if (out)
		*out = j;
	else
		json_decref(j);
	return WEXITSTATUS(status);
}

static bool _stderr_has(const char *needle)
{
	char buf[4096] = "";
	FILE *f = fopen(err_path, "r");

	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void _generate(uint64_t seed, size_t combos)
{
	struct gen_spec s;

	gen_spec__defaults(&s, combos, seed);
	cr_assert_eq(gen_spec__plant(&s, "App=APP1"), 0);
	cr_assert_eq(gen_spec__plant(&s, "APIVersion=V1"), 0);
	cr_assert_eq(gen__csv(&s, csv_path), 0);
}

Test(contrast_cli, planted_app_and_version_first)
{
	char args[512];
	json_t *j;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		_generate(seed, 30000);
		snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak "
			 "--count-col Count --seed %llu --format json", csv_path, (unsigned long long)seed);
		cr_assert_eq(_run(args, &j), 0);
		cr_assert_not_null(j, "output is not JSON");

		json_t *pats = json_object_get(j, "patterns");
		cr_assert(json_is_array(pats) && json_array_size(pats) > 1);
		json_t *first = json_array_get(pats, 0);
		json_t *items = json_object_get(first, "items");
		cr_assert_eq(json_object_size(items), 2, "first pattern has %zu items",
			     json_object_size(items));
		cr_assert_str_eq(json_string_value(json_object_get(items, "App")), "APP1");
		cr_assert_str_eq(json_string_value(json_object_get(items, "APIVersion")), "V1");
		json_int_t tc = json_integer_value(json_object_get(first, "target_count"));
		json_int_t bc = json_integer_value(json_object_get(first, "background_count"));
		cr_assert_gt(tc, 0);
		cr_assert_gt(bc, 0);
		/* Best first. */
		double prev = json_real_value(json_object_get(first, "score"));
		for (size_t i = 1; i < json_array_size(pats); i++) {
			double s = json_real_value(json_object_get(json_array_get(pats, i), "score"));

			cr_assert_leq(s, prev);
			prev = s;
		}
		/* The hierarchy chains were mined from the data. */
		json_t *chains = json_object_get(j, "hierarchy");
		bool found = false;
		size_t i;
		json_t *c;
		json_array_foreach(chains, i, c) {
			if (json_array_size(c) == 3 &&
			    !strcmp(json_string_value(json_array_get(c, 0)), "Node") &&
			    !strcmp(json_string_value(json_array_get(c, 1)), "Rack") &&
			    !strcmp(json_string_value(json_array_get(c, 2)), "Datacenter"))
				found = true;
		}
		cr_assert(found, "chain Node -> Rack -> Datacenter not reported");
		json_decref(j);
	}
}

Test(contrast_cli, exhaustive_agrees)
{
	char args[512];
	json_t *a, *b;

	_generate(7, 10000);
	snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak --count-col Count "
		 "--max-len 3 --format json", csv_path);
	cr_assert_eq(_run(args, &a), 0);
	snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak --count-col Count "
		 "--max-len 3 --exhaustive --format json", csv_path);
	cr_assert_eq(_run(args, &b), 0);
	json_t *pa = json_array_get(json_object_get(a, "patterns"), 0);
	json_t *pb = json_array_get(json_object_get(b, "patterns"), 0);
	cr_assert(json_equal(json_object_get(pa, "items"), json_object_get(pb, "items")));
	cr_assert_eq(json_real_value(json_object_get(pa, "score")),
		     json_real_value(json_object_get(pb, "score")));
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "search"), "method")),
			 "exhaustive");
	json_decref(a);
	json_decref(b);
}

Test(contrast_cli, errors_and_exit_codes)
{
	char args[512];
	json_t *j;
	FILE *f;

	_generate(1, 200);
	/* Usage errors: exit 2. */
	snprintf(args, sizeof(args), "contrast %s --class-col Status", csv_path);
	cr_assert_eq(_run(args, NULL), 2);
	cr_assert(_stderr_has("--class-col and --target are required"));
	snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak --objective median", csv_path);
	cr_assert_eq(_run(args, NULL), 2);
	cr_assert(_stderr_has("invalid value 'median' for --objective"));
	snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak --objective p90", csv_path);
	cr_assert_eq(_run(args, NULL), 2);
	cr_assert(_stderr_has("needs --metric-col"));

	/* Runtime errors: exit 1, reported on stderr or, with JSON, as an error
	 * object on stdout (and then not on stderr). */
	snprintf(args, sizeof(args), "contrast %s --class-col State --target leak --format json", csv_path);
	cr_assert_eq(_run(args, &j), 1);
	cr_assert(!_stderr_has("class column 'State' not found"));
	cr_assert_not_null(j);
	cr_assert(strstr(json_string_value(json_object_get(j, "error")), "'State' not found"));
	json_decref(j);
	snprintf(args, sizeof(args), "contrast %s --class-col State --target leak", csv_path);
	cr_assert_eq(_run(args, NULL), 1);
	cr_assert(_stderr_has("class column 'State' not found"));

	snprintf(args, sizeof(args), "contrast %s --class-col Status --target crash --count-col Count", csv_path);
	cr_assert_eq(_run(args, NULL), 1);
	cr_assert(_stderr_has("no instance of the target class"));

	f = fopen(csv_path, "w");
	fputs("Status,Count,App\nleak,1,APP1\nok,2,\"APP2\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "contrast %s --class-col Status --target leak --count-col Count", csv_path);
	cr_assert_eq(_run(args, NULL), 1);
	cr_assert(_stderr_has("line 3: unterminated quoted field"));
}
