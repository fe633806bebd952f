/* executor — what carries out a mitigation: an interface with two
 * implementations.
 *
 * The real one runs `systemctl --no-block try-restart UNIT` (systemctl from
 * PATH), runs a configured command with /bin/sh -c (the target in its
 * environment: SEEP_PID, SEEP_START, SEEP_COMM, SEEP_UNIT, SEEP_CGROUP,
 * SEEP_REASON) and writes cgroup files (open O_WRONLY|O_TRUNC without O_CREAT, one write).
 * Children get EXEC_TIMEOUT_S to finish and are then killed; a non-zero
 * exit is an error (-EIO, with its status in ERR).
 * The recording one (for tests) does nothing but append one line per call
 * to a file ("restart_unit UNIT", "command CMD pid=PID", "write PATH VALUE")
 * and keep the lines in memory.
 * Both count their calls and failed calls. Ownership: the caller owns the
 * executor (executor__free accepts NULL); strings are copied. Calls return
 * 0 or -errno with a message in ERR.
 */
#ifndef SEEP_MITIGATE_EXECUTOR_H
#define SEEP_MITIGATE_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#define EXEC_TIMEOUT_S 10

struct executor_target {
	int pid;
	uint64_t start;
	const char *comm, *unit, *cgroup, *reason;
};

struct executor_ops {
	int (*restart_unit)(void *ctx, const char *unit, char *err, size_t errlen);
	int (*run_command)(void *ctx, const char *command, const struct executor_target *t,
			   char *err, size_t errlen);
	int (*write_file)(void *ctx, const char *path, const char *value, char *err,
			  size_t errlen);
	void (*free)(void *ctx);
};

struct executor;

/* An executor over OPS and CTX (freed with it through ops->free). */
int executor__new(const struct executor_ops *ops, void *ctx, struct executor **out);
int executor__new_real(struct executor **out);
/* PATH NULL or "": the lines are kept in memory only. */
int executor__new_record(const char *path, struct executor **out);
/* "real" or "record:PATH". */
int executor__from_spec(const char *spec, struct executor **out, char *err, size_t errlen);
void executor__free(struct executor *x);

int executor__restart_unit(struct executor *x, const char *unit, char *err, size_t errlen);
int executor__run_command(struct executor *x, const char *command,
			  const struct executor_target *t, char *err, size_t errlen);
int executor__write_file(struct executor *x, const char *path, const char *value, char *err,
			 size_t errlen);

uint64_t executor__calls(const struct executor *x);
uint64_t executor__errors(const struct executor *x);
/* The recording executor's lines (NULL and 0 for any other). */
const char *const *executor__recorded(const struct executor *x, size_t *n);

#endif
