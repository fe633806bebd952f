/* prom — the model in the Prometheus text exposition format (0.0.4).
 *
 * Base units (bytes, seconds), counters end in _total, every family has
 * HELP and TYPE lines, label values are escaped. Cardinality is bounded:
 * per-process series only for the model's top_n processes by RSS, cgroups
 * up to max_cgroups; seep_processes_truncated / seep_cgroups_truncated say
 * how many were left out. The text passes `promtool check metrics`.
 * Labels survive PID churn: the entity series (process, component,
 * cgroup, suspect) carry host (the model's host, when set); process and
 * component series carry component, comm, unit, cgroup and build_id (its
 * first 12 hex digits); a process series has slot (its rank by start time
 * among its component's shown processes) and pid only when it is a
 * suspect. Series budget (model max_series, 0: none): the entity series
 * are planned before writing, active suspects first, then components,
 * processes and cgroups; seep_series_left_out counts what did not fit.
 * The fleet counters (remote_write, profile push) appear when those are on.
 * prom__render() writes into *BUF (malloc'ed, the caller frees) and its
 * length into *LEN. Returns 0 or -ENOMEM.
 */
#ifndef SEEP_PROM_H
#define SEEP_PROM_H

#include <stddef.h>

#include "metrics/model.h"

int prom__render(const struct mx_model *m, char **buf, size_t *len);

#endif
