/* api — the JSON API; see api.h. */
#include "metrics/api.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *_proc(const struct mx_model *m, const struct mx_proc *p)
{
	return json_pack("{s:i, s:I, s:f, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}",
			 "pid", p->pid, "start_ticks", (json_int_t)p->start, "start_time", p->start_s,
			 "comm", p->comm, "component", m->components[p->component].key,
			 "rss_bytes", (json_int_t)(p->anon + p->file + p->shmem),
			 "anon_bytes", (json_int_t)p->anon, "file_bytes", (json_int_t)p->file,
			 "shmem_bytes", (json_int_t)p->shmem, "swap_bytes", (json_int_t)p->swap,
			 "suspect", p->suspect);
}

static json_t *_processes(const struct mx_model *m)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < m->nprocs; i++)
		json_array_append_new(a, _proc(m, &m->procs[i]));
	return json_pack("{s:f, s:I, s:o}", "time", m->now_s, "count", (json_int_t)m->nprocs,
			 "processes", a);
}

static json_t *_component(const struct mx_component *k)
{
	json_t *pivot = json_pack("{s:b, s:b, s:f, s:f, s:o, s:f}", "ready", k->pivot_ready,
				  "anomalous", k->pivot_anomalous, "severity", k->pivot_severity,
				  "bucket_low_bytes", k->pivot_lo, "bucket_high_bytes",
				  _num(k->pivot_hi), "z", k->pivot_z);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:b, s:o}",
			 "key", k->key, "comm", k->comm, "build_id", k->build_id, "unit", k->unit,
			 "cgroup", k->cgroup, "processes", (int)k->live,
			 "rss_bytes", (json_int_t)k->rss, "swap_bytes", (json_int_t)k->swap,
			 "started", (json_int_t)k->started, "exited", (json_int_t)k->exited,
			 "short_lived", (json_int_t)k->short_lived, "suspect", k->suspect,
			 "pivot", pivot);
}

static json_t *_components(const struct mx_model *m)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < m->ncomponents; i++)
		if (m->components[i].live || m->components[i].suspect)
			json_array_append_new(a, _component(&m->components[i]));
	return json_pack("{s:f, s:o}", "time", m->now_s, "components", a);
}

static json_t *_suspect(const struct mx_suspect *s)
{
	json_t *ev = json_pack("{s:s, s:f, s:f, s:o, s:f, s:f, s:f, s:f}", "algo", s->algo,
			       "window_start", s->from_s, "window_end", s->to_s,
			       "time_to_threshold_s", _num(s->time_to_threshold_s),
			       "threshold_bytes", s->threshold_bytes, "slope_bytes_per_s",
			       s->slope_bytes_per_s, "r2", s->r2, "pivot_severity",
			       s->pivot_severity);
	json_t *j, *growth = json_array();	/* a component's is empty */

	for (size_t i = 0; growth && i < s->ngrowth; i++) {
		const struct mx_growth_stack *g = &s->growth[i];
		json_t *fns = json_array();

		for (size_t k = 0; fns && k < g->nfunctions; k++)
			json_array_append_new(fns, g->functions[k] ? json_string(g->functions[k])
								   : json_null());
		json_array_append_new(growth, json_pack("{s:f, s:I, s:I, s:o*}", "grown_bytes",
							g->grown_bytes, "samples",
							(json_int_t)g->samples, "site",
							(json_int_t)g->site, "functions", fns));
	}
	j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:f, s:f, s:f, s:s, s:f, s:f, s:b, s:b, s:o}",
			 "kind", s->kind, "pid", s->pid, "start_ticks", (json_int_t)s->start,
			 "comm", s->comm, "component", s->component, "start_time", s->from_s,
			 "end_time", s->to_s, "first_suspected", s->first_s, "pattern", s->pattern,
			 "severity", s->severity, "rss_bytes", s->rss_bytes, "active", s->active,
			 "alive", s->alive, "evidence", ev);
	if (j && growth)
		json_object_set_new(j, "growth", growth);
	else
		json_decref(growth);
	return j;
}

static json_t *_suspects(const struct mx_model *m)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < m->nsuspects; i++)
		json_array_append_new(a, _suspect(&m->suspects[i]));
	return json_pack("{s:f, s:o}", "time", m->now_s, "suspects", a);
}

