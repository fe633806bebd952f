/* config — defaults, INI file, overrides; see config.h. */
#include "daemon/config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kind { K_DURATION, K_SIZE, K_STRING, K_BOOL, K_U32, K_INT, K_DOUBLE };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, size;	/* size: strings only */
	double min, max;	/* numbers */
	const char *help;
};

#define F(field) offsetof(struct daemon_config, field), sizeof(((struct daemon_config *)0)->field)

static const struct key keys[] = {
	{ "daemon", "interval", K_DURATION, F(interval_s), 0.1, 86400, "sampling interval" },
	{ "daemon", "store", K_STRING, F(store), 0, 0, "SQLite store (created 0600)" },
	{ "daemon", "listen", K_STRING, F(listen), 0, 0, "HTTP ADDR:PORT; empty: no HTTP" },
	{ "daemon", "listen_public", K_BOOL, F(listen_public), 0, 0,
	  "allow a listen address that is not loopback (the API has no authentication)" },
	{ "daemon", "bpf", K_BOOL, F(bpf), 0, 0, "tier 0 from BPF (rss_stat); no: /proc only" },
	{ "daemon", "scope_cgroup", K_STRING, F(scope_cgroup), 0, 0,
	  "track only processes in this memory cgroup or below it (a container); empty: all" },
	{ "daemon", "host", K_STRING, F(host), 0, 0, "the host label; empty: the host name" },
	{ "retention", "max_age", K_DURATION, F(max_age_s), 60, 1e9, "samples older are dropped" },
	{ "retention", "max_bytes", K_SIZE, F(max_bytes), 1 << 20, 1e15,
	  "oldest samples dropped above this store size" },
	{ "telemetry", "fold", K_DURATION, F(fold_s), 0, 1e9,
	  "younger processes count only in their component" },
	{ "telemetry", "max_procs", K_U32, F(max_procs), 64, 4194304, "BPF process table size" },
	{ "telemetry", "cgroup_depth", K_INT, F(cgroup_depth), 0, 16, "cgroup levels walked" },
	{ "telemetry", "growth_stacks", K_STRING, F(growth_stacks), 0, 0,
	  "where memory grows, by user stack: off, suspects (process suspects) or all" },
	{ "detect", "algos", K_STRING, F(algos), 0, 0, "detectors: seep, lbr, lbrcpd" },
	{ "detect", "scale", K_DURATION, F(scale_s), 1, 86400,
	  "detector seconds per sample (300: one sample is the detectors' 5-minute step)" },
	{ "detect", "threshold", K_STRING, F(threshold), 0, 0,
	  "U: 'host' (MemTotal) or a size a leak must not reach" },
	{ "detect", "history", K_U32, F(history), 16, 1000000, "samples kept per series" },
	{ "detect", "min_samples", K_U32, F(min_samples), 8, 1000000,
	  "samples before a series is judged" },
	{ "pivot", "window", K_U32, F(pivot_window), 8, 100000, "samples in the pivot window" },
	{ "pivot", "z", K_DOUBLE, F(pivot_z), 0.5, 100, "z-score of an anomalous bucket" },
	{ "pivot", "base", K_SIZE, F(pivot_base), 4096, 1e12, "upper edge of the lowest bucket" },
	{ "metrics", "top", K_U32, F(top_n), 1, 100000, "processes with their own series" },
	{ "metrics", "max_cgroups", K_U32, F(max_cgroups), 1, 100000, "cgroups exported" },
	{ "metrics", "max_series", K_U32, F(max_series), 0, 10000000,
	  "series budget of the process, component, cgroup and suspect series; 0: none" },
	{ "remote_write", "url", K_STRING, F(rw_url), 0, 0,
	  "Prometheus remote_write receiver, e.g. http://vm:8428/api/v1/write; empty: off" },
	{ "remote_write", "interval", K_DURATION, F(rw_interval_s), 0, 86400,
	  "between two requests; 0: every daemon interval" },
	{ "remote_write", "timeout", K_DURATION, F(rw_timeout_s), 0.1, 600, "of one request" },
	{ "remote_write", "max_backoff", K_DURATION, F(rw_max_backoff_s), 0.5, 3600,
	  "longest wait between two retries (0.5s doubling, with jitter)" },
	{ "remote_write", "spool_dir", K_STRING, F(rw_spool_dir), 0, 0,
	  "requests kept while the receiver is down; empty: 'remote_write' next to the store" },
	{ "remote_write", "spool_max_bytes", K_SIZE, F(rw_spool_max_bytes), 4096, 1e15,
	  "spool bound; the oldest requests are dropped past it" },
	{ "remote_write", "labels", K_STRING, F(rw_labels), 0, 0,
	  "extra labels on every series, name=value,name=value" },
	{ "profiles", "pyroscope", K_STRING, F(prof_pyroscope), 0, 0,
	  "Pyroscope base URL snapshots are pushed to (/ingest); empty: none" },
	{ "profiles", "parca", K_STRING, F(prof_parca), 0, 0,
	  "Parca base URL snapshots are pushed to (/api/profiles/writeraw); empty: none" },
	{ "profiles", "app", K_STRING, F(prof_app), 0, 0,
	  "application name (Pyroscope) and profile name (Parca __name__)" },
	{ "profiles", "labels", K_STRING, F(prof_labels), 0, 0,
	  "extra labels on every snapshot, name=value,name=value" },
	{ "profiles", "timeout", K_DURATION, F(prof_timeout_s), 0.1, 600, "of one push" },
	{ "profiles", "retries", K_U32, F(prof_retries), 0, 100,
	  "tries after a failed push (5xx, 429, no connection)" },
	{ "profiles", "backoff", K_DURATION, F(prof_backoff_s), 0.01, 3600,
	  "wait before the first retry, doubling" },
	{ "budget", "cpu", K_DOUBLE, F(cpu_budget), 0.001, 1, "share of a core for the daemon" },
	{ "budget", "bpf_cpu", K_DOUBLE, F(bpf_budget), 0.001, 1,
	  "share of a core for the BPF programs" },
	{ "budget", "rss", K_SIZE, F(rss_budget), 1 << 20, 1ULL << 40,
	  "the daemon's own resident memory it warns above" },
	{ "budget", "rss_cap", K_SIZE, F(rss_cap), 0, 1ULL << 40,
	  "own resident memory it sheds series above (idle components, smallest processes); 0: off" },
	{ "collect", "top_k", K_U32, F(collect_top_k), 0, 1000,
	  "suspects by severity whose leak verdict starts a heap collection; 0: none" },
	{ "collect", "max_active", K_U32, F(collect_max_active), 1, 64,
	  "heap collections running at once" },
	{ "collect", "dir", K_STRING, F(collect_dir), 0, 0,
	  "snapshot series directories; empty: 'collections' next to the store" },
	{ "collect", "every", K_DURATION, F(collect_every_s), 0, 86400,
	  "between two snapshots; 0: 5 intervals" },
	{ "collect", "snapshots", K_U32, F(collect_snapshots), 2, 10000,
	  "snapshots of a steady leak's series" },
	{ "collect", "steps", K_U32, F(collect_steps), 1, 1000, "steps of a stair captured" },
	{ "collect", "max_time", K_DURATION, F(collect_max_s), 1, 1e7,
	  "time budget of one collection" },
	{ "collect", "max_bytes", K_SIZE, F(collect_max_bytes), 4096, 1e15,
	  "byte budget of one collection's snapshot files" },
	{ "collect", "sample_bytes", K_SIZE, F(collect_sample_bytes), 1, 1ULL << 40,
	  "the heap tracer's mean bytes between samples" },
	{ "collect", "cpu", K_DOUBLE, F(collect_cpu), 0.0001, 1000,
	  "heap probes' cost (traps + BPF run time) as a share of the target's own CPU" },
	{ "collect", "trap_ns", K_DOUBLE, F(collect_trap_ns), 0, 1e6,
	  "one probe hit's trap cost in ns; 0: measured on this host at start" },
	{ "collect", "budget_check", K_DURATION, F(collect_budget_check_s), 0.001, 60,
	  "between two checks of the collections' CPU budget" },
	{ "collect", "comms", K_STRING, F(collect_comms), 0, 0,
	  "comma-separated command names that may be collected; empty: any" },
	{ "trigger", "psi", K_STRING, F(psi), 0, 0,
	  "memory pressure trigger written to /proc/pressure/memory; empty: none" },
	{ "trigger", "psi_cooldown", K_DURATION, F(psi_cooldown_s), 0, 1e7,
	  "between two pressure triggers" },
	{ "trigger", "cgroup", K_BOOL, F(cgroup_events), 0, 0,
	  "cgroup memory events (limit near, OOM) start a collection" },
	{ "trigger", "cgroup_share", K_DOUBLE, F(cgroup_share), 0.01, 1,
	  "usage over the limit that counts as the limit reached (cgroup v1)" },
	{ "reference", "every", K_DURATION, F(ref_every_s), 0, 1e8,
	  "between two rounds of reference snapshots; 0: none" },
	{ "reference", "count", K_U32, F(ref_count), 1, 1000,
	  "reference snapshots per round (one instance per component)" },
	{ "reference", "duration", K_DURATION, F(ref_s), 1, 3600,
	  "a reference snapshot's tracing time" },
	{ "reference", "sample_bytes", K_SIZE, F(ref_sample_bytes), 1, 1ULL << 40,
	  "the heap tracer's mean bytes between samples for a reference" },
	{ "reference", "dir", K_STRING, F(ref_dir), 0, 0,
	  "reference series; empty: 'references' next to the store" },
	{ "mitigation", "enabled", K_BOOL, F(mitigation.enabled), 0, 0,
	  "tier 4: act on confirmed leaks (restart, brake, notify); off by default" },
	{ "mitigation", "dry_run", K_BOOL, F(mitigation.dry_run), 0, 0,
	  "only log what would be done, to whom and why" },
	{ "mitigation", "allow", K_STRING, F(mitigation.allow), 0, 0,
	  "units and cgroups that may be restarted or braked (comma-separated fnmatch patterns)" },
	{ "mitigation", "avoid", K_STRING, F(mitigation.avoid), 0, 0,
	  "comms, units and cgroups never touched (besides PID 1, seep, journald, sshd)" },
	{ "mitigation", "window", K_DURATION, F(mitigation.window_s), 1, 1e8,
	  "at most one action per target in this window" },
	{ "mitigation", "host_cap", K_U32, F(mitigation.host_cap), 1, 1000,
	  "actions per window on the whole host" },
	{ "mitigation", "max_backoff", K_U32, F(mitigation.max_backoff), 1, 1 << 20,
	  "the longest wait between two actions on a target, in windows (doubling from one)" },
	{ "mitigation", "confidence", K_DOUBLE, F(mitigation.confidence), 0, 1,
	  "the leak verdict's fit (r2) needed to act" },
	{ "mitigation", "min_verdicts", K_U32, F(mitigation.min_verdicts), 1, 100000,
	  "consecutive leak verdicts needed to act" },
	{ "mitigation", "time_to_limit", K_DURATION, F(mitigation.time_to_limit_s), 1, 1e12,
	  "act only when the projected time to the limit is shorter" },
	{ "mitigation", "brake_margin", K_SIZE, F(mitigation.brake_margin), 0, 1ULL << 50,
	  "a brake sets memory.high (v2) or memory.soft_limit_in_bytes (v1) to usage + this" },
	{ "mitigation", "restart_command", K_STRING, F(mitigation.restart_command), 0, 0,
	  "restarts a process without a unit (/bin/sh -c; SEEP_PID, SEEP_COMM, ...); empty: none" },
	{ "mitigation", "executor", K_STRING, F(mitigation.executor), 0, 0,
	  "real, or record:PATH (tests: calls appended to PATH, nothing done)" },
	{ "mitigation", "cgroup_root", K_STRING, F(mitigation.cgroup_root), 0, 0,
	  "the memory cgroup hierarchy braked; empty: the mounted one" },
};

