/* db — SQLite store; see db.h.
 *
 * synchronous=NORMAL rather than FULL: in WAL mode NORMAL syncs the WAL at
 * checkpoints, not at every commit. A commit is then atomic and survives
 * the process being killed (what kill -9 tests), and the database is never
 * corrupted by a power loss, which may only lose the last commits. FULL
 * adds an fsync per commit (per interval); measured in docs/daemon.md.
 */
#include "daemon/db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

enum { ST_TICK, ST_TICK_ROWS, ST_ENTITY_FIND, ST_ENTITY_ADD, ST_ENTITY_SEEN, ST_SAMPLE,
       ST_VERDICT, ST_SUSPECT, ST_COLL_ADD, ST_COLL_UPDATE, ST_SNAP_ADD, ST_MIT_ADD,
       ST_SNAP_LAST, ST_META_GET, ST_META_SET, ST_N };

static const char *const sql[ST_N] = {
	[ST_TICK] = "INSERT INTO ticks(t, rows) VALUES (?1, 0)",
	[ST_TICK_ROWS] = "UPDATE ticks SET rows = ?2 WHERE seq = ?1",
	[ST_ENTITY_FIND] = "SELECT id FROM entities WHERE kind = ?1 AND key = ?2",
	[ST_ENTITY_ADD] = "INSERT INTO entities(kind, key, pid, start, comm, component, build_id,"
			  " unit, cgroup, first_t, last_t) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			  " ?9, ?10, ?10)",
	[ST_ENTITY_SEEN] = "UPDATE entities SET last_t = ?2 WHERE id = ?1",
	[ST_SAMPLE] = "INSERT OR REPLACE INTO samples(entity, tick, t, rss, anon, file, shmem, swap)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_VERDICT] = "INSERT OR REPLACE INTO verdicts(entity, tick, t, algo, leak, pattern, slope,"
		       " r2, tt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_SUSPECT] = "INSERT INTO suspects(entity, kind, pid, start, comm, component, first_t,"
		       " from_t, to_t, pattern, algo, severity, slope, active, evidence) VALUES"
		       " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
		       " ON CONFLICT(entity) DO UPDATE SET from_t = ?8, to_t = ?9, pattern = ?10,"
		       " algo = ?11, severity = ?12, slope = ?13, active = ?14, evidence = ?15",
	[ST_COLL_ADD] = "INSERT INTO collections(entity, pid, start, comm, trigger, pattern, algo,"
			" severity, slope, from_t, to_t, dir, state, started_t, snapshots, bytes,"
			" sample_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			" 'running', ?13, 0, 0, ?14)",
	[ST_COLL_UPDATE] = "UPDATE collections SET state = ?2, reason = ?3, ended_t = ?4,"
			   " snapshots = ?5, bytes = ?6, sample_bytes = ?7 WHERE id = ?1",
	[ST_SNAP_ADD] = "INSERT OR REPLACE INTO snapshots(collection, seq, path, t, bytes,"
			" live_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_MIT_ADD] = "INSERT INTO mitigations(t, target, subject, kind, pid, start, comm, unit,"
		       " cgroup, action, outcome, code, reason, detail, dry_run) VALUES (?1, ?2,"
		       " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_SNAP_LAST] = "SELECT max(s.t) FROM snapshots s JOIN collections c ON"
			 " s.collection = c.id WHERE c.pid = ?1 AND c.start = ?2",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS ticks(seq INTEGER PRIMARY KEY, t REAL NOT NULL,"
	" rows INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS entities(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	" key TEXT NOT NULL, pid INTEGER, start INTEGER, comm TEXT, component TEXT, build_id TEXT,"
	" unit TEXT, cgroup TEXT, first_t REAL, last_t REAL, UNIQUE(kind, key));"
	"CREATE TABLE IF NOT EXISTS samples(entity INTEGER NOT NULL, tick INTEGER NOT NULL,"
	" t REAL NOT NULL, rss INTEGER, anon INTEGER, file INTEGER, shmem INTEGER, swap INTEGER,"
	" PRIMARY KEY(entity, tick)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS samples_tick ON samples(tick);"
	"CREATE TABLE IF NOT EXISTS verdicts(entity INTEGER NOT NULL, tick INTEGER NOT NULL,"
	" t REAL NOT NULL, algo TEXT NOT NULL, leak INTEGER, pattern TEXT, slope REAL, r2 REAL,"
	" tt REAL, PRIMARY KEY(entity, tick, algo)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS suspects(id INTEGER PRIMARY KEY, entity INTEGER NOT NULL UNIQUE,"
	" kind TEXT, pid INTEGER, start INTEGER, comm TEXT, component TEXT, first_t REAL,"
	" from_t REAL, to_t REAL, pattern TEXT, algo TEXT, severity REAL, slope REAL,"
	" active INTEGER, evidence TEXT);"
	"CREATE TABLE IF NOT EXISTS collections(id INTEGER PRIMARY KEY, entity INTEGER, pid INTEGER,"
	" start INTEGER, comm TEXT, trigger TEXT, pattern TEXT, algo TEXT, severity REAL,"
	" slope REAL, from_t REAL, to_t REAL, dir TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
	" started_t REAL, ended_t REAL, snapshots INTEGER, bytes INTEGER, sample_bytes INTEGER);"
	"CREATE TABLE IF NOT EXISTS snapshots(collection INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" path TEXT NOT NULL, t REAL, bytes INTEGER, live_bytes INTEGER,"
	" PRIMARY KEY(collection, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS mitigations(id INTEGER PRIMARY KEY, t REAL NOT NULL,"
	" target TEXT NOT NULL, subject TEXT, kind TEXT, pid INTEGER, start INTEGER, comm TEXT,"
	" unit TEXT, cgroup TEXT, action TEXT NOT NULL, outcome TEXT NOT NULL, code TEXT,"
	" reason TEXT, detail TEXT, dry_run INTEGER);"
	"INSERT OR IGNORE INTO meta VALUES ('format', 'seep-daemon'), ('version', '1');";

struct db {
	sqlite3 *h;
	sqlite3_stmt *st[ST_N];
	char path[4096];
	int64_t tick;		/* the open interval, or 0 */
	double tick_t;
	int64_t rows;
	uint64_t commits;
};

static int _fail(struct db *d, const char *what)
{
	pr_err("cannot %s in store '%s': %s", what, d->path, sqlite3_errmsg(d->h));
	return -EIO;
}

static int _exec(struct db *d, const char *q, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(d->h, q, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	pr_err("cannot %s in store '%s': %s", what, d->path, msg ? msg : "?");
	sqlite3_free(msg);
	return -EIO;
}

int db__open(const char *path, struct db **out, char *err, size_t errlen)
{
	struct db *d = calloc(1, sizeof(*d));
	char side[4200];
	int fd, ret = -EIO;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	snprintf(d->path, sizeof(d->path), "%s", path);
	/* create it 0600 before SQLite does (SQLite gives -wal/-shm the same mode) */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open store '%s': %s", path, strerror(-ret));
		goto fail;
	}
	if (fchmod(fd, 0600)) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "cannot chmod store '%s': %s", path, strerror(-ret));
		goto fail;
	}
	close(fd);
	if (sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open store '%s': %s", path,
			 d->h ? sqlite3_errmsg(d->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(d->h, 2000);
	/* memory: a 1 MiB page cache (an interval touches a few hundred rows of
	 * the tails of its tables), no memory-mapped I/O, temporary tables in
	 * files; the rest is SQLite's per-statement memory */
	if (_exec(d, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
		  " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -1024;"
		  " PRAGMA mmap_size = 0; PRAGMA temp_store = FILE;"
		  " PRAGMA journal_size_limit = 4194304;", "set pragmas") ||
	    _exec(d, schema, "create tables")) {
		snprintf(err, errlen, "cannot set up store '%s': %s", path, sqlite3_errmsg(d->h));
		goto fail;
	}
	for (int i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v2(d->h, sql[i], -1, &d->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot prepare a statement of store '%s': %s", path,
				 sqlite3_errmsg(d->h));
			goto fail;
		}
	for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") ? NULL : "-shm") {
		snprintf(side, sizeof(side), "%s%s", path, suffix);
		chmod(side, 0600);
	}
	*out = d;
	return 0;
fail:
	db__free(d);
	return ret;
}

void db__free(struct db *d)
{
	if (!d)
		return;
	if (d->tick)
		db__rollback(d);
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(d->st[i]);
	sqlite3_close(d->h);
	free(d);
}

static int _step(struct db *d, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : _fail(d, what);
}

int db__begin(struct db *d, double t, int64_t *tick)
{
	sqlite3_stmt *s = d->st[ST_TICK];
	int err;

	if (d->tick)
		return -EBUSY;
	err = _exec(d, "BEGIN IMMEDIATE", "begin a transaction");
	if (err)
		return err;
	sqlite3_bind_double(s, 1, t);
	err = _step(d, s, "add a tick");
	if (err) {
		_exec(d, "ROLLBACK", "roll back");
		return err;
	}
	d->tick = sqlite3_last_insert_rowid(d->h);
	d->tick_t = t;
	d->rows = 0;
	*tick = d->tick;
	return 0;
}

static void _text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int db__entity(struct db *d, const struct db_entity *e, double t, int64_t *id)
{
	sqlite3_stmt *s = d->st[ST_ENTITY_FIND];
	int rc;

	_text(s, 1, e->kind);
	_text(s, 2, e->key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		s = d->st[ST_ENTITY_SEEN];
		sqlite3_bind_int64(s, 1, *id);
		sqlite3_bind_double(s, 2, t);
		return _step(d, s, "update an entity");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return _fail(d, "look up an entity");
	s = d->st[ST_ENTITY_ADD];
	_text(s, 1, e->kind);
	_text(s, 2, e->key);
	sqlite3_bind_int(s, 3, e->pid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)e->start);
	_text(s, 5, e->comm);
	_text(s, 6, e->component);
	_text(s, 7, e->build_id);
	_text(s, 8, e->unit);
	_text(s, 9, e->cgroup);
	sqlite3_bind_double(s, 10, t);
	if (_step(d, s, "add an entity"))
		return -EIO;
	*id = sqlite3_last_insert_rowid(d->h);
	d->rows++;
	return 0;
}

int db__sample(struct db *d, int64_t entity, const struct db_sample *v)
{
	sqlite3_stmt *s = d->st[ST_SAMPLE];

	if (!d->tick)
		return -EINVAL;
	sqlite3_bind_int64(s, 1, entity);
	sqlite3_bind_int64(s, 2, d->tick);
	sqlite3_bind_double(s, 3, d->tick_t);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)v->rss);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)v->anon);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)v->file);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)v->shmem);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)v->swap);
	if (_step(d, s, "add a sample"))
		return -EIO;
	d->rows++;
	return 0;
}

