/* cmd_trace — `seep trace`: live heap of running processes by allocation stack.
 *
 * Reads top to bottom: parse options, check the environment, load the
 * tracer, attach to each process (or start the command stopped at its entry
 * and attach), then wait for the interval, the duration, a signal or the
 * processes' exit, printing reports; clean up.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "report.h"
#include "session.h"

struct trace_opts {
	pid_t pids[SESSION_MAX_TARGETS];
	size_t npids;
	const char *command;
	double duration_s;       /* 0: until Ctrl-C or the processes exit */
	double interval_s;       /* 0: final report only */
	enum report_format format;
	struct session_config cfg;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep trace (-p PID [-p PID ...] | -c 'CMD ARGS...') [options]\n"
"\n"
"Reports the live (allocated, not yet freed) heap memory of processes by\n"
"allocation stack. Needs root (CAP_SYS_ADMIN).\n"
"\n"
"  -p, --pid PID          trace a running process (repeatable)\n"
"  -c, --command 'CMD'    start CMD (split like a shell would, no globbing of\n"
"                         commands) stopped, attach, then let it run\n"
"  -d, --duration S       stop after S seconds (default: until Ctrl-C or exit)\n"
"  -i, --interval S       print a report every S seconds\n"
"  -n, --top N            stacks per report (default 10, 0 = all)\n"
"  -a, --min-age S        hide allocations younger than S seconds\n"
"  -f, --format FMT       text (default), json (one object per line) or\n"
"                         folded (collapsed stacks, for flame graphs)\n"
"      --max-allocs N     live blocks tracked at once (default 1048576)\n"
"      --max-stacks N     distinct stacks kept (default 32768)\n"
"  -v, --verbose          more diagnostics (-vv: libbpf's too)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int parse_double(const char *s, const char *opt, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0) {
		pr_err("invalid value '%s' for %s: expected a non-negative number", s, opt);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_uint(const char *s, const char *opt, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		pr_err("invalid value '%s' for %s: expected an integer from 0 to %" PRIu64,
		       s, opt, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	enum { OPT_MAX_ALLOCS = 256, OPT_MAX_STACKS };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "command", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "top", required_argument, NULL, 'n' },
		{ "min-age", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
		{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, verbose = 0;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->cfg.top = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:c:d:i:n:a:f:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint(optarg, "--pid", INT32_MAX, &v))
				return -EINVAL;
			if (v == 0) {
				pr_err("invalid pid '%s'", optarg);
				return -EINVAL;
			}
			if (o->npids == SESSION_MAX_TARGETS) {
				pr_err("too many -p options (at most %d)", SESSION_MAX_TARGETS);
				return -EINVAL;
			}
			o->pids[o->npids++] = (pid_t)v;
			break;
		case 'c':
			o->command = optarg;
			break;
		case 'd':
			if (parse_double(optarg, "--duration", &o->duration_s))
				return -EINVAL;
			break;
		case 'i':
			if (parse_double(optarg, "--interval", &o->interval_s))
				return -EINVAL;
			break;
		case 'n':
			if (parse_uint(optarg, "--top", 1u << 20, &v))
				return -EINVAL;
			o->cfg.top = (unsigned)v;
			break;
		case 'a':
			if (parse_double(optarg, "--min-age", &o->cfg.min_age_s))
				return -EINVAL;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				o->format = REPORT_JSON;
			else if (!strcmp(optarg, "text"))
				o->format = REPORT_TEXT;
			else if (!strcmp(optarg, "folded"))
				o->format = REPORT_FOLDED;
			else {
				pr_err("invalid format '%s': expected text, json or folded", optarg);
				return -EINVAL;
			}
			break;
		case OPT_MAX_ALLOCS:
			if (parse_uint(optarg, "--max-allocs", 1u << 28, &v) || v == 0)
				return -EINVAL;
			o->cfg.trace.max_live = (uint32_t)v;
			break;
		case OPT_MAX_STACKS:
			if (parse_uint(optarg, "--max-stacks", 1u << 24, &v) || v == 0)
				return -EINVAL;
			o->cfg.trace.max_stacks = (uint32_t)v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
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
	if (o->interval_s > 0 && o->interval_s < 0.1) {
		pr_err("invalid --interval %g: at least 0.1 s", o->interval_s);
		return -EINVAL;
	}
	return 0;
}

static int print_report(const struct report *r, void *ctx)
{
	const struct trace_opts *o = ctx;
	int err = report__write(r, o->format, stdout);

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

	while (!stop_requested) {
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

int cmd_trace(int argc, char **argv)
{
	struct trace_opts opts;
	struct session *s = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (session__new(&opts.cfg, &s))
		return EXIT_FAIL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

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
cleanup:
	session__free(s);
	return err ? EXIT_FAIL : EXIT_OK;
}
