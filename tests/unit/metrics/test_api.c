/* Unit tests: the JSON API (metrics/api.h) over a hand-made model: every
 * endpoint parses, has the documented keys with the documented JSON
 * types (docs/daemon.md, "API reference"), numbers in base units, the
 * values of the model; an unknown path is -ENOENT. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "metrics/api.h"
#include "model_fixture.h"

static json_t *get(const char *path)
{
	struct mx_model m = fx_model();
	char *buf = NULL;
	size_t len = 0;
	json_t *j;
	json_error_t e;

	cr_assert_eq(api__render(&m, path, &buf, &len), 0, "%s", path);
	cr_assert_eq(len, strlen(buf));
	j = json_loads(buf, 0, &e);
	cr_assert(j, "%s: %s", path, e.text);
	free(buf);
	return j;
}

/* KEYS: "name:t" with t one of s (string), i (integer), n (number: real
 * or integer), b (boolean), o (object), a (array), z (null), S (string or
 * null), N (number or null). Exactly these keys. */
static void shape(json_t *o, const char *what, const char *const keys[])
{
	size_t n = 0;

	cr_assert(json_is_object(o), "%s is not an object", what);
	for (; keys[n]; n++) {
		char name[64];
		const char *colon = strchr(keys[n], ':');
		json_t *v;
		bool ok;

		snprintf(name, sizeof(name), "%.*s", (int)(colon - keys[n]), keys[n]);
		v = json_object_get(o, name);
		cr_assert(v, "%s: no '%s'", what, name);
		switch (colon[1]) {
		case 's': ok = json_is_string(v); break;
		case 'i': ok = json_is_integer(v); break;
		case 'n': ok = json_is_number(v); break;
		case 'b': ok = json_is_boolean(v); break;
		case 'o': ok = json_is_object(v); break;
		case 'a': ok = json_is_array(v); break;
		case 'z': ok = json_is_null(v); break;
		case 'S': ok = json_is_string(v) || json_is_null(v); break;
		case 'N': ok = json_is_number(v) || json_is_null(v); break;
		default: ok = false;
		}
		cr_assert(ok, "%s: '%s' is not of type %c", what, name, colon[1]);
	}
	cr_assert_eq(json_object_size(o), n, "%s: %zu keys, %zu documented", what,
		     json_object_size(o), n);
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

Test(api, processes)
{
	json_t *j = get("/api/processes"), *a = json_object_get(j, "processes"), *p;
	static const char *const top[] = { "time:n", "count:i", "processes:a", NULL };
	static const char *const proc[] = { "pid:i", "start_ticks:i", "start_time:n", "comm:s",
					    "component:s", "rss_bytes:i", "anon_bytes:i",
					    "file_bytes:i", "shmem_bytes:i", "swap_bytes:i",
					    "suspect:b", NULL };

	shape(j, "processes", top);
	cr_assert_eq(json_array_size(a), 5, "every process, not only the top N");
	for (size_t i = 0; i < json_array_size(a); i++)
		shape(json_array_get(a, i), "process", proc);
	p = json_array_get(a, 0);
	cr_assert_eq(num(p, "pid"), 101);
	cr_assert_eq(num(p, "rss_bytes"), (200 << 20) + (10 << 20) + (1 << 20));
	cr_assert(json_is_true(json_object_get(p, "suspect")));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 2), "comm")),
			 "we\"ird\\na\nme");
	json_decref(j);
}