static json_t *_collection(const struct mx_collection *c)
{
	json_t *snaps = json_array(), *j;

	for (size_t i = 0; snaps && i < c->nsnapshots; i++)
		json_array_append_new(snaps, json_string(c->snapshots[i]));
	j = json_pack("{s:I, s:i, s:I, s:s, s:s, s:s, s:s, s:o, s:f, s:f, s:o, s:s, s:o, s:I,"
			 " s:I, s:I, s:I, s:f, s:i}",
			 "id", (json_int_t)c->id, "pid", c->pid, "start_ticks", (json_int_t)c->start,
			 "comm", c->comm, "trigger", c->trigger, "pattern", c->pattern,
			 "state", c->state, "reason", c->reason ? json_string(c->reason) : json_null(),
			 "severity", c->severity, "started", c->started_s,
			 "ended", c->ended_s > 0 ? json_real(c->ended_s) : json_null(),
			 "dir", c->dir, "snapshots", snaps, "count", (json_int_t)c->nsnapshots,
			 "bytes", (json_int_t)c->bytes, "live_bytes", (json_int_t)c->live_bytes,
			 "sample_bytes", (json_int_t)c->sample_bytes,
			 "bpf_cpu_ratio", c->bpf_cpu_ratio, "budget_actions", (int)c->budget_actions);
	/* the CPU budget's cost model (daemon/collect_cost.h) */
	if (j && json_object_update_new(j, json_pack("{s:f, s:f, s:I, s:I, s:I}",
						      "traps_cpu_ratio", c->traps_cpu_ratio,
						      "cost_cpu_ratio", c->cost_cpu_ratio,
						      "hits", (json_int_t)c->hits,
						      "bpf_ns", (json_int_t)c->bpf_ns,
						      "target_cpu_ns", (json_int_t)c->cpu_ns))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *_collections(const struct mx_model *m)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < m->ncollections; i++)
		json_array_append_new(a, _collection(&m->collections[i]));
	const struct mx_collect_stats *st = &m->collect;

	return json_pack("{s:f, s:I, s:{s:f, s:f, s:s?, s:I, s:I, s:I}, s:o}", "time", m->now_s,
			 "running", (json_int_t)st->running, "budget", "cpu", st->cpu_budget,
			 "trap_ns", st->trap_ns, "trap_source", st->trap_source,
			 "sample_raised", (json_int_t)st->sample_raised,
			 "detached", (json_int_t)st->budget_detached,
			 "detached_traps", (json_int_t)st->budget_detached_traps,
			 "collections", a);
}

static json_t *_mitigations(const struct mx_model *m)
{
	const struct mx_mitigate_stats *st = &m->mitigate;
	json_t *a = json_array(), *counts = json_array(), *j;

	for (size_t i = 0; a && i < m->nmitigations; i++) {
		const struct mx_mitigation *x = &m->mitigations[i];

		json_array_append_new(a, json_pack("{s:f, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s,"
						   " s:s, s:s, s:s, s:s, s:s, s:b}",
						   "time", x->t_s, "target", x->target,
						   "subject", x->subject, "kind", x->kind,
						   "pid", x->pid, "start_ticks",
						   (json_int_t)x->start, "comm", x->comm,
						   "unit", x->unit, "cgroup", x->cgroup,
						   "action", x->action, "outcome", x->outcome,
						   "code", x->code, "reason", x->reason,
						   "detail", x->detail, "dry_run", x->dry_run));
	}
	for (int i = 0; counts && st->action_names && i < MX_MIT_NACTIONS; i++)
		for (int o = 0; st->outcome_names && o < MX_MIT_NOUTCOMES; o++)
			if (st->decisions[i][o])
				json_array_append_new(counts,
						      json_pack("{s:s, s:s, s:I}", "action",
								st->action_names[i], "outcome",
								st->outcome_names[o], "count",
								(json_int_t)st->decisions[i][o]));
	j = json_pack("{s:f, s:b, s:I, s:I, s:o, s:o}", "time", m->now_s, "enabled", st->enabled,
		      "executor_calls", (json_int_t)st->executor_calls, "executor_errors",
		      (json_int_t)st->executor_errors, "counts", counts, "decisions", a);
	/* The run's mode and window exist only while mitigation is on. */
	if (j && st->enabled) {
		json_object_set_new(j, "dry_run", json_boolean(st->dry_run));
		json_object_set_new(j, "window_s", json_real(st->window_s));
	}
	return j;
}

