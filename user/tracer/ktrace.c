#include "tracer/ktrace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.skel.h"
#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/kledger.h"
#include "symbols/kallsyms.h"
#include "tracer/mapwalk.h"

/* What each program serves: its kind, the address space it frees in. */
static const struct {
	const char *name;
	uint32_t kind, space;
	bool frees;
} prog_info[] = {
	{ "kmem_cache_alloc_tp", SEEP_KKIND_SLAB, SEEP_KSPACE_SLAB, false },
	{ "kmem_cache_free_tp", SEEP_KKIND_SLAB, SEEP_KSPACE_SLAB, true },
	{ "kmalloc_tp", SEEP_KKIND_KMALLOC, SEEP_KSPACE_SLAB, false },
	{ "kfree_tp", SEEP_KKIND_KMALLOC, SEEP_KSPACE_SLAB, true },
	{ "mm_page_alloc_tp", SEEP_KKIND_PAGE, SEEP_KSPACE_PAGE, false },
	{ "mm_page_free_tp", SEEP_KKIND_PAGE, SEEP_KSPACE_PAGE, true },
	{ "percpu_alloc_percpu_tp", SEEP_KKIND_PERCPU, SEEP_KSPACE_PERCPU, false },
	{ "percpu_free_percpu_tp", SEEP_KKIND_PERCPU, SEEP_KSPACE_PERCPU, true },
	{ "alloc_vmap_area_tp", SEEP_KKIND_VMALLOC, SEEP_KSPACE_VMAP, false },
	{ "free_vmap_area_noflush_tp", SEEP_KKIND_VMALLOC, SEEP_KSPACE_VMAP, true },
};
#define NPROGS (sizeof(prog_info) / sizeof(prog_info[0]))
_Static_assert(NPROGS <= KREPORT_MAX_PROGS, "kreport has room for every program");
_Static_assert(sizeof(struct seep_ksite_key) == 32, "site key layout");
_Static_assert(sizeof(struct seep_klive) == 48, "live value layout");
_Static_assert(sizeof(struct seep_ksite) == 56, "site value layout");

static const uint32_t kind_space[SEEP_KKIND__MAX] = {
	[SEEP_KKIND_SLAB] = SEEP_KSPACE_SLAB,
	[SEEP_KKIND_KMALLOC] = SEEP_KSPACE_SLAB,
	[SEEP_KKIND_PAGE] = SEEP_KSPACE_PAGE,
	[SEEP_KKIND_PERCPU] = SEEP_KSPACE_PERCPU,
	[SEEP_KKIND_VMALLOC] = SEEP_KSPACE_VMAP,
};

struct ktrace {
	struct kernel_bpf *skel;
	struct bpf_link *links[NPROGS];
	struct kallsyms *ksyms;
	int stats_fd;            /* BPF_STATS_RUN_TIME while open, -1 if off */
	int ncpus;
	uint64_t sample_bytes;
	double start_s;          /* CLOCK_MONOTONIC at attach */
	struct kledger *ledger;  /* the sites between reads: pruning, missed frees */
	uint64_t pruned;         /* sites pruned since attach */
	uint64_t map_used;       /* sites in the map after the last read */
	uint32_t max_sites;
};

static struct bpf_program *_prog(struct ktrace *kt, const char *name)
{
	return bpf_object__find_program_by_name(kt->skel->obj, name);
}

static void _fill_exp_table(volatile __u32 *table)
{
	for (int i = 0; i < SEEP_KEXP_TABLE; i++)
		table[i] = (__u32)(-log((i + 0.5) / SEEP_KEXP_TABLE) * SEEP_KEXP_SCALE + 0.5);
}

