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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include "allocators.h"
#include "commands.h"
#include "heap.h"
#include "launch.h"
#include "log.h"
#include "report.h"
#include "symbolize.h"
#include "trace.h"

#define MAX_TARGETS 256

struct trace_opts {
	pid_t pids[MAX_TARGETS];
	size_t npids;
	const char *command;
	double duration_s;       /* 0: until Ctrl-C or the processes exit */
	double interval_s;       /* 0: final report only */
	double min_age_s;
	unsigned top;
	enum report_format format;
	struct trace_config cfg;
};

struct target {
	pid_t pid;
	int pidfd;
	char comm[17];
	struct symbolizer *sym;
	struct heap heap;
	bool done;
};

struct session {
	const struct trace_opts *opts;
	struct trace *trace;
	struct target *targets;
	size_t ntargets;
	uint64_t start_ns;
	pid_t child;             /* -c: the command we started, else 0 */
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
"  -f, --format FMT       text (default) or json (one object per line)\n"
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
	o->top = 10;
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
			if (o->npids == MAX_TARGETS) {
				pr_err("too many -p options (at most %d)", MAX_TARGETS);
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
			o->top = (unsigned)v;
			break;
		case 'a':
			if (parse_double(optarg, "--min-age", &o->min_age_s))
				return -EINVAL;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				o->format = REPORT_JSON;
			else if (!strcmp(optarg, "text"))
				o->format = REPORT_TEXT;
			else {
				pr_err("invalid format '%s': expected text or json", optarg);
				return -EINVAL;
			}
			break;
		case OPT_MAX_ALLOCS:
			if (parse_uint(optarg, "--max-allocs", 1u << 28, &v) || v == 0)
				return -EINVAL;
			o->cfg.max_live = (uint32_t)v;
			break;
		case OPT_MAX_STACKS:
			if (parse_uint(optarg, "--max-stacks", 1u << 24, &v) || v == 0)
				return -EINVAL;
			o->cfg.max_stacks = (uint32_t)v;
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void read_comm(pid_t pid, char comm[17])
{
	char path[64];
	FILE *f;

	snprintf(comm, 17, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, 17, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static struct target *find_target(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i].pid == pid)
			return &s->targets[i];
	return NULL;
}

/* Opens a pidfd (it pins the process: a reused pid cannot fool us later),
 * attaches, and prepares the symbolizer. */
static int add_target(struct session *s, pid_t pid)
{
	struct target *t = &s->targets[s->ntargets];
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		err = -errno;
		pr_err("pid %d: %s", (int)pid, err == -ESRCH ? "no such process" : strerror(-err));
		return err;
	}
	read_comm(pid, t->comm);
	err = trace__add_pid(s->trace, pid);
	if (err < 0)
		goto fail;
	t->sym = symbolizer__new(pid);
	if (!t->sym) {
		err = -errno;
		pr_err("pid %d: cannot read its modules for symbols: %s", (int)pid, strerror(-err));
		goto fail;
	}
	heap__init(&t->heap);
	pr_info("pid %d (%s): hooked %d allocator functions", (int)pid, t->comm, err);
	s->ntargets++;
	return 0;
fail:
	close(t->pidfd);
	return err;
}

static int collect_block(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct session *s = ctx;
	struct target *t = find_target(s, (pid_t)k->tgid);
	uint64_t now = now_ns(), min_age = (uint64_t)(s->opts->min_age_s * 1e9);

	if (!t || t->done || (min_age && now - v->ts_ns < min_age))
		return 0;
	return heap__add_block(&t->heap, &v->site, v->kind, v->size, v->ts_ns);
}

static int collect_site(const struct seep_stack_key *k, const struct seep_stack_totals *v,
			void *ctx)
{
	struct target *t = find_target(ctx, (pid_t)k->tgid);

	if (t && !t->done)
		heap__add_totals(&t->heap, k, v->alloc_bytes, v->alloc_count);
	return 0;
}

/* Frames of a site: the allocator's entry, the caller (read at the stack
 * pointer), then the rest of the frame-pointer walk. */
static int site_frames(struct session *s, struct target *t, const struct heap_site *site,
		       struct report_stack *rs)
{
	uint64_t ips[SEEP_MAX_STACK_DEPTH + 1];
	size_t n = trace__stack(s->trace, site->key.stack_id, ips + 1, SEEP_MAX_STACK_DEPTH);
	size_t total;
	int err;