static void _real(sqlite3_stmt *s, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

int db__verdict(struct db *d, int64_t entity, const char *algo, bool leak, const char *pattern,
		double slope, double r2, double tt)
{
	sqlite3_stmt *s = d->st[ST_VERDICT];

	if (!d->tick)
		return -EINVAL;
	sqlite3_bind_int64(s, 1, entity);
	sqlite3_bind_int64(s, 2, d->tick);
	sqlite3_bind_double(s, 3, d->tick_t);
	_text(s, 4, algo);
	sqlite3_bind_int(s, 5, leak);
	_text(s, 6, pattern);
	_real(s, 7, slope);
	_real(s, 8, r2);
	_real(s, 9, tt);
	if (_step(d, s, "add a verdict"))
		return -EIO;
	d->rows++;
	return 0;
}

int db__suspect(struct db *d, int64_t entity, const struct mx_suspect *v)
{
	sqlite3_stmt *s = d->st[ST_SUSPECT];
	char ev[512];

	if (!d->tick)
		return -EINVAL;
	snprintf(ev, sizeof(ev), "{\"r2\": %.4f, \"threshold_bytes\": %.0f,"
		 " \"time_to_threshold_s\": %.1f, \"rss_bytes\": %.0f, \"pivot_severity\": %.4f}",
		 v->r2, v->threshold_bytes, isfinite(v->time_to_threshold_s) ?
		 v->time_to_threshold_s : -1.0, v->rss_bytes, v->pivot_severity);
	sqlite3_bind_int64(s, 1, entity);
	_text(s, 2, v->kind);
	sqlite3_bind_int(s, 3, v->pid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)v->start);
	_text(s, 5, v->comm);
	_text(s, 6, v->component);
	sqlite3_bind_double(s, 7, v->first_s);
	sqlite3_bind_double(s, 8, v->from_s);
	sqlite3_bind_double(s, 9, v->to_s);
	_text(s, 10, v->pattern);
	_text(s, 11, v->algo);
	sqlite3_bind_double(s, 12, v->severity);
	_real(s, 13, v->slope_bytes_per_s);
	sqlite3_bind_int(s, 14, v->active);
	_text(s, 15, ev);
	if (_step(d, s, "add a suspect"))
		return -EIO;
	d->rows++;
	return 0;
}