int ktrace__open(const struct ktrace_config *cfg, struct ktrace **out)
{
	struct ktrace *kt = calloc(1, sizeof(*kt));
	int err;

	if (!kt)
		return -ENOMEM;
	kt->stats_fd = -1;
	kt->ncpus = libbpf_num_possible_cpus();
	if (kt->ncpus <= 0) {
		err = kt->ncpus ? kt->ncpus : -EINVAL;
		pr_err("cannot count the possible cpus: %s", strerror(-err));
		goto fail;
	}
	if (!(kt->ledger = kledger__new())) {
		err = -ENOMEM;
		pr_err("cannot follow the kernel sites: %s", strerror(-err));
		goto fail;
	}
	err = kallsyms__load(cfg->kallsyms, &kt->ksyms);
	if (err) {
		pr_err("cannot load kernel symbols '%s': %s%s",
		       cfg->kallsyms ? cfg->kallsyms : "/proc/kallsyms", strerror(-err),
		       err == -EPERM ? " (addresses hidden: need root, or kernel.kptr_restrict=0)" : "");
		goto fail;
	}
	kt->skel = kernel_bpf__open();
	if (!kt->skel) {
		err = -errno;
		pr_err("cannot open the kernel BPF program: %s", strerror(-err));
		goto fail;
	}
	if (cfg->max_live)
		bpf_map__set_max_entries(kt->skel->maps.live, cfg->max_live);
	if (cfg->max_sites)
		bpf_map__set_max_entries(kt->skel->maps.sites, cfg->max_sites);
	if (cfg->max_stacks)
		bpf_map__set_max_entries(kt->skel->maps.stacks, cfg->max_stacks);
	kt->max_sites = bpf_map__max_entries(kt->skel->maps.sites);
	kt->sample_bytes = cfg->sample_bytes > 1 ? cfg->sample_bytes : 1;
	kt->skel->rodata->cfg_sample_bytes = cfg->sample_bytes;
	_fill_exp_table(kt->skel->rodata->cfg_exp);
	err = kernel_bpf__load(kt->skel);
	if (err) {
		pr_err("cannot load the kernel BPF program: %s%s", strerror(-err),
		       err == -EPERM ? " (need root or CAP_BPF+CAP_PERFMON)" : "");
		goto fail;
	}
	if (cfg->run_stats) {
		kt->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (kt->stats_fd < 0) {
			err = -errno;
			pr_err("cannot enable BPF run-time statistics: %s", strerror(-err));
			goto fail;
		}
	}
	*out = kt;
	return 0;
fail:
	ktrace__free(kt);
	return err;
}

int ktrace__attach(struct ktrace *kt)
{
	int err = 0;

	for (size_t i = 0; i < NPROGS; i++) {
		struct bpf_program *p = _prog(kt, prog_info[i].name);

		if (!p) {
			err = -ENOENT;
			pr_err("cannot find program '%s' in the kernel BPF object", prog_info[i].name);
			goto fail;
		}
		kt->links[i] = bpf_program__attach(p);
		if (!kt->links[i]) {
			err = -errno;
			pr_err("cannot attach 'tp_btf/%s': %s", bpf_program__section_name(p) + 7,
			       strerror(-err));
			goto fail;
		}
	}
	kt->start_s = clock__mono_s();
	return 0;
fail:
	for (size_t i = 0; i < NPROGS; i++) {
		bpf_link__destroy(kt->links[i]);
		kt->links[i] = NULL;
	}
	return err;
}

void ktrace__free(struct ktrace *kt)
{
	if (!kt)
		return;
	for (size_t i = 0; i < NPROGS; i++)
		bpf_link__destroy(kt->links[i]);
	kernel_bpf__destroy(kt->skel);
	if (kt->stats_fd >= 0)
		close(kt->stats_fd);
	kallsyms__free(kt->ksyms);
	kledger__free(kt->ledger);
	free(kt);
}

struct _cb {
	ktrace_live_fn live;
	ktrace_site_fn site;
	void *ctx;
	bool failed;             /* the callback failed (not the read) */
};

static int _live_tramp(const void *k, const void *v, void *ctx)
{
	struct _cb *cb = ctx;
	int err = cb->live(k, v, cb->ctx);

	cb->failed = err != 0;
	return err;
}

static int _site_tramp(const void *k, const void *v, void *ctx)
{
	struct _cb *cb = ctx;
	int err = cb->site(k, v, cb->ctx);

	cb->failed = err != 0;
	return err;
}

/* Every entry of MAP through TRAMP; a failed read is logged by mapwalk,
 * a failure of the visit here (both with the map's name). */
static int _each(struct bpf_map *map, size_t ksz, size_t vsz, mapwalk_fn tramp, struct _cb *cb)
{
	int err = mapwalk__each(map, ksz, vsz, tramp, cb);

	if (err && cb->failed)
		pr_err("cannot read map '%s': %s", bpf_map__name(map), strerror(-err));
	return err;
}

