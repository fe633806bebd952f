/* model_fixture — a hand-made struct mx_model for the exporters' tests:
 * 5 processes (one with a comm that needs escaping), 3 components, 3
 * cgroups (one unlimited), a process and a component suspect, two BPF
 * programs, a running and a complete collection. Static data: nothing to
 * free; strings are never NULL, as the daemon's are not. top_n 2 and max_cgroups 2, so the exporters must truncate. */
#ifndef SEEP_TEST_MODEL_FIXTURE_H
#define SEEP_TEST_MODEL_FIXTURE_H

#include <math.h>
#include <stdint.h>

#include "metrics/model.h"

static const struct mx_component fx_comps[] = {
	{ .key = "leaker|abc|seep.service", .comm = "leaker", .build_id = "abc",
	  .unit = "seep.service", .cgroup = "/system.slice/seep.service", .live = 2,
	  .rss = 300 << 20, .started = 4, .exited = 2, .short_lived = 1, .pivot_ready = true,
	  .pivot_anomalous = true, .pivot_severity = 0.5, .pivot_lo = 1 << 20,
	  .pivot_hi = 2 << 20, .pivot_z = 4.5, .suspect = true },
	{ .key = "odd|", .comm = "we\"ird\\na\nme", .build_id = "", .unit = "", .cgroup = "/",
	  .live = 2, .rss = 20 << 20 },
	{ .key = "gone|", .comm = "gone", .build_id = "", .unit = "", .cgroup = "/", .live = 0,
	  .rss = 0, .exited = 3 },
};

static const struct mx_proc fx_procs[] = {
	{ .pid = 101, .start = 11, .start_s = 1.7e9 + 0.5, .comm = "leaker", .component = 0,
	  .anon = 200 << 20, .file = 10 << 20, .shmem = 1 << 20, .swap = 0, .suspect = true },
	{ .pid = 102, .start = 12, .start_s = 1.7e9 + 1, .comm = "leaker", .component = 0,
	  .anon = 80 << 20, .file = 9 << 20 },
	{ .pid = 103, .start = 13, .start_s = 1.7e9 + 2, .comm = "we\"ird\\na\nme", .component = 1,
	  .anon = 10 << 20, .swap = 4096 },
	{ .pid = 104, .start = 14, .start_s = 1.7e9 + 3, .comm = "we\"ird\\na\nme", .component = 1,
	  .anon = 9 << 20 },
	{ .pid = 105, .start = 15, .start_s = 1.7e9 + 4, .comm = "tiny", .component = 1,
	  .anon = 4096 },
};

static const struct mx_cgroup fx_cgs[] = {
	{ .path = "/system.slice", .usage = 500 << 20, .limit = 1ULL << 30 },
	{ .path = "/user.slice", .usage = 100 << 20, .limit = UINT64_MAX },
	{ .path = "/init.scope", .usage = 1 << 20, .limit = UINT64_MAX },
};

static const struct mx_suspect fx_sus[] = {
	{ .kind = "process", .pid = 101, .start = 11, .comm = "leaker",
	  .component = "leaker|abc|seep.service", .from_s = 1.7e9 + 10, .to_s = 1.7e9 + 60,
	  .first_s = 1.7e9 + 35, .pattern = "steady", .algo = "seep", .severity = 0.8,
	  .slope_bytes_per_s = 2097152, .r2 = 0.99, .time_to_threshold_s = 3600,
	  .threshold_bytes = 1ULL << 30, .rss_bytes = 211 << 20, .pivot_severity = 0.5,
	  .active = true, .alive = true },
	{ .kind = "component", .pid = 0, .comm = "leaker", .component = "leaker|abc|seep.service",
	  .from_s = 1.7e9, .to_s = 1.7e9 + 60, .first_s = 1.7e9 + 40, .pattern = "stair",
	  .algo = "seep", .severity = 0.4, .slope_bytes_per_s = 1e6, .r2 = 0.9,
	  .time_to_threshold_s = INFINITY, .threshold_bytes = 1ULL << 30, .rss_bytes = 300 << 20,
	  .active = false, .alive = true },
};

