/* heapreport — a report (report.h) built from a heap model (heap.h).
 *
 * The tracer aggregates live blocks by site into a heap; this turns the
 * heap into the report every command prints, stores or diffs: figures
 * rounded from the model's estimates, the top sites by bytes, and each
 * site's stack symbolized. Where stacks and symbols come from is the
 * caller's (a struct heapreport_source: the tracer reads the kernel's
 * stack map, the DWARF store and the process's symbolizer; tests give
 * fixed frames), so this module is pure: no BPF, no /proc.
 * A site's frames are innermost first: the allocator's entry (named by
 * its kind when the symbol is missing or an internal alias such as
 * glibc's __libc_malloc), then return addresses. A lost stack shows as one
 * "[stack lost]" frame followed by whatever the source still knew (the
 * immediate caller, as a return address). Zero addresses are skipped.
 * Ownership: the report is the caller's (report__release()).
 */
#ifndef SEEP_HEAPREPORT_H
#define SEEP_HEAPREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot/heap.h"
#include "snapshot/report.h"

/* The addresses of one site's stack. */
struct heapreport_stack {
	size_t n;                /* addresses written */
	bool lost;               /* the stack itself was lost (addresses: at most the caller) */
	bool truncated;          /* deeper than what was kept */
	bool frame_pointer;      /* walked by frame pointers in place of a DWARF unwind
				  * (back-pressure): frames past a function without
				  * them may be missing or wrong */
};

struct heapreport_source {
	/* Writes SITE's stack into IPS (room for MAX) and says what it is:
	 * 0 or -errno. */
	int (*stack)(void *ctx, const struct heap_site *site, uint64_t *ips, size_t max,
		     struct heapreport_stack *out);
	/* Symbolizes ADDR into OUT (RETURN_ADDR: a return address, the call
	 * before it is what is named): 0 or -errno. */
	int (*frame)(void *ctx, uint64_t addr, bool return_addr, struct stack_frame *out);
	void *ctx;
};

/* What the report says beside the heap. */
struct heapreport_meta {
	int pid;
	const char *comm;
	double time;             /* wall clock, seconds since the epoch */
	double elapsed_s;        /* since tracing started */
	bool final, exited;
	uint64_t now_ns;         /* CLOCK_MONOTONIC now: the ages of blocks */
	unsigned top;            /* sites reported; 0: all */
	size_t max_frames;       /* addresses asked of the source per stack (>= 1) */
	const uint64_t *stats;   /* SEEP_STAT__MAX counters, or NULL (zeros) */
	uint64_t stack_store_full, stacks_queued, execs;	/* as in report.h */
	bool has_exit_status;    /* a command that ended: how (report.h) */
	int exit_status, exit_signal;
};

/* Builds OUT from HEAP (sorted: heap__sort()). Returns 0, or -errno from
 * the source or -ENOMEM (OUT is then released and zeroed). */
int heapreport__build(const struct heap *heap, const struct heapreport_meta *meta,
		      const struct heapreport_source *src, struct report *out);

#endif
