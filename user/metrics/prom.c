/* prom — Prometheus text format; see prom.h. */
#include "metrics/prom.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void _family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void _lv(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void _num(FILE *f, double v)
{
	if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (isnan(v))
		fputs("NaN", f);
	else if (v == floor(v) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.9g", v);
}

static void _plain(FILE *f, const char *name, const char *type, const char *help, double v)
{
	_family(f, name, type, help);
	fprintf(f, "%s ", name);
	_num(f, v);
	fputc('\n', f);
}

static size_t _min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The series budget, planned before anything is written: active suspects
 * first (2 series each), then components (6 each), processes (5 each),
 * cgroups (2 each), each up to its own bound (top_n, max_cgroups). */
#define SUSPECT_SERIES 2
#define COMPONENT_SERIES 6
#define PROCESS_SERIES 5
#define CGROUP_SERIES 2

struct plan {
	size_t suspects, components, procs, cgroups;	/* shown */
	size_t live;					/* live components */
	size_t wanted, shown;				/* entity series */
};

static size_t _take(size_t *left, size_t want, size_t per, bool limited)
{
	size_t n = want;

	if (limited) {
		n = _min(want, *left / per);
		*left -= n * per;
	}
	return n;
}

static void _plan(const struct mx_model *m, struct plan *p)
{
	size_t active = 0, left = m->max_series, ncg;
	bool lim = m->max_series > 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < m->nsuspects; i++)
		active += m->suspects[i].active;
	for (size_t i = 0; i < m->ncomponents; i++)
		p->live += m->components[i].live > 0;
	ncg = _min(m->ncgroups, m->max_cgroups);
	p->wanted = active * SUSPECT_SERIES + _min(p->live, m->top_n) * COMPONENT_SERIES +
		    _min(m->nprocs, m->top_n) * PROCESS_SERIES + ncg * CGROUP_SERIES;
	p->suspects = _take(&left, active, SUSPECT_SERIES, lim);
	p->components = _take(&left, _min(p->live, m->top_n), COMPONENT_SERIES, lim);
	p->procs = _take(&left, _min(m->nprocs, m->top_n), PROCESS_SERIES, lim);
	p->cgroups = _take(&left, ncg, CGROUP_SERIES, lim);
	p->shown = p->suspects * SUSPECT_SERIES + p->components * COMPONENT_SERIES +
		   p->procs * PROCESS_SERIES + p->cgroups * CGROUP_SERIES;
}

static const char *_s(const char *s)
{
	return s ? s : "";
}

/* host="H", when the model has a host */
static void _host(FILE *f, const struct mx_model *m, bool comma)
{
	if (!m->host)
		return;
	fputs("host=", f);
	_lv(f, m->host);
	if (comma)
		fputc(',', f);
}

/* The first 12 hex digits of a build ID: enough to tell builds apart,
 * short enough for a label. */
static void _short_id(FILE *f, const char *id)
{
	char b[13];

	snprintf(b, sizeof(b), "%s", _s(id));
	_lv(f, b);
}

/* The labels a component's series carry (without the braces). */
static void _comp_set(FILE *f, const struct mx_model *m, const struct mx_component *k)
{
	_host(f, m, true);
	fputs("component=", f);
	_lv(f, k->key);
	fputs(",comm=", f);
	_lv(f, k->comm);
	fputs(",unit=", f);
	_lv(f, k->unit);
	fputs(",cgroup=", f);
	_lv(f, k->cgroup);
	fputs(",build_id=", f);
	_short_id(f, k->build_id);
}

/* A process's place among the shown processes of its component, oldest
 * first: the label that survives PID churn (a new instance takes the slot
 * of the one it replaced). */
static size_t _slot(const struct mx_model *m, size_t n, size_t i)
{
	const struct mx_proc *p = &m->procs[i];
	size_t slot = 0;

	for (size_t j = 0; j < n; j++) {
		const struct mx_proc *q = &m->procs[j];

		if (j != i && q->component == p->component &&
		    (q->start < p->start || (q->start == p->start && q->pid < p->pid)))
			slot++;
	}
	return slot;
}

