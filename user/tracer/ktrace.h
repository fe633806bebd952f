/* ktrace — the kernel allocation tracer's BPF side, seen from user space.
 *
 * Owns the kernel skeleton (bpf/kernel.bpf.c) and the kernel symbol table:
 * ktrace__open() loads the programs with the configured map sizes and
 * sampling, ktrace__attach() attaches every tracepoint program (all or
 * nothing), ktrace__report() reads the live allocations back, aggregated
 * per site (kind, call site, kernel stack, process, context, cache or page
 * order), symbolized from /proc/kallsyms, filtered to one process and cut
 * to the top N sites by live bytes, into a struct kreport (snapshot/
 * kreport.h). Each program's run count, run time (with run_stats: the
 * kernel's BPF_STATS_RUN_TIME is enabled while the tracer lives) and
 * recursion misses are read from bpf_prog_info; a kledger (snapshot/
 * kledger.h) turns the misses of the free programs of each address space
 * between two reads into each site's missed-free figures.
 * Pruning: every read of the site map (each report, each ktrace__prune)
 * deletes the sites that hold nothing and had no allocation since the
 * previous read, or whose process is gone (kledger.h says when; the BPF
 * side copes with an allocation that races the delete: seep_kernel.h), so
 * that a fork/exec storm does not fill the map; the report says how full
 * the map is and how many sites were pruned.
 * Errors are logged here with their cause; functions return 0 or -errno.
 *
 * The CLI wiring of `seep trace --kernel`:
 *	ktrace__open(&cfg, &kt); ktrace__attach(kt);
 *	every interval / at the end:
 *		ktrace__report(kt, &(struct ktrace_query){ .pid = pid, .top = n,
 *						     .growth = g }, &r);
 *		kreport__write(&r, fmt, stdout); kreport__release(&r);
 *	between reports, every second or so: ktrace__prune(kt, NULL);
 *	ktrace__free(kt);
 */
#ifndef SEEP_KTRACE_H
#define SEEP_KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_kernel.h"
#include "snapshot/kreport.h"

struct ktrace_config {
	uint32_t max_live;       /* allocations tracked at once (0: 1 << 18) */
	uint32_t max_sites;      /* sites (0: 1 << 16; sites are per process: a fork storm
				    in exact mode makes ~100 per child) */
	uint32_t max_stacks;     /* distinct kernel stacks (0: 1 << 14) */
	uint64_t sample_bytes;   /* mean bytes between stacks; 0 or 1: a stack for every event */
	bool run_stats;          /* enable the kernel's BPF run-time statistics */
	const char *kallsyms;    /* NULL: /proc/kallsyms */
};

struct ktrace;

int ktrace__open(const struct ktrace_config *cfg, struct ktrace **out);
/* Attaches every program; -errno (and nothing attached) if one fails. */
int ktrace__attach(struct ktrace *kt);
void ktrace__free(struct ktrace *kt);

struct ktrace_query {
	int pid;                 /* > 0: only sites allocated in this process's context */
	size_t top;              /* sites kept, largest first (0: all) */
	/* NULL, or called once per wanted site holding live memory (cut or
	 * not) with the site's id (kreport_site.id) and live bytes, before
	 * ktrace__report returns: 0 or -errno (the report fails then) */
	int (*observe)(void *ctx, uint64_t id, uint64_t live_bytes);
	void *observe_ctx;
	struct kgrowth *growth;  /* NULL, or every site wanted (cut or not) is observed
				    in it and the report committed: the sites' growth
				    marks and the report's growing_total come from it */
};

/* Fills OUT (to be released with kreport__release) with the sites that
 * hold live memory, their stacks, the counters and the programs'
 * statistics. base.time and elapsed_s are set; final is the caller's. */
int ktrace__report(struct ktrace *kt, const struct ktrace_query *q, struct kreport *out);
/* A read of the site map that reports nothing: prunes what can go.
 * *PRUNED (may be NULL): the sites deleted. */
int ktrace__prune(struct ktrace *kt, uint64_t *pruned);
/* The counters and program statistics only (OUT's stacks stay empty). */
int ktrace__stats(struct ktrace *kt, struct kreport *out);

typedef int (*ktrace_live_fn)(const struct seep_klive_key *key, const struct seep_klive *val,
			      void *ctx);
typedef int (*ktrace_site_fn)(const struct seep_ksite_key *key, const struct seep_ksite *val,
			      void *ctx);
int ktrace__for_each_live(struct ktrace *kt, ktrace_live_fn fn, void *ctx);
int ktrace__for_each_site(struct ktrace *kt, ktrace_site_fn fn, void *ctx);
/* Copies kernel stack STACK_ID into IPS (innermost first, the tracing
 * machinery's own frames removed); returns the number of frames, 0 if the
 * stack is unknown. *TRUNCATED: the kernel kept no deeper frames. */
size_t ktrace__stack(struct ktrace *kt, int32_t stack_id, uint64_t *ips, size_t max,
		     bool *truncated);

#endif
