/* collect — heap snapshot series of suspects; see collect.h. */
#include "daemon/collect.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/collect_cost.h"
#include "daemon/db.h"
#include "lib/clock.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/pprof.h"
#include "snapshot/store.h"
#include "sys/proc.h"
#include "sys/sysfile.h"
#include "tracer/session.h"
#include "tracer/trapcost.h"

#define MAX_DONE 128		/* completed collections kept in memory */
#define STEP_MIN_BYTES (1024.0 * 1024)	/* RSS change that counts as a step */
#define STEP_SHARE 0.02		/* ... or this share of RSS */
/* A trap's cost until the calibration has one (or if it failed): an
 * emulated-prologue uprobe's, as measured on these machines (0.8 us). */
#define TRAP_NS_UNMEASURED 800.0
/* The stack-copy ring: 16 MiB at a sample every 32 KiB or finer, halved
 * per doubling of the interval, 1 MiB above 256 KiB (its pages are all
 * resident while the collection runs). */
#define RING_MAX (16u << 20)
#define RING_MIN (1u << 20)
#define RING_FULL_AT (32u << 10)

enum reason { R_SNAPSHOTS, R_STEPS, R_SPIKE, R_TIME, R_BYTES, R_CPU, R_EXITED, R_STOPPED,
	      R_ERROR, R_OOM, R_CPU_TRAPS };

static const char *const reason_names[MX_NREASONS] = {
	[R_SNAPSHOTS] = "snapshots", [R_STEPS] = "steps", [R_SPIKE] = "spike_receded",
	[R_TIME] = "time_budget", [R_BYTES] = "byte_budget", [R_CPU] = "cpu_budget",
	[R_EXITED] = "target_exited", [R_STOPPED] = "daemon_stopped", [R_ERROR] = "error",
	[R_OOM] = "oom_victim", [R_CPU_TRAPS] = "cpu_budget_traps",
};

static const char *const trigger_names[MX_NTRIGGERS] = { "leak", "request", "pressure", "cgroup",
							       "reference" };

/* The reference series of one build ID, open for the daemon's run. */
struct refseries {
	char build_id[129];
	char dir[4150];
	struct store *st;
};

struct coll {
	struct collects *owner;
	uint64_t id;
	int64_t db_id;
	int pid;
	uint64_t start;
	char comm[PROC_COMM_LEN];
	enum collect_trigger trigger;
	enum detect_pattern pattern;
	double severity;
	bool running, exited;
	enum reason reason;
	double started_s, ended_s, started_mono;
	char dir[4200];
	char **snaps;
	size_t nsnaps, snaps_cap;
	uint64_t bytes, live_bytes, sample_bytes;
	struct session *s;
	struct store *st;
	bool shared_st;		/* st is a reference series' (not ours to free) */
	struct evloop_timer timer;	/* the next periodic snapshot */
	struct evloop_timer reap;	/* finishes after the session's exit callback */
	/* the rules */
	double baseline, peak, last_rss;
	bool rising;
	uint32_t steps;
	/* the CPU budget (collect_cost.h) */
	struct ccost cost;
	bool cost_init;
};

struct collects {
	struct collect_params p;
	char dir[4096], ref_dir[3900];
	struct evloop *loop;
	struct db *db;
	collect_done_fn *done;
	void *ctx;
	struct coll **all;	/* oldest first */
	size_t n, cap;
	uint64_t next_id;
	struct mx_collect_stats stats;
	struct mx_collection *model;
	size_t model_cap;
	struct refseries *refs;
	size_t nrefs, refs_cap;
	struct ccost_params cost;
	struct trapcost *tc;	/* the calibration, while it runs */
	const char *trap_source;	/* "config", "stored", "calibrated", "unmeasured" */
	struct evloop_timer check;	/* the budget check, while collections run */
};

static int _on_check(struct evloop_timer *t, void *ctx);
static int _arm_check(struct collects *o);

/* The trap cost depends on the CPU, the kernel and its mitigations, none of
 * which change within a boot: a calibration is kept in the store's meta
 * table under the boot's ID and serves every daemon start until the next
 * boot. */