int db__commit(struct db *d)
{
	sqlite3_stmt *s = d->st[ST_TICK_ROWS];
	int err;

	if (!d->tick)
		return -EINVAL;
	sqlite3_bind_int64(s, 1, d->tick);
	sqlite3_bind_int64(s, 2, d->rows);
	err = _step(d, s, "close a tick");
	if (!err)
		err = _exec(d, "COMMIT", "commit");
	if (err) {
		db__rollback(d);
		return err;
	}
	d->tick = 0;
	d->commits++;
	return 0;
}

void db__rollback(struct db *d)
{
	if (!d->tick)
		return;
	sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	d->tick = 0;
}

static int64_t _int(struct db *d, const char *q)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(d->h, q, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int db__retain(struct db *d, double now, double max_age_s, uint64_t max_bytes)
{
	char q[512];
	int err;

	if (d->tick)
		return -EBUSY;
	snprintf(q, sizeof(q), "BEGIN IMMEDIATE;"
		 " DELETE FROM samples WHERE tick IN (SELECT seq FROM ticks WHERE t < %.3f);"
		 " DELETE FROM verdicts WHERE t < %.3f;"
		 " DELETE FROM ticks WHERE t < %.3f; COMMIT;", now - max_age_s, now - max_age_s,
		 now - max_age_s);
	err = _exec(d, q, "drop old samples");
	if (err) {
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	/* by size: the pages in use, without the free list */
	for (int round = 0; round < 64; round++) {
		int64_t pages = _int(d, "PRAGMA page_count"), free_ = _int(d, "PRAGMA freelist_count");
		int64_t psize = _int(d, "PRAGMA page_size"), oldest, newest;

		if (pages < 0 || psize <= 0 || (uint64_t)((pages - free_) * psize) <= max_bytes)
			break;
		oldest = _int(d, "SELECT min(seq) FROM ticks");
		newest = _int(d, "SELECT max(seq) FROM ticks");
		if (oldest < 0 || oldest >= newest)
			break;
		/* drop the oldest tenth of the ticks */
		snprintf(q, sizeof(q), "BEGIN IMMEDIATE;"
			 " DELETE FROM samples WHERE tick < %lld; DELETE FROM verdicts WHERE tick < %lld;"
			 " DELETE FROM ticks WHERE seq < %lld; COMMIT;",
			 (long long)(oldest + (newest - oldest) / 10 + 1),
			 (long long)(oldest + (newest - oldest) / 10 + 1),
			 (long long)(oldest + (newest - oldest) / 10 + 1));
		err = _exec(d, q, "drop the oldest samples");
		if (err) {
			sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
	}
	_exec(d, "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(PASSIVE);", "vacuum");
	return 0;
}

uint64_t db__bytes(const struct db *d)
{
	char side[4200];
	struct stat st;
	uint64_t n = 0;

	if (!stat(d->path, &st))
		n += (uint64_t)st.st_size;
	snprintf(side, sizeof(side), "%s-wal", d->path);
	if (!stat(side, &st))
		n += (uint64_t)st.st_size;
	return n;
}

int db__synchronous(struct db *d, bool full)
{
	return _exec(d, full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;",
		     "set synchronous");
}

uint64_t db__memory(void)
{
	return (uint64_t)sqlite3_memory_used();
}

uint64_t db__commits(const struct db *d)
{
	return d->commits;
}

int db__collection_add(struct db *d, const struct db_collection *c, int64_t *id)
{
	sqlite3_stmt *s = d->st[ST_COLL_ADD];

	if (c->entity >= 0)
		sqlite3_bind_int64(s, 1, c->entity);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_int(s, 2, c->pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)c->start);
	_text(s, 4, c->comm);
	_text(s, 5, c->trigger);
	_text(s, 6, c->pattern);
	_text(s, 7, c->algo);
	_real(s, 8, c->severity);
	_real(s, 9, c->slope_bytes_per_s);
	_real(s, 10, c->from_s);
	_real(s, 11, c->to_s);
	_text(s, 12, c->dir);
	sqlite3_bind_double(s, 13, c->started_s);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)c->sample_bytes);
	if (_step(d, s, "add a collection"))
		return -EIO;
	*id = sqlite3_last_insert_rowid(d->h);
	if (d->tick)
		d->rows++;
	return 0;
}

