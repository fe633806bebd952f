/* session — tracing a set of processes and turning what the kernel keeps
 * into reports.
 *
 * A session owns the tracer (trace), the traced processes (each pinned by
 * a pidfd, with its symbolizer) and, for a command it started, the child.
 * It is what every command that reads heaps (trace, snapshot, record) is
 * built on: add processes, wait, ask for reports. Reports are handed to a
 * callback and released after it returns: a callback keeps what it needs.
 * Functions return 0 or -errno and log their errors.
 */
#ifndef SEEP_SESSION_H
#define SEEP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot/report.h"
#include "tracer/trace.h"

#define SESSION_MAX_TARGETS 256

#define SESSION_MAX_DEPTH 1024

enum session_unwind {
	UNWIND_AUTO = 0,         /* frame pointers if every module keeps them, else DWARF */
	UNWIND_FP,               /* frame-pointer walk in the kernel */
	UNWIND_DWARF,            /* stack copies unwound from DWARF CFI in user space */
};

struct session_config {
	struct trace_config trace;
	double min_age_s;        /* hide blocks younger than this */
	unsigned top;            /* stacks per report; 0 = all */
	enum session_unwind unwind;
	unsigned max_depth;      /* frames kept per stack (DWARF); 0 = 128 */
};

struct session;

typedef int (*session_report_fn)(const struct report *r, void *ctx);

/* Checks privileges and BTF, loads the tracer. */
int session__new(const struct session_config *cfg, struct session **out);
/* Detaches; a command the session started is terminated and reaped. */
void session__free(struct session *s);

int session__add_pid(struct session *s, pid_t pid);
/* Starts CMDLINE (split like a shell, no command substitution) stopped at
 * its entry point, attaches, lets it run. */
int session__start_command(struct session *s, const char *cmdline);
pid_t session__command_pid(const struct session *s);
size_t session__running(const struct session *s);

/* Waits until DEADLINE_NS (CLOCK_MONOTONIC; UINT64_MAX: no deadline), a
 * signal, or the exit of a traced process, whose final report goes to FN.
 * Follows new modules (dlopen) while waiting. Returns the number of
 * processes still running, or -errno. */
int session__wait(struct session *s, uint64_t deadline_ns, session_report_fn fn, void *ctx);
/* A report for each running process. */
int session__report(struct session *s, bool final, session_report_fn fn, void *ctx);

uint64_t session__now_ns(void);
/* CLOCK_MONOTONIC when tracing started (the first process attached). */
uint64_t session__start_ns(const struct session *s);

#endif