int ktrace__for_each_live(struct ktrace *kt, ktrace_live_fn fn, void *ctx)
{
	struct _cb cb = { .live = fn, .ctx = ctx };

	return _each(kt->skel->maps.live, sizeof(struct seep_klive_key),
		     sizeof(struct seep_klive), _live_tramp, &cb);
}

int ktrace__for_each_site(struct ktrace *kt, ktrace_site_fn fn, void *ctx)
{
	struct _cb cb = { .site = fn, .ctx = ctx };

	return _each(kt->skel->maps.sites, sizeof(struct seep_ksite_key),
		     sizeof(struct seep_ksite), _site_tramp, &cb);
}

/* The tracing machinery's frames above the allocator: the BPF program,
 * the trampolines that run it and the tracepoint's iterator. */
static bool _machinery(const struct ksym *s)
{
	static const char *const prefixes[] = {
		"bpf_trace_run", "__bpf_trace_", "__traceiter_", "bpf_get_stack",
		"perf_trace_", "trace_event_raw_event_",
	};

	if (!s)
		return false;
	if (!strcmp(s->module, "bpf"))
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(s->name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

size_t ktrace__stack(struct ktrace *kt, int32_t stack_id, uint64_t *ips, size_t max,
		     bool *truncated)
{
	uint64_t buf[SEEP_KMAX_STACK_DEPTH] = { 0 };
	uint32_t id = (uint32_t)stack_id;
	size_t n = 0, depth = 0, skip = 0;

	*truncated = false;
	if (stack_id < 0 ||
	    bpf_map__lookup_elem(kt->skel->maps.stacks, &id, sizeof(id), buf, sizeof(buf), 0))
		return 0;
	while (depth < SEEP_KMAX_STACK_DEPTH && buf[depth])
		depth++;
	/* the program's own frame first: not in kallsyms unless
	 * net.core.bpf_jit_kallsyms is on */
	while (skip < depth && !kallsyms__find(kt->ksyms, buf[skip] - 1))
		skip++;
	while (skip < depth && _machinery(kallsyms__find(kt->ksyms, buf[skip] - 1)))
		skip++;
	for (size_t i = skip; i < depth && n < max; i++)
		ips[n++] = buf[i];
	*truncated = depth == SEEP_KMAX_STACK_DEPTH || n < depth - skip;
	return n;
}

static int _read_stats(struct ktrace *kt, struct kreport *out)
{
	const uint32_t nstats = SEEP_KKIND__MAX * SEEP_KSTAT__MAX;
	uint64_t *percpu = calloc((size_t)kt->ncpus, sizeof(uint64_t));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < nstats; i++) {
		uint64_t sum = 0;

		if (bpf_map__lookup_elem(kt->skel->maps.stats, &i, sizeof(i), percpu,
					 sizeof(uint64_t) * kt->ncpus, 0)) {
			err = -errno;
			pr_err("cannot read map 'stats': %s", strerror(-err));
			break;
		}
		for (int c = 0; c < kt->ncpus; c++)
			sum += percpu[c];
		out->stats[i / SEEP_KSTAT__MAX][i % SEEP_KSTAT__MAX] = sum;
	}
	free(percpu);
	return err;
}

static int _read_progs(struct ktrace *kt, struct kreport *out)
{
	out->nprogs = 0;
	for (size_t i = 0; i < NPROGS; i++) {
		struct bpf_program *p = _prog(kt, prog_info[i].name);
		struct kreport_prog *rp = &out->progs[out->nprogs];
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int err;

		if (!p)
			return -ENOENT;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) {
			err = -errno;
			pr_err("cannot read the statistics of program '%s': %s", prog_info[i].name,
			       strerror(-err));
			return err;
		}
		memset(rp, 0, sizeof(*rp));
		snprintf(rp->name, sizeof(rp->name), "%s", prog_info[i].name);
		rp->kind = prog_info[i].kind;
		rp->frees = prog_info[i].frees;
		rp->run_cnt = info.run_cnt;
		rp->run_time_ns = info.run_time_ns;
		rp->recursion_misses = info.recursion_misses;
		out->nprogs++;
	}
	return 0;
}

int ktrace__stats(struct ktrace *kt, struct kreport *out)
{
	int err = _read_stats(kt, out);

	return err ? err : _read_progs(kt, out);
}

/* --- the report ------------------------------------------------------------ */

