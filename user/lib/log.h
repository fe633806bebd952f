/* log — diagnostics on stderr, with a process-wide verbosity.
 *
 * Reports go to stdout; everything here goes to stderr, prefixed "seep: ".
 * Levels: error and warn always print; info with -v; debug with -vv.
 * The verbosity is the one piece of process-wide state outside main: it is
 * set once by the CLI before any work starts.
 */
#ifndef SEEP_LOG_H
#define SEEP_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log__set_verbosity(int verbosity);   /* 0 = default, 1 = -v, 2 = -vv */
int log__verbosity(void);
void log__msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log__vmsg(enum log_level level, const char *fmt, va_list ap);

#define pr_err(...)   log__msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log__msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log__msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log__msg(LOG_DEBUG, __VA_ARGS__)

#endif
