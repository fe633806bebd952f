/* Unit tests: the Prometheus exposition (metrics/prom.h) of a hand-made
 * model, parsed back by a strict reader of the text format 0.0.4: every
 * sample belongs to the family declared just before it (HELP, then TYPE,
 * once each), names are valid, counters end in _total and only they do,
 * label values are escaped and read back to the model's strings, no
 * series twice, every value a number. Then the content: top-N processes
 * and the truncation metrics, cgroups without a limit have no limit
 * series, only active suspects, the daemon's own cost. With promtool
 * installed, `promtool check metrics` must be clean too. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/prom.h"
#include "model_fixture.h"

#define MAXS 512

struct sample {
	char name[96];
	char labels[512];	/* as read back: k=v,k=v (values unescaped) */
	double v;
};

struct expo {
	struct sample s[MAXS];
	size_t n;
	char fam[128][96], type[128][16];
	size_t nfam;
};

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_' && *s != ':')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != ':')
			return false;
	return true;
}

/* Reads a label set at *P ('{' .. '}') into OUT; false on a syntax error. */
static bool read_labels(const char **p, char *out, size_t outlen)
{
	const char *q = *p + 1;
	size_t o = 0;

	while (*q != '}') {
		const char *k = q;

		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		if (q == k || q[0] != '=' || q[1] != '"')
			return false;
		o += (size_t)snprintf(out + o, outlen - o, "%s%.*s=", o ? "," : "", (int)(q - k), k);
		for (q += 2; *q != '"'; q++) {
			char c = *q;

			if (!c || c == '\n')
				return false;
			if (c == '\\') {
				q++;
				c = *q == 'n' ? '\n' : *q;
				if (*q != 'n' && *q != '\\' && *q != '"')
					return false;
			}
			if (o + 1 < outlen)
				out[o++] = c;
		}
		out[o] = '\0';
		q++;
		if (*q == ',')
			q++;
		else if (*q != '}')
			return false;
	}
	*p = q + 1;
	return true;
}

static void parse(const char *text, struct expo *e)
{
	char *copy = strdup(text), *save = NULL;
	const char *cur = NULL, *help = NULL;

	memset(e, 0, sizeof(*e));
	cr_assert(text[strlen(text) - 1] == '\n', "the text does not end in a newline");
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96], type[16];

		if (!strncmp(line, "# HELP ", 7)) {
			cr_assert_eq(sscanf(line, "# HELP %95s", name), 1);
			for (size_t i = 0; i < e->nfam; i++)
				cr_assert_str_neq(e->fam[i], name, "family %s declared twice", name);
			cr_assert(valid_name(name), "bad name '%s'", name);
			cr_assert_gt(strlen(line), 8 + strlen(name), "%s: empty HELP", name);
			snprintf(e->fam[e->nfam], sizeof(e->fam[0]), "%s", name);
			help = e->fam[e->nfam];
			cur = NULL;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			cr_assert_eq(sscanf(line, "# TYPE %95s %15s", name, type), 2, "%s", line);
			cr_assert(help && !strcmp(help, name), "TYPE %s not right after its HELP", name);
			cr_assert(!strcmp(type, "gauge") || !strcmp(type, "counter"), "%s: type %s",
				  name, type);
			{
				size_t l = strlen(name);
				bool total = l > 6 && !strcmp(name + l - 6, "_total");

				cr_assert_eq(total, !strcmp(type, "counter"),
					     "%s is a %s: only counters end in _total", name, type);
			}
			snprintf(e->type[e->nfam], sizeof(e->type[0]), "%s", type);
			cur = e->fam[e->nfam++];
			help = NULL;
			continue;
		}
		cr_assert_neq(line[0], '#', "stray comment: %s", line);
		{
			struct sample *s = &e->s[e->n];
			const char *p = line;
			char *end;

			cr_assert_lt(e->n, MAXS);
			while (*p && *p != '{' && *p != ' ')
				p++;
			snprintf(s->name, sizeof(s->name), "%.*s", (int)(p - line), line);
			cr_assert(cur && !strcmp(cur, s->name), "sample %s outside its family (in %s)",
				  s->name, cur ? cur : "none");
			if (*p == '{')
				cr_assert(read_labels(&p, s->labels, sizeof(s->labels)), "labels: %s",
					  line);
			cr_assert_eq(*p, ' ', "%s", line);
			p++;
			if (!strcmp(p, "+Inf") || !strcmp(p, "-Inf") || !strcmp(p, "NaN")) {
				s->v = !strcmp(p, "NaN") ? NAN : p[0] == '+' ? INFINITY : -INFINITY;
			} else {
				s->v = strtod(p, &end);
				cr_assert(end != p && *end == '\0', "not a number: %s", line);
			}
			for (size_t i = 0; i < e->n; i++)
				cr_assert(strcmp(e->s[i].name, s->name) ||
					  strcmp(e->s[i].labels, s->labels),
					  "series twice: %s{%s}", s->name, s->labels);
			e->n++;
		}
	}
	free(copy);
}

