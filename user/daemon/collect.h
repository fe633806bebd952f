/* collect — tier 2 of the daemon: heap snapshot series of the processes it
 * suspects, taken only as long as it takes to capture the leak.
 *
 * A collection attaches a sampled heap tracing session (tracer/session.h,
 * the tracer's low-overhead sampling) to one process on the daemon's own
 * event loop and writes a `seep record` series directory (snapshot/store.h:
 * pprof snapshots and an index, readable by `seep report`/`seep diff`)
 * under the collections directory, catalogued in the store (db.h) with
 * the verdict that triggered it. Its rule follows the growth pattern:
 *   steady, sawtooth: a snapshot every EVERY_S, complete after SNAPSHOTS;
 *   stair: a snapshot when a step has ended (RSS rose at one interval and
 *     holds at the next), and every EVERY_S; complete after STEPS steps;
 *   spike: a snapshot every EVERY_S while memory is up; complete when RSS
 *     is back within a quarter of the excursion above the baseline (the
 *     DONE callback then clears the suspect).
 * Any collection also stops on its time budget (MAX_S), its byte budget
 * (MAX_BYTES of snapshot files), the CPU budget, the process's exit (its
 * final report is the last snapshot) or the daemon stopping; every stop
 * takes a last snapshot while the process lives, detaches the probes and
 * records why it stopped. A snapshot holds the blocks allocated since the
 * session attached (the tracer sees nothing older).
 * CPU budget (collect_cost.h), checked every BUDGET_CHECK_S while
 * collections run: the probes' hits x the trap cost (TRAP_NS; else the
 * one measured earlier in this boot, kept in the store's meta table under
 * the boot ID; else measured by tracer/trapcost.h on a thread from
 * collects__new() on: no check decides before it has a value; 800 ns if
 * it fails) plus their BPF run
 * time (BPF_STATS_RUN_TIME, enabled by
 * the daemon's tier 0), over the target's own CPU (proc__cpu_ns); over CPU
 * for three windows, the sampling interval is raised eightfold (a new
 * session, same series), and the second time the collection stops
 * ("cpu_budget"); the traps alone over CPU stop it at once
 * ("cpu_budget_traps": sampling does not change how many calls trap).
 * The stack-copy ring is sized to the sampling (1 MiB above 256 KiB);
 * the heap is trimmed (malloc_trim) after a collection stops. A start
 * that fails leaves no series directory behind.
 * OOM victim (collects__oom_victim, from the daemon's mark_victim watch):
 * the running collection of the victim takes its last snapshot at once,
 * while the session's maps still hold the victim's live blocks, and stops
 * ("oom_victim").
 * Reference snapshots (collects__reference): a short collection of a
 * healthy instance of a component, sampled at REF_SAMPLE_BYTES, one
 * snapshot after REF_S, appended to the reference series of its build ID,
 * REF_DIR/BUILD_ID/EPOCH (a `seep record` series, one per build ID and
 * daemon run, kept open across references); catalogued as a collection
 * with trigger "reference".
 * At most MAX_ACTIVE collections run at once (references included); a
 * process has at most one running collection.
 * Ownership: collects__free() stops every running collection. Strings and
 * arrays handed out by collects__model() live until the next call of any
 * collects__ function. Functions return 0 or -errno and log their errors.
 * Single-threaded, on the loop given to collects__new().
 */
#ifndef SEEP_DAEMON_COLLECT_H
#define SEEP_DAEMON_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"
#include "metrics/model.h"

struct evloop;
struct db;
struct collects;

enum collect_trigger { COLLECT_LEAK, COLLECT_REQUEST, COLLECT_PRESSURE, COLLECT_CGROUP,
		       COLLECT_REFERENCE };

struct collect_params {
	uint32_t max_active;
	const char *dir;	/* created 0700 if absent */
	double every_s;
	uint32_t snapshots, steps;
	double max_s;
	uint64_t max_bytes;
	uint64_t sample_bytes;
	double cpu;		/* the probes' cost (traps + BPF) over the target's CPU */
	double trap_ns;		/* one probe hit's trap; 0: calibrate (tracer/trapcost.h) */
	double budget_check_s;	/* between budget checks */
	const char *ref_dir;	/* reference series (created 0700 if absent) */
	double ref_s;		/* a reference: its one snapshot after this */
	uint64_t ref_sample_bytes;
};

struct collect_request {
	int pid;
	uint64_t start;		/* /proc/PID/stat field 22; 0: take the process's own */
	const char *comm;	/* NULL: from /proc */
	enum collect_trigger trigger;
	enum detect_pattern pattern;	/* the rule (PLATEAU: steady's) */
	const char *algo;	/* the verdict's detector, or NULL */
	double severity, slope_bytes_per_s, from_s, to_s;
	double baseline_bytes;	/* RSS before the growth (the spike rule) */
	int64_t entity;		/* the process in the store, or -1 */
};

/* A collection of PID/START stopped for REASON. */
typedef void collect_done_fn(int pid, uint64_t start, const char *reason, void *ctx);
/* The RSS of PID/START at the daemon's last sample: 0, or -ESRCH. */
typedef int collect_rss_fn(int pid, uint64_t start, double *rss, void *ctx);

int collects__new(const struct collect_params *p, struct evloop *loop, struct db *db,
		  collect_done_fn *done, void *ctx, struct collects **out);
void collects__free(struct collects *c);

/* Starts a collection: -EBUSY (MAX_ACTIVE are running), -EALREADY (one runs
 * for the process), -ESRCH (no such process), -errno; ERR says why. */
int collects__start(struct collects *c, const struct collect_request *r, double now, char *err,
		    size_t errlen);
/* A reference snapshot of PID/START, a healthy instance of the component
 * of executable BUILD_ID (hex): -EBUSY, -EALREADY, -ESRCH as above. */
int collects__reference(struct collects *c, int pid, uint64_t start, const char *build_id,
			double now, char *err, size_t errlen);
/* The kernel chose PID as an OOM victim: its running collection, if any,
 * takes its last snapshot now and stops ("oom_victim"). True if one ran. */
bool collects__oom_victim(struct collects *c, int pid);
/* A collection (running or done) was ever made for PID/START. */
bool collects__known(const struct collects *c, int pid, uint64_t start);
size_t collects__running(const struct collects *c);
/* Counts a trigger refused for want of a free slot. */
void collects__refused(struct collects *c);
void collects__psi_event(struct collects *c);
/* Once per interval: the pattern rules and the budgets. */
int collects__tick(struct collects *c, double now, collect_rss_fn *rss, void *ctx);
/* The collections (oldest first) and the counters, for the exporters. */
int collects__model(struct collects *c, const struct mx_collection **out, size_t *n,
		    struct mx_collect_stats *stats);

#endif