Test(api, components)
{
	json_t *j = get("/api/components"), *a = json_object_get(j, "components"), *c;
	static const char *const top[] = { "time:n", "components:a", NULL };
	static const char *const comp[] = { "key:s", "comm:s", "build_id:s", "unit:s", "cgroup:s",
					    "processes:i", "rss_bytes:i", "swap_bytes:i",
					    "started:i", "exited:i", "short_lived:i", "suspect:b",
					    "pivot:o", NULL };
	static const char *const pivot[] = { "ready:b", "anomalous:b", "severity:n",
					     "bucket_low_bytes:n", "bucket_high_bytes:N", "z:n",
					     NULL };

	shape(j, "components", top);
	cr_assert_geq(json_array_size(a), 2);
	for (size_t i = 0; i < json_array_size(a); i++) {
		shape(json_array_get(a, i), "component", comp);
		shape(json_object_get(json_array_get(a, i), "pivot"), "pivot", pivot);
	}
	c = json_array_get(a, 0);
	cr_assert_str_eq(json_string_value(json_object_get(c, "key")), "leaker|abc|seep.service");
	cr_assert_eq(num(json_object_get(c, "pivot"), "z"), 4.5);
	json_decref(j);
}

Test(api, suspects_with_evidence)
{
	json_t *j = get("/api/suspects"), *a = json_object_get(j, "suspects"), *s, *ev;
	static const char *const top[] = { "time:n", "suspects:a", NULL };
	static const char *const sus[] = { "kind:s", "pid:i", "start_ticks:i", "comm:s",
					   "component:s", "start_time:n", "end_time:n",
					   "first_suspected:n", "pattern:s", "severity:n",
					   "rss_bytes:n", "active:b", "alive:b", "evidence:o", "growth:a",
					   NULL };
	static const char *const evd[] = { "algo:s", "window_start:n", "window_end:n",
					   "time_to_threshold_s:N", "threshold_bytes:n",
					   "slope_bytes_per_s:n", "r2:n", "pivot_severity:n", NULL };

	shape(j, "suspects", top);
	cr_assert_eq(json_array_size(a), 2, "inactive suspects stay listed");
	for (size_t i = 0; i < 2; i++) {
		shape(json_array_get(a, i), "suspect", sus);
		shape(json_object_get(json_array_get(a, i), "evidence"), "evidence", evd);
	}
	s = json_array_get(a, 0);
	ev = json_object_get(s, "evidence");
	cr_assert_eq(num(ev, "slope_bytes_per_s"), 2097152);
	cr_assert_eq(num(ev, "time_to_threshold_s"), 3600);
	/* never reaching the threshold: null, not a number JSON cannot hold */
	cr_assert(json_is_null(json_object_get(json_object_get(json_array_get(a, 1), "evidence"),
					       "time_to_threshold_s")));
	cr_assert(json_is_false(json_object_get(json_array_get(a, 1), "active")));
	json_decref(j);
}

Test(api, collections)
{
	json_t *j = get("/api/collections"), *a = json_object_get(j, "collections"), *c;
	static const char *const top[] = { "time:n", "running:i", "budget:o", "collections:a",
					   NULL };
	static const char *const budget[] = { "cpu:n", "trap_ns:n", "trap_source:s",
					      "sample_raised:i", "detached:i", "detached_traps:i",
					      NULL };
	static const char *const col[] = { "id:i", "pid:i", "start_ticks:i", "comm:s",
					   "trigger:s", "pattern:s", "state:s", "reason:S",
					   "severity:n", "started:n", "ended:N", "dir:s",
					   "snapshots:a", "count:i", "bytes:i", "live_bytes:i",
					   "sample_bytes:i", "bpf_cpu_ratio:n", "budget_actions:i",
					   "traps_cpu_ratio:n", "cost_cpu_ratio:n", "hits:i",
					   "bpf_ns:i", "target_cpu_ns:i", NULL };
	json_t *b = json_object_get(j, "budget");

	shape(j, "collections", top);
	shape(b, "budget", budget);
	cr_expect_float_eq(num(b, "cpu"), 0.05, 1e-12);
	cr_expect_float_eq(num(b, "trap_ns"), 800, 1e-9);
	cr_expect_str_eq(json_string_value(json_object_get(b, "trap_source")), "calibrated");
	cr_expect_eq(json_integer_value(json_object_get(b, "sample_raised")), 1);
	cr_expect_eq(json_integer_value(json_object_get(b, "detached")), 0);
	cr_expect_eq(json_integer_value(json_object_get(b, "detached_traps")), 2);
	cr_assert_eq(json_array_size(a), 2);
	for (size_t i = 0; i < 2; i++)
		shape(json_array_get(a, i), "collection", col);
	c = json_array_get(a, 0);
	cr_assert_str_eq(json_string_value(json_object_get(c, "reason")), "snapshots");
	cr_assert_eq(json_array_size(json_object_get(c, "snapshots")), 2);
	c = json_array_get(a, 1);
	cr_assert(json_is_null(json_object_get(c, "reason")), "running: no reason yet");
	cr_expect_float_eq(num(c, "traps_cpu_ratio"), 0.03, 1e-12);
	cr_expect_float_eq(num(c, "cost_cpu_ratio"), 0.032, 1e-12);
	cr_expect_float_eq(num(c, "bpf_cpu_ratio"), 0.002, 1e-12);
	cr_expect_eq(json_integer_value(json_object_get(c, "hits")), 37500);
	cr_expect_eq(json_integer_value(json_object_get(c, "bpf_ns")), 2000000);
	cr_expect_eq(json_integer_value(json_object_get(c, "target_cpu_ns")), 1000000000);
	cr_expect_eq(json_integer_value(json_object_get(c, "budget_actions")), 1);
	cr_assert(json_is_null(json_object_get(c, "ended")));
	json_decref(j);
}

