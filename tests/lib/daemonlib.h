/* daemonlib — the e2e suites' one way to run `seep daemon` and talk to it:
 * start it on a free loopback port with its stderr in a file, wait until
 * it says it is ready, ask it with `seep status` or over HTTP, stop it;
 * and the list of processes a test started (daemons, targets, servers)
 * that its teardown kills whatever ended the test. Waits are time-scaled
 * (timescale.h). Assertion failures end the calling test (Criterion).
 * Strings returned are malloc'ed (the caller frees) unless said. */
#ifndef SEEP_DAEMONLIB_H
#define SEEP_DAEMONLIB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* PID joins the test's processes (up to 64; PID <= 0 is ignored);
 * returns PID. */
pid_t procs_track(pid_t pid);
/* Kills (SIGKILL) and reaps every tracked process still there, and
 * empties the list: the teardown's first step. */
void procs_kill_all(void);

/* "127.0.0.1:PORT" on a port free now, into BUF (LEN >= 22); BUF. */
char *free_listen(char *buf, size_t len);

/* Starts `seep daemon ARGS...` (NULL-terminated, at most 60), tracked,
 * killed if the test process dies; stdout to /dev/null, stderr to
 * ERR_PATH (truncated); PATH_PREFIX, when not NULL, first on its PATH.
 * Built with ASan, the daemon's memory budget and cap are raised first
 * (ARGS may set them again). */
pid_t daemon_spawn(const char *err_path, const char *path_prefix, char *const args[]);
/* Returns once ERR_PATH says "daemon ready"; fails the test, showing the
 * log, if PID exits first or TIMEOUT_S (time-scaled) passes. */
void daemon_wait_ready(pid_t pid, const char *err_path, double timeout_s);
/* SIGTERM, then waits: the exit status (128 + signal if killed). */
int daemon_stop(pid_t pid);

/* `seep status --listen LISTEN --format json` (exit 0 asserted): its
 * object (the caller decrefs). */
json_t *daemon_status_json(const char *listen);
/* METHOD http://LISTEN PATH (curl): the HTTP status (0 if none), the body
 * into *BODY (malloc'ed, "" if none) when BODY is not NULL. */
int http_call(const char *method, const char *listen, const char *path, char **body);

/* PATH's text (malloc'ed; "" if it cannot be read), and whether it
 * contains WHAT. */
char *file_text(const char *path);
bool file_says(const char *path, const char *what);

#endif
