/* cmd_trace — `seep trace`: live heap of running processes by allocation
 * stack; with --kernel, live kernel allocations by kernel stack.
 *
 * Reads top to bottom: parse options, check the environment, load the
 * tracer, attach to each process (or start the command stopped at its entry
 * and attach), then wait for the interval, the duration, a signal or the
 * processes' exit, printing reports; clean up. The kernel mode loads the
 * kernel tracer (tracer/ktrace) instead and runs the same tick loop
 * (cli__ticks): it ends at the duration, a signal, or the exit of the
 * process given with -p.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_session.h"
#include "cli/commands.h"
#include "diagnose/kdetect.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "snapshot/folded.h"
#include "snapshot/kreport.h"
#include "snapshot/report.h"
#include "tracer/ktrace.h"
#include "tracer/session.h"

enum { OPT_KERNEL = CLI_OPT__NEXT, OPT_MAX_SITES, OPT_REACH };

struct trace_opts {
	struct cli_target target;   /* -p (repeatable), -c, -d, -a, tracer options */
	double interval_s;          /* 0: final report only */
	enum report_format format;
	bool kernel;                /* --kernel */
	uint32_t max_sites;         /* --max-sites (kernel mode), 0: the default */
	const char *user_only;      /* the last option given that only user mode takes */
	bool sample_given;          /* -s given (--reach wants it 1 or absent) */
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep trace (-p PID [-p PID ...] | -c 'CMD ARGS...') [options]\n"
"       seep trace --kernel [-p PID] [-d S] [-i S] [-n N] [-f FMT] [-s N]\n"
"\n"
"Reports the live (allocated, not yet freed) heap memory of processes by\n"
"allocation stack. Needs root (CAP_SYS_ADMIN).\n"
"\n"
"      --kernel           the kernel's live allocations instead (slab, kmalloc,\n"
"                         pages, percpu, vmalloc) by kernel stack, made since\n"
"                         seep started; -p keeps those made in one process's\n"
"                         context; with -i, sites whose live bytes grow in\n"
"                         every interval are marked growing, and a leak\n"
"                         detector judges each site's series. Takes -p (once),\n"
"                         -d, -i, -n, -f, -s, --max-allocs, --max-stacks,\n"
"                         --max-sites\n"
"      --max-sites N      kernel sites tracked at once (default 65536; sites\n"
"                         that hold nothing are pruned)\n"
"  -p, --pid PID          trace a running process (repeatable)\n"
"  -c, --command 'CMD'    start CMD (split like a shell would, no commands\n"
"                         run; leading NAME=value words set its environment)\n"
"                         stopped, attach, then let it run\n"
"  -d, --duration S       stop after S seconds (default, and 0: until Ctrl-C\n"
"                         or exit)\n"
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
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "max-sites", required_argument, NULL, OPT_MAX_SITES },
	{ "reach", no_argument, NULL, OPT_REACH },
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

/* The options of the user-space tracer only, by their long name. */
static const char *user_only_name(int c)
{
	switch (c) {
	case 'c': return "--command";
	case 'a': return "--min-age";
	case 'u': return "--unwind";
	case CLI_OPT_MAX_DEPTH: return "--max-depth";
	case CLI_OPT_STACK_BYTES: return "--stack-bytes";
	case CLI_OPT_NO_SESSIONS: return "--no-sessions";
	case CLI_OPT_SHARED_PROBES: return "--shared-probes";
	case OPT_REACH: return "--reach";
	default: return NULL;
	}
}