static void _proc_set(FILE *f, const struct mx_model *m, size_t n, size_t i)
{
	const struct mx_proc *p = &m->procs[i];

	_comp_set(f, m, &m->components[p->component]);
	fprintf(f, ",slot=\"%zu\"", _slot(m, n, i));
	if (p->suspect)
		fprintf(f, ",pid=\"%d\"", p->pid);
}

static void _procs(FILE *f, const struct mx_model *m, const struct plan *pl)
{
	static const char *types[] = { "anon", "file", "shmem", "swap" };
	size_t n = pl->procs;

	_plain(f, "seep_processes", "gauge", "Processes on the host with a memory map.",
	       (double)m->nprocs);
	_plain(f, "seep_processes_truncated", "gauge",
	       "Processes left out of the per-process series (only the top N by RSS are exported).",
	       (double)(m->nprocs - n));
	_family(f, "seep_process_memory_bytes", "gauge",
		"Resident (anon, file, shmem) and swapped memory of a process, top N by RSS.");
	for (size_t i = 0; i < n; i++) {
		const struct mx_proc *p = &m->procs[i];
		uint64_t v[4] = { p->anon, p->file, p->shmem, p->swap };

		for (int k = 0; k < 4; k++) {
			fputs("seep_process_memory_bytes{", f);
			_proc_set(f, m, n, i);
			fprintf(f, ",type=\"%s\"} %llu\n", types[k], (unsigned long long)v[k]);
		}
	}
	_family(f, "seep_process_start_time_seconds", "gauge",
		"Start time of a process (epoch seconds), top N by RSS.");
	for (size_t i = 0; i < n; i++) {
		fputs("seep_process_start_time_seconds{", f);
		_proc_set(f, m, n, i);
		fputs("} ", f);
		_num(f, floor(m->procs[i].start_s));
		fputc('\n', f);
	}
}

static void _components(FILE *f, const struct mx_model *m, const struct plan *pl)
{
	/* components with live members, largest first, bounded like processes */
	size_t shown = 0, live = 0;
	const struct mx_component **v = calloc(m->ncomponents + 1, sizeof(*v));
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		{ "seep_component_memory_bytes", "gauge",
		  "Resident memory of a component's live processes (anon + file + shmem)." },
		{ "seep_component_processes", "gauge", "Live processes of a component." },
		{ "seep_component_process_starts_total", "counter",
		  "Processes of a component seen starting since the daemon started." },
		{ "seep_component_process_exits_total", "counter",
		  "Processes of a component seen ending since the daemon started." },
		{ "seep_component_short_lived_total", "counter",
		  "Processes of a component that ended younger than the fold age." },
		{ "seep_component_pivot_severity", "gauge",
		  "Bucketization-pivot severity of a component (0: no anomalous bucket)." },
	};

	if (!v)
		return;
	for (size_t i = 0; i < m->ncomponents; i++)
		if (m->components[i].live)
			v[live++] = &m->components[i];
	/* selection of the top N by rss (N is small: a partial selection sort) */
	for (size_t i = 0; i < live && i < pl->components; i++) {
		size_t best = i;

		for (size_t j = i + 1; j < live; j++)
			if (v[j]->rss > v[best]->rss)
				best = j;
		const struct mx_component *t = v[i];
		v[i] = v[best];
		v[best] = t;
		shown++;
	}
	_plain(f, "seep_components", "gauge", "Components with live processes.", (double)live);
	_plain(f, "seep_components_truncated", "gauge",
	       "Components left out of the per-component series (top N by RSS are exported).",
	       (double)(live - shown));
	for (size_t fam = 0; fam < sizeof(fams) / sizeof(fams[0]); fam++) {
		_family(f, fams[fam].name, fams[fam].type, fams[fam].help);
		for (size_t i = 0; i < shown; i++) {
			const struct mx_component *k = v[i];
			double val[] = { (double)k->rss, k->live, (double)k->started, (double)k->exited,
					 (double)k->short_lived, k->pivot_severity };

			fputs(fams[fam].name, f);
			fputc('{', f);
			_comp_set(f, m, k);
			fputs("} ", f);
			_num(f, val[fam]);
			fputc('\n', f);
		}
	}
	free(v);
}