Test(api, status)
{
	json_t *j = get("/api/status"), *d, *mem;
	static const char *const top[] = { "time:n", "host:o", "processes:i", "cgroups:i",
					   "suspects:i", "daemon:o", NULL };
	static const char *const host[] = { "memory_total_bytes:i", "memory_available_bytes:i",
					    NULL };
	static const char *const dmn[] = {
		"cpu_seconds:n", "rss_bytes:i", "cpu_ratio:n", "cpu_budget_ratio:n",
		"interval_s:n", "effective_interval_s:n", "backoff_level:i", "samples:i",
		"sample_seconds:n", "detect_seconds:n", "store_bytes:i", "bpf_loaded:b",
		"rss_stat_attached:b", "bpf_stats:b", "bpf_programs:a", "bpf_drops:o",
		"memory:o", "backoff_recoveries:i", "growth_stacks:o", "memory_cap:o",
		"bpf_backoff:o", NULL };
	static const char *const prog[] = { "name:s", "attached:b", "run_time_ns:i", "run_cnt:i",
					    "recursion_misses:i", NULL };
	static const char *const drops[] = { "map_full:i", "no_owner:i", "ring_full:i", NULL };
	static const char *const memk[] = { "rss_bytes:i", "rss_peak_bytes:i",
					    "rss_budget_bytes:i", "over_budget_intervals:i",
					    "heap_bytes:i", "store_bytes:i", NULL };

	shape(j, "status", top);
	shape(json_object_get(j, "host"), "host", host);
	d = json_object_get(j, "daemon");
	shape(d, "daemon", dmn);
	shape(json_object_get(d, "bpf_drops"), "bpf_drops", drops);
	for (size_t i = 0; i < json_array_size(json_object_get(d, "bpf_programs")); i++)
		shape(json_array_get(json_object_get(d, "bpf_programs"), i), "program", prog);
	mem = json_object_get(d, "memory");
	shape(mem, "memory", memk);
	cr_assert_eq(num(j, "suspects"), 1, "active suspects only");
	cr_assert_eq(num(d, "effective_interval_s"), 2);
	cr_assert_eq(num(mem, "rss_budget_bytes"), 64 << 20);
	cr_assert_eq(num(d, "backoff_recoveries"), 1);
	json_decref(j);
}

Test(api, unknown_path)
{
	struct mx_model m = fx_model();
	char *buf = (char *)1;
	size_t len = 1;

	cr_assert_eq(api__render(&m, "/api/nosuch", &buf, &len), -ENOENT);
	cr_assert_null(buf);
	cr_assert_eq(len, 0);
}
