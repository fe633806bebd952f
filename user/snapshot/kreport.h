/* kreport — one report of live kernel allocations, and its renderings.
 *
 * A kernel report is a struct report (report.h) whose stacks are kernel
 * sites: one report_stack per (kind, call site, stack, process, context,
 * cache or page order), frames innermost first, module "[kernel]" or a
 * module's name; beside each stack a kreport_site says what kind of
 * memory it holds and in which process it was allocated. Sites whose
 * events were not sampled have no stack: their only frame is the call
 * site (none for pages and vmap areas). The per-kind counters, and each
 * BPF program's run statistics and recursion misses, come with it: a
 * recursion miss of a free program is a free never seen; each site
 * carries how many of its live objects may be such (kledger.h: an upper
 * bound, and an estimate from the site's share of its space's frees) and
 * is marked frees_maybe_missed when the estimate rounds to one object or
 * more (kreport__missed_mark).
 * The site map's occupancy (sites in it, its size) and the sites pruned
 * from it since attach come with every report.
 * Detection: a caller that keeps each site's live-bytes series (diagnose/
 * kdetect.h) fills kreport_site.detect and detected_total: the site's
 * series judged by a leak detector, beside kgrowth's every-interval rule.
 * base.stats (the heap tracer's counters) stays zero; base.pid is the
 * process filter (0: every process).
 * Growth: over a run of reports (seep trace --kernel --interval) a
 * kgrowth follows each site's live bytes from one report to the next (by
 * the site's identity, not its rank: every site is observed, the top N
 * cut or not). A site is "growing" when its live bytes rose in every one
 * of the intervals since it was first seen, and there were at least
 * KGROWTH_MIN_INTERVALS of them; a site absent from a report (it held
 * nothing) starts over. Live bytes are exact (counted on every event), so
 * is the growth.
 * Ownership: kreport__release() frees the stacks (report__release) and
 * the sites array; a kgrowth owns its entries, kgrowth__free accepts NULL.
 *
 * JSON: {"kernel": true, "pid", "time", "elapsed_s", "final", "sample_bytes",
 *        "total_bytes", "total_count", "stacks_total",
 *        "kinds": {<kind>: {"bytes", "count"}},
 *        "stacks": [{"kind", "bytes", "count", "samples", "oldest_age_s",
 *                    "alloc_bytes", "alloc_count", "pid", "comm",
 *                    "cgroup_id", "context", "cache", "object_size",
 *                    "order", "sampled", "frees_maybe_missed", "truncated",
 *                    "frees_missed": {"at_most", "expected"},
 *                    "growth": {"intervals", "grew", "bytes", "growing"},
 *                    "detect": null | {"algo", "points", "leak",
 *                                      "slope_bytes_per_s", "r2"},
 *                    "frames": [...as in report.h]}],
 *        "intervals", "growing_total", "detected_total",
 *        "site_map": {"used", "max", "pruned"}, "missed_marked",
 *        "stats": {<kind>: {<counter>: n}}, "drops": {<kind>: {<drop>: n}},
 *        "drops_total", "recursion_misses_total",
 *        "programs": [{"name", "kind", "frees", "run_cnt", "run_time_ns",
 *                      "ns_per_event", "recursion_misses"}]}
 * Pure C over plain data.
 */
#ifndef SEEP_KREPORT_H
#define SEEP_KREPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "seep_kernel.h"
#include "snapshot/kledger.h"
#include "snapshot/report.h"

#define KREPORT_MAX_PROGS 16

#define KGROWTH_MIN_INTERVALS 2

/* A site's growth over the reports it was seen in without a gap. */
struct kgrowth_mark {
	uint32_t intervals;      /* intervals since it was first seen */
	uint32_t grew;           /* of those, the ones its live bytes rose in */
	int64_t bytes;           /* live bytes now minus when first seen */
	bool growing;            /* grew in each of >= KGROWTH_MIN_INTERVALS intervals */
};

/* A leak detector's verdict on a site's live-bytes series. */
struct kreport_detect {
	bool judged;             /* the series was long enough to be judged */
	bool leak;
	uint32_t points;         /* reports in the series */
	double slope_per_s;      /* bytes per second of the window found (leak) */
	double r2;
	const char *algo;        /* static string: the detector's name */
};

