/* db — the daemon's store: SQLite in WAL mode, one transaction per interval.
 *
 * Tables: ticks (one row per committed interval, with its row count),
 * entities (processes by (pid, start), components, cgroups, the host),
 * samples (entity, tick) -> bytes, verdicts (each detector run that found
 * a leak, and the run that found it gone), suspects (one row per suspected
 * entity, updated in place), collections (one row per heap snapshot
 * series of daemon/collect.h, with the verdict that triggered it, updated
 * as it runs and when it stops), snapshots (the files of each series),
 * mitigations (every decision of tier 4, taken or not, and why), meta.
 * Crash safety: every interval's rows are written in one transaction
 * (db__begin .. db__commit); SQLite's WAL makes a commit atomic, so after
 * kill -9 at any moment the store holds every committed interval whole and
 * nothing of an uncommitted one. synchronous=NORMAL: a commit survives the
 * process dying (the WAL is in the page cache); only a power loss may lose
 * the last commits, never consistency (db.c says why this and not FULL).
 * Files are created 0600 (database, -wal, -shm).
 * Retention: db__retain() drops samples and verdicts older than MAX_AGE,
 * then the oldest ticks while the file is above MAX_BYTES, and returns the
 * freed pages to the file system (auto_vacuum=INCREMENTAL).
 * Functions return 0 or -errno (-EIO for an SQLite error, logged once with
 * SQLite's message).
 */
#ifndef SEEP_DAEMON_DB_H
#define SEEP_DAEMON_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/model.h"

struct db;

struct db_entity {
	const char *kind;	/* "process", "component", "cgroup", "host" */
	const char *key;	/* unique per kind: "pid:start", component key, path */
	int pid;
	uint64_t start;
	const char *comm, *component, *build_id, *unit, *cgroup;
};

struct db_sample {
	uint64_t rss, anon, file, shmem, swap;
};

int db__open(const char *path, struct db **out, char *err, size_t errlen);
void db__free(struct db *d);

/* Starts the interval at time T; *TICK is its sequence number. */
int db__begin(struct db *d, double t, int64_t *tick);
int db__entity(struct db *d, const struct db_entity *e, double t, int64_t *id);
int db__sample(struct db *d, int64_t entity, const struct db_sample *s);
int db__verdict(struct db *d, int64_t entity, const char *algo, bool leak, const char *pattern,
		double slope_bytes_per_s, double r2, double tt_s);
int db__suspect(struct db *d, int64_t entity, const struct mx_suspect *s);
/* Commits the interval: its tick row carries the number of rows written. */
int db__commit(struct db *d);
void db__rollback(struct db *d);

/* The snapshot catalogue. Written as it happens: inside the open interval
 * if there is one, else as a transaction of its own. */
struct db_collection {
	int64_t entity;		/* the process's entity, or -1 */
	int pid;
	uint64_t start;
	const char *comm, *trigger, *pattern, *algo, *dir;
	double severity, slope_bytes_per_s, from_s, to_s, started_s;
	uint64_t sample_bytes;
};

int db__collection_add(struct db *d, const struct db_collection *c, int64_t *id);
/* ENDED_S 0: still running. */
int db__collection_update(struct db *d, int64_t id, const char *state, const char *reason,
			  double ended_s, uint64_t snapshots, uint64_t bytes, uint64_t sample_bytes);
int db__snapshot(struct db *d, int64_t collection, uint64_t seq, const char *path, double t,
		 uint64_t bytes, uint64_t live_bytes);

/* Mitigation's audit (daemon/mitigation.h): every decision, written as it
 * happens like the catalogue. */
struct db_mitigation {
	double t_s;
	const char *target, *subject, *kind, *comm, *unit, *cgroup;
	int pid;
	uint64_t start;
	const char *action, *outcome, *code, *reason, *detail;
	bool dry_run;
};

int db__mitigation(struct db *d, const struct db_mitigation *m);
/* The time of the newest snapshot of PID/START in the catalogue: 0, or
 * -ENOENT when there is none. */
int db__last_snapshot(struct db *d, int pid, uint64_t start, double *t);

/* The meta table's VALUE of KEY: 0, -ENOENT when there is none,
 * -ENAMETOOLONG when it does not fit LEN. _set writes it like the
 * catalogue (inside the open interval if there is one). */
int db__meta_get(struct db *d, const char *key, char *buf, size_t len);
int db__meta_set(struct db *d, const char *key, const char *value);

int db__retain(struct db *d, double now, double max_age_s, uint64_t max_bytes);
/* Bytes of the database file and its WAL. */
uint64_t db__bytes(const struct db *d);
uint64_t db__commits(const struct db *d);
/* synchronous=FULL (an fsync per commit) or NORMAL, the default; for
 * measuring the difference (docs/daemon.md). */
int db__synchronous(struct db *d, bool full);
/* Bytes SQLite has allocated, all connections of the process (its page
 * caches are bounded to 1 MiB each: cache_size, no mmap). */
uint64_t db__memory(void);

#endif
