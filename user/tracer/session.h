/* session — tracing a set of processes and turning what the kernel keeps
 * into reports.
 *
 * A session owns the tracer (trace), the registry of traced processes
 * (targets.h: each pinned by a pidfd, with its symbolizer; unbounded,
 * added by session__add_pid() and removed when they exit) and, for a
 * command it started, the child. It is what every command that reads
 * heaps (trace, snapshot, record) is built on, and what a daemon drives.
 * Reports are handed to a callback and released after it returns: a
 * callback keeps what it needs.
 *
 * Waiting is not the session's: an event loop (lib/evloop.h) is. A
 * session attached to a loop (session__attach) watches there its ring
 * buffer's fd (stack copies to unwind), one pidfd per target (its exit:
 * the final report goes to the attach callback, then the target is
 * dropped) and a timer for session__step() at session__next_deadline()
 * (unwinding left-over copies, sweeping stale bindings, following new
 * modules). One loop can drive many sessions beside other descriptors
 * (timers, signals, sockets). session__wait() is that for one session and
 * a loop of its own, one wake-up per call, as the CLI's commands use it.
 *
 * Functions return 0 or -errno and log their errors. Single-threaded: a
 * session and its loop belong to one thread at a time.
 */
#ifndef SEEP_SESSION_H
#define SEEP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot/report.h"
#include "tracer/stackmode.h"
#include "tracer/trace.h"

#define SESSION_MAX_DEPTH 1024

struct session_config {
	struct trace_config trace;
	double min_age_s;        /* hide blocks younger than this */
	unsigned top;            /* stacks per report; 0 = all */
	enum session_unwind unwind;
	unsigned max_depth;      /* frames kept per stack (DWARF); 0 = 128 */
	/* A reachability scan (tracer/reachstop.h, snapshot/reach.h): a
	 * command is kept under ptrace and scanned at its exit; a process
	 * of -p is stopped and scanned for its final report while it runs.
	 * Its lost blocks come first in that report, by stack. Wants every
	 * allocation tracked (trace.sample_bytes 1). */
	bool reach;
};

struct session;
struct evloop;

typedef int (*session_report_fn)(const struct report *r, void *ctx);

/* Checks privileges and BTF, loads the tracer. */
int session__new(const struct session_config *cfg, struct session **out);
/* Detaches; a command the session started is terminated and reaped,
 * with what is left in its process group. */
void session__free(struct session *s);

/* Traces PID (again: no-op). -ESRCH, -ENOENT (no allocator), -errno. */
int session__add_pid(struct session *s, pid_t pid);
/* Starts CMDLINE (split like a shell: lib/cmdline.h; leading NAME=value
 * words set its environment) stopped at its entry point, attaches, lets
 * it run. -EINVAL for a command line that does not parse. */
int session__start_command(struct session *s, const char *cmdline);
pid_t session__command_pid(const struct session *s);
/* The wait status of the command, once it ended by itself: 0, or -ENOENT
 * while it runs, when none was started, or when seep stopped it (the end
 * of tracing: SIGTERM, then SIGKILL, to its process group). The command
 * leads a process group of its own; what it forked is not traced, and
 * what is left of the group is stopped by session__free(). */
int session__command_status(const struct session *s, int *status);
/* Processes traced and not yet exited. */
size_t session__running(const struct session *s);

/* Watches the session's descriptors and step timer in LOOP (the session
 * must not be attached already: -EBUSY). Each exited process's final
 * report goes to ON_EXIT (may be NULL). A callback's error ends the
 * loop's pass (evloop__run_once returns it). */
int session__attach(struct session *s, struct evloop *loop, session_report_fn on_exit,
		    void *ctx);
/* Removes what attach registered (no-op if not attached). */
void session__detach(struct session *s);
/* The periodic work: unwinds waiting stack copies (for a bounded time),
 * sweeps bindings of freed blocks when many piled up, and re-reads the
 * modules of every process (hooking the allocators of new ones, dlopen)
 * once its interval has passed. 0 or -errno. */
int session__step(struct session *s);
/* When session__step() should run next (CLOCK_MONOTONIC): now if stack
 * copies are waiting, else at the next module refresh. */
uint64_t session__next_deadline(const struct session *s);

/* Waits until DEADLINE_NS (CLOCK_MONOTONIC; UINT64_MAX: no deadline), a
 * signal, or the exit of a traced process, whose final report goes to FN.
 * Follows new modules (dlopen) while waiting. The first call attaches the
 * session to a loop of its own (-EBUSY if it is attached to another).
 * Returns the number of processes still running, or -errno. */
int session__wait(struct session *s, uint64_t deadline_ns, session_report_fn fn, void *ctx);
/* A report for each running process. */
int session__report(struct session *s, bool final, session_report_fn fn, void *ctx);

/* Detaches the allocator probes (trace__unhook), keeps the maps: a
 * report after it holds the blocks live at this moment. For a caller
 * that stops the session for its cost: the targets stop paying at once,
 * before the last report is read and the session freed (next). */
void session__unhook(struct session *s);

/* The run time of the session's BPF programs (trace__run_time). */
int session__bpf_run_time(struct session *s, uint64_t *run_time_ns, uint64_t *run_cnt);

uint64_t session__now_ns(void);
/* CLOCK_MONOTONIC when tracing started (the first process attached). */
uint64_t session__start_ns(const struct session *s);

#endif
