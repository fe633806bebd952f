/* policy — the decision tree; see policy.h. */
#include "mitigate/policy.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* Never touched, whatever the lists say. */
static const char *const deny_comms = "systemd,init,systemd-journal,systemd-journald,sshd";
static const char *const deny_units =
	"init.scope,systemd-journald.service,systemd-journald@*.service,ssh.service,"
	"sshd.service,sshd@*.service,ssh@*.service";

bool policy__listed(const char *list, const char *name)
{
	char pat[512];

	if (!list || !name || !*name)
		return false;
	while (*list) {
		size_t k = strcspn(list, ",");

		if (k && k < sizeof(pat)) {
			memcpy(pat, list, k);
			pat[k] = '\0';
			if (!fnmatch(pat, name, 0))
				return true;
		}
		list += k + (list[k] == ',');
	}
	return false;
}

static bool _set(const char *s)
{
	return s && *s;
}

/* The reason T may never be touched, or NULL. */
static const char *_denied(const struct policy_params *p, const struct policy_target *t)
{
	if (t->pid == 1)
		return "PID 1";
	if (t->pid > 0 && t->pid == p->self_pid)
		return "seep itself";
	if (_set(t->cgroup) && _set(p->self_cgroup) && !strcmp(t->cgroup, p->self_cgroup) &&
	    strcmp(t->cgroup, "/"))
		return "seep's own cgroup";
	if (policy__listed(deny_comms, t->comm) || policy__listed(deny_units, t->unit))
		return "a protected system service (init, journald, sshd)";
	if (policy__listed(p->avoid, t->comm) || policy__listed(p->avoid, t->unit) ||
	    policy__listed(p->avoid, t->cgroup))
		return "on the avoid list";
	return NULL;
}

void policy__choose(const struct policy_params *p, const struct policy_target *t,
		    struct policy_choice *out)
{
	const char *deny;
	bool allowed;

	memset(out, 0, sizeof(*out));
	if (!strcmp(t->kind, "kernel")) {
		out->action = MIT_NOTIFY;
		snprintf(out->key, sizeof(out->key), "kernel");
		snprintf(out->why, sizeof(out->why), "a kernel-side leak: only notified");
		return;
	}
	if ((deny = _denied(p, t))) {
		out->action = MIT_NONE;
		out->refusal = "denied";
		snprintf(out->key, sizeof(out->key), "pid:%d", t->pid);
		snprintf(out->why, sizeof(out->why), "never touched: %s", deny);
		return;
	}
	allowed = policy__listed(p->allow, t->unit) || policy__listed(p->allow, t->cgroup);
	if (_set(t->unit)) {
		out->action = MIT_RESTART;
		out->how = HOW_UNIT;
		snprintf(out->key, sizeof(out->key), "unit:%s", t->unit);
		snprintf(out->why, sizeof(out->why), "localized to unit '%s': graceful restart",
			 t->unit);
	} else if (_set(p->restart_command)) {
		out->action = MIT_RESTART;
		out->how = HOW_COMMAND;
		snprintf(out->key, sizeof(out->key), "pid:%d", t->pid);
		snprintf(out->why, sizeof(out->why),
			 "localized to process %d, no unit: the restart command", t->pid);
	} else if (_set(t->cgroup) && strcmp(t->cgroup, "/")) {
		out->action = MIT_BRAKE;
		out->how = HOW_CGROUP;
		snprintf(out->key, sizeof(out->key), "cgroup:%s", t->cgroup);
		snprintf(out->why, sizeof(out->why),
			 "cannot be restarted (no unit, no restart command): brake cgroup '%s'",
			 t->cgroup);
	} else {
		out->action = MIT_NOTIFY;
		snprintf(out->key, sizeof(out->key), "pid:%d", t->pid);
		snprintf(out->why, sizeof(out->why),
			 "no unit, no restart command, no cgroup of its own: only notified");
		return;
	}
	if (!allowed)
		out->refusal = "not_allowed";
}

const char *policy__action_name(enum mit_action a)
{
	static const char *const names[MIT_NACTIONS] = { "none", "notify", "restart", "brake" };

	return a < MIT_NACTIONS ? names[a] : "unknown";
}