static void _cgroups(FILE *f, const struct mx_model *m, const struct plan *pl)
{
	size_t n = pl->cgroups;

	_plain(f, "seep_cgroups_truncated", "gauge",
	       "Cgroups left out of the per-cgroup series (the first N, parents first, are exported).",
	       (double)(m->ncgroups - n));
	_family(f, "seep_cgroup_memory_usage_bytes", "gauge",
		"Memory charged to a cgroup (v2 memory.current, v1 memory.usage_in_bytes).");
	for (size_t i = 0; i < n; i++) {
		fputs("seep_cgroup_memory_usage_bytes{", f);
		_host(f, m, true);
		fputs("cgroup=", f);
		_lv(f, m->cgroups[i].path);
		fprintf(f, "} %llu\n", (unsigned long long)m->cgroups[i].usage);
	}
	_family(f, "seep_cgroup_memory_limit_bytes", "gauge",
		"Memory limit of a cgroup (v2 memory.max, v1 memory.limit_in_bytes); absent when none.");
	for (size_t i = 0; i < n; i++) {
		if (m->cgroups[i].limit == UINT64_MAX)
			continue;
		fputs("seep_cgroup_memory_limit_bytes{", f);
		_host(f, m, true);
		fputs("cgroup=", f);
		_lv(f, m->cgroups[i].path);
		fprintf(f, "} %llu\n", (unsigned long long)m->cgroups[i].limit);
	}
}

static void _suspect_row(FILE *f, const struct mx_model *m, const char *name,
			 const struct mx_suspect *s, double v)
{
	fprintf(f, "%s{", name);
	_host(f, m, true);
	fprintf(f, "kind=\"%s\",pid=\"%d\",comm=", s->kind, s->pid);
	_lv(f, s->comm);
	fputs(",component=", f);
	_lv(f, s->component);
	fprintf(f, ",pattern=\"%s\"} ", s->pattern);
	_num(f, v);
	fputc('\n', f);
}

static void _suspects(FILE *f, const struct mx_model *m, const struct plan *pl)
{
	size_t active = 0, shown;

	for (size_t i = 0; i < m->nsuspects; i++)
		active += m->suspects[i].active;
	_plain(f, "seep_suspects", "gauge", "Processes and components suspected of leaking now.",
	       (double)active);
	_family(f, "seep_suspect_severity", "gauge",
		"Severity (0..1) of a current leak suspect, by kind, pid and growth pattern.");
	shown = 0;
	for (size_t i = 0; i < m->nsuspects && shown < pl->suspects; i++)
		if (m->suspects[i].active) {
			_suspect_row(f, m, "seep_suspect_severity", &m->suspects[i],
				     m->suspects[i].severity);
			shown++;
		}
	_family(f, "seep_suspect_growth_bytes_per_second", "gauge",
		"Growth rate of a current leak suspect's memory.");
	shown = 0;
	for (size_t i = 0; i < m->nsuspects && shown < pl->suspects; i++)
		if (m->suspects[i].active) {
			_suspect_row(f, m, "seep_suspect_growth_bytes_per_second", &m->suspects[i],
				     m->suspects[i].slope_bytes_per_s);
			shown++;
		}
}

