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
#include <sys/wait.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "snapshot/folded.h"
#include "snapshot/report.h"
#include "tracer/session.h"

struct trace_opts {
	struct cli_target target;   /* -p (repeatable), -c, -d, -a, tracer options */
	double interval_s;          /* 0: final report only */
	enum report_format format;
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
"Exit status: 0 success, 1 failure, 2 usage error, 3 the command of -c\n"
"failed by itself (exited with a status other than 0 or was killed by a\n"
"signal: the final report says which). A command still running at the\n"
"end (-d, Ctrl-C) is stopped with its process group: that is success.\n");
}

static const char *const formats[] = { "text", "json", "folded" };  /* enum report_format */

static const struct option longopts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "top", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	CLI_TARGET_LONGOPTS,
	{ 0 },
};

static const struct cli_command command = {
	.name = "trace",
	.shortopts = "i:n:f:" CLI_TARGET_SHORTOPTS,
	.longopts = longopts,
	.format_opt = 'f',
	.usage = usage,
};

static int on_opt(void *ctx, int c, const char *arg)
{
	struct trace_opts *o = ctx;
	uint64_t v;
	size_t f;
	int err = cli__target_opt(&o->target, c, arg);

	if (err)
		return err < 0 ? err : 0;
	switch (c) {
	case 'i':
		return cli__seconds(arg, "--interval", 0.1, &o->interval_s);
	case 'n':
		if (cli__count(arg, "--top", 0, 1u << 20, &v))
			return -EINVAL;
		o->target.cfg.top = (unsigned)v;
		return 0;
	case 'f':
		if (cli__name(arg, "--format", formats, 3, &f))
			return -EINVAL;
		o->format = (enum report_format)f;
		return 0;
	default:
		return 0;
	}
}

/* Returns 0, 1 after --help, or -EINVAL (logged). */
static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	cli__target_init(&o->target, SIZE_MAX, 0, 10);
	if ((err = cli__parse(&command, argc, argv, on_opt, o)))
		return err;
	return cli__target_check(&o->target, argc, argv);
}

static int print_report(const struct report *r, void *ctx)
{
	const struct trace_opts *o = ctx;
	int err = o->format == REPORT_FOLDED ? folded__write_report(r, stdout)
					     : report__write(r, o->format, stdout);

	if (err)
		cli__error("cannot write the report: %s", strerror(-err));
	return err;
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

/* EXIT_COMMAND if the command seep started failed by itself, else EXIT_OK. */
static int command_code(const struct session *s)
{
	int st;

	if (session__command_status(s, &st))
		return EXIT_OK;   /* none, or stopped by seep */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_OK : EXIT_COMMAND;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts opts;
	struct session *s = NULL;
	int err, code = EXIT_OK;

	err = parse_opts(argc, argv, &opts);
	if (err) {
		cli__target_release(&opts.target);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	cli__catch_signals();
	if ((err = cli__session_open(&opts.target, "Ctrl-C to stop", &s)))
		goto cleanup;
	/* reports every interval until the duration, a signal, or the exit
	 * of every process; then the final reports */
	err = cli__run_ticks(s, opts.interval_s, opts.target.duration_s, print_report, &opts);
	log_own_cpu();
	code = command_code(s);
cleanup:
	session__free(s);
	cli__target_release(&opts.target);
	return err ? EXIT_FAIL : code;
}