	rs->truncated = n == SEEP_MAX_STACK_DEPTH;
	if (n) {
		ips[0] = ips[1];         /* allocator entry */
		ips[1] = site->key.caller;
		total = n + 1;
	} else {
		ips[0] = site->key.caller;
		total = 1;
	}
	rs->frames = calloc(total + 1, sizeof(*rs->frames));
	if (!rs->frames)
		return -ENOMEM;
	if (!n) {  /* the stack was lost: say so in place of the allocator frame */
		rs->frames[rs->nframes].module = strdup("[stack lost]");
		rs->nframes++;
	}
	for (size_t i = 0; i < total; i++) {
		if (!ips[i])
			continue;
		err = symbolizer__frame(t->sym, ips[i], n ? i > 0 : true, &rs->frames[rs->nframes]);
		if (err)
			return err;
		rs->nframes++;
	}
	if (n) {  /* name the allocator as hooked, not by an alias (__libc_malloc) */
		free(rs->frames[0].function);
		rs->frames[0].function = strdup(allocators__kind_name(site->kind));
	}
	return 0;
}

static int build_report(struct session *s, struct target *t, bool final, bool exited,
			struct report *r)
{
	uint64_t now = now_ns();
	size_t n = t->heap.n;
	int err;

	memset(r, 0, sizeof(*r));
	r->pid = t->pid;
	memcpy(r->comm, t->comm, sizeof(r->comm));
	r->time = wall_time();
	r->elapsed_s = (now - s->start_ns) / 1e9;
	r->final = final;
	r->exited = exited;
	r->total_bytes = t->heap.total_bytes;
	r->total_count = t->heap.total_count;
	r->stacks_total = n;
	err = trace__read_stats(s->trace, r->stats);
	if (err)
		return err;
	if (s->opts->top && n > s->opts->top)
		n = s->opts->top;
	r->stacks = calloc(n ? n : 1, sizeof(*r->stacks));
	if (!r->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct heap_site *site = &t->heap.sites[i];
		struct report_stack *rs = &r->stacks[i];

		rs->bytes = site->bytes;
		rs->count = site->count;
		rs->oldest_age_s = now > site->oldest_ns ? (now - site->oldest_ns) / 1e9 : 0;
		rs->alloc_bytes = site->alloc_bytes;
		rs->alloc_count = site->alloc_count;
		r->nstacks++;
		err = site_frames(s, t, site, rs);
		if (err)
			return err;
	}
	return 0;
}

/* One report for each target in WHICH (NULL: every live target). */
static int report_targets(struct session *s, struct target *which, bool final, bool exited)
{
	int err;

	for (size_t i = 0; i < s->ntargets; i++) {
		heap__release(&s->targets[i].heap);
		heap__init(&s->targets[i].heap);
	}
	err = trace__for_each_live(s->trace, collect_block, s);
	if (!err)
		err = trace__for_each_site(s->trace, collect_site, s);
	if (err)
		return err;
	for (size_t i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];
		struct report r;

		if (t->done || (which && t != which))
			continue;
		heap__sort(&t->heap);
		err = build_report(s, t, final, exited, &r);
		if (!err)
			err = report__write(&r, s->opts->format, stdout);
		report__release(&r);
		if (err) {
			pr_err("cannot write the report: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static void reap_child(struct session *s, bool terminate)
{
	int st;

	if (!s->child)
		return;
	if (terminate && waitpid(s->child, &st, WNOHANG) == 0) {
		kill(s->child, SIGTERM);
		for (int i = 0; i < 50 && waitpid(s->child, &st, WNOHANG) == 0; i++)
			usleep(20000);
		if (waitpid(s->child, &st, WNOHANG) == 0) {
			kill(s->child, SIGKILL);
			waitpid(s->child, &st, 0);
		}
		pr_info("stopped command (pid %d)", (int)s->child);
	} else if (!terminate && waitpid(s->child, &st, 0) == s->child) {
		if (WIFEXITED(st))
			pr_info("command exited with status %d", WEXITSTATUS(st));
		else if (WIFSIGNALED(st))
			pr_info("command killed by signal %d", WTERMSIG(st));
	}
	s->child = 0;
}

static int start_command(struct session *s)
{
	wordexp_t we;
	pid_t pid;
	int err;

	err = wordexp(s->opts->command, &we, WRDE_NOCMD);
	if (err || we.we_wordc == 0) {
		pr_err("cannot parse command '%s'", s->opts->command);
		if (!err)
			wordfree(&we);
		return -EINVAL;
	}
	err = launch__start(we.we_wordv, &pid);
	wordfree(&we);
	if (err)
		return err;
	s->child = pid;
	err = add_target(s, pid);
	launch__release(pid);
	return err;
}

/* Waits for the next deadline or a target's exit; reports exited targets.
 * Returns the number of targets still running, or -errno. */
static int wait_events(struct session *s, uint64_t deadline)
{
	struct pollfd fds[MAX_TARGETS];
	struct target *map[MAX_TARGETS];
	uint64_t now = now_ns();
	int nfds = 0, timeout, running = 0, err;

	for (size_t i = 0; i < s->ntargets; i++) {
		if (s->targets[i].done)
			continue;
		fds[nfds].fd = s->targets[i].pidfd;
		fds[nfds].events = POLLIN;
		map[nfds++] = &s->targets[i];
	}
	/* Wake up at least every second to follow new modules (dlopen). */
	timeout = 1000;
	if (deadline <= now)
		timeout = 0;
	else if (deadline - now < 1000000000ULL)
		timeout = (int)((deadline - now + 999999) / 1000000);
	if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < nfds; i++) {
		struct target *t = map[i];

		if (!(fds[i].revents & POLLIN)) {
			running++;
			if (symbolizer__refresh(t->sym) > 0)
				trace__add_pid(s->trace, t->pid);
			continue;
		}
		err = report_targets(s, t, true, true);
		if (err)
			return err;
		pr_warn("pid %d (%s) exited; its final report is above", (int)t->pid, t->comm);
		t->done = true;
		trace__forget_pid(s->trace, t->pid);
		if (t->pid == s->child)
			reap_child(s, false);
	}
	return running;
}

static int run(struct session *s)
{
	const struct trace_opts *o = s->opts;
	uint64_t end = o->duration_s > 0 ? s->start_ns + (uint64_t)(o->duration_s * 1e9) : UINT64_MAX;
	uint64_t step = (uint64_t)(o->interval_s * 1e9);
	uint64_t next = step ? s->start_ns + step : UINT64_MAX;
	int running, err;

	while (!stop_requested) {
		running = wait_events(s, next < end ? next : end);
		if (running <= 0)
			return running;
		if (now_ns() >= end)
			break;
		if (now_ns() >= next) {
			if ((err = report_targets(s, NULL, false, false)))
				return err;
			next += step;
		}
	}
	return report_targets(s, NULL, true, false);
}

static void session_release(struct session *s)
{
	reap_child(s, true);
	for (size_t i = 0; i < s->ntargets; i++) {
		symbolizer__free(s->targets[i].sym);
		heap__release(&s->targets[i].heap);
		close(s->targets[i].pidfd);
	}
	free(s->targets);
	trace__free(s->trace);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts opts;
	struct session s = { .opts = &opts };
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = parse_opts(argc, argv, &opts);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	if (trace__check_privileges() || trace__check_btf())
		return EXIT_FAIL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	s.targets = calloc(MAX_TARGETS, sizeof(*s.targets));
	if (!s.targets)
		return EXIT_FAIL;
	err = trace__new(&opts.cfg, &s.trace);
	if (err)
		goto cleanup;
	if (opts.command) {
		err = start_command(&s);
	} else {
		for (size_t i = 0; i < opts.npids && !err; i++)
			err = find_target(&s, opts.pids[i]) ? 0 : add_target(&s, opts.pids[i]);
	}
	if (err)
		goto cleanup;
	s.start_ns = now_ns();
	if (opts.command)
		pr_info("tracing '%s' (pid %d); Ctrl-C to stop", opts.command, (int)s.child);
	pr_warn("tracing %zu process%s; Ctrl-C to stop", s.ntargets, s.ntargets == 1 ? "" : "es");
	err = run(&s);
cleanup:
	session_release(&s);
	return err ? EXIT_FAIL : EXIT_OK;
}