/* The series budget and what left the host (fleet/). */
static void _fleet(FILE *f, const struct mx_model *m, const struct plan *pl)
{
	const struct mx_fleet *x = &m->fleet;

	_plain(f, "seep_series_budget", "gauge",
	       "Per-process, component, cgroup and suspect series /metrics may show (0: no budget).",
	       (double)m->max_series);
	_plain(f, "seep_series_left_out", "gauge",
	       "Series left out of /metrics because of the series budget.",
	       (double)(pl->wanted - pl->shown));
	if (x->rw_on) {
		_family(f, "seep_remote_write_samples_total", "counter",
			"Samples given to remote_write, by outcome (sent, failed: rejected by the"
			" receiver, retried, dropped: spool or queue full, or torn).");
		fprintf(f, "seep_remote_write_samples_total{outcome=\"sent\"} %llu\n",
			(unsigned long long)x->rw_sent);
		fprintf(f, "seep_remote_write_samples_total{outcome=\"failed\"} %llu\n",
			(unsigned long long)x->rw_failed);
		fprintf(f, "seep_remote_write_samples_total{outcome=\"retried\"} %llu\n",
			(unsigned long long)x->rw_retried);
		fprintf(f, "seep_remote_write_samples_total{outcome=\"dropped\"} %llu\n",
			(unsigned long long)x->rw_dropped);
		_plain(f, "seep_remote_write_spool_bytes", "gauge",
		       "Bytes of remote_write requests spooled on disk while the receiver is down.",
		       (double)x->rw_spool_bytes);
		_plain(f, "seep_remote_write_spool_records", "gauge",
		       "remote_write requests spooled on disk.", (double)x->rw_spool_records);
	}
	if (x->push_on) {
		_family(f, "seep_profile_pushes_total", "counter",
			"Heap snapshot pushes to profile stores, by outcome (sent, failed, retried).");
		fprintf(f, "seep_profile_pushes_total{outcome=\"sent\"} %llu\n",
			(unsigned long long)x->push_sent);
		fprintf(f, "seep_profile_pushes_total{outcome=\"failed\"} %llu\n",
			(unsigned long long)x->push_failed);
		fprintf(f, "seep_profile_pushes_total{outcome=\"retried\"} %llu\n",
			(unsigned long long)x->push_retried);
	}
}

