/* daemon — `seep daemon`: tiers 0 and 1 for every process on the host.
 *
 * Runs in the foreground until SIGTERM or SIGINT: every interval it takes
 * a tier-0 sample (telemetry/collector.h), feeds every process, component
 * and cgroup series, runs the detectors and the bucketization-pivot
 * (tier 1), writes the interval to the store in one transaction
 * (daemon/db.h) and refreshes what /metrics and the JSON API serve.
 * systemd style: sd_notify READY=1 once the first interval is stored,
 * RELOADING=1/READY=1 around a SIGHUP reload (config file and the same
 * overrides again; a new store or listen address needs a restart),
 * STOPPING=1 on the way out. SIGTERM detaches every BPF program, commits
 * or rolls back the open interval, closes the store and returns 0.
 * Its own cost is measured every interval (CPU, RSS, BPF run time) and
 * held to the budget: over it for three intervals, the interval doubles
 * (up to 8x); BPF over its budget, rss_stat is detached (/proc instead).
 * Tier 2 (daemon/collect.h): the top collect.top_k suspects by severity, a
 * POST /api/snapshot?pid=N or a memory pressure (PSI) event start heap
 * snapshot series. Everything waits on one lib/evloop loop: the signalfd,
 * the interval timer, the HTTP server, the PSI trigger and the tracing
 * sessions of the running collections.
 */
#ifndef SEEP_DAEMON_DAEMON_H
#define SEEP_DAEMON_DAEMON_H

#include "daemon/config.h"

struct daemon_source {
	const char *config_path;	/* NULL: defaults only */
	char *const *sets;		/* "section.key=value" overrides, applied last */
	int nsets;
	const struct daemon_config *cli;/* flag values already folded into sets */
};

/* Builds the effective configuration from SRC. */
int daemon__config(const struct daemon_source *src, struct daemon_config *out, char *err,
		   size_t errlen);
/* Runs until stopped: 0 on a clean stop, -errno (logged) on failure. */
int daemon__run(const struct daemon_source *src, const struct daemon_config *cfg);

#endif