void daemon_config__defaults(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_s = 60;
	snprintf(c->store, sizeof(c->store), "/var/lib/seep/seep.db");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:9474");
	c->bpf = true;
	c->max_age_s = 7 * 86400;
	c->max_bytes = 256ULL << 20;
	c->fold_s = 120;
	snprintf(c->growth_stacks, sizeof(c->growth_stacks), "suspects");
	c->max_procs = 16384;
	c->cgroup_depth = 3;
	snprintf(c->algos, sizeof(c->algos), "seep");
	c->scale_s = 300;
	snprintf(c->threshold, sizeof(c->threshold), "host");
	c->history = 2016;
	c->min_samples = 24;
	c->pivot_window = 64;
	c->pivot_z = 3;
	c->pivot_base = 1 << 20;
	c->top_n = 50;
	c->max_cgroups = 200;
	c->cpu_budget = 0.01;
	c->bpf_budget = 0.01;
	c->rss_budget = 64ULL << 20;
	c->rss_cap = 96ULL << 20;
	c->collect_top_k = 3;
	c->collect_max_active = 2;
	c->collect_every_s = 0;
	c->collect_snapshots = 4;
	c->collect_steps = 3;
	c->collect_max_s = 1800;
	c->collect_max_bytes = 64ULL << 20;
	c->collect_sample_bytes = 512 * 1024;
	c->collect_cpu = 0.05;
	c->collect_trap_ns = 0;
	c->collect_budget_check_s = 0.05;
	snprintf(c->psi, sizeof(c->psi), "some 150000 2000000");
	c->psi_cooldown_s = 600;
	c->cgroup_events = true;
	c->cgroup_share = 0.9;
	c->ref_every_s = 6 * 3600;
	c->ref_count = 4;
	c->ref_s = 20;
	c->ref_sample_bytes = 2 * 1024 * 1024;
	mitigate_config__defaults(&c->mitigation);
	c->max_series = 2000;
	c->rw_timeout_s = 10;
	c->rw_max_backoff_s = 30;
	c->rw_spool_max_bytes = 64ULL << 20;
	snprintf(c->prof_app, sizeof(c->prof_app), "seep_heap");
	c->prof_timeout_s = 10;
	c->prof_retries = 3;
	c->prof_backoff_s = 1;
}