static void _self(FILE *f, const struct mx_model *m)
{
	const struct mx_self *s = &m->self;
	struct {
		const char *name, *type, *help;
		double v;
	} rows[] = {
		{ "seep_self_cpu_seconds_total", "counter", "CPU time (user + system) the daemon used.",
		  s->cpu_seconds },
		{ "seep_self_resident_memory_bytes", "gauge", "Resident memory of the daemon.",
		  (double)s->rss_bytes },
		{ "seep_self_cpu_ratio", "gauge",
		  "Share of one core the daemon used over the last intervals.", s->cpu_share },
		{ "seep_self_cpu_budget_ratio", "gauge", "Share of one core the daemon may use.",
		  s->cpu_budget },
		{ "seep_bpf_cpu_ratio", "gauge",
		  "Share of one core seep's BPF programs used over the last intervals.",
		  s->bpf_cpu_share },
		{ "seep_self_resident_memory_peak_bytes", "gauge",
		  "High-water mark of the daemon's resident memory.", (double)s->rss_peak_bytes },
		{ "seep_self_resident_memory_budget_bytes", "gauge",
		  "Resident memory the daemon should stay under (budget.rss).",
		  (double)s->rss_budget_bytes },
		{ "seep_self_resident_memory_over_budget_total", "counter",
		  "Intervals that ended with the daemon's resident memory over its budget.",
		  (double)s->rss_over_budget },
		{ "seep_self_heap_bytes", "gauge", "Heap memory the daemon has in use (malloc).",
		  (double)s->heap_bytes },
		{ "seep_store_memory_bytes", "gauge", "Memory SQLite has allocated (page cache included).",
		  (double)s->store_memory_bytes },
		{ "seep_self_backoff_recoveries_total", "counter",
		  "Times the stretched interval was halved back after the CPU cost fell.",
		  (double)s->backoff_shrinks },
		{ "seep_self_backoff_level", "gauge",
		  "Back-off for the CPU budget: 0 none, 1 longer interval, 2 a BPF back-off step (/api/status names it).",
		  s->backoff_level },
		{ "seep_interval_seconds", "gauge", "Configured sampling interval.", s->interval_s },
		{ "seep_effective_interval_seconds", "gauge", "Sampling interval after back-off.",
		  s->effective_interval_s },
		{ "seep_samples_total", "counter", "Samples of the host taken.", (double)s->samples },
		{ "seep_sample_duration_seconds", "gauge", "Time the last sample took.",
		  s->sample_seconds },
		{ "seep_detect_duration_seconds", "gauge", "Time the last detection pass took.",
		  s->detect_seconds },
		{ "seep_store_duration_seconds", "gauge", "Time the last store commit took.",
		  s->store_seconds },
		{ "seep_detect_runs_total", "counter", "Detector runs on process and component series.",
		  (double)s->detect_runs },
		{ "seep_store_size_bytes", "gauge", "Size of the store's database and WAL.",
		  (double)s->store_bytes },
		{ "seep_store_commits_total", "counter", "Store transactions committed.",
		  (double)s->store_commits },
		{ "seep_store_errors_total", "counter", "Store writes that failed.",
		  (double)s->store_errors },
		{ "seep_proc_reads_total", "counter", "/proc files read.", (double)s->proc_reads },
		{ "seep_proc_read_errors_total", "counter",
		  "/proc reads that failed (the process ended meanwhile).", (double)s->proc_errors },
		{ "seep_pid_reuse_total", "counter",
		  "Pids found reused by a new process (told apart by start time).",
		  (double)s->pid_reuse },
		{ "seep_bpf_loaded", "gauge", "1 when the tier-0 BPF programs are loaded.",
		  s->bpf_loaded },
		{ "seep_bpf_rss_stat_attached", "gauge",
		  "1 when memory counters come from tp_btf/rss_stat, 0 when from /proc.", s->rss_bpf },
		{ "seep_bpf_rss_stat_events_total", "counter", "rss_stat events seen by BPF.",
		  (double)s->bpf_rss_events },
		{ "seep_bpf_lifecycle_events_total", "counter",
		  "Process fork/exec/exit events sent by BPF.", (double)s->bpf_lifecycle },
		{ "seep_growth_loaded", "gauge",
		  "1 when the growth-stack BPF programs are loaded (telemetry.growth_stacks).",
		  s->growth_loaded },
		{ "seep_growth_watched_processes", "gauge",
		  "Processes whose growth stacks are followed now.", (double)s->growth_watched },
		{ "seep_growth_bpf_events_total", "counter",
		  "brk/mmap/munmap/fault events of followed processes seen by BPF.",
		  (double)s->growth_bpf_events },
		{ "seep_growth_bpf_samples_total", "counter", "Sampled growth stacks sent by BPF.",
		  (double)s->growth_bpf_samples },
		{ "seep_growth_bpf_ring_full_total", "counter",
		  "Sampled growth stacks BPF lost: ring full.", (double)s->growth_bpf_ring_full },
		{ "seep_growth_stacks_added_total", "counter",
		  "Sampled growth stacks unwound and added.", (double)s->growth_stacks_added },
		{ "seep_growth_dropped_total", "counter",
		  "Sampled growth stacks not kept: process or stack table full.",
		  (double)s->growth_dropped },
		{ "seep_growth_unwind_failed_total", "counter",
		  "Sampled growth stacks whose process could not be opened (it exited).",
		  (double)s->growth_unwind_failed },
		{ "seep_growth_truncated_total", "counter",
		  "Growth stacks that stopped before their outermost frame.",
		  (double)s->growth_truncated },
	};

	_plain(f, "seep_host_memory_total_bytes", "gauge", "MemTotal of the host.",
	       (double)m->host_total);
	_plain(f, "seep_host_memory_available_bytes", "gauge", "MemAvailable of the host.",
	       (double)m->host_available);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		_plain(f, rows[i].name, rows[i].type, rows[i].help, rows[i].v);
	_family(f, "seep_bpf_drops_total", "counter",
		"Events BPF could not record, by reason (map_full, no_owner, ring_full).");
	fprintf(f, "seep_bpf_drops_total{reason=\"map_full\"} %llu\n",
		(unsigned long long)s->bpf_map_full);
	fprintf(f, "seep_bpf_drops_total{reason=\"no_owner\"} %llu\n",
		(unsigned long long)s->bpf_no_owner);
	fprintf(f, "seep_bpf_drops_total{reason=\"ring_full\"} %llu\n",
		(unsigned long long)s->bpf_ring_full);
	_family(f, "seep_bpf_prog_run_time_seconds_total", "counter",
		"Time spent in each seep BPF program (BPF_STATS_RUN_TIME).");
	for (size_t i = 0; i < s->nprogs; i++)
		fprintf(f, "seep_bpf_prog_run_time_seconds_total{prog=\"%s\"} %.9f\n",
			s->progs[i].name, (double)s->progs[i].run_time_ns * 1e-9);
	_family(f, "seep_bpf_prog_runs_total", "counter", "Runs of each seep BPF program.");
	for (size_t i = 0; i < s->nprogs; i++)
		fprintf(f, "seep_bpf_prog_runs_total{prog=\"%s\"} %llu\n", s->progs[i].name,
			(unsigned long long)s->progs[i].run_cnt);
	_family(f, "seep_bpf_prog_recursion_misses_total", "counter",
		"Runs of each seep BPF program the kernel skipped (recursion guard).");
	for (size_t i = 0; i < s->nprogs; i++)
		fprintf(f, "seep_bpf_prog_recursion_misses_total{prog=\"%s\"} %llu\n",
			s->progs[i].name, (unsigned long long)s->progs[i].recursion_misses);
}

