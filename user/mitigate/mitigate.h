/* mitigate — tier 4: the mitigation engine. Off by default; when on, it
 * dry-runs first.
 *
 * Each interval the daemon hands every suspect it follows to
 * mitigate__evaluate() as a target (identity, unit, cgroup, the last
 * verdict). The engine counts consecutive leak verdicts per target, runs
 * the evidence gate (gate.h), the decision tree (policy.h) and the rate
 * limits (ratelimit.h), and answers with a decision: an outcome that ends
 * it (gated, denied, not_allowed, rate_limited, backoff, host_cap,
 * stopped, notified) or MIT_O_READY: the action may run once the caller
 * has a heap snapshot of the target taken after the target's last action
 * (mitigate__act() then runs it, or logs it in dry-run mode; or
 * mitigate__defer() says it waits for the snapshot).
 * RESIN's stop rule: a target acted on that no longer leaks is "stopped"
 * and gets no further action while it stays so.
 * Audit: mitigate__record() keeps a decision when it differs from the
 * target's previous one (action, outcome, reason), counts it per action
 * and outcome, and logs it (to the journal when there is one, else
 * stderr); it returns true when the decision is new, for the caller's
 * store. The last MITIGATE_KEEP decisions stay readable (mitigate__decision).
 * Ownership: the engine owns its executor (given to mitigate__new) and
 * copies everything else. Single-threaded. Functions return 0 or -errno.
 */
#ifndef SEEP_MITIGATE_MITIGATE_H
#define SEEP_MITIGATE_MITIGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"
#include "mitigate/executor.h"
#include "mitigate/policy.h"

#define MITIGATE_KEEP 256

/* [mitigation] of the daemon's configuration (daemon/config.c). */
struct mitigate_config {
	bool enabled;		/* off by default */
	bool dry_run;		/* on by default: log what it would do */
	char allow[1024];	/* units/cgroups that may be restarted or braked */
	char avoid[1024];	/* comms/units/cgroups never touched */
	double window_s;	/* one action per target per window */
	uint32_t host_cap;	/* actions per window on the whole host */
	uint32_t max_backoff;	/* windows */
	double confidence;	/* minimum r2 */
	uint32_t min_verdicts;	/* consecutive leak verdicts */
	double time_to_limit_s;	/* act only when the limit is nearer */
	uint64_t brake_margin;	/* bytes above current usage */
	char restart_command[1024];
	char executor[1024];	/* "real" or "record:PATH" */
	char cgroup_root[1024];	/* the memory hierarchy; "": found in /proc/self/mounts */
};

void mitigate_config__defaults(struct mitigate_config *c);

enum mit_outcome { MIT_O_DONE, MIT_O_FAILED, MIT_O_DRY_RUN, MIT_O_NOTIFIED, MIT_O_AWAITING,
		   MIT_O_GATED, MIT_O_DENIED, MIT_O_NOT_ALLOWED, MIT_O_RATE_LIMITED,
		   MIT_O_BACKOFF, MIT_O_HOST_CAP, MIT_O_STOPPED, MIT_O_READY, MIT_NOUTCOMES };

struct mitigate_target {
	const char *id;		/* stable identity: "process:PID:START", "component:KEY" */
	const char *kind;	/* "process", "component", "kernel" */
	int pid;		/* the process (a component's largest member) */
	uint64_t start;
	const char *comm, *unit, *cgroup;	/* "" when none */
	bool leak;		/* the last verdict */
	enum detect_pattern pattern;
	double confidence;	/* r2 */
	double time_to_limit_s;
	double slope_bytes_per_s;
	const char *diagnosis;	/* kernel leaks: what the diagnosis found; may be NULL */
};

struct mitigate_decision {
	double t_s;
	char target[320];	/* mitigate_target.id */
	char key[320];		/* the subject: "unit:U", "cgroup:C", "pid:P", "kernel" */
	char kind[16];
	int pid;
	uint64_t start;
	char comm[17], unit[128], cgroup[256];
	enum mit_action action;
	enum mit_outcome outcome;
	bool dry_run;
	char code[32];		/* the outcome's cause in one word (a gate test, ...) */
	char reason[1024];	/* why this outcome, in words */
	char detail[1536];	/* exactly what was (or would be) done */
	double last_action_s;	/* the subject's last action, 0: none */
};

struct mitigate_env {
	int self_pid;
	const char *self_cgroup;
};

struct mitigate;

/* EX: the executor (owned from here on, even on failure). */
int mitigate__new(const struct mitigate_config *c, const struct mitigate_env *env,
		  struct executor *ex, struct mitigate **out, char *err, size_t errlen);
void mitigate__free(struct mitigate *m);

int mitigate__evaluate(struct mitigate *m, const struct mitigate_target *t, double now,
		       struct mitigate_decision *d);
/* A READY decision: runs the action (dry-run: logs it); the outcome becomes
 * done, failed or dry_run, and the rate limits count it. */
int mitigate__act(struct mitigate *m, const struct mitigate_target *t,
		  struct mitigate_decision *d, double now);
/* A READY decision waits for its snapshot (REASON: why). */
void mitigate__defer(struct mitigate_decision *d, const char *reason);
/* Audits D; true when it is new for its target. */
bool mitigate__record(struct mitigate *m, const struct mitigate_decision *d);

bool mitigate__dry_run(const struct mitigate *m);
double mitigate__window(const struct mitigate *m);
uint64_t mitigate__executor_calls(const struct mitigate *m);
uint64_t mitigate__executor_errors(const struct mitigate *m);
uint64_t mitigate__count(const struct mitigate *m, enum mit_action a, enum mit_outcome o);
/* The kept decisions, oldest first: I < mitigate__ndecisions(). */
size_t mitigate__ndecisions(const struct mitigate *m);
const struct mitigate_decision *mitigate__decision(const struct mitigate *m, size_t i);

const char *mitigate__outcome_name(enum mit_outcome o);

#endif
