/* cli — pieces the heap-snapshot commands (snapshot, record, diff, report)
 * share: option values, the session on one process, Ctrl-C, output formats.
 *
 * Parsers log one line on a bad value and return -EINVAL. The stop flag
 * set by SIGINT/SIGTERM is the CLI's one piece of process-wide state.
 */
#ifndef SEEP_CLI_H
#define SEEP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tracer/session.h"

/* A number of seconds in [MIN, 1e9]. */
int cli__parse_seconds(const char *s, const char *opt, double min, double *out);
/* An integer in [0, MAX]. */
int cli__parse_count(const char *s, const char *opt, uint64_t max, uint64_t *out);

/* The options of the commands that trace one process (snapshot, record):
 * -p PID or -c 'CMD ARGS', -d S, -a S. */
struct cli_target {
	pid_t pid;
	const char *command;
	double duration_s;
	struct session_config cfg;
};
/* Their long options (for getopt_long's table), with -v and -h. */
#define CLI_TARGET_LONGOPTS                                   \
	{ "pid", required_argument, NULL, 'p' },              \
	{ "command", required_argument, NULL, 'c' },          \
	{ "duration", required_argument, NULL, 'd' },         \
	{ "min-age", required_argument, NULL, 'a' },          \
	{ "verbose", no_argument, NULL, 'v' },                \
	{ "help", no_argument, NULL, 'h' },                   \
	CLI_TRACER_LONGOPTS
#define CLI_TARGET_SHORTOPTS "p:c:d:a:vh" CLI_TRACER_SHORTOPTS
/* Handles OPT if it is one of -p, -c, -d, -a or a tracer option: returns
 * 1 then, 0 if OPT is another option, -EINVAL (logged) for a bad value.
 * The tracer's defaults must have been set (cli__tracer_defaults). */
int cli__target_opt(struct cli_target *t, int opt, const char *arg);
/* After the options: no stray argument, exactly one of -p and -c. */
int cli__target_check(const struct cli_target *t, int argc, char **argv);
/* Loads the tracer and attaches to the target; says "seep: tracing ..." on
 * stderr (what scripts and tests wait for) with HOW_TO_STOP appended. */
int cli__session_open(const struct cli_target *t, const char *how_to_stop,
		      struct session **out);

/* The tracer's options, shared by every command that traces (trace,
 * snapshot, record): -s/--sample-bytes, -u/--unwind, --max-depth,
 * --stack-bytes, --no-sessions, --shared-probes, --max-allocs, --max-stacks. */
#define CLI_DEFAULT_SAMPLE_BYTES (512 * 1024)
enum { CLI_OPT_MAX_ALLOCS = 256, CLI_OPT_MAX_STACKS, CLI_OPT_MAX_DEPTH, CLI_OPT_STACK_BYTES,
       CLI_OPT_NO_SESSIONS, CLI_OPT_SHARED_PROBES, CLI_OPT__NEXT };
#define CLI_TRACER_LONGOPTS                                                   \
	{ "sample-bytes", required_argument, NULL, 's' },                     \
	{ "unwind", required_argument, NULL, 'u' },                           \
	{ "max-depth", required_argument, NULL, CLI_OPT_MAX_DEPTH },          \
	{ "stack-bytes", required_argument, NULL, CLI_OPT_STACK_BYTES },      \
	{ "no-sessions", no_argument, NULL, CLI_OPT_NO_SESSIONS },            \
	{ "shared-probes", no_argument, NULL, CLI_OPT_SHARED_PROBES },        \
	{ "max-allocs", required_argument, NULL, CLI_OPT_MAX_ALLOCS },        \
	{ "max-stacks", required_argument, NULL, CLI_OPT_MAX_STACKS }
#define CLI_TRACER_SHORTOPTS "s:u:"
#define CLI_TRACER_USAGE                                                              \
	"  -s, --sample-bytes N   sample allocations every N bytes on average\n"          \
	"                         (default 524288); 1 records every allocation\n"         \
	"  -u, --unwind MODE      auto (default), fp or dwarf: how stacks are walked\n"   \
	"      --max-depth N      frames kept per stack (default 128, at most 1024)\n"    \
	"      --stack-bytes N    stack bytes copied per allocation for DWARF\n"          \
	"                         unwinding (default 16384, at most 32768)\n"             \
	"      --no-sessions      hook returns with uretprobes even where uprobe\n"       \
	"                         sessions can skip those of unsampled calls\n"           \
	"      --shared-probes    hook each allocator file once for all traced\n"         \
	"                         processes: every process mapping it then takes\n"       \
	"                         the probes (and leaves at once if not traced)\n"       \
	"      --max-allocs N     live blocks tracked at once (default 1048576)\n"        \
	"      --max-stacks N     distinct stacks kept (default 32768)\n"
/* Sets the tracer's defaults in CFG. */
void cli__tracer_defaults(struct session_config *cfg);
/* Handles OPT if it is a tracer option: 1, 0 if it is another option,
 * -EINVAL (logged) for a bad value. */
int cli__tracer_opt(struct session_config *cfg, int opt, const char *arg);

/* The options every command has, at the end of its getopt switch: -v
 * (counted in *VERBOSE), -h (USAGE to stdout: returns 1), anything else
 * (USAGE to stderr: -EINVAL). Returns 0 after -v. */
int cli__common_opt(int opt, int *verbose, void (*usage)(FILE *out));

/* SIGINT and SIGTERM set the stop flag instead of killing seep; SIGPIPE is
 * ignored (a closed pipe is an error to report). */
void cli__catch_signals(void);
bool cli__stopped(void);

/* {"error": MSG} on stdout, for commands whose --format json covers errors. */
void cli__print_json_error(const char *msg);

#endif
