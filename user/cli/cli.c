/* cli — what the commands share; see cli.h. */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/vec.h"

static volatile sig_atomic_t stop_flag;
static bool stdout_closed;     /* EPIPE on stdout: nothing more is printed */
static const char *command_name = "seep";

/* --- options and the output mode --- */

/* The value of the last FORMAT_OPT in ARGV, or NULL: a silent pass of
 * getopt over a copy of ARGV (getopt reorders what it scans), so that an
 * option's value is never taken for an option. */
static const char *_format_arg(const struct cli_command *cmd, int argc, char **argv)
{
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	const char *format = NULL;
	int c, saved = opterr;

	if (!copy)
		return NULL;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, copy, cmd->shortopts, cmd->longopts, NULL)) != -1)
		if (c == cmd->format_opt && optarg)
			format = optarg;
	opterr = saved;
	free(copy);
	return format;
}

/* "unrecognized option '--x'", "option '-p' needs a value", "option
 * '--help' takes no value". getopt says little: OPTOPT is 0 for an unknown
 * long option, the unknown character for a short one, the option's val
 * for a long option with a missing or an unwanted value; the word it came
 * from is ARGV[optind - 1] except inside a group of short options. */
static int _bad_option(const struct cli_command *cmd, int c, char **argv)
{
	const char *word = argv[optind - 1];
	bool is_long = !strncmp(word, "--", 2), is_val = false;
	char name[64];

	for (const struct option *o = cmd->longopts; o->name && optopt; o++)
		is_val |= o->val == optopt;
	if (is_long && (!optopt || c == ':' || (is_val && strchr(word, '='))))
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		cli__error("option '%s' needs a value", name);
	else if (optopt && is_long && is_val && strchr(word, '='))
		cli__error("option '%s' takes no value", name);
	else
		cli__error("unrecognized option '%s' ('seep %s --help' lists the options)", name,
			   cmd->name);
	return -EINVAL;
}

int cli__parse(const struct cli_command *cmd, int argc, char **argv, cli_opt_fn on_opt,
	       void *ctx)
{
	char shortopts[128];
	const char *format;
	int c, err;

	command_name = cmd->name;
	format = cmd->format_opt ? _format_arg(cmd, argc, argv) : NULL;
	log__keep_errors(format && !strcmp(format, "json"));
	/* ':' first: a missing value is told apart from an unknown option */
	snprintf(shortopts, sizeof(shortopts), ":%s", cmd->shortopts);
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, cmd->longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return _bad_option(cmd, c, argv);
		if (c == 'v') {
			log__set_verbosity(log__verbosity() + 1);
			continue;
		}
		if (c == 'h') {
			cmd->usage(stdout);
			return 1;
		}
		if ((err = on_opt(ctx, c, optarg)))
			return err;
	}
	return 0;
}

bool cli__json(void)
{
	return log__keeping_errors();
}

/* --- the one error printer --- */

void cli__error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
}

int cli__exit(int code)
{
	char *msg = log__take_errors(), fallback[96];
	json_t *root;

	if (!code) {
		/* errors a command got past: not lost, and not the output */
		log__keep_errors(false);
		if (msg)
			pr_err("%s", msg);
		free(msg);
		return code;
	}
	if (!cli__json() || stdout_closed) {
		free(msg);
		return code;
	}
	snprintf(fallback, sizeof(fallback), "seep %s failed (exit status %d)", command_name,
		 code);
	root = json_pack("{s:s}", "error", msg ? msg : fallback);
	free(msg);
	if (!root || json_dumpf(root, stdout, 0) || putchar('\n') == EOF || fflush(stdout)) {
		log__keep_errors(false);
		pr_err("cannot write the error to stdout: %s", strerror(errno ? errno : EIO));
	}
	json_decref(root);
	return code;
}

int cli__stdout_failed(const char *what, int err)
{
	int cause = err;

	if (err == -EIO && ferror(stdout) &&
	    (errno == EPIPE || errno == ENOSPC || errno == EDQUOT || errno == EFBIG))
		cause = -errno;
	if (cause == -EPIPE) {
		stdout_closed = true;
		return cause;
	}
	cli__error("cannot write %s: %s", what, strerror(-cause));
	return cause;
}

int cli__stdout_flush(const char *what)
{
	if (!fflush(stdout) && !ferror(stdout))
		return 0;
	return cli__stdout_failed(what, -EIO);
}

/* --- option values --- */

int cli__bad_value(const char *opt, const char *arg, const char *why)
{
	cli__error("invalid value '%s' for %s: %s", arg, opt, why);
	return -EINVAL;
}

int cli__seconds(const char *arg, const char *opt, double min, double *out)
{
	char why[128];

	if (parse__seconds(arg, min, PARSE_SECONDS_MAX, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

int cli__duration(const char *arg, const char *opt, double *out)
{
	char why[128];

	if (parse__duration(arg, INFINITY, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

int cli__real(const char *arg, const char *opt, double min, double max, double *out)
{
	char why[128];

	if (parse__real(arg, min, max, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

int cli__count(const char *arg, const char *opt, uint64_t min, uint64_t max, uint64_t *out)
{
	char why[128];

	if (parse__count(arg, min, max, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

int cli__bytes(const char *arg, const char *opt, uint64_t min, uint64_t max, uint64_t *out)
{
	char why[128];

	if (parse__bytes(arg, min, max, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

int cli__name(const char *arg, const char *opt, const char *const *names, size_t n,
	      size_t *out)
{
	char why[256];

	if (parse__name(arg, names, n, out, why, sizeof(why)))
		return cli__bad_value(opt, arg, why);
	return 0;
}

/* --- the report-tick loop --- */

uint64_t cli__next_tick(uint64_t next, uint64_t step, uint64_t now)
{
	if (!step || now < next)
		return next;
	return next + ((now - next) / step + 1) * step;
}

int cli__ticks(const struct cli_ticker *t, uint64_t start_ns, double every_s,
	       double duration_s)
{
	uint64_t step = (uint64_t)(every_s * 1e9);
	uint64_t end = duration_s > 0 ? start_ns + (uint64_t)(duration_s * 1e9) : UINT64_MAX;
	uint64_t next = step ? start_ns + step : UINT64_MAX;
	int running, err;

	while (!cli__stopped()) {
		running = t->wait(t->ctx, next < end ? next : end);
		if (running <= 0)
			return running;
		if (clock__mono_ns() >= end)
			break;
		if (clock__mono_ns() >= next) {
			if ((err = t->report(t->ctx, false)))
				return err;
			next = cli__next_tick(next, step, clock__mono_ns());
		}
	}
	return t->report(t->ctx, true);
}

/* --- signals --- */

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
	sigaction(SIGHUP, &sa, NULL);   /* a lost ssh session: the final report still written */
	signal(SIGPIPE, SIG_IGN);
}

bool cli__stopped(void)
{
	return stop_flag;
}
