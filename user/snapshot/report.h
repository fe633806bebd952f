/* report — one heap report of one process, and its renderings.
 *
 * A report is plain data built by the caller (the trace command) from the
 * heap model and the symbolizer; this module only renders it: JSON (one
 * object per report, on one line) or text. Pure C over plain data.
 * Ownership: report__release() frees the stacks, frames and their strings.
 *
 * JSON: {"pid", "comm", "time", "elapsed_s", "final", "exited",
 *        "exit_status" (a command that exited: its status, else null),
 *        "signal" (a command killed by a signal: "SIGSEGV", else null),
 *        "sample_bytes", "total_bytes", "total_count", "total_samples",
 *        "stacks_total", "execs" (exec() calls followed: a new heap each),
 *        "stacks": [{"bytes", "count", "bytes_stddev", "samples",
 *                    "oldest_age_s", "alloc_bytes", "alloc_count", "truncated",
 *                    "fp_fallback",
 *                    "frames": [{"function", "module", "offset", "file",
 *                                "line", "build_id"}]}],
 *        "stats": {<counter>: n, ..., "drops": {<drop>: n, ...,
 *                  "stack_store_full", "stacks_queued"}, "drops_total": n},
 *        "reach" (only after a reachability scan, --reach):
 *                 {"exact", "pause_ms", "scanned_bytes", "root_bytes",
 *                  "stack_bytes", "threads", "lost_bytes", "lost_blocks",
 *                  "lost_stacks", "reachable_bytes", "reachable_blocks"}}
 * With a scan, each stack has "reach": "lost" (nothing points to its
 * blocks: definitely lost) or "reachable"; the lost stacks come first.
 * Frames innermost first (the allocator's entry first); unknown fields null.
 * Text: control characters in names (process, module, symbol, file) are
 * written escaped (\xNN): a traced process chooses its name and symbols,
 * and must not write to the terminal of whoever reads the report.
 */
#ifndef SEEP_REPORT_H
#define SEEP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "seep_heap.h"
#include "symbols/frame.h"

struct report_stack {
	uint64_t bytes, count;   /* estimates when sampling */
	double bytes_stddev;     /* the bytes estimate's standard deviation (0: exact) */
	uint64_t samples;        /* live blocks recorded */
	double oldest_age_s;
	uint64_t alloc_bytes, alloc_count;
	bool truncated;          /* deeper than the frames kept */
	bool fp_fallback;        /* frame-pointer frames taken in place of a DWARF unwind
				  * when the stack ring was full: may be cut or wrong
				  * past a function built without frame pointers */
	bool lost;               /* after a scan: blocks nothing points to */
	size_t nframes;
	struct stack_frame *frames;
};

/* A reachability scan of the process (snapshot/reach.h). */
struct report_reach {
	bool done;               /* a scan was made; else the rest is zero */
	bool exact;              /* every block since the process started was tracked */
	uint64_t pause_ns;       /* how long the process was held */
	uint64_t scanned_bytes;  /* root bytes and reached blocks' bytes read */
	uint64_t root_bytes, stack_bytes;
	size_t threads;          /* threads whose registers and stacks were read */
	uint64_t lost_bytes, lost_blocks;
	size_t lost_stacks;      /* stacks[0 .. lost_stacks) are lost */
	uint64_t reachable_bytes, reachable_blocks;
};

struct report {
	int pid;
	char comm[17];
	double time;             /* wall clock, seconds since the epoch */
	double elapsed_s;        /* since tracing started */
	bool final;              /* last report of this process */
	bool exited;             /* the process has exited */
	bool has_exit_status;    /* a command seep started ended by itself: */
	int exit_status;         /*   its exit status (-1 if killed by a signal) */
	int exit_signal;         /*   the signal that killed it, else 0 */
	uint64_t sample_bytes;   /* mean bytes between samples; 1: every allocation */
	uint64_t total_bytes, total_count;
	uint64_t total_samples;  /* live blocks recorded */
	size_t stacks_total;     /* sites with live memory (stacks shows the top ones) */
	size_t nstacks;
	struct report_stack *stacks;
	uint64_t stats[SEEP_STAT__MAX];
	/* User space's own counts beside the BPF side's stats. Drops, both
	 * shown as "[stack lost]" and counted in drops_total: */
	uint64_t stack_store_full;  /* stacks unwound that the full stack store
				     * (--max-stacks) refused */
	uint64_t stacks_queued;     /* blocks whose stack copy still waited in
				     * the ring when this report was made */
	uint64_t execs;             /* exec() calls followed (a new heap each) */
	struct report_reach reach;
};

/* REPORT_FOLDED is written by folded__write_report() (folded.h, above this
 * model); report__write() takes text and JSON and returns -EINVAL for it. */
enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_FOLDED };

void report__release(struct report *r);
/* Moves SRC's stacks to the end of DST's (SRC is left empty): 0 or
 * -ENOMEM (both unchanged). */
int report__append_stacks(struct report *dst, struct report *src);
int report__write(const struct report *r, enum report_format fmt, FILE *out);
int report__write_json(const struct report *r, FILE *out);
int report__write_text(const struct report *r, FILE *out);

/* A frame as in the JSON report (a new jansson reference). */
struct json_t;
struct json_t *report__frame_json(const struct stack_frame *f);
/* Writes ROOT compact on one line and releases it; -ENOMEM if ROOT is NULL. */
int report__print_json(struct json_t *root, FILE *out);

/* S with its control characters (and backslashes) escaped as \xNN, for
 * text on a terminal: S itself if it has none, else BUF (LEN bytes,
 * truncated to fit). */
const char *report__escape(const char *s, char *buf, size_t len);

/* The JSON name of a counter, and whether it counts lost data. */
const char *report__stat_name(enum seep_stat s);
bool report__stat_is_drop(enum seep_stat s);

#endif