int daemon_config__parse_duration(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end), mult = 1;

	if (end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 1e-3;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else
		return -EINVAL;
	*out = v * mult;
	return 0;
}

int daemon_config__parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = { { "", 1 }, { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 },
		      { "GiB", 1073741824.0 }, { "TiB", 1099511627776.0 }, { "K", 1024.0 },
		      { "M", 1048576.0 }, { "G", 1073741824.0 } };
	char *end;
	double v = strtod(s, &end);

	if (end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].suffix)) {
			if (v * units[i].mult > 1.8e19)
				return -ERANGE;
			*out = (uint64_t)(v * units[i].mult);
			return 0;
		}
	return -EINVAL;
}

int daemon_config__set_kv(struct daemon_config *c, const char *section, const char *name,
			  const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		char *field = (char *)c + k->off, *end;
		double d = 0;
		uint64_t u = 0;
		int bad = 0;

		if (strcmp(k->section, section) || strcmp(k->name, name))
			continue;
		switch (k->kind) {
		case K_STRING:
			if (strlen(value) >= k->size) {
				snprintf(err, errlen, "value of '%s.%s' too long", section, name);
				return -EINVAL;
			}
			strcpy(field, value);
			return 0;
		case K_BOOL:
			if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1"))
				*(bool *)field = true;
			else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") ||
				 !strcmp(value, "0"))
				*(bool *)field = false;
			else
				bad = 1;
			break;
		case K_DURATION:
			bad = daemon_config__parse_duration(value, &d) || d < k->min || d > k->max;
			if (!bad)
				memcpy(field, &d, sizeof(d));
			break;
		case K_SIZE:
			bad = daemon_config__parse_size(value, &u) || (double)u < k->min ||
			      (double)u > k->max;
			if (!bad)
				*(uint64_t *)field = u;
			break;
		case K_DOUBLE:
			d = strtod(value, &end);
			bad = end == value || *end || !(d >= k->min && d <= k->max);
			if (!bad)
				memcpy(field, &d, sizeof(d));
			break;
		case K_U32:
		case K_INT:
			d = strtod(value, &end);
			bad = end == value || *end || d != floor(d) || !(d >= k->min && d <= k->max);
			if (!bad && k->kind == K_U32)
				*(uint32_t *)field = (uint32_t)d;
			else if (!bad)
				*(int *)field = (int)d;
			break;
		}
		if (bad) {
			snprintf(err, errlen, "bad value '%s' for '%s.%s' (%s)", value, section, name,
				 k->help);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s.%s'", section, name);
	return -EINVAL;
}

