/* log — diagnostics on stderr, with a process-wide verbosity; errors can be
 * kept for the command's one error printer instead.
 *
 * Reports go to stdout; everything here goes to stderr, prefixed "seep: ".
 * Levels: error and warn always print; info with -v; debug with -vv.
 *
 * Errors are logged where they happen (pr_err), in the message dialect of
 * STYLE.md. By default they print like the other levels. A command whose
 * output is JSON calls log__keep_errors(true) first: from then on errors are
 * kept, in order, instead of printed (warnings and info still go to
 * stderr), and the command takes them (log__take_errors) to print them in
 * its own format, once, as one JSON object (cli.h's cli__exit).
 *
 * State: the verbosity and the kept errors are the process-wide state of
 * this module, set by the CLI before any work starts; the kept errors are
 * guarded by a mutex (any thread may log). If keeping a message fails for
 * lack of memory, it is printed instead: no error is lost.
 */
#ifndef SEEP_LOG_H
#define SEEP_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log__set_verbosity(int verbosity);   /* 0 = default, 1 = -v, 2 = -vv */
int log__verbosity(void);
void log__msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log__vmsg(enum log_level level, const char *fmt, va_list ap);

/* KEEP: errors from now on are kept instead of printed; false: printed
 * again (errors kept so far stay kept). */
void log__keep_errors(bool keep);
bool log__keeping_errors(void);
/* The errors kept so far, joined by "; " in the order they were logged, as
 * a string the caller frees; NULL if none. Clears them. */
char *log__take_errors(void);

#define pr_err(...)   log__msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log__msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log__msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log__msg(LOG_DEBUG, __VA_ARGS__)

#endif
