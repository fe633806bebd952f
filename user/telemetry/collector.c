/* collector — tier 0 per process, component and cgroup; see collector.h. */
#include "telemetry/collector.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "sys/exe.h"
#include "sys/proc.h"
#include "sys/sysfile.h"
#include "tracer/telemetry.h"

#define MAX_COMPONENTS 4096
#define NO_COMPONENT UINT32_MAX

struct slot {
	struct collector_proc p;
	bool used;		/* holds a process (alive, or exiting this sample) */
	bool seen;		/* listed in /proc this sample */
	bool reident;		/* exec'ed: comm, executable, component to read again */
};

struct collector {
	struct collector_config cfg;
	struct cgroup_memory cgm;
	bool has_cgroups;
	struct meminfo host;
	double btime;		/* boot time, epoch seconds */
	long hz;
	long page;
	struct slot *slots;
	size_t nslots, cap;
	uint32_t *free_ids;
	size_t nfree, free_cap;
	struct hashmap by_pid;
	struct collector_component *comps;
	size_t ncomps, comps_cap;
	uint32_t *comp_free;	/* slots of pruned components, for reuse */
	size_t ncomp_free, comp_free_cap;
	uint64_t comp_serial;	/* the last serial handed out */
	struct hashmap by_key;
	struct collector_cgroup *cgroups;
	size_t ncgroups, cgroups_cap;
	struct collector_exit *exits;
	size_t nexits, exits_cap;
	struct telemetry *bpf;
	struct collector_stats stats;
	double now;
};

static bool _pid_eq(uint32_t id, const void *key, void *ctx)
{
	const struct collector *c = ctx;

	return c->slots[id].p.pid == *(const int *)key;
}

static bool _key_eq(uint32_t id, const void *key, void *ctx)
{
	const struct collector *c = ctx;

	return !strcmp(c->comps[id].key, key);
}

static uint64_t _pid_hash(int pid)
{
	return hash__finish(hash__update_u64(HASH_SEED, (uint64_t)pid));
}

static double _read_btime(const char *proc)
{
	char path[PATH_MAX], buf[16384];
	uint64_t btime = 0;

	snprintf(path, sizeof(path), "%s/stat", proc);
	if (sysfile__read(path, buf, sizeof(buf)) > 0)
		sysfile__field_u64(buf, "btime", 1, &btime);
	return (double)btime;
}

int collector__new(const struct collector_config *cfg, struct collector **out, char *err,
		   size_t errlen)
{
	struct collector *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.proc)
		c->cfg.proc = "/proc";
	if (!c->cfg.mounts)
		c->cfg.mounts = "/proc/self/mounts";
	hashmap__init(&c->by_pid);
	hashmap__init(&c->by_key);
	c->hz = procstatus__ticks_per_s();
	c->page = sysconf(_SC_PAGESIZE);
	c->btime = _read_btime(c->cfg.proc);
	c->has_cgroups = cgroup__find_memory(c->cfg.mounts, &c->cgm) == 0;
	if (!c->has_cgroups)
		pr_info("no cgroup hierarchy with the memory controller: no cgroup series");
	ret = meminfo__read("/proc/meminfo", &c->host);
	if (ret) {
		snprintf(err, errlen, "cannot read '/proc/meminfo': %s", strerror(-ret));
		goto fail;
	}
	if (cfg->use_bpf) {
		struct telemetry_opts o = { .max_procs = cfg->max_procs };
		char msg[256];

		ret = telemetry__open(&o, &c->bpf, msg, sizeof(msg));
		if (ret)
			pr_warn("%s: tier 0 reads /proc instead", msg);
	}
	c->stats.bpf_on = c->bpf != NULL;
	c->stats.rss_bpf = c->bpf != NULL;
	*out = c;
	return 0;
fail:
	collector__free(c);
	return ret;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	telemetry__free(c->bpf);
	hashmap__release(&c->by_pid);
	hashmap__release(&c->by_key);
	free(c->slots);
	free(c->free_ids);
	free(c->comps);
	free(c->comp_free);
	free(c->cgroups);
	free(c->exits);
	free(c);
}

