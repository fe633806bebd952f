/* daemon — the main loop of `seep daemon`; see daemon.h. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon/budget.h"
#include "daemon/collect.h"
#include "daemon/memevents.h"
#include "daemon/mitigation.h"
#include "daemon/db.h"
#include "daemon/watch.h"
#include "detect/pivot.h"
#include "diagnose/html.h"
#include "fleet/profpush.h"
#include "fleet/remote_write.h"
#include "lib/clock.h"
#include "lib/evloop.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "metrics/api.h"
#include "metrics/http.h"
#include "metrics/prom.h"
#include "sys/sysfile.h"
#include "telemetry/collector.h"
#include "telemetry/growth.h"
#include "tracer/growthprobe.h"
#include "tracer/oomwatch.h"
#include "tracer/telemetry.h"

#define MAX_ALGOS 4
#define NPROGS (TELEMETRY_NPROGS + GROWTHPROBE_NPROGS)
#define GROWTH_TOP 3		/* growth stacks shown with a suspect */

enum growth_mode { GROWTH_OFF, GROWTH_SUSPECTS, GROWTH_ALL };
static const char *const growth_modes[] = { "off", "suspects", "all" };

struct pwatch {			/* a process's series */
	int pid;
	uint64_t start;
	bool used, alive;
	uint64_t gen;		/* last tick that saw it */
	int64_t entity;
	uint32_t component;
	struct procmem mem;	/* the last sample */
	struct watch w;
	struct watch_verdict v;
	int suspect;		/* index into suspects + 1, or 0 */
	bool shed;		/* its series dropped by the memory cap, until it ends */
};

struct cwatch {			/* a component's series and pivot */
	uint64_t serial;	/* the component's (collector_component.serial); 0: none */
	int64_t entity;
	struct watch w;
	struct pivot pivot;
	struct pivot_verdict pv;
	struct watch_verdict v;
	int suspect;
};

struct suspect {
	struct mx_suspect m;
	char comm[17];
	char component[512];
	int64_t entity;
	int pw;			/* its process's pwatch + 1, or 0 */
	enum detect_pattern pattern;
	double baseline;	/* RSS at the start of the leaking window */
	bool dirty;		/* to be written this interval */
	bool cleared;		/* a spike that came back down: inactive until judged anew */
	bool watched;		/* its growth stacks followed (growthprobe__watch) */
	/* its top growth stacks, refreshed each interval: the model points here */
	struct growth_view gv;
	struct mx_growth_stack gs[GROWTH_TOP];
	const char **fns;	/* the stacks' function names, back to back */
	size_t fns_cap;
};

struct dmn {
	struct daemon_config cfg;
	const struct daemon_source *src;
	struct collector *col;
	struct db *db;
	struct http *http;
	enum detect_algo algos[MAX_ALGOS];
	size_t nalgos;
	double threshold;
	/* series */
	struct pwatch *pw;
	size_t npw, pw_cap;
	uint32_t *pw_free;
	size_t npw_free, pw_free_cap;
	struct hashmap pw_by_pid;
	struct cwatch *cw;
	size_t ncw, cw_cap;
	struct suspect *sus;
	size_t nsus, sus_cap;
	/* the host and cgroups in the store */
	int64_t host_entity;
	struct hashmap cg_by_path;
	char (*cg_paths)[256];
	int64_t *cg_ids;
	size_t ncg_known, cg_known_cap, cg_ids_cap;
	uint64_t gen;
	/* the model the exporters read */
	struct mx_model model;
	struct mx_proc *mprocs;
	size_t mprocs_cap;
	struct mx_component *mcomps;
	size_t mcomps_cap;
	struct mx_cgroup *mcgs;
	size_t mcgs_cap;
	struct mx_suspect *msus;
	size_t msus_cap;
	struct mx_prog progs[NPROGS];
	struct telemetry_cost costs[NPROGS];
	/* growth stacks (telemetry.growth_stacks) */
	enum growth_mode growth_mode;
	struct growthprobe *gp;
	struct growth *gr;
	uint64_t growth_sample;	/* the probes' configured mean bytes between samples */
	size_t nwatched;
	char *metrics_text;
	size_t metrics_len;
	/* own cost */
	double last_cpu, last_wall, last_bpf_ns;
	struct budget_params bp;
	struct budget_state bs;
	int stretch;		/* interval multiplier (back-off) */
	int backoff;
	uint64_t store_errors, detect_runs;
	double sample_s, detect_s, store_s;
	/* the loop */
	struct evloop *loop;
	struct evloop_timer tick_timer, http_timer;
	uint64_t next_tick_ns;
	int sfd, psi_fd;
	bool stop, ready;
	int loop_err;
	/* tier 2 */
	struct collects *coll;
	char collect_dir[4096], ref_dir[4096];
	double last_psi, last_ref;
	struct oomwatch *oom;
	struct memevents *mev;
	uint64_t oom_victims, cgroup_events;
	struct dmit *mit;	/* tier 4; NULL: off */
	/* out of the host (fleet/): the host label, remote_write, profile push */
	char host[256];
	struct remote_write *rw;
	struct profpush *pp;
	/* the memory cap (budget.rss_cap) */
	uint64_t cap_over, cap_components, cap_series;
};

static bool _pw_eq(uint32_t id, const void *key, void *ctx)
{
	const struct dmn *d = ctx;

	return d->pw[id].pid == *(const int *)key;
}

static uint64_t _pid_hash(int pid)
{
	return hash__finish(hash__update_u64(HASH_SEED, (uint64_t)pid));
}

static bool _cg_eq(uint32_t id, const void *key, void *ctx)
{
	const struct dmn *d = ctx;

	return !strcmp(d->cg_paths[id], key);
}

