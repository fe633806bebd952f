/* config — the daemon's configuration: defaults, an INI file (libinih),
 * then command-line overrides, in that order.
 *
 * Every key is "section.name" (INI [section] name = value); the table in
 * config.c is the one list of keys, their defaults and their parsers, and
 * config__print() writes the effective configuration back as INI (what
 * `seep daemon --print-config` shows; it reads back to the same values).
 * Durations take s/m/h/d suffixes, sizes B/KiB/MiB/GiB/TiB.
 * Returns 0 or -errno; on -EINVAL a message naming the file, line or key
 * is written into the caller's buffer.
 */
#ifndef SEEP_DAEMON_CONFIG_H
#define SEEP_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mitigate/mitigate.h"

struct daemon_config {
	/* [daemon] */
	double interval_s;
	char store[4096];
	char listen[128];	/* ADDR:PORT, [IPv6]:PORT */
	bool listen_public;	/* a listen address that is not loopback is allowed */
	bool bpf;
	char scope_cgroup[256];	/* only processes in this cgroup (or below); empty: all */
	/* [retention] */
	double max_age_s;
	uint64_t max_bytes;
	/* [telemetry] */
	double fold_s;
	uint32_t max_procs;
	int cgroup_depth;
	char growth_stacks[16];	/* "off", "suspects" (default) or "all" */
	/* [detect] */
	char algos[64];		/* comma-separated detector names */
	double scale_s;		/* detector seconds per sample */
	char threshold[64];	/* "host" or a size */
	uint32_t history;	/* samples kept per series */
	uint32_t min_samples;	/* samples before a series is judged */
	/* [pivot] */
	uint32_t pivot_window;
	double pivot_z;
	uint64_t pivot_base;
	/* [metrics] */
	uint32_t top_n;
	uint32_t max_cgroups;
	/* [budget] */
	double cpu_budget;	/* share of one core for the daemon itself */
	double bpf_budget;	/* share of one core for its BPF programs */
	uint64_t rss_budget;	/* own resident memory it warns above */
	uint64_t rss_cap;	/* own resident memory it sheds series above; 0: off */
	/* [collect]: heap snapshot series of suspects (daemon/collect.h) */
	uint32_t collect_top_k;	/* suspects by severity a leak verdict collects; 0: none */
	uint32_t collect_max_active;	/* collections running at once */
	char collect_dir[4096];	/* series directories; empty: next to the store */
	double collect_every_s;	/* between snapshots; 0: 5 intervals */
	uint32_t collect_snapshots;	/* a steady leak's series */
	uint32_t collect_steps;	/* a stair's steps captured */
	double collect_max_s;	/* time budget of one collection */
	uint64_t collect_max_bytes;	/* byte budget of one collection's files */
	uint64_t collect_sample_bytes;	/* the heap tracer's mean bytes between samples */
	double collect_cpu;	/* probes' traps + BPF run time over the target's own CPU */
	double collect_trap_ns;	/* one probe hit's trap, ns; 0: calibrated */
	double collect_budget_check_s;	/* between two checks of the CPU budget */
	char collect_comms[256];	/* comma-separated comm names allowed; empty: any */
	/* [trigger] */
	char psi[128];		/* /proc/pressure/memory trigger; empty: none */
	double psi_cooldown_s;	/* between two pressure triggers */
	bool cgroup_events;	/* cgroup memory events (daemon/memevents.h) trigger */
	double cgroup_share;	/* v1: usage / limit that counts as the limit reached */
	/* [reference]: reference snapshots of healthy instances */
	double ref_every_s;	/* between two rounds; 0: none */
	uint32_t ref_count;	/* snapshots per round */
	double ref_s;		/* tracing time of one */
	uint64_t ref_sample_bytes;
	char ref_dir[3800];	/* empty: 'references' next to the store */
	/* [mitigation]: tier 4, off by default (mitigate/mitigate.h) */
	struct mitigate_config mitigation;
	/* series and snapshots out of the host (fleet/remote_write.h, fleet/profpush.h) */
	char host[256];		/* daemon.host: the host label; empty: gethostname() */
	uint32_t max_series;	/* metrics.max_series: entity series budget; 0: none */
	char rw_url[1024];	/* [remote_write]; empty: off */
	double rw_interval_s;	/* 0: every daemon interval */
	double rw_timeout_s, rw_max_backoff_s;
	char rw_spool_dir[3800];	/* empty: 'remote_write' next to the store */
	uint64_t rw_spool_max_bytes;
	char rw_labels[512];
	char prof_pyroscope[1024], prof_parca[1024];	/* [profiles]; empty: none */
	char prof_app[128], prof_labels[512];
	double prof_timeout_s, prof_backoff_s;
	uint32_t prof_retries;
};

void daemon_config__defaults(struct daemon_config *c);
/* Reads PATH over C. */
int daemon_config__load(struct daemon_config *c, const char *path, char *err, size_t errlen);
/* Sets "section.name=value" (a --set option). */
int daemon_config__set(struct daemon_config *c, const char *assignment, char *err, size_t errlen);
int daemon_config__set_kv(struct daemon_config *c, const char *section, const char *name,
			  const char *value, char *err, size_t errlen);
void daemon_config__print(const struct daemon_config *c, FILE *out);

/* Parsers shared with the CLI: "90s", "5m", "1.5h", "7d" (plain: seconds);
 * "256MiB", "1GiB", "4096" (plain: bytes). */
int daemon_config__parse_duration(const char *s, double *out);
int daemon_config__parse_size(const char *s, uint64_t *out);

#endif