/* Tier 2: heap snapshot collections (bounded labels: triggers, reasons). */
static void _collections(FILE *f, const struct mx_model *m)
{
	const struct mx_collect_stats *c = &m->collect;

	if (!c->trigger_names)
		return;
	_family(f, "seep_collection_triggers_total", "counter",
		"Triggers that started a heap snapshot collection, by trigger.");
	for (int i = 0; i < MX_NTRIGGERS; i++)
		fprintf(f, "seep_collection_triggers_total{trigger=\"%s\"} %llu\n",
			c->trigger_names[i], (unsigned long long)c->triggers[i]);
	_plain(f, "seep_collection_triggers_refused_total", "counter",
	       "Triggers refused because collect.max_active collections were running.",
	       (double)c->refused);
	_plain(f, "seep_memory_pressure_events_total", "counter",
	       "Memory pressure (PSI) trigger events received.", (double)c->psi_events);
	_plain(f, "seep_collections_started_total", "counter", "Heap snapshot collections started.",
	       (double)c->started);
	_family(f, "seep_collections_completed_total", "counter",
		"Heap snapshot collections stopped, by why they stopped.");
	for (int i = 0; i < MX_NREASONS; i++)
		fprintf(f, "seep_collections_completed_total{reason=\"%s\"} %llu\n",
			c->reason_names[i], (unsigned long long)c->completed[i]);
	_plain(f, "seep_collections_running", "gauge", "Heap snapshot collections running now.",
	       (double)c->running);
	_plain(f, "seep_collection_snapshots_total", "counter", "Heap snapshots written.",
	       (double)c->snapshots);
	_plain(f, "seep_collection_snapshot_bytes_total", "counter",
	       "Bytes of heap snapshot files written.", (double)c->snapshot_bytes);
	_family(f, "seep_collection_budget_actions_total", "counter",
		"CPU budget actions on traced suspects: sampling raised, or detached.");
	fprintf(f, "seep_collection_budget_actions_total{action=\"sample_raised\"} %llu\n",
		(unsigned long long)c->sample_raised);
	fprintf(f, "seep_collection_budget_actions_total{action=\"detached\"} %llu\n",
		(unsigned long long)c->budget_detached);
	fprintf(f, "seep_collection_budget_actions_total{action=\"detached_traps\"} %llu\n",
		(unsigned long long)c->budget_detached_traps);
	_plain(f, "seep_collection_trap_seconds", "gauge",
	       "One heap probe hit's trap cost the CPU budget counts (calibrated at start or earlier in this boot, or collect.trap_ns).",
	       c->trap_ns * 1e-9);
	_plain(f, "seep_collection_cpu_budget_ratio", "gauge",
	       "The CPU budget of a traced suspect: probes' traps + BPF run time over its CPU.",
	       c->cpu_budget);
	if (!m->ncollections)
		return;
	_family(f, "seep_collection_cost_ratio", "gauge",
		"A running collection's cost over its target's CPU (last window), by part.");
	for (size_t i = 0; i < m->ncollections; i++) {
		const struct mx_collection *x = &m->collections[i];

		if (strcmp(x->state, "running"))
			continue;
		fprintf(f, "seep_collection_cost_ratio{id=\"%llu\",pid=\"%d\",part=\"traps\"} %.6g\n",
			(unsigned long long)x->id, x->pid, x->traps_cpu_ratio);
		fprintf(f, "seep_collection_cost_ratio{id=\"%llu\",pid=\"%d\",part=\"bpf\"} %.6g\n",
			(unsigned long long)x->id, x->pid, x->bpf_cpu_ratio);
	}
}