struct kreport_site {
	uint64_t id;             /* the site's identity across reports (a hash of its key) */
	uint32_t kind;           /* enum seep_kkind */
	uint32_t ctx;            /* enum seep_kctx */
	int pid;                 /* 0 outside task context */
	char comm[16];
	uint64_t cgroup_id;
	char cache[SEEP_KCACHE_NAME];  /* slab cache name, "" for other kinds */
	uint32_t object_size;    /* slab: bytes the caller asked for */
	int order;               /* pages: the order, -1 for other kinds */
	bool sampled;            /* the frames are a kernel stack */
	bool frees_maybe_missed; /* kreport__missed_mark(&missed) */
	struct kledger_missed missed;
	struct kgrowth_mark growth;
	struct kreport_detect detect;
};

struct kreport_prog {
	char name[64];
	uint32_t kind;           /* enum seep_kkind it serves */
	bool frees;              /* a free program */
	uint64_t run_cnt, run_time_ns;   /* 0 unless run-time statistics are on */
	uint64_t recursion_misses;
};

struct kreport {
	struct report base;
	struct kreport_site *sites;      /* base.nstacks entries, parallel to base.stacks */
	uint64_t kind_bytes[SEEP_KKIND__MAX], kind_count[SEEP_KKIND__MAX];  /* live, filtered */
	uint64_t stats[SEEP_KKIND__MAX][SEEP_KSTAT__MAX];
	struct kreport_prog progs[KREPORT_MAX_PROGS];
	size_t nprogs;
	uint32_t intervals;      /* intervals the growth was followed over (0: none) */
	size_t growing_total;    /* growing sites, shown or not */
	size_t detected_total;   /* sites a detector calls leaks, shown or not */
	size_t missed_marked;    /* sites marked frees_maybe_missed, shown or not */
	uint64_t site_map_used, site_map_max;   /* the site map after this read */
	uint64_t sites_pruned;   /* since attach */
};

/* A site is marked "frees may have been missed" when the expected number
 * of its live objects whose free was missed rounds to one or more. */
static inline bool kreport__missed_mark(const struct kledger_missed *m)
{
	return m->expected >= 0.5;
}

void kreport__release(struct kreport *r);
/* REPORT_TEXT, REPORT_JSON or REPORT_FOLDED. */
int kreport__write(const struct kreport *r, enum report_format fmt, FILE *out);
int kreport__write_json(const struct kreport *r, FILE *out);
int kreport__write_text(const struct kreport *r, FILE *out);
/* Collapsed stacks (folded.h) of the sites' live bytes, each stack under
 * two root frames: the process ("comm pid" or "[interrupt]") and the kind
 * ("[slab kmalloc-64]", "[kmalloc]", "[page order 0]", ...). */
int kreport__write_folded(const struct kreport *r, FILE *out);

const char *kreport__kind_name(enum seep_kkind k);
const char *kreport__ctx_name(enum seep_kctx c);
const char *kreport__stat_name(enum seep_kstat s);
bool kreport__stat_is_drop(enum seep_kstat s);
/* Events lost in R: every drop counter but the bytes beside one, plus the
 * programs' recursion misses. */
uint64_t kreport__drops_total(const struct kreport *r);

/* --- growth across reports --- */

struct kgrowth;

struct kgrowth *kgrowth__new(void);   /* NULL if out of memory */
void kgrowth__free(struct kgrowth *g);
/* Site ID (a hash of its identity) holds BYTES live in the report being
 * made: its growth since it was first seen into *OUT. Each ID once per
 * report. 0 or -ENOMEM. */
int kgrowth__observe(struct kgrowth *g, uint64_t id, uint64_t bytes, struct kgrowth_mark *out);
/* The report is complete: the sites it observed are the ones the next
 * report is compared with (the others are forgotten). */
void kgrowth__commit(struct kgrowth *g);
/* Reports committed so far. */
size_t kgrowth__reports(const struct kgrowth *g);

#endif