#define TRAP_META_KEY "trap_ns"

static int _boot_id(char *buf, size_t len)
{
	ssize_t n = sysfile__read("/proc/sys/kernel/random/boot_id", buf, len);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = 0;
	return *buf ? 0 : -ENODATA;
}

/* The trap cost calibrated earlier in this boot, from the store. */
static bool _trap_stored(struct collects *o)
{
	char v[128], boot[64], id[64];
	double ns;

	if (!o->db || db__meta_get(o->db, TRAP_META_KEY, v, sizeof(v)) || _boot_id(boot, sizeof(boot)) ||
	    sscanf(v, "%63s %lf", id, &ns) != 2 || strcmp(id, boot) || !(ns > 0 && ns < 1e6))
		return false;
	o->cost.trap_ns = ns;
	o->trap_source = "stored";
	pr_info("uprobe trap cost: %.0f ns a probe hit (calibrated earlier in this boot)", ns);
	return true;
}

/* The trap cost, from the calibration once it has one. */
static void _trap_poll(struct collects *o)
{
	char err[256] = "", v[128], boot[64];
	double ns = 0;
	int rc;

	if (!o->tc || (rc = trapcost__get(o->tc, &ns, err, sizeof(err))) == -EAGAIN)
		return;
	if (rc) {
		pr_warn("cannot calibrate the uprobe trap cost: %s; the budget counts %.0f ns a"
			" probe hit (set collect.trap_ns)", err, o->cost.trap_ns);
	} else {
		o->cost.trap_ns = ns;
		o->trap_source = "calibrated";
		pr_info("uprobe trap cost calibrated: %.0f ns a probe hit", ns);
		if (o->db && !_boot_id(boot, sizeof(boot))) {
			snprintf(v, sizeof(v), "%s %.1f", boot, ns);
			if (db__meta_set(o->db, TRAP_META_KEY, v))
				pr_warn("cannot keep the trap cost in the store: the next start"
					" calibrates again");
		}
	}
	trapcost__free(o->tc);
	o->tc = NULL;
}

/* The budget's counters of C now: its session's probe hits and BPF run
 * time, the target's CPU. */
static int _counters(struct coll *c, struct ccost_counters *k)
{
	int err;

	if (!c->s)
		return -ENOENT;
	if ((err = session__bpf_run_time(c->s, &k->bpf_ns, &k->hits)))
		return err;
	return proc__cpu_ns(c->pid, &k->cpu_ns);
}

/* Removes the series directory DIR a collection that did not start made
 * (its index and nothing else: one level). */
static void _rm_series(const char *dir)
{
	char path[4400];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	if (rmdir(dir) && errno != ENOENT)
		pr_warn("cannot remove '%s': %s", dir, strerror(errno));
}

static uint32_t _ring_bytes(uint64_t sample_bytes)
{
	uint32_t r = RING_MAX;

	for (uint64_t at = RING_FULL_AT; r > RING_MIN && sample_bytes > at; at *= 2)
		r /= 2;
	return r;
}

static void _coll_free(struct coll *c)
{
	if (!c)
		return;
	session__free(c->s);
	if (!c->shared_st)
		store__free(c->st);
	for (size_t i = 0; i < c->nsnaps; i++)
		free(c->snaps[i]);
	free(c->snaps);
	free(c);
}

static void _db_update(struct coll *c)
{
	struct collects *o = c->owner;

	if (c->db_id > 0 &&
	    db__collection_update(o->db, c->db_id, c->running ? "running" : "complete",
				  c->running ? NULL : reason_names[c->reason], c->ended_s,
				  c->nsnaps, c->bytes, c->sample_bytes))
		pr_warn("collection %llu: its catalogue row is behind", (unsigned long long)c->id);
}