/* Tier 4: mitigation decisions (bounded labels: actions x outcomes). */
static void _mitigation(FILE *f, const struct mx_model *m)
{
	const struct mx_mitigate_stats *s = &m->mitigate;

	_plain(f, "seep_mitigation_enabled", "gauge",
	       "1 when mitigation is on (mitigation.enabled), else 0.", s->enabled);
	_plain(f, "seep_mitigation_dry_run", "gauge",
	       "1 when mitigation only logs what it would do (mitigation.dry_run).",
	       s->enabled && s->dry_run);
	_plain(f, "seep_mitigation_executor_calls_total", "counter",
	       "Actions the mitigation executor ran (restarts, cgroup writes, commands).",
	       (double)s->executor_calls);
	_plain(f, "seep_mitigation_executor_errors_total", "counter",
	       "Actions the mitigation executor ran that failed.", (double)s->executor_errors);
	/* The decision counters exist while mitigation is on: a daemon without it
	 * exports no 52 zero series. */
	if (!s->enabled || !s->action_names || !s->outcome_names)
		return;
	_family(f, "seep_mitigation_decisions_total", "counter",
		"Mitigation decisions recorded (a target's decision when it changes), by action and"
		" outcome; exported only while mitigation is enabled.");
	for (int a = 0; a < MX_MIT_NACTIONS; a++)
		for (int o = 0; o < MX_MIT_NOUTCOMES; o++)
			fprintf(f, "seep_mitigation_decisions_total{action=\"%s\",outcome=\"%s\"}"
				" %llu\n", s->action_names[a], s->outcome_names[o],
				(unsigned long long)s->decisions[a][o]);
}

int prom__render(const struct mx_model *m, char **buf, size_t *len)
{
	struct plan pl;
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	_plan(m, &pl);
	_self(f, m);
	_procs(f, m, &pl);
	_components(f, m, &pl);
	_cgroups(f, m, &pl);
	_suspects(f, m, &pl);
	_collections(f, m);
	_mitigation(f, m);
	_fleet(f, m, &pl);
	if (fclose(f)) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}