static uint32_t _component(struct collector *c, const struct collector_proc *p)
{
	char key[sizeof(c->comps[0].key)];
	const char *where = p->unit[0] ? p->unit : p->cgroup;
	uint64_t h;
	int64_t id;
	struct collector_component *k;

	snprintf(key, sizeof(key), "%s|%s|%s", p->comm, p->build_id, where);
	h = hash__str(key);
	id = hashmap__find(&c->by_key, h, key, _key_eq, c);
	if (id >= 0)
		return (uint32_t)id;
	if (c->ncomps - c->ncomp_free >= MAX_COMPONENTS) {
		/* beyond the cap every new component shares one "other" entry */
		snprintf(key, sizeof(key), "(other)||");
		h = hash__str(key);
		id = hashmap__find(&c->by_key, h, key, _key_eq, c);
		if (id >= 0)
			return (uint32_t)id;
	}
	if (c->ncomp_free) {
		id = c->comp_free[--c->ncomp_free];
	} else {
		if (VEC_RESERVE(c->comps, c->comps_cap, c->ncomps + 1))
			return NO_COMPONENT;
		id = (int64_t)c->ncomps++;
	}
	k = &c->comps[id];
	memset(k, 0, sizeof(*k));
	snprintf(k->key, sizeof(k->key), "%s", key);
	if (hashmap__add(&c->by_key, h, (uint32_t)id)) {
		uint32_t *f = VEC_PUSH(c->comp_free, c->ncomp_free, c->comp_free_cap);

		if (f)
			*f = (uint32_t)id, c->ncomp_free++;
		k->key[0] = '\0';
		return NO_COMPONENT;
	}
	if (strncmp(key, "(other)", 7)) {
		snprintf(k->comm, sizeof(k->comm), "%s", p->comm);
		snprintf(k->build_id, sizeof(k->build_id), "%s", p->build_id);
		snprintf(k->unit, sizeof(k->unit), "%s", p->unit);
		snprintf(k->cgroup, sizeof(k->cgroup), "%s", p->cgroup);
	} else {
		snprintf(k->comm, sizeof(k->comm), "(other)");
	}
	k->serial = ++c->comp_serial;
	k->last_s = c->now;
	return (uint32_t)id;
}

/* Components without a live member that nothing touched for ttl_s are
 * forgotten: their slot (and its index) goes to the next new one, under a
 * new serial. */
static size_t _prune_components(struct collector *c, double now, double ttl_s)
{
	size_t n = 0;

	for (size_t i = 0; i < c->ncomps; i++) {
		struct collector_component *k = &c->comps[i];
		uint32_t *f;

		if (!k->serial)
			continue;
		if (k->live || k->started != k->seen_started || k->exited != k->seen_exited) {
			k->last_s = now;
			k->seen_started = k->started;
			k->seen_exited = k->exited;
			continue;
		}
		if (ttl_s <= 0 || now - k->last_s < ttl_s)
			continue;
		f = VEC_PUSH(c->comp_free, c->ncomp_free, c->comp_free_cap);
		if (!f)
			return n;	/* kept: pruned at a later sample */
		*f = (uint32_t)i;
		c->ncomp_free++;
		hashmap__remove(&c->by_key, hash__str(k->key), k->key, _key_eq, c);
		k->serial = 0;
		k->key[0] = '\0';
		c->stats.components_pruned++;
		n++;
	}
	return n;
}

size_t collector__prune_idle(struct collector *c)
{
	/* anything idle since before the last sample */
	return _prune_components(c, c->now, 1e-9);
}

static bool _scoped(const struct collector *c)
{
	return c->cfg.scope_cgroup && c->cfg.scope_cgroup[0];
}

bool collector__in_scope(const struct collector *c, const struct collector_proc *p)
{
	const char *s = c->cfg.scope_cgroup;
	size_t n;

	if (!_scoped(c))
		return true;
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	return !strncmp(p->cgroup, s, n) &&
	       (p->cgroup[n] == '\0' || p->cgroup[n] == '/' || (n == 1 && s[0] == '/'));
}

/* comm, executable, cgroup and component of P (new, or after exec); a
 * process outside the scope belongs to no component. */