int db__collection_update(struct db *d, int64_t id, const char *state, const char *reason,
			  double ended_s, uint64_t snapshots, uint64_t bytes, uint64_t sample_bytes)
{
	sqlite3_stmt *s = d->st[ST_COLL_UPDATE];

	sqlite3_bind_int64(s, 1, id);
	_text(s, 2, state);
	_text(s, 3, reason);
	_real(s, 4, ended_s > 0 ? ended_s : NAN);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)snapshots);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)bytes);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)sample_bytes);
	return _step(d, s, "update a collection");
}

int db__snapshot(struct db *d, int64_t collection, uint64_t seq, const char *path, double t,
		 uint64_t bytes, uint64_t live_bytes)
{
	sqlite3_stmt *s = d->st[ST_SNAP_ADD];

	sqlite3_bind_int64(s, 1, collection);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	_text(s, 3, path);
	sqlite3_bind_double(s, 4, t);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)bytes);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)live_bytes);
	if (_step(d, s, "add a snapshot"))
		return -EIO;
	if (d->tick)
		d->rows++;
	return 0;
}

int db__mitigation(struct db *d, const struct db_mitigation *m)
{
	sqlite3_stmt *s = d->st[ST_MIT_ADD];

	sqlite3_bind_double(s, 1, m->t_s);
	_text(s, 2, m->target);
	_text(s, 3, m->subject);
	_text(s, 4, m->kind);
	sqlite3_bind_int(s, 5, m->pid);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)m->start);
	_text(s, 7, m->comm);
	_text(s, 8, m->unit);
	_text(s, 9, m->cgroup);
	_text(s, 10, m->action);
	_text(s, 11, m->outcome);
	_text(s, 12, m->code);
	_text(s, 13, m->reason);
	_text(s, 14, m->detail);
	sqlite3_bind_int(s, 15, m->dry_run);
	if (_step(d, s, "add a mitigation decision"))
		return -EIO;
	if (d->tick)
		d->rows++;
	return 0;
}

int db__last_snapshot(struct db *d, int pid, uint64_t start, double *t)
{
	sqlite3_stmt *s = d->st[ST_SNAP_LAST];
	int rc, err = -ENOENT;

	sqlite3_bind_int(s, 1, pid);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)start);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*t = sqlite3_column_double(s, 0);
		err = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = _fail(d, "read the last snapshot");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int db__meta_get(struct db *d, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = d->st[ST_META_GET];
	const unsigned char *v;
	int rc, err = -ENOENT;

	_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(s, 0))) {
		err = snprintf(buf, len, "%s", (const char *)v) < (int)len ? 0 : -ENAMETOOLONG;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = _fail(d, "read meta");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int db__meta_set(struct db *d, const char *key, const char *value)
{
	sqlite3_stmt *s = d->st[ST_META_SET];

	_text(s, 1, key);
	_text(s, 2, value);
	return _step(d, s, "write meta");
}