static size_t nseries(const struct expo *e, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += !strcmp(e->s[i].name, name);
	return n;
}

/* The value of NAME{LABELS}; NAN if absent. */
static double value(const struct expo *e, const char *name, const char *labels)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->s[i].name, name) && !strcmp(e->s[i].labels, labels))
			return e->s[i].v;
	return NAN;
}

static bool declared(const struct expo *e, const char *name, const char *type)
{
	for (size_t i = 0; i < e->nfam; i++)
		if (!strcmp(e->fam[i], name))
			return !strcmp(e->type[i], type);
	return false;
}

static struct expo E;
static char *text;

static void render(void)
{
	struct mx_model m = fx_model();
	size_t len = 0;

	/* the fleet counters, so that promtool sees them too */
	m.fleet = (struct mx_fleet){ .rw_on = true, .rw_sent = 100, .rw_retried = 7,
				     .rw_spool_bytes = 4096, .rw_spool_records = 2,
				     .push_on = true, .push_sent = 3, .push_failed = 1 };
	cr_assert_eq(prom__render(&m, &text, &len), 0);
	cr_assert_eq(len, strlen(text));
	parse(text, &E);
}

static void done(void)
{
	free(text);
	text = NULL;
}

TestSuite(prom, .init = render, .fini = done);

Test(prom, every_series_parses_back) { cr_assert_gt(E.n, 50); cr_assert_gt(E.nfam, 50); }

Test(prom, top_n_processes_and_the_truncation_metric)
{
	cr_assert_eq(value(&E, "seep_processes", ""), 5);
	cr_assert_eq(value(&E, "seep_processes_truncated", ""), 3);
	cr_assert_eq(nseries(&E, "seep_process_memory_bytes"), 2 * 4);
	cr_assert_eq(nseries(&E, "seep_process_start_time_seconds"), 2);
	cr_assert_eq(value(&E, "seep_process_memory_bytes",
			   "component=leaker|abc|seep.service,comm=leaker,unit=seep.service,cgroup=/system.slice/seep.service,build_id=abc,slot=0,pid=101,type=anon"),
		     200 << 20);
	cr_assert_eq(value(&E, "seep_process_memory_bytes",
			   "component=leaker|abc|seep.service,comm=leaker,unit=seep.service,cgroup=/system.slice/seep.service,build_id=abc,slot=1,type=file"),
		     9 << 20);
	cr_assert(isnan(value(&E, "seep_process_memory_bytes",
			      "component=odd|,comm=we\"ird\\na\nme,unit=,cgroup=/,build_id=,slot=0,type=anon")),
		  "pid 103 is not in the top 2");
	cr_assert_eq(value(&E, "seep_process_start_time_seconds", "component=leaker|abc|seep.service,comm=leaker,unit=seep.service,cgroup=/system.slice/seep.service,build_id=abc,slot=0,pid=101"), 1.7e9);
}

Test(prom, label_values_are_escaped_and_read_back)
{
	cr_assert(strstr(text, "comm=\"we\\\"ird\\\\na\\nme\""), "escaped comm missing");
	cr_assert_eq(value(&E, "seep_component_memory_bytes",
			   "component=odd|,comm=we\"ird\\na\nme,unit=,cgroup=/,build_id="), 20 << 20);
}

Test(prom, components_live_only)
{
	cr_assert_eq(value(&E, "seep_components", ""), 2);
	cr_assert_eq(value(&E, "seep_components_truncated", ""), 0);
	cr_assert_eq(nseries(&E, "seep_component_memory_bytes"), 2);
	cr_assert_eq(value(&E, "seep_component_process_starts_total",
			   "component=leaker|abc|seep.service,comm=leaker,unit=seep.service,cgroup=/system.slice/seep.service,build_id=abc"), 4);
	cr_assert_eq(value(&E, "seep_component_pivot_severity",
			   "component=leaker|abc|seep.service,comm=leaker,unit=seep.service,cgroup=/system.slice/seep.service,build_id=abc"), 0.5);
}