struct site {
	struct seep_ksite_key key;
	struct seep_ksite val;
	uint64_t hash;
	uint64_t oldest_ns;      /* UINT64_MAX: no live record seen */
	uint64_t samples;        /* live records read */
	struct kledger_missed missed;
	struct kgrowth_mark growth;
};

/* A site to prune: its key and its cumulative allocations when read. */
struct doomed {
	struct seep_ksite_key key;
	uint64_t alloc_count;
};

struct collect {
	struct ktrace *kt;
	const struct ktrace_query *q;   /* NULL: a pruning pass, nothing collected */
	struct site *v;
	size_t n, cap;
	struct hashmap index;
	struct doomed *doomed;
	size_t ndoomed, doomed_cap;
	uint64_t read;           /* sites in the map */
};

static uint64_t _site_hash(const struct seep_ksite_key *k)
{
	return hash__bytes(k, sizeof(*k));
}

static bool _site_eq(uint32_t id, const void *key, void *ctx)
{
	const struct collect *c = ctx;

	return !memcmp(&c->v[id].key, key, sizeof(c->v[id].key));
}

static bool _wanted(const struct ktrace_query *q, const struct seep_ksite_key *k)
{
	return q->pid <= 0 || (k->ctx == SEEP_KCTX_TASK && k->tgid == (uint32_t)q->pid);
}

/* No task of the site's process runs any more: it can allocate no more. */
static bool _process_gone(const struct seep_ksite_key *k)
{
	return k->ctx == SEEP_KCTX_TASK && k->tgid > 0 && kill((pid_t)k->tgid, 0) &&
	       errno == ESRCH;
}

static int _collect_site(const struct seep_ksite_key *k, const struct seep_ksite *v, void *ctx)
{
	struct collect *c = ctx;
	struct kledger_missed missed;
	uint64_t h = _site_hash(k);
	bool prunable = false, gone = false;
	struct site *s;
	int err;

	c->read++;
	if (k->kind >= SEEP_KKIND__MAX)
		return 0;
	if (v->live_count == 0)
		gone = _process_gone(k);
	err = kledger__read(c->kt->ledger, h, kind_space[k->kind], v->live_count, v->alloc_count,
			    gone, &missed, &prunable);
	if (err)
		return err;
	if (prunable) {
		struct doomed *d = VEC_PUSH(c->doomed, c->ndoomed, c->doomed_cap);

		if (!d)
			return -ENOMEM;
		d->key = *k;
		d->alloc_count = v->alloc_count;
		c->ndoomed++;
		return 0;
	}
	if (!c->q || v->live_count <= 0 || !_wanted(c->q, k))
		return 0;
	if (c->n >= UINT32_MAX - 1)
		return -EOVERFLOW;
	s = VEC_PUSH(c->v, c->n, c->cap);
	if (!s)
		return -ENOMEM;
	s->key = *k;
	s->val = *v;
	s->hash = h;
	s->oldest_ns = UINT64_MAX;
	s->samples = 0;
	s->missed = missed;
	memset(&s->growth, 0, sizeof(s->growth));
	err = hashmap__add(&c->index, s->hash, (uint32_t)c->n);
	if (err)
		return err;
	c->n++;
	return 0;
}

/* Deletes the doomed sites that still hold nothing and still have the
 * allocation count they were read with (an allocation since: kept). An
 * allocation racing the delete itself is told by the BPF side (it looks
 * its site up again after counting) and counts itself again. */
static uint64_t _prune(struct ktrace *kt, const struct collect *c)
{
	int fd = bpf_map__fd(kt->skel->maps.sites);
	uint64_t n = 0;

	for (size_t i = 0; i < c->ndoomed; i++) {
		struct seep_ksite v;

		if (bpf_map_lookup_elem(fd, &c->doomed[i].key, &v) || v.live_count != 0 ||
		    v.alloc_count != c->doomed[i].alloc_count)
			continue;
		if (!bpf_map_delete_elem(fd, &c->doomed[i].key))
			n++;
	}
	return n;
}