static void _identify(struct collector *c, struct collector_proc *p)
{
	char path[PATH_MAX];

	p->build_id[0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/exe", c->cfg.proc, p->pid);
	if (!p->mem.kernel)
		exe__build_id(path, p->build_id, sizeof(p->build_id));
	p->cgroup[0] = '\0';
	if (c->has_cgroups)
		procstatus__read_cgroup(c->cfg.proc, p->pid, c->cgm.version == 1, p->cgroup,
				      sizeof(p->cgroup));
	procstatus__unit_of_cgroup(p->cgroup, p->unit, sizeof(p->unit));
	c->stats.proc_reads += 3;
	p->component = p->mem.kernel || !collector__in_scope(c, p) ? NO_COMPONENT
								     : _component(c, p);
	if (p->component != NO_COMPONENT)
		c->comps[p->component].started++;
}

static int _exit_slot(struct collector *c, uint32_t id, double when)
{
	struct slot *s = &c->slots[id];
	struct collector_exit *e;
	uint32_t *f;

	if (!s->used)
		return 0;
	if (s->p.component != NO_COMPONENT) {
		e = VEC_PUSH(c->exits, c->nexits, c->exits_cap);
		if (!e)
			return -ENOMEM;
		*e = (struct collector_exit){ .pid = s->p.pid, .start = s->p.start,
					      .component = s->p.component, .end_s = when,
					      .folded = when - s->p.start_s < c->cfg.fold_s };
		c->nexits++;
		c->comps[s->p.component].exited++;
		if (e->folded)
			c->comps[s->p.component].short_lived++;
	}
	hashmap__remove(&c->by_pid, _pid_hash(s->p.pid), &s->p.pid, _pid_eq, c);
	f = VEC_PUSH(c->free_ids, c->nfree, c->free_cap);
	if (!f)
		return -ENOMEM;
	*f = id;
	c->nfree++;
	s->used = false;
	s->p.alive = false;
	return 0;
}

static int64_t _find(struct collector *c, int pid)
{
	return hashmap__find(&c->by_pid, _pid_hash(pid), &pid, _pid_eq, c);
}

static int _new_proc(struct collector *c, const struct proc_stat *st)
{
	uint32_t id;
	struct slot *s;
	int err;

	if (c->nfree) {
		id = c->free_ids[--c->nfree];
	} else {
		int r = VEC_RESERVE(c->slots, c->cap, c->nslots + 1);

		if (r)
			return r;
		id = (uint32_t)c->nslots++;
	}
	s = &c->slots[id];
	memset(s, 0, sizeof(*s));
	s->p.pid = st->pid;
	s->p.start = st->start_ticks;
	snprintf(s->p.comm, sizeof(s->p.comm), "%s", st->comm);
	s->p.cpu_ticks = st->utime_ticks + st->stime_ticks;
	s->p.start_s = c->btime + (double)st->start_ticks / (double)c->hz;
	s->p.first_s = c->now;
	err = procstatus__read_mem(c->cfg.proc, st->pid, &s->p.mem);
	c->stats.proc_reads++;
	if (err) {
		/* gone meanwhile: give the slot back */
		uint32_t *f = VEC_PUSH(c->free_ids, c->nfree, c->free_cap);

		c->stats.proc_errors++;
		if (f) {
			*f = id;
			c->nfree++;
		}
		return 0;
	}
	err = hashmap__add(&c->by_pid, _pid_hash(st->pid), id);
	if (err)
		return err;
	s->used = true;
	s->seen = true;
	s->p.alive = true;
	_identify(c, &s->p);
	return 0;
}

static void _on_event(const struct seep_tel_event *e, void *ctx)
{
	struct collector *c = ctx;
	uint64_t start = e->start_boottime / (1000000000ULL / (uint64_t)c->hz);
	int64_t id = _find(c, (int)e->pid);

	c->stats.bpf_events++;
	if (e->type == SEEP_TEL_EXEC) {
		if (id >= 0)
			c->slots[id].reident = true;
		return;
	}
	if (e->type != SEEP_TEL_EXIT)
		return;
	if (id >= 0 && c->slots[id].p.start + 1 >= start && c->slots[id].p.start <= start + 1) {
		_exit_slot(c, (uint32_t)id, c->now);
		return;
	}
	if (id < 0 && !_scoped(c)) {
		/* started and ended between two samples: folded into its comm's
		 * component (its cgroup and executable are gone with it; under a
		 * scope, whether it was inside is not known: not counted) */
		struct collector_proc tmp = { 0 };
		uint32_t k;

		snprintf(tmp.comm, sizeof(tmp.comm), "%s", e->comm);
		k = _component(c, &tmp);
		if (k != NO_COMPONENT) {
			c->comps[k].started++;
			c->comps[k].exited++;
			c->comps[k].short_lived++;
		}
	}
}

static void _on_proc(uint32_t tgid, const struct seep_tel_proc *v, void *ctx)
{
	struct collector *c = ctx;
	uint64_t start = v->start_boottime / (1000000000ULL / (uint64_t)c->hz);
	int64_t id = _find(c, (int)tgid);
	struct collector_proc *p;

	if (id < 0)
		return;	/* not listed yet: read from /proc when it is */
	p = &c->slots[id].p;
	if (p->start + 1 < start || p->start > start + 1) {
		telemetry__forget(c->bpf, tgid);	/* a previous process's counts */
		return;
	}
	p->mem.file = (uint64_t)(v->pages[SEEP_TEL_FILE] > 0 ? v->pages[SEEP_TEL_FILE] : 0) *
		      (uint64_t)c->page;
	p->mem.anon = (uint64_t)(v->pages[SEEP_TEL_ANON] > 0 ? v->pages[SEEP_TEL_ANON] : 0) *
		      (uint64_t)c->page;
	p->mem.swap = (uint64_t)(v->pages[SEEP_TEL_SWAP] > 0 ? v->pages[SEEP_TEL_SWAP] : 0) *
		      (uint64_t)c->page;
	p->mem.shmem = (uint64_t)(v->pages[SEEP_TEL_SHMEM] > 0 ? v->pages[SEEP_TEL_SHMEM] : 0) *
		       (uint64_t)c->page;
	p->bpf = true;
}

/* /proc mode, or a listed process: refresh it; 1 when it turned out reused. */
static int _refresh(struct collector *c, uint32_t id, const struct proc_stat *st)
{
	struct slot *s = &c->slots[id];

	if (st->start_ticks != s->p.start) {
		c->stats.pid_reuse++;
		return 1;
	}
	s->seen = true;
	s->p.cpu_ticks = st->utime_ticks + st->stime_ticks;
	if (strcmp(s->p.comm, st->comm)) {
		snprintf(s->p.comm, sizeof(s->p.comm), "%s", st->comm);
		s->reident = true;
	}
	if (!c->bpf || !telemetry__rss_attached(c->bpf) || s->reident) {
		if (procstatus__read_mem(c->cfg.proc, s->p.pid, &s->p.mem))
			c->stats.proc_errors++;
		c->stats.proc_reads++;
	}
	if (s->reident) {
		s->reident = false;
		_identify(c, &s->p);
	}
	return 0;
}

static int _scan(struct collector *c)
{
	DIR *d = opendir(c->cfg.proc);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		struct proc_stat st;
		int64_t id;
		int pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		id = _find(c, pid);
		if (id >= 0 && c->bpf && telemetry__rss_attached(c->bpf) && !c->slots[id].reident) {
			/* BPF mode: lifecycle comes from events; no file to read */
			c->slots[id].seen = true;
			continue;
		}
		c->stats.proc_reads++;
		if (proc__read_stat_at(c->cfg.proc, pid, &st)) {
			c->stats.proc_errors++;
			continue;
		}
		if (id >= 0 && _refresh(c, (uint32_t)id, &st) == 0)
			continue;
		if (id >= 0)
			err = _exit_slot(c, (uint32_t)id, c->now);
		if (!err)
			err = _new_proc(c, &st);
	}
	closedir(d);
	return err;
}