Test(prom, cgroups_bounded_and_no_limit_when_unlimited)
{
	cr_assert_eq(value(&E, "seep_cgroups_truncated", ""), 1);
	cr_assert_eq(nseries(&E, "seep_cgroup_memory_usage_bytes"), 2);
	cr_assert_eq(nseries(&E, "seep_cgroup_memory_limit_bytes"), 1);
	cr_assert_eq(value(&E, "seep_cgroup_memory_limit_bytes", "cgroup=/system.slice"), 1 << 30);
}

Test(prom, only_active_suspects)
{
	cr_assert_eq(value(&E, "seep_suspects", ""), 1);
	cr_assert_eq(nseries(&E, "seep_suspect_severity"), 1);
	cr_assert_eq(value(&E, "seep_suspect_severity",
			   "kind=process,pid=101,comm=leaker,component=leaker|abc|seep.service,"
			   "pattern=steady"), 0.8);
	cr_assert_eq(value(&E, "seep_suspect_growth_bytes_per_second",
			   "kind=process,pid=101,comm=leaker,component=leaker|abc|seep.service,"
			   "pattern=steady"), 2097152);
}

Test(prom, own_cost_in_base_units)
{
	cr_assert(declared(&E, "seep_self_cpu_seconds_total", "counter"));
	cr_assert_eq(value(&E, "seep_self_cpu_seconds_total", ""), 12.5);
	cr_assert_eq(value(&E, "seep_self_resident_memory_bytes", ""), 20 << 20);
	cr_assert_eq(value(&E, "seep_self_resident_memory_peak_bytes", ""), 30 << 20);
	cr_assert_eq(value(&E, "seep_self_resident_memory_budget_bytes", ""), 64 << 20);
	cr_assert(declared(&E, "seep_self_resident_memory_over_budget_total", "counter"));
	cr_assert_eq(value(&E, "seep_self_heap_bytes", ""), 5 << 20);
	cr_assert_eq(value(&E, "seep_store_memory_bytes", ""), 1 << 20);
	cr_assert_eq(value(&E, "seep_self_backoff_recoveries_total", ""), 1);
	cr_assert_eq(value(&E, "seep_effective_interval_seconds", ""), 2);
	cr_assert_eq(value(&E, "seep_self_backoff_level", ""), 1);
	cr_assert_eq(value(&E, "seep_bpf_prog_run_time_seconds_total", "prog=rss_stat_enter"), 1.5);
	cr_assert_eq(value(&E, "seep_bpf_prog_runs_total", "prog=sched_process_exit"), 40);
	cr_assert_eq(nseries(&E, "seep_bpf_drops_total"), 3);
}

Test(prom, fleet_counters)
{
	cr_assert(declared(&E, "seep_remote_write_samples_total", "counter"));
	cr_assert_eq(value(&E, "seep_remote_write_samples_total", "outcome=sent"), 100);
	cr_assert_eq(value(&E, "seep_remote_write_samples_total", "outcome=retried"), 7);
	cr_assert_eq(value(&E, "seep_remote_write_spool_bytes", ""), 4096);
	cr_assert_eq(value(&E, "seep_profile_pushes_total", "outcome=failed"), 1);
}

Test(prom, collections)
{
	cr_assert_eq(value(&E, "seep_collections_running", ""), 1);
	cr_assert_eq(value(&E, "seep_collection_triggers_total", "trigger=leak"), 1);
	cr_assert_eq(nseries(&E, "seep_collections_completed_total"), MX_NREASONS);
	cr_assert_eq(value(&E, "seep_collections_completed_total", "reason=cpu_budget_traps"), 0);
	/* the CPU budget: its actions, the trap cost it counts, a running
	 * collection's cost by part (the complete one has none) */
	cr_assert_eq(value(&E, "seep_collection_budget_actions_total", "action=sample_raised"), 1);
	cr_assert_eq(value(&E, "seep_collection_budget_actions_total", "action=detached_traps"), 2);
	cr_assert(declared(&E, "seep_collection_trap_seconds", "gauge"));
	cr_assert_float_eq(value(&E, "seep_collection_trap_seconds", ""), 800e-9, 1e-15);
	cr_assert_float_eq(value(&E, "seep_collection_cpu_budget_ratio", ""), 0.05, 1e-12);
	cr_assert_float_eq(value(&E, "seep_collection_cost_ratio", "id=2,pid=102,part=traps"), 0.03,
			   1e-9);
	cr_assert_float_eq(value(&E, "seep_collection_cost_ratio", "id=2,pid=102,part=bpf"), 0.002,
			   1e-9);
	cr_assert_eq(nseries(&E, "seep_collection_cost_ratio"), 2);
}

