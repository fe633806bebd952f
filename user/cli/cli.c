#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static volatile sig_atomic_t stop_flag;

int cli__parse_seconds(const char *s, const char *opt, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > 1e9) {
		pr_err("invalid value '%s' for %s: expected seconds, at least %g", s, opt, min);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cli__parse_count(const char *s, const char *opt, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		pr_err("invalid value '%s' for %s: expected an integer from 0 to %" PRIu64, s, opt,
		       max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

void cli__tracer_defaults(struct session_config *cfg)
{
	cfg->trace.sample_bytes = CLI_DEFAULT_SAMPLE_BYTES;
}

/* An integer option in [MIN, MAX] into *OUT. */
static int _ranged(const char *arg, const char *opt, uint64_t min, uint64_t max, uint64_t *out)
{
	if (cli__parse_count(arg, opt, max, out))
		return -EINVAL;
	if (*out < min) {
		pr_err("invalid value '%s' for %s: at least %" PRIu64 "%s", arg, opt, min,
		       min == 1 && !strcmp(opt, "--sample-bytes") ? " (1 records every allocation)"
								  : "");
		return -EINVAL;
	}
	return 0;
}

int cli__tracer_opt(struct session_config *cfg, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 's':
		if (_ranged(arg, "--sample-bytes", 1, 1ULL << 40, &v))
			return -EINVAL;
		cfg->trace.sample_bytes = v;
		return 1;
	case 'u':
		if (!strcmp(arg, "auto"))
			cfg->unwind = UNWIND_AUTO;
		else if (!strcmp(arg, "fp"))
			cfg->unwind = UNWIND_FP;
		else if (!strcmp(arg, "dwarf"))
			cfg->unwind = UNWIND_DWARF;
		else {
			pr_err("invalid unwind mode '%s': expected auto, fp or dwarf", arg);
			return -EINVAL;
		}
		return 1;
	case CLI_OPT_MAX_DEPTH:
		if (_ranged(arg, "--max-depth", 2, SESSION_MAX_DEPTH, &v))
			return -EINVAL;
		cfg->max_depth = (unsigned)v;
		return 1;
	case CLI_OPT_STACK_BYTES:
		if (_ranged(arg, "--stack-bytes", 512, SEEP_MAX_STACK_COPY, &v))
			return -EINVAL;
		cfg->trace.stack_bytes = (uint32_t)v;
		return 1;
	case CLI_OPT_NO_SESSIONS:
		cfg->trace.no_sessions = true;
		return 1;
	case CLI_OPT_SHARED_PROBES:
		cfg->trace.shared_probes = true;
		return 1;
	case CLI_OPT_MAX_ALLOCS:
		if (_ranged(arg, "--max-allocs", 1, 1u << 28, &v))
			return -EINVAL;
		cfg->trace.max_live = (uint32_t)v;
		return 1;
	case CLI_OPT_MAX_STACKS:
		if (_ranged(arg, "--max-stacks", 1, 1u << 24, &v))
			return -EINVAL;
		cfg->trace.max_stacks = (uint32_t)v;
		return 1;
	default:
		return 0;
	}
}

int cli__target_opt(struct cli_target *t, int opt, const char *arg)
{
	uint64_t v;
	int handled = cli__tracer_opt(&t->cfg, opt, arg);

	if (handled)
		return handled;
	switch (opt) {
	case 'c':
		t->command = arg;
		return 1;
	case 'd':
		return cli__parse_seconds(arg, "--duration", 0, &t->duration_s) ?: 1;
	case 'a':
		return cli__parse_seconds(arg, "--min-age", 0, &t->cfg.min_age_s) ?: 1;
	case 'p':
		break;
	default:
		return 0;
	}
	if (t->pid) {
		pr_err("one -p PID only");
		return -EINVAL;
	}
	if (cli__parse_count(arg, "--pid", INT32_MAX, &v))
		return -EINVAL;
	if (!v) {
		pr_err("invalid pid '%s'", arg);
		return -EINVAL;
	}
	t->pid = (pid_t)v;
	return 1;
}

int cli__target_check(const struct cli_target *t, int argc, char **argv)
{
	if (optind < argc) {
		pr_err("unexpected argument '%s' (a command goes in -c 'CMD ARGS')", argv[optind]);
		return -EINVAL;
	}
	if (!t->pid == !t->command) {
		pr_err(t->command ? "-p and -c cannot be combined"
				  : "nothing to trace: give -p PID or -c 'CMD ARGS'");
		return -EINVAL;
	}
	return 0;
}

int cli__common_opt(int opt, int *verbose, void (*usage)(FILE *out))
{
	if (opt == 'v') {
		(*verbose)++;
		log__set_verbosity(*verbose);
		return 0;
	}
	usage(opt == 'h' ? stdout : stderr);
	return opt == 'h' ? 1 : -EINVAL;
}

int cli__session_open(const struct cli_target *t, const char *how_to_stop,
		      struct session **out)
{
	struct session *s;
	int err;

	if ((err = session__new(&t->cfg, &s)))
		return err;
	err = t->command ? session__start_command(s, t->command) : session__add_pid(s, t->pid);
	if (err) {
		session__free(s);
		return err;
	}
	if (t->command)
		pr_info("tracing '%s' (pid %d)", t->command, (int)session__command_pid(s));
	pr_warn("tracing 1 process; %s", how_to_stop);
	*out = s;
	return 0;
}

static void _on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void cli__catch_signals(void)
{
	struct sigaction sa = { .sa_handler = _on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool cli__stopped(void)
{
	return stop_flag;
}

void cli__print_json_error(const char *msg)
{
	json_t *root = json_pack("{s:s}", "error", msg);

	if (!root)
		return;
	json_dumpf(root, stdout, JSON_INDENT(2));
	putchar('\n');
	fflush(stdout);
	json_decref(root);
}
