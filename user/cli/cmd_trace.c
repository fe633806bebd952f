/* cmd_trace — `seep trace`: live heap of running processes by allocation stack.
 *
 * Reads top to bottom: parse options, check the environment, load the
 * tracer, attach to each process (or start the command stopped at its entry
 * and attach), then wait for the interval, the duration, a signal or the
 * processes' exit, printing reports; clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "snapshot/folded.h"
#include "snapshot/report.h"
#include "tracer/session.h"

struct trace_opts {
	pid_t pids[SESSION_MAX_TARGETS];
	size_t npids;
	const char *command;
	double duration_s;       /* 0: until Ctrl-C or the processes exit */
	double interval_s;       /* 0: final report only */
	enum report_format format;
	struct session_config cfg;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep trace (-p PID [-p PID ...] | -c 'CMD ARGS...') [options]\n"
"\n"
"Reports the live (allocated, not yet freed) heap memory of processes by\n"
"allocation stack. Needs root (CAP_SYS_ADMIN).\n"
"\n"
"  -p, --pid PID          trace a running process (repeatable)\n"
"  -c, --command 'CMD'    start CMD (split like a shell would, no commands\n"
"                         run; leading NAME=value words set its environment)\n"
"                         stopped, attach, then let it run\n"
"  -d, --duration S       stop after S seconds (default: until Ctrl-C or exit)\n"
"  -i, --interval S       print a report every S seconds\n"
"  -n, --top N            stacks per report (default 10, 0 = all)\n"
"  -a, --min-age S        hide allocations younger than S seconds\n"
"  -f, --format FMT       text (default), json (one object per line) or\n"
"                         folded (collapsed stacks, for flame graphs)\n"
CLI_TRACER_USAGE
"  -v, --verbose          more diagnostics (-vv: libbpf's too)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int parse_format(const char *s, enum report_format *f)
{
	if (!strcmp(s, "json"))
		*f = REPORT_JSON;
	else if (!strcmp(s, "text"))
		*f = REPORT_TEXT;
	else if (!strcmp(s, "folded"))
		*f = REPORT_FOLDED;
	else {
		pr_err("invalid format '%s': expected text, json or folded", s);
		return -EINVAL;
	}
	return 0;
}

static int add_pid(struct trace_opts *o, const char *arg)
{
	uint64_t v;

	if (cli__parse_count(arg, "--pid", INT32_MAX, &v))
		return -EINVAL;
	if (v == 0) {
		pr_err("invalid pid '%s'", arg);
		return -EINVAL;
	}
	if (o->npids == SESSION_MAX_TARGETS) {
		pr_err("too many -p options (at most %d)", SESSION_MAX_TARGETS);
		return -EINVAL;
	}
	o->pids[o->npids++] = (pid_t)v;
	return 0;
}

/* Returns 0, 1 after --help, or -EINVAL (logged). */
static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "command", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "top", required_argument, NULL, 'n' },
		{ "min-age", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TRACER_LONGOPTS,
		{ 0 },
	};
	int c, err, verbose = 0;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->cfg.top = 10;
	cli__tracer_defaults(&o->cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:c:d:i:n:a:f:vh" CLI_TRACER_SHORTOPTS, longopts,
				NULL)) != -1) {
		if ((err = cli__tracer_opt(&o->cfg, c, optarg))) {
			err = err > 0 ? 0 : err;
		} else if (c == 'p') {
			err = add_pid(o, optarg);
		} else if (c == 'c') {
			o->command = optarg;
		} else if (c == 'd') {
			err = cli__parse_seconds(optarg, "--duration", 0, &o->duration_s);
		} else if (c == 'i') {
			err = cli__parse_seconds(optarg, "--interval", 0.1, &o->interval_s);
		} else if (c == 'n') {
			err = cli__parse_count(optarg, "--top", 1u << 20, &v);
			o->cfg.top = (unsigned)v;
		} else if (c == 'a') {
			err = cli__parse_seconds(optarg, "--min-age", 0, &o->cfg.min_age_s);
		} else if (c == 'f') {
			err = parse_format(optarg, &o->format);
		} else {
			err = cli__common_opt(c, &verbose, usage);
		}
		if (err)
			return err;
	}
	log__set_verbosity(verbose);
	if (optind < argc) {
		pr_err("unexpected argument '%s' (a command goes in -c 'CMD ARGS')", argv[optind]);
		return -EINVAL;
	}
	if (!o->npids == !o->command) {
		pr_err(o->command ? "-p and -c cannot be combined"
				  : "nothing to trace: give -p PID or -c 'CMD ARGS'");
		return -EINVAL;
	}
	return 0;
}

static int print_report(const struct report *r, void *ctx)
{
	const struct trace_opts *o = ctx;
	int err = o->format == REPORT_FOLDED ? folded__write_report(r, stdout)
					     : report__write(r, o->format, stdout);

	if (err)
		pr_err("cannot write the report: %s", strerror(-err));
	return err;
}

/* Reports every interval until the duration, a signal, or the exit of
 * every process; then the final reports. */
static int run(struct session *s, const struct trace_opts *o)
{
	uint64_t start = session__start_ns(s);
	uint64_t end = o->duration_s > 0 ? start + (uint64_t)(o->duration_s * 1e9) : UINT64_MAX;
	uint64_t step = (uint64_t)(o->interval_s * 1e9);
	uint64_t next = step ? start + step : UINT64_MAX;
	int running, err;

	while (!cli__stopped()) {
		running = session__wait(s, next < end ? next : end, print_report, (void *)o);
		if (running <= 0)
			return running;
		if (session__now_ns() >= end)
			break;
		if (session__now_ns() >= next) {
			if ((err = session__report(s, false, print_report, (void *)o)))
				return err;
			next += step;
		}
	}
	return session__report(s, true, print_report, (void *)o);
}

static void log_own_cpu(void)
{
	struct rusage ru;
	double user, sys;

	getrusage(RUSAGE_SELF, &ru);
	user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	pr_info("seep itself used %.3f s of CPU (user %.3f, system %.3f)", user + sys, user, sys);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts opts;
	struct session *s = NULL;
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (session__new(&opts.cfg, &s))
		return EXIT_FAIL;
	cli__catch_signals();

	/* Per-process probes cost each hit one kernel consumer per traced
	 * process (README, "Many processes"); sharing them is the user's call,
	 * as it puts breakpoints in every process that maps the files. */
	if (opts.npids >= 4 && !opts.cfg.trace.shared_probes)
		pr_warn("%zu processes: each probe hit walks one kernel consumer per traced process; "
			"--shared-probes makes it one (and probes every process mapping the files)",
			opts.npids);
	if (opts.command) {
		err = session__start_command(s, opts.command);
	} else {
		for (size_t i = 0; i < opts.npids && !err; i++)
			err = session__add_pid(s, opts.pids[i]);
	}
	if (err)
		goto cleanup;
	if (opts.command)
		pr_info("tracing '%s' (pid %d); Ctrl-C to stop", opts.command,
			(int)session__command_pid(s));
	pr_warn("tracing %zu process%s; Ctrl-C to stop", session__running(s),
		session__running(s) == 1 ? "" : "es");
	err = run(s, &opts);
	log_own_cpu();
cleanup:
	session__free(s);
	return err ? EXIT_FAIL : EXIT_OK;
}
