/* Unit tests: seep fleet's reading and analysis — the automatic step and
 * the range split under Prometheus' 11,000-points cap, the query and its
 * escaping, the VictoriaMetrics export and Prometheus matrix readers
 * (label rules, skipped series, errors naming the line), and the analysis:
 * a component leaking on 3 of 8 hosts gives exactly those 3 suspects, a
 * healthy fleet none, and the ranking is the same whatever the input order
 * and the number of threads. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "fleet/fleetset.h"
#include "fleet/tsdb.h"

#define MiB (1024.0 * 1024.0)

/* --- step and split ------------------------------------------------------- */

static const double ranges[] = { 1, 59, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 400 * 86400,
				 1e9 };

ParameterizedTestParameters(tsdb, auto_step)
{
	return cr_make_param_array(double, (void *)ranges, sizeof(ranges) / sizeof(ranges[0]));
}

ParameterizedTest(double *range, tsdb, auto_step)
{
	double step = tsdb__auto_step(*range, 1);
	double points = floor(*range / step) + 1;

	cr_expect_geq(step, 1, "range %g: step %g", *range, step);
	cr_expect_eq(step, floor(step), "range %g: step %g is whole seconds", *range, step);
	cr_expect_leq(points, TSDB_AUTO_POINTS, "range %g: %g points", *range, points);
	cr_expect_leq(points, TSDB_MAX_POINTS);
	/* the finest such step */
	if (step > 1)
		cr_expect_gt(floor(*range / (step - 1)) + 1, TSDB_AUTO_POINTS, "range %g: step %g",
			     *range, step);
}

Test(tsdb, auto_step_honours_the_minimum)
{
	cr_expect_eq(tsdb__auto_step(60, 15), 15);
	cr_expect_eq(tsdb__auto_step(60, 0), 1);
}

struct split_case {
	double start, end, step;
	size_t want;		/* chunks */
};

static const struct split_case splits[] = {
	{ 1000, 1000, 1, 1 },			/* one point */
	{ 0, 10999, 1, 1 },			/* exactly the cap */
	{ 0, 11000, 1, 2 },			/* one point more */
	{ 0, 86400, 1, 8 },
	{ 1.7e9, 1.7e9 + 6 * 3600, 0.5, 4 },
	{ 5, 7 * 86400 + 5, 15, 4 },
};

ParameterizedTestParameters(tsdb, split)
{
	return cr_make_param_array(struct split_case, (void *)splits,
				   sizeof(splits) / sizeof(splits[0]));
}

ParameterizedTest(struct split_case *c, tsdb, split)
{
	struct tsdb_span spans[64];
	size_t n;

	cr_assert_eq(tsdb__split(c->start, c->end, c->step, TSDB_MAX_POINTS, spans, 64, &n), 0);
	cr_expect_eq(n, c->want, "[%g, %g] at %g: %zu chunks", c->start, c->end, c->step, n);
	cr_expect_eq(spans[0].start, c->start);
	cr_expect_eq(spans[n - 1].end, c->end);
	for (size_t i = 0; i < n; i++) {
		double points = floor((spans[i].end - spans[i].start) / c->step + 1e-9) + 1;

		cr_expect_leq(points, TSDB_MAX_POINTS, "chunk %zu: %g points", i, points);
		cr_expect_leq(spans[i].start, spans[i].end);
		if (i)
			cr_expect_float_eq(spans[i].start, spans[i - 1].end + c->step, 1e-6,
					   "chunk %zu starts one step after the last", i);
	}
}

Test(tsdb, split_refuses_bad_ranges_and_too_many_chunks)
{
	struct tsdb_span spans[4];
	size_t n;

	cr_expect_eq(tsdb__split(10, 5, 1, TSDB_MAX_POINTS, spans, 4, &n), -EINVAL);
	cr_expect_eq(tsdb__split(0, 5, 0, TSDB_MAX_POINTS, spans, 4, &n), -EINVAL);
	cr_expect_eq(tsdb__split(0, NAN, 1, TSDB_MAX_POINTS, spans, 4, &n), -EINVAL);
	cr_expect_eq(tsdb__split(0, 86400, 1, TSDB_MAX_POINTS, spans, 4, &n), -E2BIG);
}

