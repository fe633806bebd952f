/* cli_session — what the tracing commands share, apart from cli's option
 * loop and error printer: the tracer's options, the target options (-p,
 * -c, -d, -a), opening the session, and the report-tick loop over it.
 *
 * Split from cli so that what links cli alone (the detect launcher,
 * user/cli/launcher.c) does not pull the tracer and libbpf in.
 */
#ifndef SEEP_CLI_SESSION_H
#define SEEP_CLI_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "tracer/session.h"

/* --- the tracer's options, for every command that traces --- */

/* -s/--sample-bytes, -u/--unwind, --max-depth, --stack-bytes,
 * --no-sessions, --shared-probes, --no-stack-walk, --max-allocs, --max-stacks. */
#define CLI_DEFAULT_SAMPLE_BYTES (512 * 1024)
enum { CLI_OPT_MAX_ALLOCS = 256, CLI_OPT_MAX_STACKS, CLI_OPT_MAX_DEPTH, CLI_OPT_STACK_BYTES,
       CLI_OPT_NO_SESSIONS, CLI_OPT_SHARED_PROBES, CLI_OPT_NO_STACK_WALK, CLI_OPT__NEXT };
#define CLI_TRACER_LONGOPTS                                                   \
	{ "sample-bytes", required_argument, NULL, 's' },                     \
	{ "unwind", required_argument, NULL, 'u' },                           \
	{ "max-depth", required_argument, NULL, CLI_OPT_MAX_DEPTH },          \
	{ "stack-bytes", required_argument, NULL, CLI_OPT_STACK_BYTES },      \
	{ "no-sessions", no_argument, NULL, CLI_OPT_NO_SESSIONS },            \
	{ "shared-probes", no_argument, NULL, CLI_OPT_SHARED_PROBES },        \
	{ "no-stack-walk", no_argument, NULL, CLI_OPT_NO_STACK_WALK },        \
	{ "max-allocs", required_argument, NULL, CLI_OPT_MAX_ALLOCS },        \
	{ "max-stacks", required_argument, NULL, CLI_OPT_MAX_STACKS }
#define CLI_TRACER_SHORTOPTS "s:u:"
#define CLI_TRACER_USAGE                                                              \
	"  -s, --sample-bytes N   sample allocations every N bytes on average\n"          \
	"                         (default 524288 = 512K); 1 records every allocation\n"  \
	"  -u, --unwind MODE      auto (default), fp or dwarf: how stacks are walked\n"   \
	"      --max-depth N      frames kept per stack (default 128, at most 1024)\n"    \
	"      --stack-bytes N    stack bytes copied per allocation for DWARF\n"          \
	"                         unwinding (default 16384, at most 32768)\n"             \
	"      --no-sessions      hook returns with uretprobes even where uprobe\n"       \
	"                         sessions can skip those of unsampled calls\n"           \
	"      --shared-probes    hook each allocator file once for all traced\n"         \
	"                         processes: every process mapping it then takes\n"       \
	"                         the probes (and leaves at once if not traced)\n"       \
	"      --no-stack-walk    copy and unwind every DWARF stack in user space\n"     \
	"                         (no walk in the kernel of stacks already seen)\n"      \
	"      --max-allocs N     live blocks the table is sized for (default\n"         \
	"                         1048576 with -s 1, else 65536)\n"                    \
	"      --max-stacks N     distinct stacks kept (default 32768)\n"
/* Sets the tracer's defaults in CFG. */
void cli__tracer_defaults(struct session_config *cfg);
/* Handles OPT if it is a tracer option: 1, 0 if it is another option,
 * -EINVAL (logged) for a bad value. */
int cli__tracer_opt(struct session_config *cfg, int opt, const char *arg);

/* --- what to trace: -p PID (repeatable up to a limit) or -c 'CMD ARGS',
 * -d S, -a S, and the tracer's options --- */

struct cli_target {
	pid_t *pids;             /* -p, in order (owned) */
	size_t npids, pids_cap;
	size_t max_pids;         /* how many -p the command takes */
	const char *command;     /* -c */
	double duration_s;       /* -d; 0: until Ctrl-C or exit */
	struct session_config cfg;
};
#define CLI_TARGET_LONGOPTS                                   \
	{ "pid", required_argument, NULL, 'p' },              \
	{ "command", required_argument, NULL, 'c' },          \
	{ "duration", required_argument, NULL, 'd' },         \
	{ "min-age", required_argument, NULL, 'a' },          \
	{ "verbose", no_argument, NULL, 'v' },                \
	{ "help", no_argument, NULL, 'h' },                   \
	CLI_TRACER_LONGOPTS
#define CLI_TARGET_SHORTOPTS "p:c:d:a:vh" CLI_TRACER_SHORTOPTS
/* The tracer's defaults, no target, duration DURATION_S, at most MAX_PIDS
 * -p options, TOP stacks per report. */
void cli__target_init(struct cli_target *t, size_t max_pids, double duration_s, unsigned top);
void cli__target_release(struct cli_target *t);
/* Handles OPT if it is -p, -c, -d, -a or a tracer option: 1, 0 if it is
 * another option, -EINVAL (logged) for a bad value. */
int cli__target_opt(struct cli_target *t, int opt, const char *arg);
/* After the options: no stray argument, exactly one of -p and -c. */
int cli__target_check(const struct cli_target *t, int argc, char **argv);
/* Loads the tracer and attaches to the targets (or starts the command);
 * says "seep: tracing N process(es); HOW_TO_STOP" on stderr (what scripts
 * and tests wait for). */
int cli__session_open(const struct cli_target *t, const char *how_to_stop,
		      struct session **out);

/* --- the report-tick loop over a session --- */

/* cli__ticks over a session. Runs S until DURATION_S (0: no end), Ctrl-C or the exit of every traced
 * process, with a report of every running process to FN every EVERY_S
 * seconds from the start (0: none; ticks on the grid of cli__next_tick),
 * then the final reports (those of processes that exit on the way come as
 * they exit). Returns 0 or the first error (FN's or the session's). */
int cli__run_ticks(struct session *s, double every_s, double duration_s,
		   session_report_fn fn, void *ctx);

#endif