static int _on_cgroup(const char *path, int depth, void *ctx)
{
	struct collector *c = ctx;
	struct collector_cgroup *g;

	(void)depth;
	g = VEC_PUSH(c->cgroups, c->ncgroups, c->cgroups_cap);
	if (!g)
		return -ENOMEM;
	snprintf(g->path, sizeof(g->path), "%s", path);
	if (cgroup__read(&c->cgm, path, &g->use))
		return 0;	/* removed meanwhile */
	c->ncgroups++;
	return 0;
}

int collector__sample(struct collector *c, double now)
{
	double t0 = clock__mono_s();
	uint64_t bstats[SEEP_TEL_NSTATS];
	int err;

	c->now = now;
	c->nexits = 0;
	for (size_t i = 0; i < c->nslots; i++)
		c->slots[i].seen = false;
	if (c->bpf) {
		err = telemetry__poll(c->bpf, _on_event, c);
		if (err < 0)
			return err;
	}
	err = _scan(c);
	if (err)
		return err;
	/* listed last sample, not now: ended without an event we saw */
	for (size_t i = 0; i < c->nslots; i++)
		if (c->slots[i].used && !c->slots[i].seen) {
			err = _exit_slot(c, (uint32_t)i, now);
			if (err)
				return err;
		}
	if (c->bpf && telemetry__rss_attached(c->bpf)) {
		for (size_t i = 0; i < c->nslots; i++)
			c->slots[i].p.bpf = false;
		telemetry__walk(c->bpf, _on_proc, c);
	}
	for (size_t i = 0; i < c->ncomps; i++) {
		c->comps[i].live = 0;
		c->comps[i].rss = 0;
		c->comps[i].swap = 0;
	}
	for (size_t i = 0; i < c->nslots; i++) {
		struct collector_proc *p = &c->slots[i].p;
		struct collector_component *k;

		if (!c->slots[i].used || p->component == NO_COMPONENT)
			continue;
		p->folded = now - p->start_s < c->cfg.fold_s;
		k = &c->comps[p->component];
		k->live++;
		k->rss += p->mem.anon + p->mem.file + p->mem.shmem;
		k->swap += p->mem.swap;
	}
	_prune_components(c, now, c->cfg.component_ttl_s);
	c->ncgroups = 0;
	if (c->has_cgroups) {
		err = cgroup__walk(&c->cgm, c->cfg.cgroup_depth, _on_cgroup, c);
		if (err)
			return err;
	}
	err = meminfo__read("/proc/meminfo", &c->host);
	if (err)
		return err;
	if (c->bpf && !telemetry__stats(c->bpf, bstats))
		for (int i = 0; i < SEEP_TEL_NSTATS && i < 8; i++)
			c->stats.bpf_stats[i] = bstats[i];
	c->stats.rss_bpf = c->bpf && telemetry__rss_attached(c->bpf);
	c->stats.samples++;
	c->stats.last_sample_s = now;
	c->stats.last_cost_s = clock__mono_s() - t0;
	return 0;
}