Test(tsdb, query_and_escape)
{
	char q[256], e[512];

	cr_assert_eq(tsdb__query("{}", q, sizeof(q)), 0);
	cr_expect_str_eq(q, "seep_process_memory_bytes{type=\"anon\"}");
	cr_assert_eq(tsdb__query("{job=\"seep\",host=~\"web.*\"}", q, sizeof(q)), 0);
	cr_expect_str_eq(q, "seep_process_memory_bytes{job=\"seep\",host=~\"web.*\",type=\"anon\"}");
	cr_expect_eq(tsdb__query("job=\"seep\"", q, sizeof(q)), -EINVAL);
	cr_expect_eq(tsdb__query("{", q, sizeof(q)), -EINVAL);
	cr_expect_eq(tsdb__query(NULL, q, sizeof(q)), -EINVAL);
	cr_expect_eq(tsdb__query("{}", q, 10), -ENAMETOOLONG);
	cr_assert_eq(tsdb__escape("a{b=\"c d\"}~_.-", e, sizeof(e)), 0);
	cr_expect_str_eq(e, "a%7Bb%3D%22c%20d%22%7D~_.-");
	cr_expect_eq(tsdb__escape("{{{{", e, 8), -ENAMETOOLONG);
}

/* --- readers ---------------------------------------------------------------- */

Test(fleetset, export_lines_labels_and_skips)
{
	const char *text =
		"{\"metric\":{\"__name__\":\"seep_process_memory_bytes\",\"host\":\"a\",\"component\":\"c\","
		"\"comm\":\"x\",\"pid\":\"7\",\"type\":\"anon\",\"zone\":\"z1\",\"job\":\"seep\",\"cgroup\":\"/g\"},"
		"\"values\":[1,2,3],\"timestamps\":[1700000000000,1700000001000,1700000002500]}\n"
		"\n"
		"{\"metric\":{\"__name__\":\"seep_process_memory_bytes\",\"type\":\"file\",\"host\":\"a\"},"
		"\"values\":[1],\"timestamps\":[1700000000000]}\n"
		"{\"metric\":{\"__name__\":\"other\"},\"values\":[1],\"timestamps\":[1700000000000]}\n"
		"{\"metric\":{\"instance\":\"10.0.0.1:9474\",\"component\":\"c\"},"
		"\"values\":[5,null],\"timestamps\":[1700000000000,1700000001000]}";
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";
	const struct fleet_chunk *c;

	cr_assert(s);
	cr_assert_eq(fleet_set__read_export(s, text, strlen(text), 1, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(s->nchunks, 2);
	cr_expect_eq(s->skipped, 2, "another type and another metric are skipped");
	c = &s->chunks[0];
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_HOST), "a");
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_COMPONENT), "c");
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_COMM), "x");
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_PID), "7");
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_EXTRA), "cgroup=/g,zone=z1",
			 "extra labels sorted, job left out");
	cr_assert_eq(c->n, 3);
	cr_expect_float_eq(fleet_set__time(s, c, 2), 1700000002.5, 1e-6);
	cr_expect_float_eq(fleet_set__value(s, c, 1), 2, 1e-9);
	c = &s->chunks[1];
	cr_expect_str_eq(fleet_set__label(s, c, FLEET_HOST), "10.0.0.1:9474",
			 "no host label: the instance");
	cr_expect_eq(c->n, 1, "a null value is skipped");
	fleet_set__free(s);
}

struct bad_export {
	char text[200], want[48];	/* arrays: criterion copies the cases into another process */
};