/* The labels that survive PID churn: a new instance of a component in
 * the place of one that exited shows under the same labels (its slot),
 * a non-suspect has no pid label, a suspect has one; the host label is
 * on every entity series when the model has a host; build IDs are cut to
 * 12 hex digits. */
Test(prom, labels_survive_pid_churn)
{
	struct mx_model m = fx_model();
	struct mx_proc procs[5];
	struct mx_component comps[3];
	struct expo *e = malloc(sizeof(*e));
	char *t = NULL, *t2 = NULL;
	size_t len;
	const char *lab = "host=h1,component=leaker|abc|seep.service,comm=leaker,"
			  "unit=seep.service,cgroup=/system.slice/seep.service,"
			  "build_id=0123456789ab,slot=1,type=anon";

	memcpy(procs, fx_procs, sizeof(procs));
	memcpy(comps, fx_comps, sizeof(comps));
	comps[0].build_id = "0123456789abcdef0123";
	m.procs = procs;
	m.components = comps;
	m.host = "h1";
	cr_assert_eq(prom__render(&m, &t, &len), 0);
	parse(t, e);
	cr_assert_eq(value(e, "seep_process_memory_bytes", lab), 80 << 20);
	/* pid 102 exits, pid 900 (started later) takes its place */
	procs[1].pid = 900;
	procs[1].start = 99;
	procs[1].anon = 81 << 20;
	cr_assert_eq(prom__render(&m, &t2, &len), 0);
	parse(t2, e);
	cr_assert_eq(value(e, "seep_process_memory_bytes", lab), 81 << 20);
	cr_assert(!strstr(t2, "pid=\"900\""), "a process that is no suspect has a pid label");
	cr_assert(strstr(t2, "pid=\"101\""), "the suspect has no pid label");
	cr_assert_eq(value(e, "seep_cgroup_memory_usage_bytes", "host=h1,cgroup=/system.slice"),
		     500 << 20);
	cr_assert_eq(value(e, "seep_suspect_severity",
			   "host=h1,kind=process,pid=101,comm=leaker,component=leaker|abc|seep.service,"
			   "pattern=steady"), 0.8);
	free(t);
	free(t2);
	free(e);
}

/* The series budget: suspects first, then components, processes, cgroups;
 * what did not fit is counted; no budget: nothing left out. */
Test(prom, series_budget)
{
	struct mx_model m = fx_model();
	struct expo *e = malloc(sizeof(*e));
	char *t = NULL;
	size_t len;

	cr_assert_eq(value(&E, "seep_series_budget", ""), 0);
	cr_assert_eq(value(&E, "seep_series_left_out", ""), 0);
	/* 1 suspect (2) + 2 components (12) + 1 process (5) = 19 of 2+12+10+4 = 28 */
	m.max_series = 19;
	cr_assert_eq(prom__render(&m, &t, &len), 0);
	parse(t, e);
	cr_assert_eq(value(e, "seep_series_budget", ""), 19);
	cr_assert_eq(value(e, "seep_series_left_out", ""), 9);
	cr_assert_eq(nseries(e, "seep_suspect_severity"), 1);
	cr_assert_eq(nseries(e, "seep_component_memory_bytes"), 2);
	cr_assert_eq(nseries(e, "seep_process_memory_bytes"), 4);
	cr_assert_eq(nseries(e, "seep_cgroup_memory_usage_bytes"), 0);
	cr_assert_eq(value(e, "seep_processes_truncated", ""), 4);
	cr_assert_eq(value(e, "seep_cgroups_truncated", ""), 3);
	free(t);
	free(e);
}

Test(prom, promtool_is_clean)
{
	char path[] = "/tmp/seep-prom-XXXXXX", cmd[256];
	int fd;
	FILE *p;
	char out[4096] = "";
	size_t n;

	if (access("/usr/bin/promtool", X_OK))
		cr_skip_test("promtool is not installed");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	cr_expect_eq(pclose(p), 0, "promtool: %s", out);
	cr_expect_str_eq(out, "", "promtool: %s", out);
	unlink(path);
}
