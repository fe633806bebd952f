/* Unit tests: mitigation's decision tree (mitigate/policy.h): kernel leaks
 * are only notified; a unit is restarted, a process without one by the
 * restart command, else its cgroup braked, else notified; the denylist
 * (PID 1, seep itself and its cgroup, journald, sshd, the avoid list) wins
 * over every allowlist; restart and brake need the allowlist. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "mitigate/policy.h"

/* Arrays, not pointers: Criterion hands the parameters to a new process. */
struct pcase {
	char name[32], kind[16];
	int pid;
	char comm[32], unit[64], cgroup[64];
	char allow[64], avoid[64], command[32];
	enum mit_action action;
	char refusal[16];	/* "": may act */
	char key[64];
};

ParameterizedTestParameters(policy, tree)
{
	static struct pcase cases[] = {
		{ "kernel", "kernel", 0, "", "", "", "*", "", "", MIT_NOTIFY, "", "kernel" },
		{ "unit restart", "process", 100, "app", "app.service", "/system.slice/app.service",
		  "app.service", "", "", MIT_RESTART, "", "unit:app.service" },
		{ "unit by cgroup pattern", "component", 100, "app", "app.service",
		  "/system.slice/app.service", "/system.slice/*", "", "", MIT_RESTART, "",
		  "unit:app.service" },
		{ "unit not allowed", "process", 100, "app", "app.service", "/system.slice/app.service",
		  "other.service", "", "", MIT_RESTART, "not_allowed", "unit:app.service" },
		{ "command restart", "process", 100, "app", "", "/app", "/app", "", "restart-app",
		  MIT_RESTART, "", "pid:100" },
		{ "brake", "process", 100, "app", "", "/app", "/app", "", "", MIT_BRAKE, "",
		  "cgroup:/app" },
		{ "brake not allowed", "process", 100, "app", "", "/app", "", "", "", MIT_BRAKE,
		  "not_allowed", "cgroup:/app" },
		{ "root cgroup: notify", "process", 100, "app", "", "/", "*", "", "", MIT_NOTIFY, "",
		  "pid:100" },
		{ "no cgroup: notify", "process", 100, "app", "", "", "*", "", "", MIT_NOTIFY, "",
		  "pid:100" },
		{ "pid 1", "process", 1, "init", "", "/", "*", "", "x", MIT_NONE, "denied", "pid:1" },
		{ "seep itself", "process", 4242, "seep", "", "/seep", "*", "", "", MIT_NONE, "denied",
		  "pid:4242" },
		{ "seep's cgroup", "process", 77, "helper", "", "/seep", "*", "", "", MIT_NONE,
		  "denied", "pid:77" },
		{ "journald", "process", 300, "systemd-journal", "systemd-journald.service",
		  "/system.slice/systemd-journald.service", "*", "", "", MIT_NONE, "denied",
		  "pid:300" },
		{ "sshd by comm", "process", 301, "sshd", "", "/x", "*", "", "", MIT_NONE, "denied",
		  "pid:301" },
		{ "sshd by unit", "component", 302, "sshd-session", "ssh.service",
		  "/system.slice/ssh.service", "*", "", "", MIT_NONE, "denied", "pid:302" },
		{ "avoid by comm", "process", 400, "postgres", "", "/db", "*", "mysqld,postgres", "",
		  MIT_NONE, "denied", "pid:400" },
		{ "avoid by cgroup", "process", 401, "worker", "", "/batch/critical", "*",
		  "/batch/crit*", "", MIT_NONE, "denied", "pid:401" },
	};

	return cr_make_param_array(struct pcase, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pcase *c, policy, tree)
{
	struct policy_params p = { .allow = c->allow, .avoid = c->avoid,
				   .restart_command = c->command, .self_pid = 4242,
				   .self_cgroup = "/seep" };
	struct policy_target t = { .kind = c->kind, .pid = c->pid, .comm = c->comm,
				   .unit = c->unit, .cgroup = c->cgroup };
	struct policy_choice ch;

	policy__choose(&p, &t, &ch);
	cr_expect_eq(ch.action, c->action, "%s: action %s, want %s (%s)", c->name,
		     policy__action_name(ch.action), policy__action_name(c->action), ch.why);
	if (c->refusal[0])
		cr_expect(ch.refusal && !strcmp(ch.refusal, c->refusal), "%s: refusal %s, want %s",
			  c->name, ch.refusal ? ch.refusal : "(none)", c->refusal);
	else
		cr_expect_null(ch.refusal, "%s: refused (%s): %s", c->name, ch.refusal, ch.why);
	cr_expect_str_eq(ch.key, c->key, "%s", c->name);
	cr_expect_gt(strlen(ch.why), 0, "%s: no reason given", c->name);
}

Test(policy, lists)
{
	cr_expect(policy__listed("a.service,/app/*", "/app/x"));
	cr_expect(policy__listed("a.service,/app/*", "a.service"));
	cr_expect_not(policy__listed("a.service,/app/*", "/app"));
	cr_expect_not(policy__listed("", "x"));
	cr_expect_not(policy__listed(NULL, "x"));
	cr_expect_not(policy__listed("*", ""), "an empty name is never listed");
	cr_expect(policy__listed(",,x,", "x"), "empty entries are skipped");
}