static const struct mx_prog fx_progs[] = {
	{ .name = "rss_stat_enter", .attached = true, .run_time_ns = 1500000000, .run_cnt = 1000,
	  .recursion_misses = 0 },
	{ .name = "sched_process_exit", .attached = true, .run_time_ns = 20000, .run_cnt = 40 },
};

static const char *const fx_snaps[] = { "/tmp/c/1/snap-000001.pb.gz",
					"/tmp/c/1/snap-000002.pb.gz" };
static const char *const fx_trig[MX_NTRIGGERS] = { "leak", "request", "pressure", "cgroup", "reference" };
static const char *const fx_reasons[MX_NREASONS] = {
	"snapshots", "steps", "spike_receded", "time_budget", "byte_budget", "cpu_budget",
	"target_exited", "daemon_stopped", "error", "oom_victim", "cpu_budget_traps" };

static const struct mx_collection fx_colls[] = {
	{ .id = 1, .pid = 101, .start = 11, .comm = "leaker", .trigger = "leak",
	  .pattern = "steady", .state = "complete", .reason = "snapshots", .severity = 0.8,
	  .started_s = 1.7e9 + 36, .ended_s = 1.7e9 + 50, .dir = "/tmp/c/1",
	  .snapshots = fx_snaps, .nsnapshots = 2, .bytes = 8192, .live_bytes = 1 << 20,
	  .sample_bytes = 524288, .bpf_cpu_ratio = 0.01 },
	{ .id = 2, .pid = 102, .start = 12, .comm = "leaker", .trigger = "request",
	  .pattern = "steady", .state = "running", .reason = NULL, .started_s = 1.7e9 + 55,
	  .dir = "/tmp/c/2", .sample_bytes = 524288, .bpf_cpu_ratio = 0.002,
	  .traps_cpu_ratio = 0.03, .cost_cpu_ratio = 0.032, .hits = 37500, .bpf_ns = 2000000,
	  .cpu_ns = 1000000000, .budget_actions = 1 },
};

static struct mx_model fx_model(void)
{
	struct mx_model m = {
		.now_s = 1.7e9 + 61, .host_total = 8ULL << 30, .host_available = 5ULL << 30,
		.procs = fx_procs, .nprocs = 5, .components = fx_comps, .ncomponents = 3,
		.cgroups = fx_cgs, .ncgroups = 3, .suspects = fx_sus, .nsuspects = 2,
		.top_n = 2, .max_cgroups = 2, .collections = fx_colls, .ncollections = 2,
	};

	m.collect.trigger_names = fx_trig;
	m.collect.reason_names = fx_reasons;
	m.collect.triggers[0] = 1;
	m.collect.triggers[1] = 1;
	m.collect.started = 2;
	m.collect.completed[0] = 1;
	m.collect.snapshots = 2;
	m.collect.snapshot_bytes = 8192;
	m.collect.running = 1;
	m.collect.sample_raised = 1;
	m.collect.budget_detached_traps = 2;
	m.collect.trap_ns = 800;
	m.collect.trap_source = "calibrated";
	m.collect.cpu_budget = 0.05;
	m.self = (struct mx_self){
		.cpu_seconds = 12.5, .rss_bytes = 20 << 20, .rss_peak_bytes = 30 << 20,
		.rss_budget_bytes = 64 << 20, .rss_over_budget = 0, .heap_bytes = 5 << 20,
		.store_memory_bytes = 1 << 20, .interval_s = 1, .effective_interval_s = 2,
		.backoff_level = 1, .cpu_budget = 0.01, .cpu_share = 0.004,
		.bpf_cpu_share = 0.001, .samples = 61, .sample_seconds = 0.0014,
		.detect_seconds = 0.0005, .store_seconds = 0.0006, .store_bytes = 4 << 20,
		.store_commits = 61, .proc_reads = 1000, .bpf_loaded = true, .rss_bpf = true,
		.bpf_stats_on = true, .bpf_rss_events = 1000, .bpf_lifecycle = 40,
		.detect_runs = 300, .progs = fx_progs, .nprogs = 2, .backoff_shrinks = 1,
	};
	return m;
}

#endif