/* One report of the traced process: a pprof snapshot appended to the series. */
static int _on_report(const struct report *r, void *ctx)
{
	struct coll *c = ctx;
	struct collects *o = c->owner;
	struct pprof_options po = { 0 };
	char path[4300], **slot;
	void *buf;
	size_t len;
	int err;

	if ((err = pprof__encode(r, &po, &buf, &len))) {
		pr_err("collection %llu: cannot encode a snapshot: %s", (unsigned long long)c->id,
		       strerror(-err));
		return err;
	}
	err = store__add(c->st, r, buf, len);
	free(buf);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/snap-%06zu.pb.gz", c->dir, store__count(c->st));
	slot = VEC_PUSH(c->snaps, c->nsnaps, c->snaps_cap);
	if (!slot || !(*slot = strdup(path)))
		return -ENOMEM;
	c->nsnaps++;
	c->bytes += len;
	c->live_bytes = r->total_bytes;
	o->stats.snapshots++;
	o->stats.snapshot_bytes += len;
	if (c->db_id > 0)
		db__snapshot(o->db, c->db_id, c->nsnaps, path, clock__wall_s(), len, r->total_bytes);
	pr_info("collection %llu: snapshot %zu of pid %d, %llu bytes live (sampled), %zu bytes",
		(unsigned long long)c->id, c->nsnaps, c->pid, (unsigned long long)r->total_bytes,
		len);
	return 0;
}

static int _snapshot(struct coll *c, bool final)
{
	if (!c->s || c->exited || !session__running(c->s))
		return 0;
	return session__report(c->s, final, _on_report, c);
}

/* Stops C for REASON: a last snapshot (LAST, if it lives), probes gone,
 * the catalogue and the counters updated. */
static void _finish(struct coll *c, enum reason reason, bool last)
{
	struct collects *o = c->owner;

	if (!c->running)
		return;
	evloop__disarm(o->loop, &c->timer);
	evloop__disarm(o->loop, &c->reap);
	/* stopped for its cost: the target stops trapping before the last
	 * snapshot is read (it holds the blocks live at this moment) */
	if (c->s && (reason == R_CPU || reason == R_CPU_TRAPS))
		session__unhook(c->s);
	if (last && _snapshot(c, true))
		pr_warn("collection %llu: the last snapshot failed", (unsigned long long)c->id);
	session__free(c->s);
	c->s = NULL;
	if (!c->shared_st)
		store__free(c->st);
	c->st = NULL;
	c->running = false;
	c->reason = reason;
	c->ended_s = clock__wall_s();
	o->stats.completed[reason]++;
	_db_update(c);
	/* the session's maps, symbolizers and unwinding buffers are freed:
	 * give the heap's free pages back (they stay resident otherwise) */
	malloc_trim(0);
	pr_warn("collection %llu of pid %d '%s' stopped: %s, %zu snapshot%s in '%s'",
		(unsigned long long)c->id, c->pid, c->comm, reason_names[reason], c->nsnaps,
		c->nsnaps == 1 ? "" : "s", c->dir);
	if (o->done)
		o->done(c->pid, c->start, reason_names[reason], o->ctx);
}

static int _arm_next(struct coll *c)
{
	double s = c->trigger == COLLECT_REFERENCE ? c->owner->p.ref_s : c->owner->p.every_s;

	return evloop__arm(c->owner->loop, &c->timer, clock__mono_ns() + (uint64_t)(s * 1e9));
}

/* The rule after a snapshot: is the series complete? */
static void _after_snapshot(struct coll *c)
{
	const struct collect_params *p = &c->owner->p;

	if (c->bytes >= p->max_bytes)
		_finish(c, R_BYTES, false);
	else if (c->trigger == COLLECT_REFERENCE)
		_finish(c, R_SNAPSHOTS, false);
	else if ((c->pattern == PATTERN_STEADY || c->pattern == PATTERN_SAWTOOTH ||
		  c->pattern == PATTERN_PLATEAU) && c->nsnaps >= p->snapshots)
		_finish(c, R_SNAPSHOTS, false);
	else if (c->pattern == PATTERN_STAIR && c->steps >= p->steps)
		_finish(c, R_STEPS, false);
}