/* The cumulative free misses and frees of each key space, for the ledger. */
static void _space_counters(const struct kreport *r, uint64_t misses[SEEP_KSPACE__MAX],
			    uint64_t frees[SEEP_KSPACE__MAX])
{
	memset(misses, 0, sizeof(uint64_t) * SEEP_KSPACE__MAX);
	memset(frees, 0, sizeof(uint64_t) * SEEP_KSPACE__MAX);
	for (size_t i = 0; i < r->nprogs; i++)
		if (r->progs[i].frees && r->progs[i].kind < SEEP_KKIND__MAX)
			misses[kind_space[r->progs[i].kind]] += r->progs[i].recursion_misses;
	for (int k = 0; k < SEEP_KKIND__MAX; k++)
		frees[kind_space[k]] += r->stats[k][SEEP_KSTAT_FREES] +
					r->stats[k][SEEP_KSTAT_FREES_UNTRACKED];
}

/* One read of the site map: the counters into OUT, every site through
 * the ledger, the wanted ones with live objects into C (when C->q), the
 * prunable ones pruned. */
static int _sweep(struct ktrace *kt, struct collect *c, struct kreport *out)
{
	uint64_t misses[SEEP_KSPACE__MAX], frees[SEEP_KSPACE__MAX];
	int err = ktrace__stats(kt, out);

	if (err)
		return err;
	_space_counters(out, misses, frees);
	kledger__begin(kt->ledger, misses, frees);
	err = ktrace__for_each_site(kt, _collect_site, c);
	kledger__end(kt->ledger);
	if (err)
		return err;
	{
		uint64_t pruned = _prune(kt, c);

		kt->pruned += pruned;
		kt->map_used = c->read > pruned ? c->read - pruned : 0;
	}
	out->site_map_used = kt->map_used;
	out->site_map_max = kt->max_sites;
	out->sites_pruned = kt->pruned;
	return 0;
}

int ktrace__prune(struct ktrace *kt, uint64_t *pruned)
{
	struct collect c = { .kt = kt };
	struct kreport r;
	uint64_t before = kt->pruned;
	int err;

	memset(&r, 0, sizeof(r));
	err = _sweep(kt, &c, &r);
	free(c.doomed);
	if (pruned)
		*pruned = kt->pruned - before;
	return err;
}

static int _collect_live(const struct seep_klive_key *k, const struct seep_klive *v, void *ctx)
{
	struct collect *c = ctx;
	int64_t id;

	(void)k;
	if (!_wanted(c->q, &v->site))
		return 0;
	id = hashmap__find(&c->index, _site_hash(&v->site), &v->site, _site_eq, c);
	if (id < 0)
		return 0;  /* its site was created after the sites were read */
	c->v[id].samples++;
	if (v->ts_ns < c->v[id].oldest_ns)
		c->v[id].oldest_ns = v->ts_ns;
	return 0;
}

static int _by_bytes(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->val.live_bytes != y->val.live_bytes)
		return x->val.live_bytes > y->val.live_bytes ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static int _frames(struct ktrace *kt, const struct site *s, struct report_stack *rs)
{
	uint64_t ips[SEEP_KMAX_STACK_DEPTH];
	size_t n = 0;

	if (s->key.stack_id >= 0) {
		n = ktrace__stack(kt, s->key.stack_id, ips, SEEP_KMAX_STACK_DEPTH, &rs->truncated);
	} else if (s->key.call_site) {
		ips[0] = s->key.call_site;
		n = 1;
	}
	if (!n)
		return 0;
	rs->frames = calloc(n, sizeof(*rs->frames));
	if (!rs->frames)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int err = kallsyms__frame(kt->ksyms, ips[i], true, &rs->frames[i]);

		if (err)
			return err;
		rs->nframes = i + 1;
	}
	return 0;
}