int daemon_config__set(struct daemon_config *c, const char *assignment, char *err, size_t errlen)
{
	char sec[64], name[64];
	const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');

	if (!dot || !eq || dot > eq || (size_t)(dot - assignment) >= sizeof(sec) ||
	    (size_t)(eq - dot - 1) >= sizeof(name)) {
		snprintf(err, errlen, "bad setting '%s' (want section.key=value)", assignment);
		return -EINVAL;
	}
	memcpy(sec, assignment, (size_t)(dot - assignment));
	sec[dot - assignment] = '\0';
	memcpy(name, dot + 1, (size_t)(eq - dot - 1));
	name[eq - dot - 1] = '\0';
	return daemon_config__set_kv(c, sec, name, eq + 1, err, errlen);
}

struct load_ctx {
	struct daemon_config *c;
	char *err;
	size_t errlen;
	int failed;
};

static int _on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *l = user;

	if (l->failed)
		return 0;
	if (daemon_config__set_kv(l->c, section, name, value, l->err, l->errlen)) {
		l->failed = 1;
		return 0;
	}
	return 1;
}

int daemon_config__load(struct daemon_config *c, const char *path, char *err, size_t errlen)
{
	char msg[256] = "";
	struct load_ctx l = { c, msg, sizeof(msg), 0 };
	int line = ini_parse(path, _on_ini, &l);

	if (line == -1) {
		snprintf(err, errlen, "cannot read config '%s': %s", path, strerror(errno));
		return errno ? -errno : -ENOENT;
	}
	if (line) {
		snprintf(err, errlen, "config '%s' line %d: %s", path, line,
			 msg[0] ? msg : "syntax error");
		return -EINVAL;
	}
	return 0;
}

