/* policy — mitigation's decision tree: what to do about a leaking target,
 * and whether it may be touched at all.
 *
 * The tree, first match wins:
 *   a kernel-side leak                      -> notify (with the diagnosis)
 *   a denied target                         -> nothing ("denied"): PID 1,
 *     seep itself and its own cgroup, journald, sshd, and
 *     anything matching the AVOID list (comm, unit or cgroup)
 *   a leak localized to one process or service (a process, or a component
 *   of one unit) that can be restarted:
 *     it has a systemd unit                 -> restart: systemctl try-restart UNIT
 *     a restart command is configured       -> restart: the command
 *   it cannot be restarted now, in a cgroup of its own (not the root)
 *                                           -> brake: v2 memory.high, v1
 *                                              memory.soft_limit_in_bytes,
 *                                              usage + margin
 *   otherwise                               -> notify
 * Restart and brake need the unit or the cgroup on the ALLOW list; a target
 * that is not is answered "not_allowed" (with the action it would get).
 * Lists are comma-separated fnmatch(3) patterns, e.g. "*.service,/app".
 * Pure functions over plain data.
 */
#ifndef SEEP_MITIGATE_POLICY_H
#define SEEP_MITIGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mit_action { MIT_NONE, MIT_NOTIFY, MIT_RESTART, MIT_BRAKE, MIT_NACTIONS };
enum mit_how { HOW_NONE, HOW_UNIT, HOW_COMMAND, HOW_CGROUP };

struct policy_params {
	const char *allow, *avoid;	/* lists; NULL or "": empty */
	const char *restart_command;	/* "": none */
	int self_pid;
	const char *self_cgroup;	/* seep's own cgroup ("" unknown) */
};

struct policy_target {
	const char *kind;	/* "process", "component" or "kernel" */
	int pid;		/* the process, or a component's largest member */
	const char *comm, *unit, *cgroup;	/* "" when unknown */
};

struct policy_choice {
	enum mit_action action;
	enum mit_how how;
	const char *refusal;	/* NULL, "denied" or "not_allowed" */
	char why[160];		/* the rule that decided, in words */
	char key[320];		/* the rate limit's key: "unit:U", "cgroup:C", "pid:P", "kernel" */
};

/* Does NAME match one of the patterns of LIST? */
bool policy__listed(const char *list, const char *name);
void policy__choose(const struct policy_params *p, const struct policy_target *t,
		    struct policy_choice *out);
const char *policy__action_name(enum mit_action a);

#endif