static int _on_timer(struct evloop_timer *t, void *ctx)
{
	struct coll *c = ctx;
	int err;

	(void)t;
	if (!c->running)
		return 0;
	err = _snapshot(c, false);
	if (err) {
		_finish(c, R_ERROR, false);
		return 0;
	}
	_after_snapshot(c);
	if (c->running && (err = _arm_next(c)))
		_finish(c, R_ERROR, false);
	return 0;
}

static int _on_reap(struct evloop_timer *t, void *ctx)
{
	(void)t;
	_finish(ctx, R_EXITED, false);
	return 0;
}

/* The process exited: its final report is the last snapshot; the session
 * is freed from a timer, outside its own callback. */
static int _on_exit(const struct report *r, void *ctx)
{
	struct coll *c = ctx;
	int err = _on_report(r, c);

	if (err)
		pr_warn("collection %llu: the final snapshot failed: %s", (unsigned long long)c->id,
			strerror(-err));
	c->exited = true;
	return evloop__arm(c->owner->loop, &c->reap, clock__mono_ns());
}

static int _attach(struct coll *c)
{
	struct session_config sc = { 0 };
	int err;

	struct ccost_counters k = { 0 };

	sc.trace.sample_bytes = c->sample_bytes;
	sc.trace.ring_bytes = _ring_bytes(c->sample_bytes);
	sc.unwind = UNWIND_AUTO;
	if ((err = session__new(&sc, &c->s)))
		return err;
	if ((err = session__add_pid(c->s, c->pid)) ||
	    (err = session__attach(c->s, c->owner->loop, _on_exit, c))) {
		session__free(c->s);
		c->s = NULL;
		return err;
	}
	if (_counters(c, &k))
		memset(&k, 0, sizeof(k));	/* the first check starts the window */
	if (!c->cost_init)
		ccost__init(&c->cost, &k);
	else
		ccost__rebase(&c->cost, &k);
	c->cost_init = true;
	return 0;
}

int collects__new(const struct collect_params *p, struct evloop *loop, struct db *db,
		  collect_done_fn *done, void *ctx, struct collects **out)
{
	struct collects *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->p = *p;
	snprintf(c->dir, sizeof(c->dir), "%s", p->dir);
	c->p.dir = c->dir;
	snprintf(c->ref_dir, sizeof(c->ref_dir), "%s", p->ref_dir ? p->ref_dir : "");
	c->p.ref_dir = c->ref_dir;
	c->loop = loop;
	c->db = db;
	c->done = done;
	c->ctx = ctx;
	c->stats.trigger_names = trigger_names;
	c->stats.reason_names = reason_names;
	ccost_params__defaults(&c->cost, p->cpu, p->trap_ns > 0 ? p->trap_ns : TRAP_NS_UNMEASURED);
	c->trap_source = p->trap_ns > 0 ? "config" : "unmeasured";
	evloop__timer_init(&c->check, _on_check, c);
	/* a restart within the boot finds the cost in the store; else the
	 * calibration (about 0.4 s of one thread) runs beside the loop from
	 * the start, so that its value is there by the first collection (which
	 * decides nothing without it) */
	if (p->trap_ns <= 0 && !_trap_stored(c) && (err = trapcost__start(TRAPCOST_CALLS, &c->tc)))
		pr_warn("cannot calibrate the uprobe trap cost: %s; the budget counts %.0f ns a"
			" probe hit (set collect.trap_ns)", strerror(-err), c->cost.trap_ns);
	*out = c;
	return 0;
}

void collects__free(struct collects *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		_finish(c->all[i], R_STOPPED, true);
		_coll_free(c->all[i]);
	}
	if (c->loop)
		evloop__disarm(c->loop, &c->check);
	trapcost__free(c->tc);
	free(c->all);
	free(c->model);
	for (size_t i = 0; i < c->nrefs; i++)
		store__free(c->refs[i].st);
	free(c->refs);
	free(c);
}

size_t collects__running(const struct collects *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->all[i]->running;
	return n;
}