const struct meminfo *collector__host(const struct collector *c)
{
	return &c->host;
}

bool collector__has_cgroups(const struct collector *c)
{
	return c->has_cgroups;
}

size_t collector__nprocs(const struct collector *c)
{
	return c->nslots;
}

const struct collector_proc *collector__proc(const struct collector *c, size_t i)
{
	return i < c->nslots && c->slots[i].used && c->slots[i].p.component != NO_COMPONENT ?
	       &c->slots[i].p : NULL;
}

size_t collector__ncomponents(const struct collector *c)
{
	return c->ncomps;
}

const struct collector_component *collector__component(const struct collector *c, size_t i)
{
	return i < c->ncomps ? &c->comps[i] : NULL;
}

size_t collector__ncgroups(const struct collector *c)
{
	return c->ncgroups;
}

const struct collector_cgroup *collector__cgroup(const struct collector *c, size_t i)
{
	return i < c->ncgroups ? &c->cgroups[i] : NULL;
}

const struct collector_exit *collector__exits(const struct collector *c, size_t *n)
{
	*n = c->nexits;
	return c->exits;
}

const struct collector_stats *collector__stats(const struct collector *c)
{
	return &c->stats;
}

int collector__rss_off(struct collector *c)
{
	int err;

	if (!c->bpf || !telemetry__rss_attached(c->bpf))
		return 0;
	err = telemetry__detach_rss(c->bpf);
	c->stats.rss_bpf = false;
	return err;
}

int collector__rss_on(struct collector *c)
{
	int err;

	if (!c->bpf)
		return -EOPNOTSUPP;
	err = telemetry__attach_rss(c->bpf);
	c->stats.rss_bpf = telemetry__rss_attached(c->bpf);
	return err;
}

int collector__lifecycle_off(struct collector *c)
{
	if (!c->bpf)
		return 0;
	if (telemetry__rss_attached(c->bpf))
		return -EBUSY;	/* rss_stat's counts need the exits to be forgotten */
	return telemetry__detach_lifecycle(c->bpf);
}

int collector__lifecycle_on(struct collector *c)
{
	if (!c->bpf)
		return -EOPNOTSUPP;
	return telemetry__attach_lifecycle(c->bpf);
}

int collector__bpf_costs(struct collector *c, struct telemetry_cost *out, size_t max, size_t *n,
			 int *stats_on)
{
	*n = 0;
	*stats_on = 0;
	if (!c->bpf || max < TELEMETRY_NPROGS)
		return 0;
	*n = TELEMETRY_NPROGS;
	return telemetry__costs(c->bpf, out, stats_on);
}