static json_t *_status(const struct mx_model *m)
{
	const struct mx_self *s = &m->self;
	json_t *progs = json_array();
	size_t active = 0;

	for (size_t i = 0; i < m->nsuspects; i++)
		active += m->suspects[i].active;
	for (size_t i = 0; progs && i < s->nprogs; i++)
		json_array_append_new(progs, json_pack("{s:s, s:b, s:I, s:I, s:I}",
						       "name", s->progs[i].name,
						       "attached", s->progs[i].attached,
						       "run_time_ns", (json_int_t)s->progs[i].run_time_ns,
						       "run_cnt", (json_int_t)s->progs[i].run_cnt,
						       "recursion_misses",
						       (json_int_t)s->progs[i].recursion_misses));
	json_t *j = json_pack("{s:f, s:{s:I, s:I}, s:I, s:I, s:I, s:{s:f, s:I, s:f, s:f, s:f, s:f, s:i,"
			 " s:I, s:f, s:f, s:I, s:b, s:b, s:b, s:o, s:{s:I, s:I, s:I},"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I}}",
			 "time", m->now_s,
			 "host", "memory_total_bytes", (json_int_t)m->host_total,
			 "memory_available_bytes", (json_int_t)m->host_available,
			 "processes", (json_int_t)m->nprocs, "cgroups", (json_int_t)m->ncgroups,
			 "suspects", (json_int_t)active,
			 "daemon", "cpu_seconds", s->cpu_seconds,
			 "rss_bytes", (json_int_t)s->rss_bytes, "cpu_ratio", s->cpu_share,
			 "cpu_budget_ratio", s->cpu_budget, "interval_s", s->interval_s,
			 "effective_interval_s", s->effective_interval_s,
			 "backoff_level", s->backoff_level, "samples", (json_int_t)s->samples,
			 "sample_seconds", s->sample_seconds, "detect_seconds", s->detect_seconds,
			 "store_bytes", (json_int_t)s->store_bytes, "bpf_loaded", s->bpf_loaded,
			 "rss_stat_attached", s->rss_bpf, "bpf_stats", s->bpf_stats_on,
			 "bpf_programs", progs,
			 "bpf_drops", "map_full", (json_int_t)s->bpf_map_full,
			 "no_owner", (json_int_t)s->bpf_no_owner,
			 "ring_full", (json_int_t)s->bpf_ring_full,
			 "memory", "rss_bytes", (json_int_t)s->rss_bytes,
			 "rss_peak_bytes", (json_int_t)s->rss_peak_bytes,
			 "rss_budget_bytes", (json_int_t)s->rss_budget_bytes,
			 "over_budget_intervals", (json_int_t)s->rss_over_budget,
			 "heap_bytes", (json_int_t)s->heap_bytes,
			 "store_bytes", (json_int_t)s->store_memory_bytes,
			 "backoff_recoveries", (json_int_t)s->backoff_shrinks);
	json_t *g = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "mode",
			      s->growth_mode ? s->growth_mode : "off", "loaded", s->growth_loaded,
			      "watched", (json_int_t)s->growth_watched, "bpf_events",
			      (json_int_t)s->growth_bpf_events, "bpf_samples",
			      (json_int_t)s->growth_bpf_samples, "ring_full",
			      (json_int_t)s->growth_bpf_ring_full, "stacks_added",
			      (json_int_t)s->growth_stacks_added, "dropped",
			      (json_int_t)s->growth_dropped, "unwind_failed",
			      (json_int_t)s->growth_unwind_failed, "truncated",
			      (json_int_t)s->growth_truncated);
	json_t *dm = json_object_get(j, "daemon");

	if (dm && g)
		json_object_set_new(dm, "growth_stacks", g);
	else
		json_decref(g);
	if (dm) {
		json_object_set_new(dm, "memory_cap",
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "cap_bytes",
					      (json_int_t)s->rss_cap_bytes, "over_intervals",
					      (json_int_t)s->rss_cap_intervals, "shed_components",
					      (json_int_t)s->cap_components, "shed_series",
					      (json_int_t)s->cap_series, "components_pruned",
					      (json_int_t)s->components_pruned));
		json_object_set_new(dm, "bpf_backoff",
				    json_pack("{s:s, s:I, s:I}", "step",
					      s->bpf_step ? s->bpf_step : "full", "steps_down",
					      (json_int_t)s->bpf_downs, "steps_up",
					      (json_int_t)s->bpf_ups));
	}
	return j;
}

int api__render(const struct mx_model *m, const char *path, char **buf, size_t *len)
{
	json_t *j;

	*buf = NULL;
	*len = 0;
	if (!strcmp(path, "/api/processes"))
		j = _processes(m);
	else if (!strcmp(path, "/api/components"))
		j = _components(m);
	else if (!strcmp(path, "/api/suspects"))
		j = _suspects(m);
	else if (!strcmp(path, "/api/collections"))
		j = _collections(m);
	else if (!strcmp(path, "/api/mitigations"))
		j = _mitigations(m);
	else if (!strcmp(path, "/api/status"))
		j = _status(m);
	else
		return -ENOENT;
	if (!j)
		return -ENOMEM;
	*buf = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!*buf)
		return -ENOMEM;
	*len = strlen(*buf);
	return 0;
}