static const struct bad_export bad_exports[] = {
	{ "{\"metric\":{},\"values\":[1],\"timestamps\":[1]}\n{not json}\n", "line 2: invalid JSON" },
	{ "[1,2]\n", "line 1: not a JSON object" },
	{ "\n\n{\"metric\":{},\"values\":[1,2],\"timestamps\":[1]}\n", "line 3: not an export series" },
	{ "{\"values\":[1],\"timestamps\":[1]}\n", "line 1: not an export series" },
	{ "{\"metric\":{},\"values\":[1,2],\"timestamps\":[1000,9e15]}\n", "line 1: timestamp" },
	/* truncated and hostile lines */
	{ "{\"metric\":{},\"values\":[1,2],\"timestamps\":[1000,2", "line 1: invalid JSON" },
	{ "{\"metric\":{\"host\":\"a\"},\"values\":[1],\"timestamps\":[1]} trailing\n",
	  "line 1: invalid JSON: unexpected text" },
	{ "{\"metric\":{\"host\":\"\xff\"},\"values\":[1],\"timestamps\":[1]}\n",
	  "line 1: invalid JSON: invalid UTF-8" },
	{ "{\"metric\":{\"host\":\"a\\u0000b\"},\"values\":[1],\"timestamps\":[1]}\n",
	  "line 1: invalid JSON" },
	{ "{\"metric\":{},\"values\":[1,],\"timestamps\":[1]}\n", "line 1: invalid JSON: trailing" },
	{ "{\"metric\":{},\"values\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"timestamps\":[1]}",
	  "line 1: invalid JSON: nested too deep" },
	{ "{\"metric\":\"x\",\"values\":[1],\"timestamps\":[1]}\n", "line 1: not an export series" },
	{ "{\"metric\":{},\"values\":[1],\"timestamps\":[1],\"values\":7}\n",
	  "line 1: not an export series" },
};

ParameterizedTestParameters(fleetset, bad_export)
{
	return cr_make_param_array(struct bad_export, (void *)bad_exports,
				   sizeof(bad_exports) / sizeof(bad_exports[0]));
}

ParameterizedTest(struct bad_export *b, fleetset, bad_export)
{
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";

	cr_assert(s);
	cr_expect_eq(fleet_set__read_export(s, b->text, strlen(b->text), 1, err, sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, b->want), "'%s' for %s", err, b->text);
	fleet_set__free(s);
}

