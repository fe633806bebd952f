/* cli — what the commands share: the option loop and the output mode, the
 * one error printer, option values with their messages, the report-tick
 * loop, Ctrl-C. What only the tracing commands share (the target and
 * tracer options, the session) is cli_session, so that the detect
 * launcher links this without the tracer.
 *
 * The one error path (bpftool's p_err): errors are logged once, where they
 * happen, with pr_err (lib/log) — a command's own with cli__error, the lower
 * layers' at their source — in one dialect (STYLE.md). With text output
 * each is a line "seep: ..." on stderr. With JSON output (the command line
 * asks for --format json) they are kept, and cli__exit prints them as one
 * object {"error": "..."} on stdout when the command fails. main() ends
 * every command with cli__exit.
 *
 * Which output: cli__parse reads the command's --format option (the last
 * one on the command line) before any other option, so a bad option,
 * before or after it, is reported in the format asked for.
 *
 * Option values: cli__seconds and the like parse with lib/parse and log
 * "invalid value 'ARG' for OPT: expected ..." on a bad value (-EINVAL).
 *
 * State: the stop flag set by SIGINT/SIGTERM/SIGHUP and the name of the running
 * command are the CLI's process-wide state (and log's output mode).
 */
#ifndef SEEP_CLI_H
#define SEEP_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>


/* --- options and the output mode --- */

struct cli_command {
	const char *name;               /* "trace": for messages */
	const char *shortopts;          /* getopt's, with -v and -h */
	const struct option *longopts;  /* with "verbose" ('v') and "help" ('h') */
	int format_opt;                 /* the val of its --format option; 0: none */
	void (*usage)(FILE *out);       /* the --help text */
};

/* Called for each option other than -v and -h: 0, or -EINVAL (logged). */
typedef int (*cli_opt_fn)(void *ctx, int opt, const char *arg);

/* Parses the options of ARGV (ARGV[0] the command's name) for CMD: first
 * sets the output mode from the last --format (JSON if its value is
 * "json"), then goes through the options: -v raises the verbosity, -h
 * prints the usage on stdout, the others go to ON_OPT. An unknown option,
 * or one without its value, is logged. Returns 0 (optind is then the first
 * operand), 1 after -h, or -EINVAL (logged). */
int cli__parse(const struct cli_command *cmd, int argc, char **argv, cli_opt_fn on_opt,
	       void *ctx);
/* True when the command's output is JSON. */
bool cli__json(void);

/* --- the one error printer --- */

/* Logs a command's own error: one message, STYLE.md's dialect. */
void cli__error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the command with exit code CODE (returned): with JSON output and
 * CODE not 0, the errors logged are printed as one {"error": "..."} on
 * stdout (a command that failed without saying why gets a generic one);
 * errors kept by a command that succeeded go to stderr. */
int cli__exit(int code);
/* After a writer failed to write WHAT to standard output with ERR (the
 * writers return -EIO on a stream error and leave errno as the failing
 * write set it): the cause, from errno when it says more (ENOSPC: "No
 * space left on device"), logged once as "cannot write WHAT: CAUSE".
 * A closed standard output (EPIPE: the reader went away, as with `| head`)
 * is not logged: the command ends quietly with EXIT_FAIL and cli__exit
 * prints nothing either. Returns the cause, negative. */
int cli__stdout_failed(const char *what, int err);
/* Flushes standard output after WHAT was printed to it: 0, or the cause
 * of a failed write, handled as cli__stdout_failed() does. */
int cli__stdout_flush(const char *what);

/* --- option values: parse (lib/parse), or log and return -EINVAL --- */

/* Logs "invalid value 'ARG' for OPT: WHY"; returns -EINVAL. */
int cli__bad_value(const char *opt, const char *arg, const char *why);
/* Seconds in [MIN, PARSE_SECONDS_MAX]. */
int cli__seconds(const char *arg, const char *opt, double min, double *out);
/* A duration with an optional unit (s, m, h, d, w), more than 0. */
int cli__duration(const char *arg, const char *opt, double *out);
int cli__real(const char *arg, const char *opt, double min, double max, double *out);
int cli__count(const char *arg, const char *opt, uint64_t min, uint64_t max, uint64_t *out);
int cli__bytes(const char *arg, const char *opt, uint64_t min, uint64_t max, uint64_t *out);
/* The index of ARG in NAMES[N]. */
int cli__name(const char *arg, const char *opt, const char *const *names, size_t n,
	      size_t *out);

/* --- the report-tick loop --- */

/* The tick after NEXT still ahead of NOW, on the grid NEXT + k * STEP: a
 * late tick skips the ticks it missed and keeps the phase (no burst). */
uint64_t cli__next_tick(uint64_t next, uint64_t step, uint64_t now);
/* What the tick loop drives: WAIT returns by DEADLINE_NS (CLOCK_MONOTONIC)
 * at the latest, earlier on a signal or an event of its own: > 0 to go
 * on, 0 when nothing is left to trace (no final report then: the source
 * gave it), -errno on an error. REPORT makes one report (FINAL: the last).
 * Both take CTX. */
struct cli_ticker {
	int (*wait)(void *ctx, uint64_t deadline_ns);
	int (*report)(void *ctx, bool final);
	void *ctx;
};
/* Runs T from START_NS until DURATION_S (0: no end), Ctrl-C or WAIT's 0,
 * with a report every EVERY_S seconds from the start (0: none; on the
 * grid of cli__next_tick), then the final report. Returns 0 or the first
 * error (WAIT's or REPORT's). */
int cli__ticks(const struct cli_ticker *t, uint64_t start_ns, double every_s,
	       double duration_s);

/* SIGINT, SIGTERM and SIGHUP set the stop flag instead of killing seep
 * (the final reports are written); SIGPIPE is
 * ignored (a closed pipe is an error to report). */
void cli__catch_signals(void);
bool cli__stopped(void);

#endif