bool collects__known(const struct collects *c, int pid, uint64_t start)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->all[i]->pid == pid && c->all[i]->start == start)
			return true;
	return false;
}

void collects__refused(struct collects *c)
{
	c->stats.refused++;
}

void collects__psi_event(struct collects *c)
{
	c->stats.psi_events++;
}

/* Drops the oldest completed collection past MAX_DONE. */
static void _trim(struct collects *c)
{
	size_t done = 0;

	for (size_t i = 0; i < c->n; i++)
		done += !c->all[i]->running;
	for (size_t i = 0; i < c->n && done > MAX_DONE; i++) {
		if (c->all[i]->running)
			continue;
		_coll_free(c->all[i]);
		memmove(&c->all[i], &c->all[i + 1], (c->n - i - 1) * sizeof(*c->all));
		c->n--;
		done--;
		i--;
	}
}

static void _sanitize(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			*s = '_';
}

/* The reference series of BUILD_ID for this run, created on first use. */
static int _refseries(struct collects *o, const char *build_id, int pid, const char *comm,
		      double now, struct refseries **out, char *err, size_t errlen)
{
	struct series_info info = { .pid = pid, .comm = comm, .every_s = o->p.ref_s };
	struct refseries *r;
	char id[129], top[4100];
	int ret;

	for (size_t i = 0; i < o->nrefs; i++)
		if (!strcmp(o->refs[i].build_id, build_id)) {
			*out = &o->refs[i];
			return 0;
		}
	snprintf(id, sizeof(id), "%s", build_id);
	_sanitize(id);
	snprintf(top, sizeof(top), "%s/%s", o->ref_dir, id);
	if ((mkdir(o->ref_dir, 0700) && errno != EEXIST) || (mkdir(top, 0700) && errno != EEXIST)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", top, strerror(-ret));
		return ret;
	}
	if (!(r = VEC_PUSH(o->refs, o->nrefs, o->refs_cap)))
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	snprintf(r->build_id, sizeof(r->build_id), "%s", build_id);
	snprintf(r->dir, sizeof(r->dir), "%s/%.0f", top, now);
	if ((ret = store__create(r->dir, &info, &r->st))) {
		snprintf(err, errlen, "cannot create series '%s': %s", r->dir, strerror(-ret));
		return ret;
	}
	o->nrefs++;
	*out = r;
	return 0;
}

