/* Unit tests: tier 4 in the exporters: /api/mitigations (every decision
 * with its fields, the non-zero counts, off when unconfigured) and the
 * seep_mitigation_* families of /metrics (every action x outcome while on,
 * none while off, the executor counter). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/api.h"
#include "metrics/prom.h"

static const char *const actions[MX_MIT_NACTIONS] = { "none", "notify", "restart", "brake" };
static const char *const outcomes[MX_MIT_NOUTCOMES] = {
	"done", "failed", "dry_run", "notified", "awaiting_snapshot", "gated", "denied",
	"not_allowed", "rate_limited", "backoff", "host_cap", "stopped", "ready",
};

static struct mx_model model(bool enabled)
{
	static const struct mx_mitigation d = {
		.t_s = 1700000000.5, .target = "process:42:7", .subject = "cgroup:/app",
		.kind = "process", .comm = "leaker", .unit = "", .cgroup = "/app", .pid = 42,
		.start = 7, .action = "brake", .outcome = "done", .code = "done",
		.reason = "cannot be restarted", .detail = "write 1 to 'x'", .dry_run = false,
	};
	struct mx_model m = { .now_s = 1700000001 };

	m.mitigate.action_names = actions;
	m.mitigate.outcome_names = outcomes;
	if (enabled) {
		m.mitigations = &d;
		m.nmitigations = 1;
		m.mitigate.enabled = true;
		m.mitigate.window_s = 60;
		m.mitigate.executor_calls = 1;
		m.mitigate.decisions[3][0] = 1;
		m.mitigate.decisions[3][5] = 2;
	}
	return m;
}

Test(mitigation_export, api)
{
	struct mx_model m = model(true);
	char *buf;
	size_t len;
	json_t *j, *x, *c;

	cr_assert_eq(api__render(&m, "/api/mitigations", &buf, &len), 0);
	j = json_loads(buf, 0, NULL);
	free(buf);
	cr_assert(j);
	cr_expect(json_is_true(json_object_get(j, "enabled")));
	cr_expect(json_is_false(json_object_get(j, "dry_run")));
	cr_expect_eq(json_integer_value(json_object_get(j, "executor_calls")), 1);
	x = json_array_get(json_object_get(j, "decisions"), 0);
	cr_assert(x);
	cr_expect_str_eq(json_string_value(json_object_get(x, "outcome")), "done");
	cr_expect_str_eq(json_string_value(json_object_get(x, "subject")), "cgroup:/app");
	cr_expect_str_eq(json_string_value(json_object_get(x, "detail")), "write 1 to 'x'");
	cr_expect_eq(json_integer_value(json_object_get(x, "pid")), 42);
	cr_expect_eq(json_array_size(json_object_get(j, "counts")), 2, "only non-zero counts");
	c = json_array_get(json_object_get(j, "counts"), 1);
	cr_expect_str_eq(json_string_value(json_object_get(c, "outcome")), "gated");
	cr_expect_eq(json_integer_value(json_object_get(c, "count")), 2);
	json_decref(j);
	m = model(false);
	cr_assert_eq(api__render(&m, "/api/mitigations", &buf, &len), 0);
	j = json_loads(buf, 0, NULL);
	free(buf);
	cr_expect(json_is_false(json_object_get(j, "enabled")));
	cr_expect_eq(json_array_size(json_object_get(j, "decisions")), 0);
	cr_expect_null(json_object_get(j, "dry_run"), "no mode while off");
	cr_expect_null(json_object_get(j, "window_s"), "no window while off");
	json_decref(j);
}

Test(mitigation_export, prom)
{
	struct mx_model m = model(true);
	char *buf, line[128];
	size_t len, n = 0;

	cr_assert_eq(prom__render(&m, &buf, &len), 0);
	cr_expect(strstr(buf, "\nseep_mitigation_executor_calls_total 1\n"));
	cr_expect(strstr(buf, "\nseep_mitigation_enabled 1\n"));
	cr_expect(strstr(buf, "\nseep_mitigation_dry_run 0\n"));
	cr_expect(strstr(buf, "seep_mitigation_decisions_total{action=\"brake\",outcome=\"done\"} 1\n"));
	cr_expect(strstr(buf, "# TYPE seep_mitigation_decisions_total counter\n"));
	for (int a = 0; a < MX_MIT_NACTIONS; a++)
		for (int o = 0; o < MX_MIT_NOUTCOMES; o++) {
			snprintf(line, sizeof(line),
				 "seep_mitigation_decisions_total{action=\"%s\",outcome=\"%s\"} ",
				 actions[a], outcomes[o]);
			n += strstr(buf, line) != NULL;
		}
	cr_expect_eq(n, MX_MIT_NACTIONS * MX_MIT_NOUTCOMES, "every action x outcome is a series");
	free(buf);
	m = model(false);
	cr_assert_eq(prom__render(&m, &buf, &len), 0);
	cr_expect(strstr(buf, "\nseep_mitigation_executor_calls_total 0\n"));
	cr_expect(strstr(buf, "\nseep_mitigation_enabled 0\n"));
	cr_expect_null(strstr(buf, "seep_mitigation_decisions_total"),
		       "no decision series while mitigation is off");
	free(buf);
}
