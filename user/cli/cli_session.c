/* cli_session — the tracing commands' shared options and session; see cli_session.h. */
#include "cli/cli_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/parse.h"
#include "lib/vec.h"

/* --- the tracer's options --- */

void cli__tracer_defaults(struct session_config *cfg)
{
	cfg->trace.sample_bytes = CLI_DEFAULT_SAMPLE_BYTES;
}

int cli__tracer_opt(struct session_config *cfg, int opt, const char *arg)
{
	static const char *const unwinds[] = { "auto", "fp", "dwarf" };
	static const enum session_unwind unwind_of[] = { UNWIND_AUTO, UNWIND_FP, UNWIND_DWARF };
	uint64_t v;
	size_t i;

	switch (opt) {
	case 's':
		if (cli__bytes(arg, "--sample-bytes", 1, 1ULL << 40, &v))
			return -EINVAL;
		cfg->trace.sample_bytes = v;
		return 1;
	case 'u':
		if (cli__name(arg, "--unwind", unwinds, 3, &i))
			return -EINVAL;
		cfg->unwind = unwind_of[i];
		return 1;
	case CLI_OPT_MAX_DEPTH:
		if (cli__count(arg, "--max-depth", 2, SESSION_MAX_DEPTH, &v))
			return -EINVAL;
		cfg->max_depth = (unsigned)v;
		return 1;
	case CLI_OPT_STACK_BYTES:
		if (cli__bytes(arg, "--stack-bytes", 512, SEEP_MAX_STACK_COPY, &v))
			return -EINVAL;
		cfg->trace.stack_bytes = (uint32_t)v;
		return 1;
	case CLI_OPT_NO_SESSIONS:
		cfg->trace.no_sessions = true;
		return 1;
	case CLI_OPT_SHARED_PROBES:
		cfg->trace.shared_probes = true;
		return 1;
	case CLI_OPT_NO_STACK_WALK:
		cfg->trace.no_stack_walk = true;
		return 1;
	case CLI_OPT_MAX_ALLOCS:
		if (cli__count(arg, "--max-allocs", 1, 1u << 28, &v))
			return -EINVAL;
		cfg->trace.max_live = (uint32_t)v;
		return 1;
	case CLI_OPT_MAX_STACKS:
		if (cli__count(arg, "--max-stacks", 1, 1u << 24, &v))
			return -EINVAL;
		cfg->trace.max_stacks = (uint32_t)v;
		return 1;
	default:
		return 0;
	}
}

/* --- what to trace --- */

void cli__target_init(struct cli_target *t, size_t max_pids, double duration_s, unsigned top)
{
	memset(t, 0, sizeof(*t));
	t->max_pids = max_pids;
	t->duration_s = duration_s;
	cli__tracer_defaults(&t->cfg);
	t->cfg.top = top;
}

void cli__target_release(struct cli_target *t)
{
	if (!t)
		return;
	free(t->pids);
	t->pids = NULL;
	t->npids = t->pids_cap = 0;
}

static int _add_pid(struct cli_target *t, const char *arg)
{
	char why[128];
	pid_t pid, *slot;

	if (parse__pid(arg, &pid, why, sizeof(why)))
		return cli__bad_value("--pid", arg, why);
	if (t->npids == t->max_pids) {
		cli__error("too many -p options: at most %zu", t->max_pids);
		return -EINVAL;
	}
	if (!(slot = VEC_PUSH(t->pids, t->npids, t->pids_cap))) {
		cli__error("cannot keep pid %d: %s", (int)pid, strerror(ENOMEM));
		return -ENOMEM;
	}
	*slot = pid;
	t->npids++;
	return 0;
}

int cli__target_opt(struct cli_target *t, int opt, const char *arg)
{
	int handled = cli__tracer_opt(&t->cfg, opt, arg);

	if (handled)
		return handled;
	switch (opt) {
	case 'p':
		return _add_pid(t, arg) ?: 1;
	case 'c':
		t->command = arg;
		return 1;
	case 'd':
		return cli__seconds(arg, "--duration", 0, &t->duration_s) ?: 1;
	case 'a':
		return cli__seconds(arg, "--min-age", 0, &t->cfg.min_age_s) ?: 1;
	default:
		return 0;
	}
}

int cli__target_check(const struct cli_target *t, int argc, char **argv)
{
	if (optind < argc) {
		cli__error("unexpected argument '%s' (a command goes in -c 'CMD ARGS')",
			   argv[optind]);
		return -EINVAL;
	}
	if (!t->npids == !t->command) {
		cli__error(t->command ? "-p and -c cannot be combined"
				      : "nothing to trace: give -p PID or -c 'CMD ARGS'");
		return -EINVAL;
	}
	return 0;
}

int cli__session_open(const struct cli_target *t, const char *how_to_stop,
		      struct session **out)
{
	struct session *s;
	bool progress;
	size_t n;
	int err;

	if ((err = session__new(&t->cfg, &s)))
		return err;
	/* Per-process probes cost each hit one kernel consumer per traced
	 * process (README, "Many processes"); sharing them is the user's call,
	 * as it puts breakpoints in every process that maps the files. */
	if (t->npids >= 4 && !t->cfg.trace.shared_probes)
		pr_warn("%zu processes: each probe hit walks one kernel consumer per traced process; "
			"--shared-probes makes it one (and probes every process mapping the files)",
			t->npids);
	if (t->command)
		err = session__start_command(s, t->command);
	/* attaching takes ~0.2 s a process: say how far it got, on a
	 * terminal only (the line ends in \r: the next message overwrites it) */
	progress = t->npids > 1 && isatty(STDERR_FILENO);
	for (size_t i = 0; i < t->npids && !err; i++) {
		if (progress)
			fprintf(stderr, "seep: attaching to %zu processes: %zu done, pid %d next\r",
				t->npids, i, (int)t->pids[i]);
		err = session__add_pid(s, t->pids[i]);
	}
	if (progress)
		fputs("\033[K", stderr);
	if (err) {
		session__free(s);
		return err;
	}
	if (t->command)
		pr_info("tracing '%s' (pid %d)", t->command, (int)session__command_pid(s));
	n = session__running(s);
	pr_warn("tracing %zu process%s; %s", n, n == 1 ? "" : "es", how_to_stop);
	*out = s;
	return 0;
}
/* --- the report-tick loop over a session --- */

struct session_ticks {
	struct session *s;
	session_report_fn fn;
	void *ctx;
};

static int _session_wait(void *ctx, uint64_t deadline_ns)
{
	struct session_ticks *st = ctx;

	return session__wait(st->s, deadline_ns, st->fn, st->ctx);
}

static int _session_report(void *ctx, bool final)
{
	struct session_ticks *st = ctx;

	return session__report(st->s, final, st->fn, st->ctx);
}

int cli__run_ticks(struct session *s, double every_s, double duration_s,
		   session_report_fn fn, void *ctx)
{
	struct session_ticks st = { .s = s, .fn = fn, .ctx = ctx };
	struct cli_ticker t = { .wait = _session_wait, .report = _session_report, .ctx = &st };

	return cli__ticks(&t, session__start_ns(s), every_s, duration_s);
}