/* Starts a collection for R; BUILD_ID: a reference of that build ID. */
static int _start(struct collects *o, const struct collect_request *r, const char *build_id,
		  double now, char *err, size_t errlen)
{
	struct series_info info = { 0 };
	struct db_collection row = { 0 };
	struct refseries *ref = NULL;
	struct proc_stat ps;
	struct coll *c = NULL, **slot;
	char comm[PROC_COMM_LEN];
	int ret;

	if (proc__read_stat(r->pid, &ps) || (r->start && ps.start_ticks != r->start)) {
		snprintf(err, errlen, "no process %d", r->pid);
		return -ESRCH;
	}
	for (size_t i = 0; i < o->n; i++)
		if (o->all[i]->running && o->all[i]->pid == r->pid) {
			snprintf(err, errlen, "a collection of pid %d is running", r->pid);
			return -EALREADY;
		}
	if (collects__running(o) >= o->p.max_active) {
		snprintf(err, errlen, "%u collections are running (collect.max_active)",
			 o->p.max_active);
		o->stats.refused++;
		return -EBUSY;
	}
	if (mkdir(o->dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", o->dir, strerror(-ret));
		return ret;
	}
	if (build_id && (ret = _refseries(o, build_id, r->pid, r->comm ? r->comm : ps.comm, now,
					  &ref, err, errlen)))
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->owner = o;
	c->id = ++o->next_id;
	c->pid = r->pid;
	c->start = ps.start_ticks;
	snprintf(c->comm, sizeof(c->comm), "%s", r->comm ? r->comm : ps.comm);
	c->trigger = r->trigger;
	c->pattern = r->pattern;
	c->severity = r->severity;
	c->sample_bytes = ref ? o->p.ref_sample_bytes : o->p.sample_bytes;
	c->started_s = now;
	c->started_mono = clock__mono_s();
	c->baseline = r->baseline_bytes;
	c->running = true;
	evloop__timer_init(&c->timer, _on_timer, c);
	evloop__timer_init(&c->reap, _on_reap, c);
	/* the probes first: a process that cannot be traced leaves no series */
	if ((ret = _attach(c))) {
		snprintf(err, errlen, "cannot trace pid %d: %s", c->pid, strerror(-ret));
		rmdir(o->dir);	/* fails, harmlessly, if it holds series */
		goto fail;
	}
	if (ref) {
		snprintf(c->dir, sizeof(c->dir), "%s", ref->dir);
		c->st = ref->st;
		c->shared_st = true;
	} else {
		snprintf(comm, sizeof(comm), "%s", c->comm);
		_sanitize(comm);
		snprintf(c->dir, sizeof(c->dir), "%s/%d-%s-%.0f-%llu", o->dir, c->pid, comm, now,
			 (unsigned long long)c->id);
		info.pid = c->pid;
		info.comm = c->comm;
		info.every_s = o->p.every_s;
		if ((ret = store__create(c->dir, &info, &c->st))) {
			snprintf(err, errlen, "cannot create series '%s': %s", c->dir,
				 strerror(-ret));
			_rm_series(c->dir);
			goto fail;
		}
	}
	if ((ret = _arm_next(c)) || VEC_RESERVE(o->all, o->cap, o->n + 1) ||
	    (ret = _arm_check(o))) {	/* sooner: its first window */
		ret = ret ? ret : -ENOMEM;
		snprintf(err, errlen, "cannot schedule the collection: %s", strerror(-ret));
		if (!ref) {
			store__free(c->st);
			c->st = NULL;
			_rm_series(c->dir);
		}
		goto fail;
	}
	row = (struct db_collection){ .entity = r->entity, .pid = c->pid, .start = c->start,
				      .comm = c->comm, .trigger = trigger_names[r->trigger],
				      .pattern = detect__pattern_name(r->pattern), .algo = r->algo,
				      .dir = c->dir, .severity = r->severity,
				      .slope_bytes_per_s = r->slope_bytes_per_s, .from_s = r->from_s,
				      .to_s = r->to_s, .started_s = now,
				      .sample_bytes = c->sample_bytes };
	if (db__collection_add(o->db, &row, &c->db_id))
		c->db_id = 0;	/* logged; the series is on disk all the same */
	slot = &o->all[o->n++];
	*slot = c;
	o->stats.triggers[r->trigger]++;
	o->stats.started++;
	pr_warn("collection %llu: pid %d '%s' (%s trigger, %s rule), heap sampled every %llu bytes,"
		" into '%s'", (unsigned long long)c->id, c->pid, c->comm, trigger_names[r->trigger],
		ref ? "reference" : detect__pattern_name(r->pattern),
		(unsigned long long)c->sample_bytes, c->dir);
	_trim(o);
	return 0;
fail:
	if (o->loop) {
		evloop__disarm(o->loop, &c->timer);
		evloop__disarm(o->loop, &c->reap);
	}
	c->st = c->shared_st ? NULL : c->st;
	_coll_free(c);
	return ret;
}

int collects__start(struct collects *o, const struct collect_request *r, double now, char *err,
		    size_t errlen)
{
	return _start(o, r, NULL, now, err, errlen);
}

int collects__reference(struct collects *o, int pid, uint64_t start, const char *build_id,
			double now, char *err, size_t errlen)
{
	struct collect_request r = { .pid = pid, .start = start, .trigger = COLLECT_REFERENCE,
				     .pattern = PATTERN_PLATEAU, .entity = -1 };

	if (!build_id || !*build_id) {
		snprintf(err, errlen, "pid %d: its executable has no build ID", pid);
		return -EINVAL;
	}
	return _start(o, &r, build_id, now, err, errlen);
}

bool collects__oom_victim(struct collects *o, int pid)
{
	for (size_t i = 0; i < o->n; i++) {
		struct coll *c = o->all[i];

		if (!c->running || c->pid != pid)
			continue;
		pr_warn("collection %llu: pid %d '%s' is an OOM victim: last snapshot",
			(unsigned long long)c->id, pid, c->comm);
		_finish(c, R_OOM, true);
		return true;
	}
	return false;
}

/* The stair and spike rules on the RSS of this interval. */
static void _rules(struct coll *c, double rss)
{
	double thr = fmax(STEP_MIN_BYTES, STEP_SHARE * rss), d = rss - c->last_rss;

	if (c->last_rss <= 0) {
		c->last_rss = c->peak = rss;
		if (c->baseline <= 0 || c->baseline > rss)
			c->baseline = rss;
		return;
	}
	/* before the excursion, the baseline follows RSS down (a request knows
	 * no baseline, and may start at the top of a spike) */
	if (c->peak - c->baseline <= thr && rss < c->baseline)
		c->baseline = c->peak = rss;
	c->peak = fmax(c->peak, rss);
	if (c->pattern == PATTERN_STAIR) {
		if (d > thr) {
			c->rising = true;
		} else if (c->rising && fabs(d) <= thr) {
			/* the step has ended: capture it */
			c->rising = false;
			c->steps++;
			if (_snapshot(c, false))
				_finish(c, R_ERROR, false);
			else
				_after_snapshot(c);
		}
	} else if (c->pattern == PATTERN_SPIKE && c->peak - c->baseline > thr &&
		   rss <= c->baseline + 0.25 * (c->peak - c->baseline)) {
		_finish(c, R_SPIKE, true);
	}
	c->last_rss = rss;
}

/* The CPU budget of C (collect_cost.h): one check, and its action. */
static void _budget(struct coll *c)
{
	struct collects *o = c->owner;
	struct ccost_counters k;
	enum ccost_action a;

	if (!c->s || _counters(c, &k))
		return;
	a = ccost__step(&o->cost, &c->cost, &k);
	if (a == CCOST_OK)
		return;
	if (a == CCOST_RAISE) {
		pr_warn("collection %llu: heap probes at %.1f%% of pid %d's CPU (traps %.1f%%, BPF"
			" %.1f%%; budget %.1f%%): sampling every %llu bytes",
			(unsigned long long)c->id, 100 * c->cost.share, c->pid,
			100 * c->cost.traps_share, 100 * c->cost.bpf_share, 100 * o->p.cpu,
			(unsigned long long)c->sample_bytes * CCOST_RAISE_FACTOR);
		o->stats.sample_raised++;
		session__unhook(c->s);
		if (_snapshot(c, false))
			pr_warn("collection %llu: a snapshot failed", (unsigned long long)c->id);
		session__free(c->s);
		c->s = NULL;
		c->sample_bytes *= CCOST_RAISE_FACTOR;
		if (_attach(c))
			_finish(c, R_ERROR, false);
		else
			_db_update(c);
		return;
	}
	if (a == CCOST_DETACH_TRAPS) {
		pr_warn("collection %llu: the probes' traps alone cost %.1f%% of pid %d's CPU (%.0f ns"
			" a hit; budget %.1f%%), more sampling would not lower them: detached",
			(unsigned long long)c->id, 100 * c->cost.traps_share, c->pid,
			o->cost.trap_ns, 100 * o->p.cpu);
		o->stats.budget_detached_traps++;
		_finish(c, R_CPU_TRAPS, true);
		return;
	}
	pr_warn("collection %llu: heap probes at %.1f%% of pid %d's CPU (traps %.1f%%, BPF %.1f%%;"
		" budget %.1f%%) after raising the sampling interval: detached",
		(unsigned long long)c->id, 100 * c->cost.share, c->pid, 100 * c->cost.traps_share,
		100 * c->cost.bpf_share, 100 * o->p.cpu);
	o->stats.budget_detached++;
	_finish(c, R_CPU, true);
}

/* Until a collection's first budget window closes, the checks come
 * FIRST_CHECKS times as often (not below 1 ms), for FIRST_FAST_S at most:
 * the first window is the traps' first measure, and a target whose traps
 * alone are far over the budget pays for each millisecond it waits (redis
 * under load: about half its CPU). An idle target does not close it; after
 * FIRST_FAST_S it is checked at the usual pace. */
#define FIRST_CHECKS 10
#define FIRST_FAST_S 10.0

static bool _first_window(const struct collects *o)
{
	double now = clock__mono_s();

	for (size_t i = 0; i < o->n; i++) {
		const struct coll *c = o->all[i];

		if (c->running && !c->exited && c->s && !c->cost.measured &&
		    now - c->started_mono < FIRST_FAST_S)
			return true;
	}
	return false;
}

static int _arm_check(struct collects *o)
{
	double every = o->p.budget_check_s;

	if (_first_window(o))
		every = fmax(every / FIRST_CHECKS, fmin(every, 0.001));
	return evloop__arm(o->loop, &o->check, clock__mono_ns() + (uint64_t)(every * 1e9));
}

/* Every collect.budget_check while collections run: the budgets. */
static int _on_check(struct evloop_timer *t, void *ctx)
{
	struct collects *o = ctx;

	(void)t;
	_trap_poll(o);
	/* no decision on a guessed trap cost while the calibration runs: the
	 * windows stay open, and the first check after it covers them */
	for (size_t i = 0; !o->tc && i < o->n; i++)
		if (o->all[i]->running && !o->all[i]->exited)
			_budget(o->all[i]);
	if (collects__running(o) && _arm_check(o))
		pr_warn("cannot schedule the collections' budget check");
	return 0;
}

int collects__tick(struct collects *o, double now, collect_rss_fn *rss_fn, void *ctx)
{
	(void)now;
	for (size_t i = 0; i < o->n; i++) {
		struct coll *c = o->all[i];
		double rss = 0;

		if (!c->running || c->exited)
			continue;
		if (clock__mono_s() - c->started_mono >= o->p.max_s) {
			_finish(c, R_TIME, true);
			continue;
		}
		if (rss_fn && !rss_fn(c->pid, c->start, &rss, ctx))
			_rules(c, rss);
	}
	return 0;
}

int collects__model(struct collects *o, const struct mx_collection **out, size_t *n,
		    struct mx_collect_stats *stats)
{
	if (VEC_RESERVE(o->model, o->model_cap, o->n + 1))
		return -ENOMEM;
	_trap_poll(o);
	for (size_t i = 0; i < o->n; i++) {
		const struct coll *c = o->all[i];

		o->model[i] = (struct mx_collection){
			.id = c->id, .pid = c->pid, .start = c->start, .comm = c->comm,
			.trigger = trigger_names[c->trigger],
			.pattern = detect__pattern_name(c->pattern),
			.state = c->running ? "running" : "complete",
			.reason = c->running ? NULL : reason_names[c->reason],
			.severity = c->severity, .started_s = c->started_s, .ended_s = c->ended_s,
			.dir = c->dir, .snapshots = (const char *const *)c->snaps,
			.nsnapshots = c->nsnaps, .bytes = c->bytes, .live_bytes = c->live_bytes,
			.sample_bytes = c->sample_bytes, .bpf_cpu_ratio = c->cost.bpf_share,
			.traps_cpu_ratio = c->cost.traps_share, .cost_cpu_ratio = c->cost.share,
			.hits = c->cost.hits, .bpf_ns = c->cost.bpf_ns, .cpu_ns = c->cost.cpu_ns,
			.budget_actions = c->cost.actions,
		};
	}
	*out = o->model;
	*n = o->n;
	*stats = o->stats;
	stats->running = collects__running(o);
	stats->trap_ns = o->cost.trap_ns;
	stats->cpu_budget = o->p.cpu;
	stats->trap_source = o->tc ? "calibrating" : o->trap_source;
	return 0;
}