Test(fleetset, matrix_answers)
{
	const char *ok = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
			 "{\"metric\":{\"__name__\":\"seep_process_memory_bytes\",\"host\":\"h\","
			 "\"component\":\"c\",\"type\":\"anon\"},\"values\":[[1700000000,\"10\"],"
			 "[1700000015.5,\"20\"]]}]}}";
	const char *bad = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded "
			  "maximum resolution of 11,000 points per timeseries\"}";
	const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";

	cr_assert(s);
	cr_assert_eq(fleet_set__read_matrix(s, ok, strlen(ok), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s->nchunks, 1);
	cr_expect_eq(s->chunks[0].n, 2);
	cr_expect_float_eq(fleet_set__time(s, &s->chunks[0], 1), 1700000015.5, 1e-6);
	cr_expect_float_eq(fleet_set__value(s, &s->chunks[0], 1), 20, 1e-9);
	cr_expect_eq(fleet_set__read_matrix(s, bad, strlen(bad), err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "11,000 points"), "%s", err);
	cr_expect_eq(fleet_set__read_matrix(s, vec, strlen(vec), err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "not a matrix"), "%s", err);
	cr_expect_eq(fleet_set__read_matrix(s, "<html>", 6, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "invalid JSON"), "%s", err);
	cr_expect_eq(s->nchunks, 1, "failed answers add nothing");
	fleet_set__free(s);
}

/* Hostile and truncated answers: an error, and nothing of them stays in
 * the set (a "data" read before an error "status" is taken back). */
Test(fleetset, matrix_bad_answers)
{
	static const char *const cases[][2] = {
		{ "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"host\":\"h\"},"
		  "\"values\":[[1700000000,\"10\"]]}]},\"status\":\"error\",\"error\":\"busy\"}", "busy" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
		  "{\"host\":\"h\"},\"values\":[[1700000000,\"10\"]", "invalid JSON" },
		{ "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{\"host\":\"h\"},"
		  "\"values\":[[1700000000,\"10\"]]}],\"resultType\":\"vector\"}}", "not a matrix" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
		  "{\"host\":\"h\"},\"values\":[[1700000000,\"10\"]]},{\"metric\":{}}]}}",
		  "series 1 of the matrix has no metric or values" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
		  "{\"host\":\"h\"},\"values\":[[1700000000,\"10\"],[9e15,\"1\"]]}]}}",
		  "series 0: a timestamp too far" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
		  "{\"host\":\"h\"},\"values\":[[1700000000,\"10\"],[1700000015,\"1.5e60\"]]}]}}",
		  "series 0: a value beyond the float range" },
		{ "{\"status\":\"success\"} {}", "invalid JSON" },
		{ "", "invalid JSON" },
	};
	struct fleet_set *s = fleet_set__new();
	char err[256];

	cr_assert(s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(fleet_set__read_matrix(s, cases[i][0], strlen(cases[i][0]), err,
						    sizeof(err)), -EINVAL, "case %zu", i);
		cr_expect(strstr(err, cases[i][1]), "case %zu: '%s'", i, err);
		cr_expect_eq(s->nchunks, 0, "case %zu left %zu chunks", i, s->nchunks);
		cr_expect_eq(s->nsamples, 0, "case %zu left samples", i);
	}
	fleet_set__free(s);
}

/* A value a float cannot hold (one a fuzzer found) is an error naming the
 * line, never an infinite sample; the lines before it stay. */
Test(fleetset, export_value_beyond_float)
{
	const char *text = "{\"metric\":{\"host\":\"a\"},\"values\":[1,2],\"timestamps\":[1000,2000]}\n"
			   "{\"metric\":{\"host\":\"b\"},\"values\":[1048577,1.5e60],"
			   "\"timestamps\":[1000,2000]}\n";
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";

	cr_assert(s);
	cr_expect_eq(fleet_set__read_export(s, text, strlen(text), 1, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 2: value 1.5e+60 beyond the float range"), "%s", err);
	cr_expect_eq(s->nchunks, 1);
	cr_expect_eq(s->nsamples, 2);
	fleet_set__free(s);
}

/* Extra labels past 32 (or past 1 KiB joined) cannot all be kept: the
 * series is read with the first ones, and counted, never cut silently. */
Test(fleetset, extra_labels_cut_counted)
{
	char text[4096];
	size_t n = 0;
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";

	cr_assert(s);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{\"metric\":{\"host\":\"a\"");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",\"l%02d\":\"v\"", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "},\"values\":[1],\"timestamps\":[1000]}\n"
			      "{\"metric\":{\"host\":\"b\",\"zone\":\"z\"},\"values\":[1],"
			      "\"timestamps\":[1000]}\n");
	cr_assert_lt(n, sizeof(text));
	cr_assert_eq(fleet_set__read_export(s, text, n, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s->nchunks, 2);
	cr_expect_eq(s->labels_cut, 1, "only the first series lost labels");
	cr_expect(strstr(fleet_set__label(s, &s->chunks[0], FLEET_EXTRA), "l31=v"));
	cr_expect_null(strstr(fleet_set__label(s, &s->chunks[0], FLEET_EXTRA), "l32"));
	cr_expect_str_eq(fleet_set__label(s, &s->chunks[1], FLEET_EXTRA), "zone=z");
	fleet_set__free(s);
}

/* A key given twice counts once, with its last value, as in a JSON object
 * read into a tree; escapes in labels are decoded. */
Test(fleetset, export_duplicate_keys_last_wins)
{
	const char *text = "{\"metric\":{\"host\":\"old\",\"component\":\"c\\u00e9\",\"host\":\"new\","
			   "\"zone\":1,\"zone\":\"z\"},\"values\":[9],\"timestamps\":[5],"
			   "\"values\":[1,2],\"timestamps\":[1000,2000]}\n";
	struct fleet_set *s = fleet_set__new();
	char err[256] = "";

	cr_assert(s);
	cr_assert_eq(fleet_set__read_export(s, text, strlen(text), 1, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(s->nchunks, 1);
	cr_expect_str_eq(fleet_set__label(s, &s->chunks[0], FLEET_HOST), "new");
	cr_expect_str_eq(fleet_set__label(s, &s->chunks[0], FLEET_COMPONENT), "c\xc3\xa9");
	cr_expect_str_eq(fleet_set__label(s, &s->chunks[0], FLEET_EXTRA), "zone=z");
	cr_expect_eq(s->chunks[0].n, 2);
	cr_expect_float_eq(fleet_set__value(s, &s->chunks[0], 1), 2, 1e-9);
	fleet_set__free(s);
}

/* --- analysis --------------------------------------------------------------- */

#define HOSTS 8
#define POINTS 144
#define STEP 300.0
#define T0 1.7e9

static unsigned long long rng;

static double uniform(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng >> 11) / 9007199254740992.0;
}

struct proc {
	char host[16], comp[16], comm[16], pid[16];
	int leak;
	double base;
};

/* HOSTS hosts x (web: 2 processes, db: 1); web leaks on LEAKY[h]. */
static size_t make_procs(struct proc *p, const int *leaky)
{
	size_t n = 0;

	rng = 42;
	for (int h = 0; h < HOSTS; h++) {
		for (int k = 0; k < 3; k++) {
			struct proc *x = &p[n++];

			snprintf(x->host, sizeof(x->host), "host%d", h);
			snprintf(x->comp, sizeof(x->comp), "%s", k < 2 ? "web" : "db");
			snprintf(x->comm, sizeof(x->comm), "%s", k < 2 ? "web" : "postgres");
			snprintf(x->pid, sizeof(x->pid), "%d", 100 + k * 7 + h);
			x->leak = k == 0 && leaky[h];
			x->base = (20 + 40 * uniform()) * MiB;
		}
	}
	return n;
}

/* Adds the processes P[ORDER[i]] to S, each in CHUNKS chunks. */
static void fill(struct fleet_set *s, const struct proc *p, const size_t *order, size_t n,
		 int chunks)
{
	for (size_t i = 0; i < n; i++) {
		const struct proc *x = &p[order[i]];
		const char *labels[FLEET_NLABELS] = { x->host, x->comp, x->comm, x->pid, "" };
		double t[POINTS], v[POINTS];

		rng = 1000 + order[i];
		for (int k = 0; k < POINTS; k++) {
			t[k] = T0 + k * STEP;
			v[k] = x->base * (1 + 0.01 * (uniform() - 0.5)) +
			       (x->leak ? 100 * MiB * k * STEP / 3600 : 0);
		}
		/* chunks added last first: the reader must not depend on arrival */
		for (int c = chunks - 1; c >= 0; c--) {
			size_t a = (size_t)POINTS * c / chunks, b = (size_t)POINTS * (c + 1) / chunks;

			cr_assert_eq(fleet_set__add(s, labels, t + a, v + a, b - a), 0);
		}
	}
}

static void analyse(const struct proc *p, size_t n, const size_t *order, int chunks,
		    unsigned threads, struct fleet_set **set, struct fleet_report *r)
{
	struct fleet_params fp;

	*set = fleet_set__new();
	cr_assert(*set);
	fill(*set, p, order, n, chunks);
	fleet_params__init(&fp);
	fp.threads = threads;
	cr_assert_eq(fleet__analyse(*set, &fp, r), 0);
}

static void check_sorted(const struct fleet_report *r)
{
	for (size_t i = 1; i < r->nsuspects; i++)
		cr_expect_geq(r->suspects[i - 1].severity, r->suspects[i].severity,
			      "suspect %zu ranks above a more severe one", i);
}

Test(fleet, names_exactly_the_leaking_hosts)
{
	static const int leaky[HOSTS] = { 0, 1, 0, 0, 1, 0, 0, 1 };
	struct proc p[3 * HOSTS];
	size_t n = make_procs(p, leaky), order[3 * HOSTS];
	struct fleet_report r;
	struct fleet_set *s;
	int seen[HOSTS] = { 0 };

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	analyse(p, n, order, 1, 1, &s, &r);
	cr_expect_eq(r.hosts, HOSTS);
	cr_expect_eq(r.processes, n);
	cr_expect_eq(r.ncomponents, 2);
	cr_expect_float_eq(r.step, STEP, 1e-9, "the step from the data");
	cr_expect_eq(r.nsuspects, 3, "%zu suspects", r.nsuspects);
	for (size_t i = 0; i < r.nsuspects; i++) {
		const struct fleet_suspect *x = &r.suspects[i];
		int h = atoi(x->host + 4);

		cr_expect_str_eq(x->component, "web");
		cr_expect(leaky[h], "suspect on %s", x->host);
		cr_expect_eq(x->pattern, PATTERN_STEADY);
		cr_expect_float_eq(x->slope_bytes_per_s * 3600, 100 * MiB, 5 * MiB);
		cr_expect_gt(x->severity, 0);
		seen[h]++;
	}
	for (int h = 0; h < HOSTS; h++)
		cr_expect_eq(seen[h], leaky[h], "host%d named %d times", h, seen[h]);
	/* components come by name: db, then web */
	cr_expect_str_eq(r.components[0].component, "db");
	cr_expect(!r.components[0].anomalous, "db's hosts did not move");
	cr_expect(r.components[1].anomalous, "web's hosts moved up");
	check_sorted(&r);
	fleet_report__release(&r);
	fleet_set__free(s);
}

Test(fleet, a_healthy_fleet_has_no_suspect)
{
	static const int leaky[HOSTS] = { 0 };
	struct proc p[3 * HOSTS];
	size_t n = make_procs(p, leaky), order[3 * HOSTS];
	struct fleet_report r;
	struct fleet_set *s;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	analyse(p, n, order, 1, 2, &s, &r);
	cr_expect_eq(r.nsuspects, 0);
	for (size_t i = 0; i < r.ncomponents; i++)
		cr_expect(!r.components[i].anomalous, "%s", r.components[i].component);
	fleet_report__release(&r);
	fleet_set__free(s);
}

Test(fleet, ranking_does_not_depend_on_input_order_chunks_or_threads)
{
	static const int leaky[HOSTS] = { 1, 1, 0, 1, 0, 1, 1, 0 };
	struct proc p[3 * HOSTS];
	size_t n = make_procs(p, leaky), order[3 * HOSTS];
	struct fleet_report a, b;
	struct fleet_set *sa, *sb;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	analyse(p, n, order, 1, 1, &sa, &a);
	cr_assert_gt(a.nsuspects, 3);
	check_sorted(&a);
	for (int round = 0; round < 4; round++) {
		/* a shuffled order (other interned ids), split chunks, other thread counts */
		rng = 7 + (unsigned long long)round;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)(uniform() * (double)(i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		analyse(p, n, order, 1 + round, 1 + (unsigned)round, &sb, &b);
		cr_assert_eq(b.nsuspects, a.nsuspects, "round %d", round);
		for (size_t i = 0; i < a.nsuspects; i++) {
			cr_expect_str_eq(b.suspects[i].host, a.suspects[i].host, "round %d, rank %zu",
					 round, i);
			cr_expect_str_eq(b.suspects[i].pid, a.suspects[i].pid);
			cr_expect_eq(b.suspects[i].severity, a.suspects[i].severity);
			cr_expect_eq(b.suspects[i].slope_bytes_per_s, a.suspects[i].slope_bytes_per_s);
		}
		fleet_report__release(&b);
		fleet_set__free(sb);
	}
	fleet_report__release(&a);
	fleet_set__free(sa);
}

Test(fleet, names_compare_numbers_by_value)
{
	cr_expect_lt(fleet__name_cmp("9", "10"), 0);
	cr_expect_lt(fleet__name_cmp("010", "11"), 0);
	cr_expect_eq(fleet__name_cmp("007", "7"), 0);
	cr_expect_lt(fleet__name_cmp("99999", "a"), 0, "numbers before names");
	cr_expect_lt(fleet__name_cmp("host10", "host9"), 0, "names in strcmp order");
	cr_expect_eq(fleet__name_cmp("", ""), 0);
}

Test(fleet, empty_set_is_enodata)
{
	struct fleet_set *s = fleet_set__new();
	struct fleet_params fp;
	struct fleet_report r;

	fleet_params__init(&fp);
	cr_expect_eq(fleet__analyse(s, &fp, &r), -ENODATA);
	fleet_report__release(&r);
	fleet_set__free(s);
}