static int on_opt(void *ctx, int c, const char *arg)
{
	struct trace_opts *o = ctx;
	uint64_t v;
	size_t f;
	int err;

	if (c == OPT_KERNEL) {
		o->kernel = true;
		return 0;
	}
	if (c == OPT_MAX_SITES) {
		if (cli__count(arg, "--max-sites", 64, 1u << 24, &v))
			return -EINVAL;
		o->max_sites = (uint32_t)v;
		return 0;
	}
	if (user_only_name(c))
		o->user_only = user_only_name(c);
	if (c == OPT_REACH) {
		o->target.cfg.reach = true;
		return 0;
	}
	o->sample_given |= c == 's';
	err = cli__target_opt(&o->target, c, arg);

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
	if (!o->kernel) {
		if (o->max_sites) {
			cli__error("option '--max-sites' needs --kernel");
			return -EINVAL;
		}
		if (o->target.cfg.reach) {   /* a block not tracked would look lost */
			if (o->sample_given && o->target.cfg.trace.sample_bytes != 1) {
				cli__error("option '--reach' needs every allocation tracked (-s 1)");
				return -EINVAL;
			}
			o->target.cfg.trace.sample_bytes = 1;
		}
		return cli__target_check(&o->target, argc, argv);
	}
	if (optind < argc) {
		cli__error("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->user_only) {
		cli__error("option '%s' cannot be combined with --kernel", o->user_only);
		return -EINVAL;
	}
	if (o->target.npids > 1) {
		cli__error("--kernel takes one -p at most");
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
		err = cli__stdout_failed("the report", err);
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

/* --- the kernel mode --- */

struct kernel_run {
	const struct trace_opts *o;
	struct ktrace *kt;
	struct kgrowth *growth;
	struct kdetect *detect;  /* with -i: each site's series judged */
	pid_t pid;               /* -p, or 0 */
	uint64_t next_prune_ns;
};

/* Sites are pruned this often between reports. */
#define KERNEL_PRUNE_NS 500000000ULL

static int kernel_observe(void *ctx, uint64_t id, uint64_t bytes)
{
	return kdetect__observe(ctx, id, bytes);
}

static int kernel_report(void *ctx, bool final)
{
	struct kernel_run *k = ctx;
	struct ktrace_query q = { .pid = k->pid, .top = k->o->target.cfg.top,
				  .growth = k->growth, .observe = k->detect ? kernel_observe : NULL,
				  .observe_ctx = k->detect };
	struct kreport r;
	int err = ktrace__report(k->kt, &q, &r);

	if (err)
		return err;   /* logged by ktrace */
	k->next_prune_ns = clock__mono_ns() + KERNEL_PRUNE_NS;
	if (k->detect) {
		if ((err = kdetect__commit(k->detect))) {
			cli__error("cannot judge the sites' series: %s", strerror(-err));
			kreport__release(&r);
			return err;
		}
		kdetect__annotate(k->detect, &r);
	}
	r.base.final = final;
	if ((err = kreport__write(&r, k->o->format, stdout)))
		err = cli__stdout_failed("the report", err);
	kreport__release(&r);
	return err;
}

static bool pid_gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

/* Sleeps until DEADLINE_NS, a signal, or the exit of the -p process (its
 * final report then, and 0). */
static int kernel_wait(void *ctx, uint64_t deadline_ns)
{
	struct kernel_run *k = ctx;

	for (;;) {
		uint64_t now = clock__mono_ns(), until = now + 100000000ULL;
		struct timespec ts;
		int err;

		if (cli__stopped() || now >= deadline_ns)
			return 1;
		if (now >= k->next_prune_ns) {
			if ((err = ktrace__prune(k->kt, NULL)))
				return err;   /* logged by ktrace */
			now = clock__mono_ns();
			k->next_prune_ns = now + KERNEL_PRUNE_NS;
			until = now + 100000000ULL;
		}
		if (pid_gone(k->pid)) {
			pr_info("pid %d has exited", (int)k->pid);
			err = kernel_report(k, true);
			return err ? err : 0;
		}
		if (until > deadline_ns)
			until = deadline_ns;
		ts.tv_sec = (time_t)(until / 1000000000ULL);
		ts.tv_nsec = (long)(until % 1000000000ULL);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);  /* EINTR: a signal */
	}
}

static int run_kernel(const struct trace_opts *o)
{
	const struct session_config *sc = &o->target.cfg;
	struct ktrace_config cfg = {
		.max_live = sc->trace.max_live,
		.max_stacks = sc->trace.max_stacks,
		.max_sites = o->max_sites,
		.sample_bytes = sc->trace.sample_bytes,
		.run_stats = true,
	};
	struct kernel_run k = { .o = o, .pid = o->target.npids ? o->target.pids[0] : 0 };
	struct cli_ticker t = { .wait = kernel_wait, .report = kernel_report, .ctx = &k };
	int err;

	if (pid_gone(k.pid)) {
		cli__error("cannot trace pid %d: %s", (int)k.pid, strerror(ESRCH));
		return -ESRCH;
	}
	if (!(k.growth = kgrowth__new())) {
		cli__error("cannot follow the sites' growth: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (o->interval_s > 0 && !(k.detect = kdetect__new(o->interval_s, 0))) {
		cli__error("cannot judge the sites' series: %s", strerror(ENOMEM));
		err = -ENOMEM;
		goto cleanup;
	}
	if ((err = ktrace__open(&cfg, &k.kt)) || (err = ktrace__attach(k.kt)))
		goto cleanup;
	k.next_prune_ns = clock__mono_ns() + KERNEL_PRUNE_NS;
	if (k.pid)
		pr_warn("tracing the kernel's allocations in pid %d; Ctrl-C to stop", (int)k.pid);
	else
		pr_warn("tracing the kernel's allocations; Ctrl-C to stop");
	err = cli__ticks(&t, clock__mono_ns(), o->interval_s, o->target.duration_s);
cleanup:
	ktrace__free(k.kt);
	kgrowth__free(k.growth);
	kdetect__free(k.detect);
	return err;
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
	if (opts.kernel) {
		err = run_kernel(&opts);
		log_own_cpu();
		goto cleanup;
	}
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