static void _fill_site(struct ktrace *kt, const struct site *s, uint64_t now_ns,
		       struct report_stack *rs, struct kreport_site *ks)
{
	rs->bytes = (uint64_t)s->val.live_bytes;
	rs->count = (uint64_t)s->val.live_count;
	rs->samples = s->samples;
	rs->oldest_age_s = s->oldest_ns != UINT64_MAX && now_ns > s->oldest_ns
				   ? (double)(now_ns - s->oldest_ns) * 1e-9 : 0;
	rs->alloc_bytes = s->val.alloc_bytes;
	rs->alloc_count = s->val.alloc_count;
	ks->id = s->hash;
	ks->kind = s->key.kind;
	ks->ctx = s->key.ctx;
	ks->pid = (int)s->key.tgid;
	memcpy(ks->comm, s->val.comm, sizeof(ks->comm));
	ks->comm[sizeof(ks->comm) - 1] = '\0';
	ks->cgroup_id = s->val.cgroup_id;
	ks->order = s->key.kind == SEEP_KKIND_PAGE ? (int)s->key.cache : -1;
	ks->sampled = s->key.stack_id >= 0;
	ks->growth = s->growth;
	ks->missed = s->missed;
	ks->frees_maybe_missed = kreport__missed_mark(&s->missed);
	if (s->key.kind == SEEP_KKIND_SLAB) {
		struct seep_kcache c;
		__u64 key = s->key.cache;

		if (!bpf_map__lookup_elem(kt->skel->maps.caches, &key, sizeof(key), &c, sizeof(c),
					  0)) {
			memcpy(ks->cache, c.name, sizeof(ks->cache));
			ks->cache[sizeof(ks->cache) - 1] = '\0';
			ks->object_size = c.object_size;
		} else {
			snprintf(ks->cache, sizeof(ks->cache), "?");
		}
	}
}

int ktrace__report(struct ktrace *kt, const struct ktrace_query *q, struct kreport *out)
{
	struct collect c = { .kt = kt, .q = q };
	uint64_t now_ns = clock__mono_ns();
	size_t keep;
	int err;

	memset(out, 0, sizeof(*out));
	hashmap__init(&c.index);
	out->base.pid = q->pid > 0 ? q->pid : 0;
	snprintf(out->base.comm, sizeof(out->base.comm), "[kernel]");
	out->base.time = clock__wall_s();
	out->base.elapsed_s = kt->start_s ? clock__mono_s() - kt->start_s : 0;
	out->base.sample_bytes = kt->sample_bytes;
	err = _sweep(kt, &c, out);
	if (!err)
		err = ktrace__for_each_live(kt, _collect_live, &c);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < c.n; i++) {
		uint32_t k = c.v[i].key.kind;

		out->base.total_bytes += (uint64_t)c.v[i].val.live_bytes;
		out->base.total_count += (uint64_t)c.v[i].val.live_count;
		out->base.total_samples += c.v[i].samples;
		out->missed_marked += kreport__missed_mark(&c.v[i].missed);
		if (k < SEEP_KKIND__MAX) {
			out->kind_bytes[k] += (uint64_t)c.v[i].val.live_bytes;
			out->kind_count[k] += (uint64_t)c.v[i].val.live_count;
		}
	}
	out->base.stacks_total = c.n;
	if (q->growth) {
		out->intervals = (uint32_t)kgrowth__reports(q->growth);
		for (size_t i = 0; i < c.n && !err; i++) {
			err = kgrowth__observe(q->growth, c.v[i].hash,
					       (uint64_t)c.v[i].val.live_bytes, &c.v[i].growth);
			out->growing_total += c.v[i].growth.growing;
		}
		if (err) {
			pr_err("cannot follow the sites' growth: %s", strerror(-err));
			goto cleanup;
		}
		kgrowth__commit(q->growth);
	}
	for (size_t i = 0; q->observe && i < c.n && !err; i++)
		err = q->observe(q->observe_ctx, c.v[i].hash, (uint64_t)c.v[i].val.live_bytes);
	if (err) {
		pr_err("cannot follow the sites' series: %s", strerror(-err));
		goto cleanup;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), _by_bytes);
	keep = q->top && q->top < c.n ? q->top : c.n;
	if (keep) {
		out->base.stacks = calloc(keep, sizeof(*out->base.stacks));
		out->sites = calloc(keep, sizeof(*out->sites));
		if (!out->base.stacks || !out->sites) {
			err = -ENOMEM;
			pr_err("cannot make the kernel report: %s", strerror(-err));
			goto cleanup;
		}
	}
	for (size_t i = 0; i < keep; i++) {
		_fill_site(kt, &c.v[i], now_ns, &out->base.stacks[i], &out->sites[i]);
		out->base.nstacks = i + 1;
		err = _frames(kt, &c.v[i], &out->base.stacks[i]);
		if (err) {
			pr_err("cannot symbolize a kernel stack: %s", strerror(-err));
			goto cleanup;
		}
	}
cleanup:
	if (err)
		kreport__release(out);
	hashmap__release(&c.index);
	free(c.v);
	free(c.doomed);
	return err;
}
