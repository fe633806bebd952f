/* store — crash-safe files and snapshot series on disk.
 *
 * store__write_file() is the one way seep writes a result file: the data
 * goes to an unnamed file (O_TMPFILE) in the target's directory, is
 * fsync'ed, then linked in under its name (or, to replace, linked under a
 * temporary name and renamed over it), and the directory is fsync'ed. A
 * reader, or the disk after a crash or `kill -9` at any moment, sees no
 * file or a complete one, never a part. A file system without O_TMPFILE
 * gets a named temporary file (".NAME.tmp"), removed on failure. A full
 * disk (ENOSPC, or less free space than the data) fails the write cleanly.
 * Files are created STORE_FILE_MODE (0600: a heap profile shows what a
 * process holds, and the index its command line), whatever the umask.
 *
 * A series is a directory of snapshots written by `seep record`:
 *   index.json           {"format": "seep-series", "version": 1, "pid", "comm",
 *                         "command", "every_s", "started",
 *                         "snapshots": [{"file", "time", "elapsed_s",
 *                         "total_bytes", "total_count", "stacks", "size"}]}
 *   snap-000001.pb.gz    pprof heap profiles (see pprof.h), in order
 * Each snapshot is written before the index names it, so the index never
 * names a missing file; a snapshot written just before a kill and not yet
 * in the index is complete all the same, and readers (store__list) take the
 * snapshot files themselves, in name order, as the series. A series
 * directory is never reused: store__create refuses a directory that exists
 * and is not empty.
 *
 * Test hook: SEEP_STORE_WRITE_DELAY_US=N in the environment makes every
 * write go in 256-byte pieces N microseconds apart (the kill -9 test uses it to
 * land kills in the middle of writes).
 *
 * Ownership: a store is freed with store__free() (NULL-safe); the paths
 * from store__list() are freed with store__list_free().
 * Functions return 0 or -errno and log one line on failure.
 */
#ifndef SEEP_STORE_H
#define SEEP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot/report.h"

/* Writes LEN bytes of BUF to PATH atomically. REPLACE: an existing PATH is
 * replaced; otherwise -EEXIST if it exists. */
int store__write_file(const char *path, const void *buf, size_t len, bool replace);
#define STORE_FILE_MODE 0600
/* Could store__write_file(PATH) write there now? A trial file is made in
 * PATH's directory and removed; PATH itself is left alone (a directory
 * there is -EISDIR). Lets a command refuse a bad output path before it
 * spends its time on the data. */
int store__check_writable(const char *path);

/* CMD with the values of its leading NAME=value words (the environment
 * it sets: tokens, passwords) replaced by "..." (an empty value stays
 * empty), as the index keeps it. A new string (NULL: no memory). */
char *store__redact_command(const char *cmd);

struct series_info {
	int pid;
	const char *comm;
	const char *command;     /* the -c command, or NULL (kept redacted) */
	double every_s;
};

struct store;

/* Creates the series directory DIR (or takes an empty existing one) and
 * writes its index. -EEXIST if DIR holds anything. */
int store__create(const char *dir, const struct series_info *info, struct store **out);
void store__free(struct store *st);
/* Appends a snapshot: the encoded profile BUF of report R. */
int store__add(struct store *st, const struct report *r, const void *buf, size_t len);
size_t store__count(const struct store *st);

/* True if DIR is a series directory (it has an index.json). */
bool store__is_series(const char *dir);
/* The snapshot files of the series in DIR, oldest first. -ENOENT (logged)
 * if DIR is not a series; -EINVAL (logged) if its index.json is not valid
 * JSON or not a series index. Snapshots the index names that are not on
 * disk are warned about (one line with their count) and, with MISSING,
 * counted there. */
int store__list(const char *dir, char ***paths, size_t *n);
int store__list_checked(const char *dir, char ***paths, size_t *n, size_t *missing);
void store__list_free(char **paths, size_t n);

#endif