int daemon__config(const struct daemon_source *src, struct daemon_config *out, char *err,
		   size_t errlen)
{
	int ret;

	daemon_config__defaults(out);
	if (src->config_path) {
		ret = daemon_config__load(out, src->config_path, err, errlen);
		if (ret)
			return ret;
	}
	for (int i = 0; i < src->nsets; i++) {
		ret = daemon_config__set(out, src->sets[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int _parse_algos(struct dmn *d, char *err, size_t errlen)
{
	char buf[sizeof(d->cfg.algos)], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", d->cfg.algos);
	d->nalgos = 0;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		enum detect_algo a;

		if (detect__algo_parse(tok, &a) || a == DETECT_PRECOG || a == DETECT_PRECOGMF ||
		    d->nalgos == MAX_ALGOS) {
			snprintf(err, errlen, "bad detector '%s' in 'detect.algos' (seep, lbr, lbrcpd)",
				 tok);
			return -EINVAL;
		}
		d->algos[d->nalgos++] = a;
	}
	if (!d->nalgos) {
		snprintf(err, errlen, "'detect.algos' names no detector");
		return -EINVAL;
	}
	return 0;
}

static int _apply(struct dmn *d, char *err, size_t errlen)
{
	uint64_t u;
	int ret = _parse_algos(d, err, errlen);

	if (ret)
		return ret;
	for (ret = 0; ret < 3 && strcmp(d->cfg.growth_stacks, growth_modes[ret]); ret++)
		;
	if (ret == 3) {
		snprintf(err, errlen,
			 "bad value '%s' for 'telemetry.growth_stacks' (off, suspects or all)",
			 d->cfg.growth_stacks);
		return -EINVAL;
	}
	d->growth_mode = (enum growth_mode)ret;
	if (!strcmp(d->cfg.threshold, "host")) {
		d->threshold = (double)collector__host(d->col)->total;
	} else if (!daemon_config__parse_size(d->cfg.threshold, &u) && u > 0) {
		d->threshold = (double)u;
	} else {
		snprintf(err, errlen, "bad value '%s' for 'detect.threshold' (host or a size)",
			 d->cfg.threshold);
		return -EINVAL;
	}
	return 0;
}

/* --- growth stacks ----------------------------------------------------------- */

/* Suspects mode: a process suspect's growth stacks are followed from its
 * verdict on. */
static void _growth_follow(struct dmn *d, struct suspect *s)
{
	int err;

	/* never itself: its own growth (its series, a collection's buffers;
	 * ASan's shadow) would have it unwind its own stacks as they grow */
	if (!d->gp || d->growth_mode != GROWTH_SUSPECTS || s->watched ||
	    strcmp(s->m.kind, "process") || s->m.pid == getpid())
		return;
	err = growthprobe__watch(d->gp, (uint32_t)s->m.pid, s->m.start);
	if (err) {
		pr_warn("cannot follow the growth stacks of process %d '%s': %s", s->m.pid, s->comm,
			strerror(-err));
		return;
	}
	s->watched = true;
	d->nwatched++;
}

/* The suspect's process exited or was cleared: not followed any more, its
 * stacks forgotten (the suspect keeps the last view of them). */
static void _growth_drop(struct dmn *d, struct suspect *s)
{
	if (!s->watched)
		return;
	growthprobe__unwatch(d->gp, (uint32_t)s->m.pid);
	growth__forget(d->gr, s->m.pid);
	s->watched = false;
	d->nwatched--;
}

static void _growth_event(const struct seep_tel_growth *ev, const void *stack, void *ctx)
{
	struct dmn *d = ctx;

	/* all mode: every process but the daemon itself (see _growth_follow);
	 * what cannot be added is counted in growth__stats */
	if (ev->pid != (uint32_t)getpid())
		growth__add_copy(d->gr, ev, stack);
}

static int _on_growth(int fd, uint32_t events, void *ctx)
{
	struct dmn *d = ctx;
	int n;

	(void)fd, (void)events;
	n = growthprobe__poll(d->gp, _growth_event, d);
	if (n < 0)
		pr_debug("cannot read the growth ring: %s", strerror(-n));
	return 0;
}

/* All mode: the stacks of processes that ended are forgotten. */
static void _growth_prune(struct dmn *d)
{
	int *pids = NULL;
	size_t n = 0;

	if (!d->gr || d->growth_mode != GROWTH_ALL || growth__pids(d->gr, &pids, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], 0) && errno == ESRCH)
			growth__forget(d->gr, pids[i]);
	free(pids);
}

/* The suspect's top growth stacks into its model (the last ones seen are
 * kept when the process has none now). */
static int _growth_view(struct dmn *d, struct suspect *s)
{
	struct growth_view v;
	size_t nf = 0, k = 0;

	if (!d->gr || strcmp(s->m.kind, "process") || !s->m.alive)
		return 0;
	if (growth__view(d->gr, s->m.pid, GROWTH_TOP, &v))
		return 0;
	for (size_t i = 0; i < v.nstacks; i++)
		nf += v.stacks[i].nframes;
	if (VEC_RESERVE(s->fns, s->fns_cap, nf + 1)) {
		growth_view__release(&v);
		return -ENOMEM;
	}
	growth_view__release(&s->gv);
	s->gv = v;
	for (size_t i = 0; i < v.nstacks && i < GROWTH_TOP; i++) {
		const struct growth_stack_view *g = &v.stacks[i];

		s->gs[i] = (struct mx_growth_stack){ .grown_bytes = g->grown, .samples = g->samples,
						     .nfunctions = g->nframes,
						     .functions = &s->fns[k],
						     .site = growth__site(g) };
		for (size_t f = 0; f < g->nframes; f++)
			s->fns[k++] = g->frames[f].function;
	}
	return 0;
}

/* --- series ---------------------------------------------------------------- */

/* daemon.scope_cgroup: is P in that cgroup or below it? */
static bool _in_scope(const struct dmn *d, const struct collector_proc *p)
{
	return collector__in_scope(d->col, p);
}

static struct pwatch *_pw_get(struct dmn *d, const struct collector_proc *p)
{
	int64_t id = hashmap__find(&d->pw_by_pid, _pid_hash(p->pid), &p->pid, _pw_eq, d);
	struct pwatch *w;
	uint32_t slot;

	if (id >= 0 && d->pw[id].start == p->start)
		return &d->pw[id];
	if (id >= 0) {
		/* an earlier process under the same pid: it has ended */
		hashmap__remove(&d->pw_by_pid, _pid_hash(p->pid), &p->pid, _pw_eq, d);
		d->pw[id].alive = false;
	}
	if (d->npw_free) {
		slot = d->pw_free[--d->npw_free];
	} else {
		if (VEC_RESERVE(d->pw, d->pw_cap, d->npw + 1))
			return NULL;
		slot = (uint32_t)d->npw++;
	}
	w = &d->pw[slot];
	memset(w, 0, sizeof(*w));
	if (watch__init(&w->w, d->cfg.history) ||
	    hashmap__add(&d->pw_by_pid, _pid_hash(p->pid), slot)) {
		watch__release(&w->w);
		if (slot + 1 == d->npw)
			d->npw--;
		return NULL;
	}
	w->pid = p->pid;
	w->start = p->start;
	w->used = w->alive = true;
	w->entity = -1;
	return w;
}

static void _pw_drop(struct dmn *d, uint32_t id)
{
	struct pwatch *w = &d->pw[id];
	uint32_t *f;

	if (w->alive)
		hashmap__remove(&d->pw_by_pid, _pid_hash(w->pid), &w->pid, _pw_eq, d);
	if (w->suspect) {
		d->sus[w->suspect - 1].m.alive = false, d->sus[w->suspect - 1].dirty = true;
		_growth_drop(d, &d->sus[w->suspect - 1]);
	} else if (w->alive && d->gr) {
		growth__forget(d->gr, w->pid);	/* no later process holds the pid */
	}
	watch__release(&w->w);
	w->used = false;
	f = VEC_PUSH(d->pw_free, d->npw_free, d->pw_free_cap);
	if (f) {
		*f = id;
		d->npw_free++;
	}
}

/* The component series follow the collector's components: a slot whose
 * component was pruned, or reused by another, starts afresh. */
static int _cw_sync(struct dmn *d)
{
	size_t n = collector__ncomponents(d->col);
	struct pivot_params pp;
	int err;

	pivot_params__init(&pp);
	pp.window = d->cfg.pivot_window;
	pp.z_min = d->cfg.pivot_z;
	pp.base = (double)d->cfg.pivot_base;
	if (VEC_RESERVE(d->cw, d->cw_cap, n))
		return -ENOMEM;
	for (; d->ncw < n; d->ncw++)
		memset(&d->cw[d->ncw], 0, sizeof(d->cw[0]));
	for (size_t k = 0; k < n; k++) {
		const struct collector_component *c = collector__component(d->col, k);
		struct cwatch *cw = &d->cw[k];

		if (cw->serial == c->serial)
			continue;
		if (cw->serial) {
			/* its component was forgotten (and maybe the slot reused) */
			if (cw->suspect) {
				d->sus[cw->suspect - 1].m.alive = false;
				d->sus[cw->suspect - 1].m.active = false;
				d->sus[cw->suspect - 1].dirty = true;
			}
			watch__release(&cw->w);
			pivot__release(&cw->pivot);
			memset(cw, 0, sizeof(*cw));
		}
		if (!c->serial)
			continue;
		cw->entity = -1;
		err = watch__init(&cw->w, d->cfg.history);
		if (!err)
			err = pivot__init(&cw->pivot, &pp);
		if (err)
			return err;
		cw->serial = c->serial;
	}
	return 0;
}

static double _severity(const struct dmn *d, const struct watch_verdict *v, double pivot)
{
	double c = 7 * 86400 / d->cfg.scale_s * d->cfg.interval_s;	/* C in wall seconds */
	double s = isfinite(v->time_to_threshold_s) ? c / (c + fmax(v->time_to_threshold_s, 0)) : 0;

	/* 3/4 from how soon the threshold is reached, 1/4 from the component's pivot */
	return fmin(1, 0.75 * s + 0.25 * fmin(pivot, 1));
}

/* Opens, updates or closes the suspect of a verdict. */
static int _suspect(struct dmn *d, int *slot, const char *kind, int pid, uint64_t start,
		    const char *comm, const char *component, const struct watch_verdict *v,
		    double pivot, double rss, double now, int pw, double baseline)
{
	struct suspect *s;
	bool leak;

	if (!v->judged)
		return 0;
	if (!*slot && !v->leak)
		return 0;
	if (!*slot) {
		s = VEC_PUSH(d->sus, d->nsus, d->sus_cap);
		if (!s)
			return -ENOMEM;
		memset(s, 0, sizeof(*s));
		snprintf(s->comm, sizeof(s->comm), "%s", comm);
		snprintf(s->component, sizeof(s->component), "%s", component);
		s->m.kind = kind;
		s->m.pid = pid;
		s->m.start = start;
		s->m.first_s = now;
		s->m.alive = true;
		s->entity = -1;
		*slot = (int)++d->nsus;
		pr_warn("suspect: %s %d '%s' (%s) grows %.0f B/s, %s", kind, pid, comm, component,
			v->slope_bytes_per_s, detect__pattern_name(v->pattern));
	}
	s = &d->sus[*slot - 1];
	s->pw = pw;
	if (!v->leak)
		s->cleared = false;	/* judged anew from here */
	leak = v->leak && !s->cleared;
	if (leak) {
		s->pattern = v->pattern;
		s->baseline = baseline;
		s->m.from_s = v->from_s;
		s->m.to_s = v->to_s;
		s->m.pattern = detect__pattern_name(v->pattern);
		s->m.algo = detect__algo_name(v->algo);
		s->m.slope_bytes_per_s = v->slope_bytes_per_s;
		s->m.r2 = v->r2;
		s->m.time_to_threshold_s = v->time_to_threshold_s;
		s->m.severity = _severity(d, v, pivot);
	}
	if (leak)
		_growth_follow(d, s);
	s->m.threshold_bytes = d->threshold;
	s->m.rss_bytes = rss;
	s->m.pivot_severity = pivot;
	if (s->m.active != leak || leak)
		s->dirty = true;
	s->m.active = leak;
	return 0;
}

static uint64_t _rss(const struct procmem *m)
{
	return m->anon + m->file + m->shmem;
}

static int _detect(struct dmn *d, double now)
{
	struct watch_params wp = {
		.algos = d->algos, .nalgos = d->nalgos, .scale_s = d->cfg.scale_s,
		.interval_s = d->cfg.interval_s * d->stretch, .threshold = d->threshold,
		.min_samples = d->cfg.min_samples,
	};
	double *vals = NULL;
	size_t cap = 0;
	int err = 0;

	/* components: their series, their pivot */
	for (size_t k = 0; k < d->ncw && !err; k++) {
		const struct collector_component *c = collector__component(d->col, k);
		struct cwatch *cw = &d->cw[k];
		size_t n = 0;

		if (!cw->serial || (!c->live && !watch__len(&cw->w)))
			continue;
		if ((err = watch__push(&cw->w, now, (double)c->rss)))
			break;
		/* the instances' usage */
		for (size_t i = 0; i < collector__nprocs(d->col); i++) {
			const struct collector_proc *p = collector__proc(d->col, i);

			if (!p || p->component != k)
				continue;
			if (VEC_RESERVE(vals, cap, n + 1)) {
				err = -ENOMEM;
				break;
			}
			vals[n++] = (double)_rss(&p->mem);
		}
		if (err)
			break;
		pivot__add(&cw->pivot, now, vals, n);
		pivot__evaluate(&cw->pivot, &cw->pv);
		err = watch__judge(&cw->w, &wp, &cw->v);
		d->detect_runs++;
		if (!err)
			err = _suspect(d, &cw->suspect, "component", 0, 0, c->comm, c->key, &cw->v,
				       cw->pv.severity, (double)c->rss, now, 0, 0);
	}
	free(vals);
	/* processes */
	for (size_t i = 0; i < d->npw && !err; i++) {
		struct pwatch *w = &d->pw[i];
		const struct collector_component *c;
		double pivot;

		if (!w->used || !w->alive)
			continue;
		c = collector__component(d->col, w->component);
		pivot = w->component < d->ncw ? d->cw[w->component].pv.severity : 0;
		err = watch__judge(&w->w, &wp, &w->v);
		d->detect_runs++;
		if (!err)
			err = _suspect(d, &w->suspect, "process", w->pid, w->start, c->comm, c->key,
				       &w->v, pivot, watch__last(&w->w), now, (int)i + 1,
				       watch__min_since(&w->w, w->v.from_s));
	}
	return err;
}

/* --- the store ------------------------------------------------------------- */

static int _cg_entity(struct dmn *d, const char *path, double now, int64_t *id)
{
	uint64_t h = hash__str(path);
	int64_t k = hashmap__find(&d->cg_by_path, h, path, _cg_eq, d);
	struct db_entity e = { .kind = "cgroup", .key = path, .cgroup = path };
	int err;

	if (k >= 0) {
		*id = d->cg_ids[k];
		return 0;
	}
	err = db__entity(d->db, &e, now, id);
	if (err)
		return err;
	if (VEC_RESERVE(d->cg_paths, d->cg_known_cap, d->ncg_known + 1) ||
	    VEC_RESERVE(d->cg_ids, d->cg_ids_cap, d->ncg_known + 1))
		return -ENOMEM;
	snprintf(d->cg_paths[d->ncg_known], sizeof(d->cg_paths[0]), "%s", path);
	d->cg_ids[d->ncg_known] = *id;
	if (hashmap__add(&d->cg_by_path, h, (uint32_t)d->ncg_known))
		return -ENOMEM;
	d->ncg_known++;
	return 0;
}

static int _store(struct dmn *d, double now)
{
	const struct meminfo *host = collector__host(d->col);
	struct db_sample s = { 0 };
	int64_t tick, rows_entity;
	char key[64];
	int err = db__begin(d->db, now, &tick);

	if (err)
		return err;
	if (d->host_entity < 0) {
		struct db_entity e = { .kind = "host", .key = "host" };

		err = db__entity(d->db, &e, now, &d->host_entity);
	}
	s.rss = host->total - host->available;
	s.anon = host->available;	/* host row: rss = used, anon = MemAvailable */
	if (!err)
		err = db__sample(d->db, d->host_entity, &s);
	for (size_t i = 0; !err && i < collector__ncgroups(d->col); i++) {
		const struct collector_cgroup *g = collector__cgroup(d->col, i);

		err = _cg_entity(d, g->path, now, &rows_entity);
		memset(&s, 0, sizeof(s));
		s.rss = g->use.usage;
		if (!err)
			err = db__sample(d->db, rows_entity, &s);
	}
	for (size_t k = 0; !err && k < d->ncw; k++) {
		const struct collector_component *c = collector__component(d->col, k);
		struct cwatch *cw = &d->cw[k];

		if (!c->live)
			continue;
		if (cw->entity < 0) {
			struct db_entity e = { .kind = "component", .key = c->key, .comm = c->comm,
					       .build_id = c->build_id, .unit = c->unit,
					       .cgroup = c->cgroup };

			err = db__entity(d->db, &e, now, &cw->entity);
		}
		memset(&s, 0, sizeof(s));
		s.rss = c->rss;
		s.swap = c->swap;
		if (!err)
			err = db__sample(d->db, cw->entity, &s);
	}
	for (size_t i = 0; !err && i < d->npw; i++) {
		struct pwatch *w = &d->pw[i];
		const struct collector_component *c;

		if (!w->used || !w->alive || w->gen != d->gen)
			continue;
		s = (struct db_sample){ .rss = _rss(&w->mem), .anon = w->mem.anon,
					.file = w->mem.file, .shmem = w->mem.shmem,
					.swap = w->mem.swap };
		c = collector__component(d->col, w->component);
		if (w->entity < 0) {
			struct db_entity e = { .kind = "process", .key = key, .pid = w->pid,
					       .start = w->start, .comm = c->comm,
					       .component = c->key, .build_id = c->build_id,
					       .unit = c->unit, .cgroup = c->cgroup };

			snprintf(key, sizeof(key), "%d:%llu", w->pid, (unsigned long long)w->start);
			err = db__entity(d->db, &e, now, &w->entity);
		}
		if (!err)
			err = db__sample(d->db, w->entity, &s);
		if (!err && w->suspect && d->sus[w->suspect - 1].dirty)
			d->sus[w->suspect - 1].entity = w->entity;
	}
	for (size_t k = 0; !err && k < d->ncw; k++)
		if (d->cw[k].suspect && d->sus[d->cw[k].suspect - 1].dirty)
			d->sus[d->cw[k].suspect - 1].entity = d->cw[k].entity;
	for (size_t i = 0; !err && i < d->nsus; i++) {
		struct suspect *x = &d->sus[i];

		if (!x->dirty || x->entity < 0)
			continue;
		x->m.comm = x->comm;
		x->m.component = x->component;
		err = db__suspect(d->db, x->entity, &x->m);
		if (!err)
			err = db__verdict(d->db, x->entity, x->m.algo ? x->m.algo : "seep",
					  x->m.active, x->m.pattern ? x->m.pattern : "steady",
					  x->m.slope_bytes_per_s, x->m.r2, x->m.time_to_threshold_s);
		x->dirty = false;
	}
	if (err) {
		db__rollback(d->db);
		return err;
	}
	err = db__commit(d->db);
	if (!err)
		pr_info("committed tick %lld", (long long)tick);
	return err;
}

/* --- the model -------------------------------------------------------------- */

static int _cmp_rss(const void *a, const void *b)
{
	const struct mx_proc *x = a, *y = b;
	uint64_t rx = x->anon + x->file + x->shmem, ry = y->anon + y->file + y->shmem;

	return rx < ry ? 1 : rx > ry ? -1 : x->pid - y->pid;
}

static void _self_cost(struct dmn *d, double now_mono)
{
	struct rusage ru;
	char buf[256];
	unsigned long long size = 0, res = 0;
	double cpu, bpf_ns = 0, dt;
	int stats_on = 0;
	size_t n = 0;

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	if (sysfile__read("/proc/self/statm", buf, sizeof(buf)) > 0)
		sscanf(buf, "%llu %llu", &size, &res);
	collector__bpf_costs(d->col, d->costs, TELEMETRY_NPROGS, &n, &stats_on);
	if (d->gp) {
		int on = 0;

		if (!growthprobe__costs(d->gp, d->costs + n, &on)) {
			n += GROWTHPROBE_NPROGS;
			stats_on = stats_on || on;
		}
	}
	for (size_t i = 0; i < n; i++) {
		d->progs[i] = (struct mx_prog){ .name = d->costs[i].name,
						.attached = d->costs[i].attached,
						.run_time_ns = d->costs[i].run_time_ns,
						.run_cnt = d->costs[i].run_cnt,
						.recursion_misses = d->costs[i].recursion_misses };
		bpf_ns += (double)d->costs[i].run_time_ns;
	}
	dt = now_mono - d->last_wall;
	if (d->last_wall > 0 && dt > 0) {
		d->model.self.cpu_share = (cpu - d->last_cpu) / dt;
		d->model.self.bpf_cpu_share = (bpf_ns - d->last_bpf_ns) * 1e-9 / dt;
	}
	d->last_cpu = cpu;
	d->last_wall = now_mono;
	d->last_bpf_ns = bpf_ns;
	d->model.self.cpu_seconds = cpu;
	d->model.self.rss_bytes = res * (unsigned long long)sysconf(_SC_PAGESIZE);
	d->model.self.rss_peak_bytes = (uint64_t)ru.ru_maxrss * 1024;
	d->model.self.rss_budget_bytes = d->cfg.rss_budget;
	{
		struct mallinfo2 mi = mallinfo2();

		d->model.self.heap_bytes = mi.uordblks + mi.hblkhd;
	}
	d->model.self.store_memory_bytes = db__memory();
	if (d->model.self.rss_bytes > d->cfg.rss_budget) {
		if (!d->model.self.rss_over_budget++)
			pr_warn("own resident memory %.1f MiB over its budget of %.1f MiB (heap %.1f"
				" MiB in use, SQLite %.1f MiB, %zu collections running)",
				d->model.self.rss_bytes / 1048576.0, d->cfg.rss_budget / 1048576.0,
				d->model.self.heap_bytes / 1048576.0,
				d->model.self.store_memory_bytes / 1048576.0,
				collects__running(d->coll));
	}
	d->model.self.progs = d->progs;
	d->model.self.nprogs = n;
	d->model.self.bpf_stats_on = stats_on;
}

/* What the model shows of the configuration and the back-off (also right
 * after a reload, before the next interval). */
static void _model_config(struct dmn *d)
{
	d->model.self.interval_s = d->cfg.interval_s;
	d->model.self.effective_interval_s = d->cfg.interval_s * d->stretch;
	d->model.self.backoff_level = d->backoff;
	d->model.self.cpu_budget = d->cfg.cpu_budget;
	d->model.self.rss_budget_bytes = d->cfg.rss_budget;
	d->model.top_n = d->cfg.top_n;
	d->model.max_cgroups = d->cfg.max_cgroups;
	d->model.max_series = d->cfg.max_series;
	d->model.host = d->host;
}

static int _model(struct dmn *d, double now)
{
	const struct collector_stats *cs = collector__stats(d->col);
	size_t np = 0;

	d->model.now_s = now;
	d->model.host_total = collector__host(d->col)->total;
	d->model.host_available = collector__host(d->col)->available;
	if (VEC_RESERVE(d->mprocs, d->mprocs_cap, collector__nprocs(d->col) + 1) ||
	    VEC_RESERVE(d->mcomps, d->mcomps_cap, collector__ncomponents(d->col) + 1) ||
	    VEC_RESERVE(d->mcgs, d->mcgs_cap, collector__ncgroups(d->col) + 1) ||
	    VEC_RESERVE(d->msus, d->msus_cap, d->nsus + 1))
		return -ENOMEM;
	for (size_t i = 0; i < collector__nprocs(d->col); i++) {
		const struct collector_proc *p = collector__proc(d->col, i);
		int64_t id;

		if (!p || !_in_scope(d, p))
			continue;
		id = hashmap__find(&d->pw_by_pid, _pid_hash(p->pid), &p->pid, _pw_eq, d);
		d->mprocs[np++] = (struct mx_proc){
			.pid = p->pid, .start = p->start, .start_s = p->start_s, .comm = p->comm,
			.component = p->component, .anon = p->mem.anon, .file = p->mem.file,
			.shmem = p->mem.shmem, .swap = p->mem.swap,
			.suspect = id >= 0 && d->pw[id].suspect &&
				   d->sus[d->pw[id].suspect - 1].m.active,
		};
	}
	qsort(d->mprocs, np, sizeof(*d->mprocs), _cmp_rss);
	d->model.procs = d->mprocs;
	d->model.nprocs = np;
	for (size_t k = 0; k < collector__ncomponents(d->col); k++) {
		const struct collector_component *c = collector__component(d->col, k);
		const struct cwatch *cw = k < d->ncw ? &d->cw[k] : NULL;
		struct mx_component *m = &d->mcomps[k];

		*m = (struct mx_component){
			.key = c->key, .comm = c->comm, .build_id = c->build_id, .unit = c->unit,
			.cgroup = c->cgroup, .live = c->live, .rss = c->rss, .swap = c->swap,
			.started = c->started, .exited = c->exited, .short_lived = c->short_lived,
		};
		if (cw) {
			m->pivot_ready = cw->pv.ready;
			m->pivot_anomalous = cw->pv.anomalous;
			m->pivot_severity = cw->pv.severity;
			m->pivot_lo = cw->pv.buckets[cw->pv.worst].lo;
			m->pivot_hi = cw->pv.buckets[cw->pv.worst].hi;
			m->pivot_z = cw->pv.buckets[cw->pv.worst].z;
			m->suspect = cw->suspect && d->sus[cw->suspect - 1].m.active;
		}
	}
	d->model.components = d->mcomps;
	d->model.ncomponents = collector__ncomponents(d->col);
	for (size_t i = 0; i < collector__ncgroups(d->col); i++) {
		const struct collector_cgroup *g = collector__cgroup(d->col, i);

		d->mcgs[i] = (struct mx_cgroup){ .path = g->path, .usage = g->use.usage,
						 .limit = g->use.limit };
	}
	d->model.cgroups = d->mcgs;
	d->model.ncgroups = collector__ncgroups(d->col);
	for (size_t i = 0; i < d->nsus; i++) {
		struct suspect *x = &d->sus[i];

		if (_growth_view(d, x))
			return -ENOMEM;
		d->msus[i] = x->m;
		d->msus[i].comm = x->comm;
		d->msus[i].component = x->component;
		d->msus[i].growth = x->gs;
		d->msus[i].ngrowth = x->gv.nstacks < GROWTH_TOP ? x->gv.nstacks : GROWTH_TOP;
	}
	d->model.suspects = d->msus;
	d->model.nsuspects = d->nsus;
	_model_config(d);
	d->model.self.samples = cs->samples;
	d->model.self.sample_seconds = d->sample_s;
	d->model.self.detect_seconds = d->detect_s;
	d->model.self.store_seconds = d->store_s;
	d->model.self.store_bytes = db__bytes(d->db);
	d->model.self.store_commits = db__commits(d->db);
	d->model.self.store_errors = d->store_errors;
	d->model.self.proc_reads = cs->proc_reads;
	d->model.self.proc_errors = cs->proc_errors;
	d->model.self.pid_reuse = cs->pid_reuse;
	d->model.self.bpf_loaded = cs->bpf_on;
	d->model.self.rss_bpf = cs->rss_bpf;
	d->model.self.bpf_rss_events = cs->bpf_stats[SEEP_TEL_STAT_RSS_EVENTS];
	d->model.self.bpf_map_full = cs->bpf_stats[SEEP_TEL_STAT_MAP_FULL];
	d->model.self.bpf_no_owner = cs->bpf_stats[SEEP_TEL_STAT_NO_OWNER];
	d->model.self.bpf_ring_full = cs->bpf_stats[SEEP_TEL_STAT_RING_FULL];
	d->model.self.bpf_lifecycle = cs->bpf_stats[SEEP_TEL_STAT_LIFECYCLE];
	d->model.self.detect_runs = d->detect_runs;
	d->model.self.rss_cap_bytes = d->cfg.rss_cap;
	d->model.self.rss_cap_intervals = d->cap_over;
	d->model.self.cap_components = d->cap_components;
	d->model.self.cap_series = d->cap_series;
	d->model.self.components_pruned = cs->components_pruned;
	if (!d->model.self.bpf_step)
		d->model.self.bpf_step = budget__bpf_level_name(d->bs.bpf_level);
	d->model.self.growth_mode = growth_modes[d->growth_mode];
	d->model.self.growth_loaded = d->gp != NULL;
	d->model.self.growth_watched = d->nwatched;
	if (d->gp) {
		uint64_t st[SEEP_TEL_NSTATS];

		if (!growthprobe__stats(d->gp, st)) {
			d->model.self.growth_bpf_events = st[SEEP_TEL_STAT_GROWTH_EVENTS];
			d->model.self.growth_bpf_samples = st[SEEP_TEL_STAT_GROWTH_SAMPLES];
			d->model.self.growth_bpf_ring_full = st[SEEP_TEL_STAT_GROWTH_RING_FULL];
		}
	}
	if (d->gr) {
		const struct growth_stats *gs = growth__stats(d->gr);

		d->model.self.growth_stacks_added = gs->events;
		d->model.self.growth_dropped = gs->dropped;
		d->model.self.growth_unwind_failed = gs->unwind_failed;
		d->model.self.growth_truncated = gs->truncated;
	}
	free(d->metrics_text);
	d->metrics_text = NULL;
	return prom__render(&d->model, &d->metrics_text, &d->metrics_len);
}

/* --- the memory cap ----------------------------------------------------------- */

static int _cmp_pw_rss(const void *a, const void *b, void *ctx)
{
	const struct dmn *d = ctx;
	uint64_t x = _rss(&d->pw[*(const uint32_t *)a].mem), y = _rss(&d->pw[*(const uint32_t *)b].mem);

	return x < y ? -1 : x > y;
}

/* budget.rss_cap: an interval that ends above it forgets every idle
 * component at once, then sheds the series of the smallest processes that
 * are not suspects (a quarter of those kept, at least one): no series is
 * kept for them again until they end (their samples still go to the store
 * and the metrics). Counted and logged. */
static void _memory_cap(struct dmn *d)
{
	uint32_t *idx = NULL;
	size_t n = 0, cap = 0, shed, comps;

	if (!d->cfg.rss_cap || d->model.self.rss_bytes <= d->cfg.rss_cap)
		return;
	d->cap_over++;
	comps = collector__prune_idle(d->col);
	d->cap_components += comps;
	for (size_t i = 0; i < d->npw; i++) {
		const struct pwatch *w = &d->pw[i];

		if (!w->used || !w->alive || w->shed || w->suspect)
			continue;
		if (VEC_RESERVE(idx, cap, n + 1))
			break;
		idx[n++] = (uint32_t)i;
	}
	if (n)	/* no array at all when every series is shed already */
		qsort_r(idx, n, sizeof(*idx), _cmp_pw_rss, d);
	shed = n ? (n / 4 > 0 ? n / 4 : 1) : 0;
	for (size_t k = 0; k < shed; k++) {
		struct pwatch *w = &d->pw[idx[k]];

		watch__release(&w->w);	/* a released watch keeps nothing */
		w->shed = true;
		if (d->gr && d->growth_mode == GROWTH_ALL)
			growth__forget(d->gr, w->pid);
	}
	d->cap_series += shed;
	free(idx);
	malloc_trim(0);
	if (d->cap_over & (d->cap_over - 1))
		return;	/* logged the 1st, 2nd, 4th, 8th ... time */
	pr_warn("own resident memory %.1f MiB over its cap of %.1f MiB: %zu idle components"
		" forgotten, the series of the %zu smallest processes shed (%llu and %llu so far)",
		d->model.self.rss_bytes / 1048576.0, d->cfg.rss_cap / 1048576.0, comps, shed,
		(unsigned long long)d->cap_components, (unsigned long long)d->cap_series);
}

/* The BPF steps the daemon has programs for: without growth probes, the
 * ladder starts at rss_stat. */
static void _budget_init(struct dmn *d)
{
	budget_params__defaults(&d->bp, d->cfg.cpu_budget, d->cfg.bpf_budget);
	budget_state__init(&d->bs, &d->bp);
}

static void _budget_skip(struct dmn *d)
{
	d->bp.bpf_skip = d->gp ? 0 : 1u << BUDGET_BPF_SAMPLED | 1u << BUDGET_BPF_NO_GROWTH;
}

/* The growth probes sampling every SAMPLE_BYTES: a new object, a new ring
 * on the loop; on failure the growth stacks are off. */
static int _growth_resample(struct dmn *d, uint64_t sample_bytes)
{
	char msg[512];
	int err;

	evloop__remove_fd(d->loop, growthprobe__fd(d->gp));
	err = growthprobe__resample(d->gp, sample_bytes, msg, sizeof(msg));
	if (!err)
		err = evloop__add_fd(d->loop, growthprobe__fd(d->gp), EPOLLIN, _on_growth, d);
	if (err) {
		pr_warn("growth stacks off: cannot sample them every %llu bytes: %s",
			(unsigned long long)sample_bytes, err == -ENOMEM ? strerror(-err) : msg);
		growthprobe__free(d->gp);
		d->gp = NULL;
		return err;
	}
	growth__set_sample_bytes(d->gr, sample_bytes);
	return 0;
}

/* Carries out one BPF step: DOWN to LEVEL, or up from FROM. */
static int _bpf_step(struct dmn *d, bool down, int level, int from)
{
	int step = down ? level : from;

	switch (step) {
	case BUDGET_BPF_SAMPLED:
		if (!d->gp)
			return 0;
		return _growth_resample(d, down ? d->growth_sample * 8 : d->growth_sample);
	case BUDGET_BPF_NO_GROWTH:
		if (!d->gp)
			return 0;
		return down ? growthprobe__detach(d->gp) : growthprobe__attach(d->gp);
	case BUDGET_BPF_NO_RSS:
		return down ? collector__rss_off(d->col) : collector__rss_on(d->col);
	case BUDGET_BPF_NONE:
		return down ? collector__lifecycle_off(d->col) : collector__lifecycle_on(d->col);
	}
	return 0;
}

static const char *const bpf_step_what[BUDGET_BPF_NLEVELS] = {
	[BUDGET_BPF_SAMPLED] = "growth probes sampling 8 times less often",
	[BUDGET_BPF_NO_GROWTH] = "growth probes detached",
	[BUDGET_BPF_NO_RSS] = "rss_stat detached, memory from /proc",
	[BUDGET_BPF_NONE] = "sched_process_* detached, tier 0 from /proc alone",
};

/* The budget (daemon/budget.h): back off when over it, recover when well
 * under it for a while; every step is logged and exported. */
static void _budget(struct dmn *d)
{
	const struct mx_self *m = &d->model.self;
	unsigned act;
	int err;

	_budget_skip(d);
	act = budget__step(&d->bp, &d->bs, m->cpu_share, m->bpf_cpu_share);
	if (act & BUDGET_STRETCH)
		pr_warn("over the CPU budget (%.2f%% of a core > %.2f%%): interval now %gs",
			100 * m->cpu_share, 100 * d->cfg.cpu_budget,
			d->cfg.interval_s * d->bs.stretch);
	if (act & BUDGET_SHRINK)
		pr_warn("back under the CPU budget (%.2f%% of a core < half of %.2f%% for %d"
			" intervals): interval now %gs", 100 * m->cpu_share,
			100 * d->cfg.cpu_budget, d->bp.recover, d->cfg.interval_s * d->bs.stretch);
	if (act & BUDGET_BPF_DOWN) {
		pr_warn("BPF over its budget (%.2f%% of a core > %.2f%%): %s (step '%s')%s",
			100 * m->bpf_cpu_share, 100 * d->cfg.bpf_budget,
			bpf_step_what[d->bs.bpf_level], budget__bpf_level_name(d->bs.bpf_level),
			d->bp.reattach_hold ? "" : " until a restart");
		if ((err = _bpf_step(d, true, d->bs.bpf_level, d->bs.bpf_from)))
			pr_warn("cannot take the BPF step '%s': %s",
				budget__bpf_level_name(d->bs.bpf_level), strerror(-err));
	}
	if (act & BUDGET_BPF_UP) {
		err = _bpf_step(d, false, d->bs.bpf_level, d->bs.bpf_from);
		if (err) {
			pr_warn("cannot undo the BPF step '%s': %s (it stays)",
				budget__bpf_level_name(d->bs.bpf_from), strerror(-err));
			budget__up_failed(&d->bp, &d->bs);
		} else {
			pr_warn("BPF back under its budget (%.2f%% of a core < half of %.2f%%):"
				" step '%s' undone, now '%s'", 100 * m->bpf_cpu_share,
				100 * d->cfg.bpf_budget, budget__bpf_level_name(d->bs.bpf_from),
				budget__bpf_level_name(d->bs.bpf_level));
		}
	}
	d->stretch = d->bs.stretch;
	d->backoff = budget__level(&d->bs);
	d->model.self.backoff_shrinks = d->bs.shrinks;
	d->model.self.bpf_step = budget__bpf_level_name(d->bs.bpf_level);
	d->model.self.bpf_downs = d->bs.downs;
	d->model.self.bpf_ups = d->bs.ups;
}

/* --- tier 2: triggers and collections -------------------------------------- */

static struct suspect *_proc_suspect(struct dmn *d, int pid, uint64_t start)
{
	int64_t id = hashmap__find(&d->pw_by_pid, _pid_hash(pid), &pid, _pw_eq, d);

	if (id < 0 || d->pw[id].start != start || !d->pw[id].suspect)
		return NULL;
	return &d->sus[d->pw[id].suspect - 1];
}

static int _rss_of(int pid, uint64_t start, double *rss, void *ctx)
{
	struct dmn *d = ctx;
	int64_t id = hashmap__find(&d->pw_by_pid, _pid_hash(pid), &pid, _pw_eq, d);

	if (id < 0 || d->pw[id].start != start || !d->pw[id].alive)
		return -ESRCH;
	*rss = (double)_rss(&d->pw[id].mem);
	return 0;
}

/* A collection stopped: a spike that came back down clears its suspect. */
static void _collect_done(int pid, uint64_t start, const char *reason, void *ctx)
{
	struct dmn *d = ctx;
	struct suspect *s;

	if (strcmp(reason, "spike_receded") || !(s = _proc_suspect(d, pid, start)))
		return;
	s->cleared = true;
	s->m.active = false;
	s->dirty = true;
	_growth_drop(d, s);
	pr_warn("suspect: process %d '%s' cleared: its spike came back down", pid, s->comm);
}

static void _request_of(const struct dmn *d, const struct suspect *s, enum collect_trigger t,
			struct collect_request *r)
{
	*r = (struct collect_request){
		.pid = s->m.pid, .start = s->m.start, .comm = s->comm, .trigger = t,
		.pattern = s->pattern, .algo = s->m.algo, .severity = s->m.severity,
		.slope_bytes_per_s = s->m.slope_bytes_per_s, .from_s = s->m.from_s,
		.to_s = s->m.to_s, .baseline_bytes = s->baseline, .entity = -1,
	};
	if (s->pw && d->pw[s->pw - 1].used)
		r->entity = d->pw[s->pw - 1].entity;
}

static int _cmp_severity(const void *a, const void *b, void *ctx)
{
	const struct dmn *d = ctx;
	double x = d->sus[*(const size_t *)a].m.severity, y = d->sus[*(const size_t *)b].m.severity;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The active, living process suspects, most severe first, into *IDX. */
static size_t _ranked(struct dmn *d, size_t **idx, size_t *cap)
{
	size_t n = 0;

	if (VEC_RESERVE(*idx, *cap, d->nsus + 1))
		return 0;
	for (size_t i = 0; i < d->nsus; i++)
		if (d->sus[i].m.pid > 0 && d->sus[i].m.active && d->sus[i].m.alive)
			(*idx)[n++] = i;
	qsort_r(*idx, n, sizeof(**idx), _cmp_severity, d);
	return n;
}

/* COMM may be collected (collect.comms lists it, or is empty). */
static bool _collectable(const struct dmn *d, const char *comm)
{
	const char *p = d->cfg.collect_comms;
	size_t n = strlen(comm);

	if (!*p)
		return true;
	while (*p) {
		size_t k = strcspn(p, ",");

		if (k == n && !strncmp(p, comm, n))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* Starts collections of the top-k suspects (or, under pressure with no
 * suspect, of the largest process) for trigger T. */
static void _trigger(struct dmn *d, enum collect_trigger t, double now)
{
	size_t *idx = NULL, cap = 0, n = _ranked(d, &idx, &cap), started = 0;
	struct collect_request r;
	char msg[256];

	for (size_t k = 0; k < n && k < d->cfg.collect_top_k; k++) {
		const struct suspect *s = &d->sus[idx[k]];

		if (collects__known(d->coll, s->m.pid, s->m.start) || !_collectable(d, s->comm))
			continue;
		if (collects__running(d->coll) >= d->cfg.collect_max_active) {
			if (t != COLLECT_LEAK)
				collects__refused(d->coll);
			break;
		}
		_request_of(d, s, t, &r);
		if (collects__start(d->coll, &r, now, msg, sizeof(msg)))
			pr_warn("cannot collect the heap of pid %d: %s", s->m.pid, msg);
		else
			started++;
	}
	free(idx);
	if (t != COLLECT_PRESSURE || started || n)
		return;
	/* pressure and no suspect: the largest process but ourselves */
	for (size_t i = 0; i < d->model.nprocs; i++) {
		const struct mx_proc *p = &d->model.procs[i];

		if (p->pid == getpid() || !_collectable(d, p->comm))
			continue;
		r = (struct collect_request){ .pid = p->pid, .start = p->start, .comm = p->comm,
					      .trigger = t, .pattern = PATTERN_STEADY,
					      .entity = -1 };
		if (collects__start(d->coll, &r, now, msg, sizeof(msg)))
			pr_warn("cannot collect the heap of pid %d: %s", p->pid, msg);
		break;
	}
}

/* A memory event of CGROUP: the largest collectable process in it (by the
 * last sample) that was never collected, with its suspect's rule if any. */
static void _on_memevent(const char *cgroup, const char *event, void *ctx)
{
	struct dmn *d = ctx;
	const struct collector_proc *best = NULL;
	struct collect_request r;
	const struct suspect *s;
	char msg[256];

	d->cgroup_events++;
	pr_warn("cgroup '%s': memory event '%s'", cgroup, event);
	for (size_t i = 0; i < collector__nprocs(d->col); i++) {
		const struct collector_proc *p = collector__proc(d->col, i);

		if (!p || !p->alive || p->pid == getpid() || strcmp(p->cgroup, cgroup) ||
		    !_collectable(d, p->comm) || collects__known(d->coll, p->pid, p->start))
			continue;
		if (!best || _rss(&p->mem) > _rss(&best->mem))
			best = p;
	}
	if (!best)
		return;
	r = (struct collect_request){ .pid = best->pid, .start = best->start, .comm = best->comm,
				      .trigger = COLLECT_CGROUP, .pattern = PATTERN_STEADY,
				      .entity = -1 };
	if ((s = _proc_suspect(d, best->pid, best->start)) && s->m.active)
		_request_of(d, s, COLLECT_CGROUP, &r);
	if (collects__start(d->coll, &r, clock__wall_s(), msg, sizeof(msg)))
		pr_warn("cannot collect the heap of pid %d: %s", best->pid, msg);
}

/* The OOM killer chose PID: a traced victim's last snapshot, now. */
static void _on_oom(int pid, uint64_t rss_bytes, void *ctx)
{
	struct dmn *d = ctx;

	d->oom_victims++;
	pr_warn("oom: the kernel chose pid %d (%llu bytes resident) as its victim", pid,
		(unsigned long long)rss_bytes);
	collects__oom_victim(d->coll, pid);
}

/* The cgroups with a memory limit, watched for memory events. */
static void _memevents_sync(struct dmn *d)
{
	if (!d->mev)
		return;
	memevents__begin(d->mev);
	for (size_t i = 0; i < collector__ncgroups(d->col); i++) {
		const struct collector_cgroup *g = collector__cgroup(d->col, i);

		if (g->use.limit != UINT64_MAX && strcmp(g->path, "/"))
			memevents__watch(d->mev, g->path, g->use.limit);
	}
	memevents__end(d->mev);
	memevents__check(d->mev);
}

/* A round of reference snapshots: one healthy (never suspected) process
 * of each component with a build ID, up to reference.count, while slots
 * are free. */
static void _references(struct dmn *d, double now)
{
	uint32_t started = 0;
	char msg[256];

	if (d->cfg.ref_every_s <= 0 || now - d->last_ref < d->cfg.ref_every_s)
		return;
	d->last_ref = now;
	for (size_t k = 0; k < collector__ncomponents(d->col) && started < d->cfg.ref_count;
	     k++) {
		const struct collector_component *c = collector__component(d->col, k);
		const struct collector_proc *pick = NULL;

		if (!c->build_id[0] || !c->live || !_collectable(d, c->comm) ||
		    (k < d->model.ncomponents && d->model.components[k].suspect))
			continue;
		for (size_t i = 0; i < collector__nprocs(d->col) && !pick; i++) {
			const struct collector_proc *p = collector__proc(d->col, i);

			if (p && p->alive && !p->folded && p->component == k &&
			    p->pid != getpid() && !_proc_suspect(d, p->pid, p->start))
				pick = p;
		}
		if (!pick)
			continue;
		if (collects__running(d->coll) >= d->cfg.collect_max_active)
			break;
		if (collects__reference(d->coll, pick->pid, pick->start, c->build_id, now, msg,
					sizeof(msg)))
			pr_warn("cannot take a reference snapshot of pid %d: %s", pick->pid, msg);
		else
			started++;
	}
}

/* Tier 4: every living suspect, with its last verdict, to the mitigation
 * engine (daemon/mitigation.h); off, nothing. */
static void _mitigate(struct dmn *d, double now)
{
	char id[600];

	if (!d->mit)
		return;
	dmit__begin(d->mit);
	for (size_t i = 0; i < d->nsus; i++) {
		const struct suspect *s = &d->sus[i];
		const struct watch_verdict *v = NULL;
		const struct collector_component *c = NULL;
		const struct collector_proc *best = NULL;
		struct mitigate_target t;

		if (s->m.pid > 0 && s->pw && d->pw[s->pw - 1].used && s->m.alive) {
			v = &d->pw[s->pw - 1].v;
			c = collector__component(d->col, d->pw[s->pw - 1].component);
			snprintf(id, sizeof(id), "process:%d:%llu", s->m.pid,
				 (unsigned long long)s->m.start);
		}
		for (size_t k = 0; !v && !s->m.pid && k < d->ncw; k++)
			if (d->cw[k].suspect == (int)i + 1) {
				v = &d->cw[k].v;
				c = collector__component(d->col, k);
				snprintf(id, sizeof(id), "component:%s", c->key);
			}
		if (!v || !c)
			continue;
		for (size_t k = 0; !s->m.pid && k < collector__nprocs(d->col); k++) {
			const struct collector_proc *p = collector__proc(d->col, k);

			if (p && p->alive && !strcmp(p->cgroup, c->cgroup) &&
			    !strcmp(p->comm, c->comm) && (!best || _rss(&p->mem) > _rss(&best->mem)))
				best = p;
		}
		if (!s->m.pid && !best)
			continue;
		t = (struct mitigate_target){
			.id = id, .kind = s->m.kind, .pid = best ? best->pid : s->m.pid,
			.start = best ? best->start : s->m.start, .comm = s->comm, .unit = c->unit,
			.cgroup = c->cgroup, .leak = s->m.active, .pattern = v->pattern,
			.confidence = v->r2, .time_to_limit_s = v->time_to_threshold_s,
			.slope_bytes_per_s = v->slope_bytes_per_s,
		};
		if (dmit__add(d->mit, &t))
			return;
	}
	if (dmit__end(d->mit, now))
		pr_warn("mitigation: cannot evaluate the suspects: %s", strerror(ENOMEM));
	dmit__model(d->mit, &d->model);
}

static void _collect_model(struct dmn *d)
{
	if (collects__model(d->coll, &d->model.collections, &d->model.ncollections,
			    &d->model.collect)) {
		d->model.collections = NULL;
		d->model.ncollections = 0;
	}
}

static int _on_psi(int fd, uint32_t events, void *ctx)
{
	struct dmn *d = ctx;
	double now = clock__wall_s();

	if (events & EPOLLERR) {
		pr_warn("memory pressure trigger: /proc/pressure/memory failed, trigger off");
		evloop__remove_fd(d->loop, fd);
		close(fd);
		d->psi_fd = -1;
		return 0;
	}
	if (!(events & EPOLLPRI))
		return 0;
	collects__psi_event(d->coll);
	if (now - d->last_psi < d->cfg.psi_cooldown_s)
		return 0;
	d->last_psi = now;
	pr_warn("memory pressure: '%s' crossed", d->cfg.psi);
	_trigger(d, COLLECT_PRESSURE, now);
	_collect_model(d);
	return 0;
}

/* The PSI trigger (psi(7)): a threshold written to the pressure file,
 * then POLLPRI each window it is crossed. Off, with a warning, where the
 * kernel has none. */
static void _psi_open(struct dmn *d)
{
	const char *path = "/proc/pressure/memory";
	int fd;

	if (!d->cfg.psi[0])
		return;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || write(fd, d->cfg.psi, strlen(d->cfg.psi) + 1) < 0 ||
	    evloop__add_fd(d->loop, fd, EPOLLPRI, _on_psi, d)) {
		pr_warn("memory pressure trigger off: cannot set '%s' on '%s': %s", d->cfg.psi,
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	d->psi_fd = fd;
	pr_info("memory pressure trigger: '%s' on '%s'", d->cfg.psi, path);
}

/* The growth-stack probes and their aggregation; off, with a warning,
 * where they cannot be loaded. */
static void _growth_open(struct dmn *d)
{
	struct growthprobe_opts o = {
		.mode = d->growth_mode == GROWTH_ALL ? SEEP_TEL_GROWTH_ALL : SEEP_TEL_GROWTH_WATCHED,
	};
	struct growth_config gc = { 0 };
	char msg[512];
	int err;

	err = growthprobe__open(&o, &d->gp, msg, sizeof(msg));
	if (err) {
		pr_warn("growth stacks off: %s", msg);
		return;
	}
	gc.sample_bytes = d->growth_sample = growthprobe__sample_bytes(d->gp);
	err = growth__new(&gc, NULL, &d->gr);
	if (!err)
		err = evloop__add_fd(d->loop, growthprobe__fd(d->gp), EPOLLIN, _on_growth, d);
	if (err) {
		pr_warn("growth stacks off: cannot set them up: %s", strerror(-err));
		growth__free(d->gr);
		growthprobe__free(d->gp);
		d->gr = NULL;
		d->gp = NULL;
		return;
	}
	pr_info("growth stacks: %s (sampled every %llu bytes)", growth_modes[d->growth_mode],
		(unsigned long long)gc.sample_bytes);
}

/* --- out of the host (fleet/) --------------------------------------------- */

/* The host label, remote_write and the profile push, as configured; a
 * store that cannot be set up is a configuration error. */
static int _fleet_open(struct dmn *d, char *msg, size_t msglen)
{
	const struct daemon_config *c = &d->cfg;
	int err;

	if (c->host[0])
		snprintf(d->host, sizeof(d->host), "%s", c->host);
	else if (gethostname(d->host, sizeof(d->host) - 1))
		snprintf(d->host, sizeof(d->host), "localhost");
	if (c->rw_url[0]) {
		char spool[4096], tmp[sizeof(c->store)];
		struct remote_write_config rc = {
			.url = c->rw_url, .host = d->host, .labels = c->rw_labels,
			.interval_s = c->rw_interval_s, .timeout_s = c->rw_timeout_s,
			.spool_dir = spool, .spool_max_bytes = c->rw_spool_max_bytes,
			.min_backoff_s = 0.5, .max_backoff_s = c->rw_max_backoff_s,
		};

		snprintf(tmp, sizeof(tmp), "%s", c->store);
		if (c->rw_spool_dir[0])
			snprintf(spool, sizeof(spool), "%s", c->rw_spool_dir);
		else
			snprintf(spool, sizeof(spool), "%s/remote_write", dirname(tmp));
		if ((err = remote_write__new(&rc, &d->rw, msg, msglen)))
			return err;
		pr_info("remote_write: to '%s', spool '%s' (at most %llu bytes)", c->rw_url, spool,
			(unsigned long long)c->rw_spool_max_bytes);
	}
	if (c->prof_pyroscope[0] || c->prof_parca[0]) {
		struct profpush_config pc = {
			.pyroscope = c->prof_pyroscope, .parca = c->prof_parca, .app = c->prof_app,
			.host = d->host, .labels = c->prof_labels, .timeout_s = c->prof_timeout_s,
			.retries = c->prof_retries, .backoff_s = c->prof_backoff_s,
		};

		if ((err = profpush__new(&pc, &d->pp, msg, msglen)))
			return err;
		pr_info("profile push: Pyroscope '%s', Parca '%s'",
			c->prof_pyroscope[0] ? c->prof_pyroscope : "(none)",
			c->prof_parca[0] ? c->prof_parca : "(none)");
	}
	return 0;
}

/* After the store: this interval's series to the remote_write receiver. */
static void _remote_write(struct dmn *d, double now)
{
	struct remote_write_stats st;
	struct mx_fleet *f = &d->model.fleet;

	if (!d->rw)
		return;
	if (d->metrics_text && remote_write__push(d->rw, d->metrics_text, now))
		pr_warn("remote_write: this interval's series were not queued");
	remote_write__stats(d->rw, &st);
	f->rw_on = true;
	f->rw_sent = st.sent;
	f->rw_failed = st.failed;
	f->rw_retried = st.retried;
	f->rw_dropped = st.dropped;
	f->rw_spool_bytes = st.spool_bytes;
	f->rw_spool_records = st.spool_records;
}

/* After the collections moved: their new snapshots to the profile stores. */
static void _profpush(struct dmn *d, double now)
{
	struct profpush_stats st;
	struct mx_fleet *f = &d->model.fleet;

	if (!d->pp)
		return;
	if (profpush__sync(d->pp, &d->model, now))
		pr_warn("profile push: new snapshots were not queued");
	profpush__stats(d->pp, &st);
	f->push_on = true;
	f->push_sent = st.sent;
	f->push_failed = st.failed;
	f->push_retried = st.retried;
}

static int _tick(struct dmn *d)
{
	double now = clock__wall_s(), t0 = clock__mono_s(), t1;
	size_t running;
	int err;

	d->gen++;
	err = collector__sample(d->col, now);
	if (err) {
		pr_err("cannot sample the host: %s", strerror(-err));
		return err;
	}
	err = _cw_sync(d);
	if (err)
		return err;
	/* process series: alive, not folded */
	for (size_t i = 0; i < collector__nprocs(d->col); i++) {
		const struct collector_proc *p = collector__proc(d->col, i);
		struct pwatch *w;

		if (!p || p->folded || !_in_scope(d, p))
			continue;
		w = _pw_get(d, p);
		if (!w)
			return -ENOMEM;
		w->gen = d->gen;
		w->component = p->component;
		w->mem = p->mem;
		if (watch__push(&w->w, now, (double)_rss(&p->mem)))
			return -ENOMEM;
	}
	/* ended processes (the collector's exits) are no longer listed */
	for (size_t i = 0; i < d->npw; i++)
		if (d->pw[i].used && (d->pw[i].gen != d->gen || !d->pw[i].alive))
			_pw_drop(d, (uint32_t)i);
	t1 = clock__mono_s();
	d->sample_s = t1 - t0;
	err = _detect(d, now);
	if (err)
		return err;
	d->detect_s = clock__mono_s() - t1;
	_trigger(d, COLLECT_LEAK, now);
	_mitigate(d, now);
	_growth_prune(d);
	_memevents_sync(d);
	_references(d, now);
	running = collects__running(d->coll);
	collects__tick(d->coll, now, _rss_of, d);
	/* a finished collection leaves its symbol tables' memory free in the
	 * heap: give it back */
	if (collects__running(d->coll) < running)
		malloc_trim(0);
	_collect_model(d);
	_profpush(d, now);
	_self_cost(d, clock__mono_s());
	_memory_cap(d);
	err = _model(d, now);
	if (err)
		return err;
	t1 = clock__mono_s();
	if (_store(d, now))
		d->store_errors++;
	_remote_write(d, now);
	if (collector__stats(d->col)->samples % 60 == 0) {
		if (db__retain(d->db, now, d->cfg.max_age_s, d->cfg.max_bytes))
			d->store_errors++;
		malloc_trim(0);	/* the process churn's freed series */
	}
	d->store_s = clock__mono_s() - t1;
	_budget(d);
	sd_notifyf(0, "STATUS=%zu processes, %zu suspects, %.2f%% CPU", d->model.nprocs,
		   d->nsus, 100 * d->model.self.cpu_share);
	return 0;
}

/* --- HTTP -------------------------------------------------------------------- */

/* A JSON error body {"error": MSG} with STATUS CODE. */
static int _error(char **body, size_t *len, unsigned *status, unsigned code, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	*body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!*body)
		return -ENOMEM;
	*len = strlen(*body);
	*status = code;
	return 0;
}

/* POST /api/snapshot?pid=N[&pattern=P]: a collection of PID at the user's
 * request, with the rule of pattern P (default: the suspect's, or steady). */
static int _snapshot_request(struct dmn *d, const struct http_request *req, char **body,
			     size_t *len, unsigned *status)
{
	const char *arg = http__arg(req, "pid");
	char msg[256], *end = NULL, *esc = NULL;
	long pid = arg ? strtol(arg, &end, 10) : 0;
	struct collect_request r = { .trigger = COLLECT_REQUEST, .pattern = PATTERN_STEADY,
				     .entity = -1 };
	const struct suspect *s;
	json_t *j;
	int err;

	if (strcmp(req->method, "POST"))
		return _error(body, len, status, 405, "use POST /api/snapshot?pid=N[&pattern=P]");
	if (!arg || !*arg || *end || pid <= 0 || pid > 4194304)
		return _error(body, len, status, 400, "bad value for 'pid' (a process id)");
	r.pid = (int)pid;
	{
		int64_t id = hashmap__find(&d->pw_by_pid, _pid_hash(r.pid), &r.pid, _pw_eq, d);

		s = id >= 0 && d->pw[id].suspect ? &d->sus[d->pw[id].suspect - 1] : NULL;
		if (s && s->m.active) {
			_request_of(d, s, COLLECT_REQUEST, &r);
			r.pattern = s->pattern;
		}
	}
	if ((arg = http__arg(req, "pattern"))) {
		/* the rule asked for: steady, spike, stair or sawtooth */
		int p = PATTERN_STEADY;

		while (p < PATTERN_PLATEAU && strcmp(arg, detect__pattern_name(p)))
			p++;
		if (p == PATTERN_PLATEAU)
			return _error(body, len, status, 400,
				      "bad value for 'pattern' (steady, spike, stair or sawtooth)");
		r.pattern = (enum detect_pattern)p;
	}
	err = collects__start(d->coll, &r, clock__wall_s(), msg, sizeof(msg));
	_collect_model(d);
	if (err)
		return _error(body, len, status,
			      err == -ESRCH ? 404 : err == -EBUSY ? 503 : err == -EALREADY ? 409 : 500,
			      msg);
	{
		const struct mx_collection *c = &d->model.collections[d->model.ncollections - 1];

		*status = 202;
		j = json_pack("{s:I, s:i, s:s, s:s}", "id", (json_int_t)c->id, "pid", c->pid,
			      "dir", c->dir, "pattern", c->pattern);
	}
	esc = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!esc)
		return -ENOMEM;
	*body = esc;
	*len = strlen(esc);
	return 0;
}

/* GET /api/growth[?pid=N[&top=K]]: growth__render_json. */
static int _growth_request(struct dmn *d, const struct http_request *req, char **body,
			   size_t *len, unsigned *status)
{
	const char *pid = http__arg(req, "pid");
	char msg[128];
	int err;

	if (!d->gr)
		return _error(body, len, status, 404,
			      "growth stacks are off (telemetry.growth_stacks, daemon.bpf)");
	err = growth__render_json(d->gr, pid, http__arg(req, "top"), body, len);
	if (err == -ENOENT) {
		snprintf(msg, sizeof(msg), "no growth stacks for pid '%s'", pid ? pid : "");
		return _error(body, len, status, 404, msg);
	}
	if (err == -EINVAL)
		return _error(body, len, status, 400,
			      "bad value for 'pid' or 'top' (a number)");
	return err;
}

static int _handle(const struct http_request *req, char **body, size_t *len, const char **type,
		   unsigned *status, void *ctx)
{
	struct dmn *d = ctx;

	if (!strcmp(req->path, "/metrics")) {
		if (!d->metrics_text)
			return -EAGAIN;
		/* the collections' counters move between intervals */
		_collect_model(d);
		free(d->metrics_text);
		d->metrics_text = NULL;
		if (prom__render(&d->model, &d->metrics_text, &d->metrics_len))
			return -ENOMEM;
		*body = malloc(d->metrics_len + 1);
		if (!*body)
			return -ENOMEM;
		memcpy(*body, d->metrics_text, d->metrics_len + 1);
		*len = d->metrics_len;
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return 0;
	}
	*type = "application/json";
	{	/* GET /api/collections/ID/report.html: its diagnosis as a page (diagnose/html.h) */
		uint64_t id;
		char msg[512];

		if (!strcmp(req->method, "GET") && !html__route(req->path, &id)) {
			const struct mx_collection *c = NULL;

			_collect_model(d);
			for (size_t i = 0; i < d->model.ncollections && !c; i++)
				if (d->model.collections[i].id == id)
					c = &d->model.collections[i];
			if (!c)
				return _error(body, len, status, 404, "no such collection");
			if (!html__render_dir(c->dir, c->dir, body, len, msg, sizeof(msg))) {
				*type = "text/html; charset=utf-8";
				return 0;
			}
			return _error(body, len, status, 409, msg);
		}
	}
	if (!strcmp(req->path, "/api/snapshot"))
		return _snapshot_request(d, req, body, len, status);
	if (!strcmp(req->method, "POST"))
		return _error(body, len, status, 405, "method not allowed");
	if (!strcmp(req->path, "/api/growth"))
		return _growth_request(d, req, body, len, status);
	_collect_model(d);	/* the series may have grown since the interval */
	return api__render(&d->model, req->path, body, len);
}

/* --- the loop ------------------------------------------------------------------ */

static uint64_t _step_ns(const struct dmn *d)
{
	return (uint64_t)(d->cfg.interval_s * d->stretch * 1e9);
}

static int _on_tick(struct evloop_timer *t, void *ctx)
{
	struct dmn *d = ctx;
	uint64_t now = clock__mono_ns();
	int err;

	d->next_tick_ns += _step_ns(d);
	if (d->next_tick_ns <= now)
		d->next_tick_ns = now + _step_ns(d);	/* late: no burst of ticks */
	if ((err = evloop__arm(d->loop, t, d->next_tick_ns)))
		return err;
	err = _tick(d);
	if (!err && d->http)
		http__run(d->http);
	return err;
}

/* libmicrohttpd's own timeouts, whatever the interval. */
static int _on_http_timer(struct evloop_timer *t, void *ctx)
{
	struct dmn *d = ctx;

	http__run(d->http);
	return evloop__arm(d->loop, t, clock__mono_ns() + 1000000000ULL);
}

static int _on_http(int fd, uint32_t events, void *ctx)
{
	struct dmn *d = ctx;

	(void)fd, (void)events;
	http__run(d->http);
	return 0;
}

static void _reload(struct dmn *d)
{
	struct daemon_config next;
	char err[512];
	struct daemon_config keep = d->cfg;

	sd_notify(0, "RELOADING=1");
	if (daemon__config(d->src, &next, err, sizeof(err))) {
		pr_err("cannot reload: %s (configuration unchanged)", err);
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(next.store, d->cfg.store) || strcmp(next.listen, d->cfg.listen) ||
	    next.bpf != d->cfg.bpf || next.history != d->cfg.history ||
	    strcmp(next.growth_stacks, d->cfg.growth_stacks) ||
	    next.pivot_window != d->cfg.pivot_window)
		pr_warn("reload: store, listen, bpf, detect.history, pivot.window and"
			" telemetry.growth_stacks change only with a restart");
	next.store[0] = '\0';
	snprintf(next.store, sizeof(next.store), "%s", keep.store);
	snprintf(next.listen, sizeof(next.listen), "%s", keep.listen);
	next.bpf = keep.bpf;
	snprintf(next.growth_stacks, sizeof(next.growth_stacks), "%s", keep.growth_stacks);
	next.history = keep.history;
	next.pivot_window = keep.pivot_window;
	d->cfg = next;
	if (_apply(d, err, sizeof(err))) {
		pr_err("cannot reload: %s (configuration unchanged)", err);
		d->cfg = keep;
		_apply(d, err, sizeof(err));
	} else {
		d->bp.cpu_budget = d->cfg.cpu_budget;
		d->bp.bpf_budget = d->cfg.bpf_budget;
		_model_config(d);
		pr_info("configuration reloaded");
	}
	sd_notify(0, "READY=1");
}

static int _on_signal(int fd, uint32_t events, void *ctx)
{
	struct dmn *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			_reload(d);
			/* the interval may have changed: the next tick one interval from now */
			d->next_tick_ns = clock__mono_ns() + _step_ns(d);
			evloop__arm(d->loop, &d->tick_timer, d->next_tick_ns);
			continue;
		}
		pr_info("daemon: signal %u, stopping", si.ssi_signo);
		sd_notify(0, "STOPPING=1");
		d->stop = true;
		evloop__stop(d->loop);
		return 0;
	}
	return 0;
}

static void _release(struct dmn *d)
{
	remote_write__free(d->rw);	/* what is queued goes to the spool */
	profpush__free(d->pp);
	oomwatch__free(d->oom);
	memevents__free(d->mev);
	dmit__free(d->mit);
	collects__free(d->coll);	/* last snapshots, probes detached */
	if (d->loop) {
		evloop__disarm(d->loop, &d->tick_timer);
		evloop__disarm(d->loop, &d->http_timer);
		if (d->sfd >= 0)
			evloop__remove_fd(d->loop, d->sfd);
		if (d->psi_fd >= 0)
			evloop__remove_fd(d->loop, d->psi_fd);
		if (d->http)
			evloop__remove_fd(d->loop, http__fd(d->http));
		if (d->gp)
			evloop__remove_fd(d->loop, growthprobe__fd(d->gp));
	}
	growthprobe__free(d->gp);
	growth__free(d->gr);
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->psi_fd >= 0)
		close(d->psi_fd);
	http__free(d->http);
	collector__free(d->col);	/* detaches every BPF program */
	db__free(d->db);
	for (size_t i = 0; i < d->npw; i++)
		watch__release(&d->pw[i].w);
	for (size_t i = 0; i < d->ncw; i++) {
		watch__release(&d->cw[i].w);
		pivot__release(&d->cw[i].pivot);	/* NULL-safe on a zeroed pivot */
	}
	free(d->pw);
	free(d->pw_free);
	free(d->cw);
	for (size_t i = 0; i < d->nsus; i++) {
		growth_view__release(&d->sus[i].gv);
		free(d->sus[i].fns);
	}
	free(d->sus);
	free(d->cg_paths);
	free(d->cg_ids);
	hashmap__release(&d->pw_by_pid);
	hashmap__release(&d->cg_by_path);
	free(d->mprocs);
	free(d->mcomps);
	free(d->mcgs);
	free(d->msus);
	free(d->metrics_text);
	evloop__free(d->loop);
}

int daemon__run(const struct daemon_source *src, const struct daemon_config *cfg)
{
	struct dmn d = { .cfg = *cfg, .src = src, .host_entity = -1, .stretch = 1, .sfd = -1,
			 .psi_fd = -1 };
	struct collector_config cc = { .proc = "/proc", .use_bpf = cfg->bpf,
				       .max_procs = cfg->max_procs, .fold_s = cfg->fold_s,
				       .cgroup_depth = cfg->cgroup_depth,
				       /* idle components go after the fold age or ten intervals */
				       .component_ttl_s = fmax(cfg->fold_s, 10 * cfg->interval_s),
				       .scope_cgroup = d.cfg.scope_cgroup };
	int err;
	char msg[512];
	sigset_t mask;

	hashmap__init(&d.pw_by_pid);
	hashmap__init(&d.cg_by_path);
	umask(077);
	/* Large blocks (libbpf's kernel BTF, 5.5 MiB, parsed at every object
	 * load; symbol tables of a collection) always from mmap and back to the
	 * kernel when freed: glibc's dynamic threshold would otherwise move up
	 * after the first such free and keep the next ones in the heap. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	if ((err = evloop__new(&d.loop))) {
		pr_err("cannot set up the main loop: %s", strerror(-err));
		goto cleanup;
	}
	err = collector__new(&cc, &d.col, msg, sizeof(msg));
	if (err) {
		pr_err("%s", msg);
		goto cleanup;
	}
	err = _apply(&d, msg, sizeof(msg));
	if (err) {
		pr_err("%s", msg);
		goto cleanup;
	}
	_budget_init(&d);
	err = db__open(cfg->store, &d.db, msg, sizeof(msg));
	if (err) {
		pr_err("%s", msg);
		goto cleanup;
	}
	if ((err = _fleet_open(&d, msg, sizeof(msg)))) {	/* the spool beside the store */
		pr_err("%s", msg);
		goto cleanup;
	}
	if (cfg->listen[0]) {
		char addr[64];
		uint16_t port;

		if (http__parse_listen(cfg->listen, addr, sizeof(addr), &port)) {
			pr_err("bad value '%s' for 'daemon.listen' (ADDR:PORT or [IPv6]:PORT)",
			       cfg->listen);
			err = -EINVAL;
			goto cleanup;
		}
		if (!http__is_loopback(addr) && !cfg->listen_public) {
			pr_err("cannot listen on '%s': not a loopback address (the API has no"
			       " authentication; set daemon.listen_public = yes to allow it)",
			       cfg->listen);
			err = -EPERM;
			goto cleanup;
		}
		if (!http__is_loopback(addr))
			pr_warn("listening on '%s', not loopback: anyone who reaches it reads the"
				" host's processes and can start heap collections", cfg->listen);
		err = http__new(addr, port, _handle, &d, &d.http, msg, sizeof(msg));
		if (err) {
			pr_err("%s", msg);
			goto cleanup;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d.sfd < 0) {
		err = -errno;
		pr_err("cannot set up the main loop: %s", strerror(-err));
		goto cleanup;
	}
	if ((err = evloop__add_fd(d.loop, d.sfd, EPOLLIN, _on_signal, &d)) ||
	    (d.http && (err = evloop__add_fd(d.loop, http__fd(d.http), EPOLLIN, _on_http, &d)))) {
		pr_err("cannot set up the main loop: %s", strerror(-err));
		goto cleanup;
	}
	if (!cfg->collect_dir[0]) {
		char tmp[sizeof(cfg->store)];

		snprintf(tmp, sizeof(tmp), "%s", cfg->store);
		snprintf(d.collect_dir, sizeof(d.collect_dir), "%s/collections", dirname(tmp));
	} else {
		snprintf(d.collect_dir, sizeof(d.collect_dir), "%s", cfg->collect_dir);
	}
	if (!cfg->ref_dir[0]) {
		char tmp[sizeof(cfg->store)];

		snprintf(tmp, sizeof(tmp), "%s", cfg->store);
		snprintf(d.ref_dir, sizeof(d.ref_dir), "%s/references", dirname(tmp));
	} else {
		snprintf(d.ref_dir, sizeof(d.ref_dir), "%s", cfg->ref_dir);
	}
	{
		struct collect_params cp = {
			.max_active = cfg->collect_max_active, .dir = d.collect_dir,
			.every_s = cfg->collect_every_s > 0 ? cfg->collect_every_s
							    : 5 * cfg->interval_s,
			.snapshots = cfg->collect_snapshots, .steps = cfg->collect_steps,
			.max_s = cfg->collect_max_s, .max_bytes = cfg->collect_max_bytes,
			.sample_bytes = cfg->collect_sample_bytes, .cpu = cfg->collect_cpu,
			.trap_ns = cfg->collect_trap_ns,
			.budget_check_s = cfg->collect_budget_check_s,
			.ref_dir = d.ref_dir, .ref_s = cfg->ref_s,
			.ref_sample_bytes = cfg->ref_sample_bytes,
		};

		if ((err = collects__new(&cp, d.loop, d.db, _collect_done, &d, &d.coll)))
			goto cleanup;
	}
	if ((err = dmit__new(&cfg->mitigation, d.db, d.coll, &d.mit, msg, sizeof(msg)))) {
		pr_err("cannot start mitigation: %s", msg);
		goto cleanup;
	}
	dmit__model(d.mit, &d.model);
	_psi_open(&d);
	if (cfg->bpf && d.growth_mode != GROWTH_OFF)
		_growth_open(&d);
	d.last_ref = clock__wall_s();	/* the first round one reference.every from now */
	if (cfg->bpf) {
		if (oomwatch__new(d.loop, _on_oom, &d, &d.oom, msg, sizeof(msg)))
			pr_warn("oom victim trigger off: %s", msg);
		else
			pr_info("oom victim trigger: 'tp_btf/mark_victim' attached");
	}
	if (cfg->cgroup_events) {
		if (memevents__new("/proc/self/mounts", d.loop, cfg->cgroup_share, _on_memevent, &d,
				   &d.mev, msg, sizeof(msg)))
			pr_warn("cgroup memory event trigger off: %s", msg);
		else
			pr_info("cgroup memory event trigger: cgroup v%d (%s)",
				memevents__version(d.mev),
				memevents__version(d.mev) == 2 ? "memory.events"
							       : "cgroup.event_control");
		/* v2: the PSI trigger on every watched cgroup's memory.pressure too */
		if (d.mev && memevents__set_psi(d.mev, cfg->psi))
			pr_warn("cgroup pressure trigger off: bad trigger '%s'", cfg->psi);
	}
	pr_info("daemon: interval %gs, store '%s', listening on '%s', tier 0 from %s,"
		" collections in '%s'", cfg->interval_s, cfg->store,
		cfg->listen[0] ? cfg->listen : "(none)",
		collector__stats(d.col)->bpf_on ? "BPF (rss_stat) and /proc" : "/proc",
		d.collect_dir);
	evloop__timer_init(&d.tick_timer, _on_tick, &d);
	evloop__timer_init(&d.http_timer, _on_http_timer, &d);
	d.next_tick_ns = clock__mono_ns() + _step_ns(&d);
	if ((err = evloop__arm(d.loop, &d.tick_timer, d.next_tick_ns)) ||
	    (d.http && (err = evloop__arm(d.loop, &d.http_timer, clock__mono_ns() + 1000000000ULL))))
		goto cleanup;
	err = _tick(&d);
	while (!err && !d.stop) {
		if (!d.ready) {
			sd_notify(0, "READY=1");
			fprintf(stderr, "seep: daemon ready\n");
			d.ready = true;
		}
		err = evloop__run_once(d.loop, UINT64_MAX);
		if (d.http)
			http__run(d.http);
	}
cleanup:
	_release(&d);
	return err;
}