static void _print_value(const struct key *k, const struct daemon_config *c, FILE *out)
{
	const char *field = (const char *)c + k->off;
	double d = 0;

	if (k->kind == K_DURATION || k->kind == K_DOUBLE)
		memcpy(&d, field, sizeof(d));
	switch (k->kind) {
	case K_STRING:
		fputs(field, out);
		break;
	case K_BOOL:
		fputs(*(const bool *)field ? "yes" : "no", out);
		break;
	case K_DURATION:
		fprintf(out, "%gs", d);
		break;
	case K_SIZE:
		fprintf(out, "%llu", (unsigned long long)*(const uint64_t *)field);
		break;
	case K_DOUBLE:
		fprintf(out, "%g", d);
		break;
	case K_U32:
		fprintf(out, "%u", *(const uint32_t *)field);
		break;
	case K_INT:
		fprintf(out, "%d", *(const int *)field);
		break;
	}
}

void daemon_config__print(const struct daemon_config *c, FILE *out)
{
	const char *section = NULL;

	fprintf(out, "# seep daemon: effective configuration\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];

		if (!section || strcmp(section, k->section)) {
			fprintf(out, "%s[%s]\n", section ? "\n" : "", k->section);
			section = k->section;
		}
		fprintf(out, "# %s\n%s = ", k->help, k->name);
		_print_value(k, c, out);
		fputc('\n', out);
	}
}
