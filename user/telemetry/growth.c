/* growth — growth stacks per process; see growth.h. */
#include "telemetry/growth.h"

#include "elf/allocators.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"
#include "snapshot/sampling.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"

#define DEFAULT_PROCS 1024
#define DEFAULT_STACKS 4096
#define DEFAULT_FRAMES 64
#define DEFAULT_TOP 20

struct gstack {
	double bytes[SEEP_TEL_GROW_NKINDS];
	uint64_t samples;
};

struct gproc {
	int pid;
	uint64_t start_boottime;
	uint64_t exec_id;	/* the image the stacks are of */
	char comm[17];
	struct symbolizer *sym;	/* opened on the first stack copy */
	struct stacks *stacks;	/* ids index ST */
	struct gstack *st;
	size_t nst, capst;
	double bytes[SEEP_TEL_GROW_NKINDS];
	uint64_t samples;
};

struct growth {
	struct growth_config cfg;
	struct symcache *cache;
	struct gproc **procs;	/* by id; NULL: a forgotten process */
	size_t nprocs, capprocs, live;
	struct hashmap index;	/* pid -> id */
	uint64_t *ips;		/* scratch, cfg.max_frames */
	struct growth_stats stats;
};

static const char *const kind_names[SEEP_TEL_GROW_NKINDS] = {
	"brk", "mmap", "fault", "brk_shrink", "munmap",
};

const char *growth__kind_name(unsigned kind)
{
	return kind < SEEP_TEL_GROW_NKINDS ? kind_names[kind] : "?";
}

static uint64_t _pid_hash(int pid)
{
	return hash__finish(hash__update_u64(HASH_SEED, (uint64_t)(uint32_t)pid));
}

static bool _pid_eq(uint32_t id, const void *key, void *ctx)
{
	const struct growth *g = ctx;

	return g->procs[id] && g->procs[id]->pid == *(const int *)key;
}

static void _proc_free(struct gproc *p)
{
	if (!p)
		return;
	symbolizer__free(p->sym);
	stacks__free(p->stacks);
	free(p->st);
	free(p);
}

int growth__new(const struct growth_config *cfg, struct symcache *cache, struct growth **out)
{
	struct growth *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	if (!g->cfg.max_procs)
		g->cfg.max_procs = DEFAULT_PROCS;
	if (!g->cfg.max_stacks)
		g->cfg.max_stacks = DEFAULT_STACKS;
	if (!g->cfg.max_frames)
		g->cfg.max_frames = DEFAULT_FRAMES;
	g->cache = cache;
	hashmap__init(&g->index);
	g->ips = calloc(g->cfg.max_frames, sizeof(*g->ips));
	if (!g->ips) {
		growth__free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void growth__free(struct growth *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nprocs; i++)
		_proc_free(g->procs[i]);
	free(g->procs);
	hashmap__release(&g->index);
	free(g->ips);
	free(g);
}

static struct gproc *_find(const struct growth *g, int pid)
{
	int64_t id = hashmap__find(&g->index, _pid_hash(pid), &pid, _pid_eq, (void *)g);

	return id < 0 ? NULL : g->procs[id];
}

void growth__set_sample_bytes(struct growth *g, uint64_t sample_bytes)
{
	if (g && sample_bytes)
		g->cfg.sample_bytes = sample_bytes;
}

void growth__forget(struct growth *g, int pid)
{
	int64_t id = hashmap__remove(&g->index, _pid_hash(pid), &pid, _pid_eq, g);

	if (id < 0)
		return;
	_proc_free(g->procs[id]);
	g->procs[id] = NULL;
	g->live--;
}

/* The entry of EV's process, made (or renewed, for a reused pid) if need be. */
static int _proc(struct growth *g, const struct seep_tel_growth *ev, struct gproc **out)
{
	struct gproc *p = _find(g, (int)ev->pid), **slot;

	if (p && (p->start_boottime != ev->start_boottime || p->exec_id != ev->exec_id)) {
		/* a later process with its pid, or a new image: its stacks and
		 * modules are another program's */
		growth__forget(g, (int)ev->pid);
		p = NULL;
	}
	if (p) {
		*out = p;
		return 0;
	}
	if (g->live >= g->cfg.max_procs)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = (int)ev->pid;
	p->start_boottime = ev->start_boottime;
	p->exec_id = ev->exec_id;
	memcpy(p->comm, ev->comm, sizeof(ev->comm));
	p->comm[sizeof(ev->comm)] = '\0';
	p->stacks = stacks__new();
	slot = VEC_PUSH(g->procs, g->nprocs, g->capprocs);
	if (!p->stacks || !slot || hashmap__add(&g->index, _pid_hash(p->pid), (uint32_t)g->nprocs)) {
		_proc_free(p);
		return -ENOMEM;
	}
	*slot = p;
	g->nprocs++;
	g->live++;
	*out = p;
	return 0;
}

static int _count(struct growth *g, struct gproc *p, const struct seep_tel_growth *ev,
		  const uint64_t *ips, size_t n, bool truncated)
{
	struct sample_weight w = sampling__weight(ev->size, g->cfg.sample_bytes);
	uint32_t id;
	int err;

	if (ev->kind >= SEEP_TEL_GROW_NKINDS || !n)
		return -EINVAL;
	err = stacks__intern(p->stacks, ips, n, truncated, &id);
	if (err)
		return err;
	if (id >= g->cfg.max_stacks) {
		g->stats.dropped++;	/* a new stack past the limit: interned, not counted */
		return -ENOSPC;
	}
	while (p->nst <= id) {
		struct gstack *s = VEC_PUSH(p->st, p->nst, p->capst);

		if (!s)
			return -ENOMEM;
		memset(s, 0, sizeof(*s));
		p->nst++;
	}
	p->st[id].bytes[ev->kind] += w.bytes;
	p->st[id].samples++;
	p->bytes[ev->kind] += w.bytes;
	p->samples++;
	g->stats.events++;
	if (truncated)
		g->stats.truncated++;
	return 0;
}

int growth__add(struct growth *g, const struct seep_tel_growth *ev, const uint64_t *ips, size_t n,
		bool truncated)
{
	struct gproc *p;
	int err = _proc(g, ev, &p);

	if (err) {
		g->stats.dropped++;
		return err;
	}
	return _count(g, p, ev, ips, n, truncated);
}

int growth__add_copy(struct growth *g, const struct seep_tel_growth *ev, const void *stack)
{
	struct unwind_regs regs = { .ip = ev->ip, .sp = ev->sp, .bp = ev->bp };
	struct unwind_top top = { .data = (const char *)stack + ev->top_off, .len = ev->top_len,
				  .addr = ev->top_addr };
	bool truncated = false;
	struct gproc *p;
	size_t n;
	int err = _proc(g, ev, &p);

	if (err) {
		g->stats.dropped++;
		return err;
	}
	if (!p->sym) {
		p->sym = symbolizer__new((pid_t)ev->pid, g->cache);
		if (!p->sym) {
			g->stats.unwind_failed++;
			return -errno;
		}
	}
	n = symbolizer__unwind(p->sym, (pid_t)ev->tid, &regs, stack, ev->stack_len,
			       ev->top_len ? &top : NULL, g->ips, g->cfg.max_frames, &truncated);
	if (n <= 1 && symbolizer__refresh(p->sym) == 1)	/* code mapped since (dlopen) */
		n = symbolizer__unwind(p->sym, (pid_t)ev->tid, &regs, stack, ev->stack_len,
				       ev->top_len ? &top : NULL, g->ips, g->cfg.max_frames,
				       &truncated);
	return _count(g, p, ev, g->ips, n, truncated);
}

const struct growth_stats *growth__stats(const struct growth *g)
{
	return &g->stats;
}

static double _grown(const double *b)
{
	return b[SEEP_TEL_GROW_BRK] + b[SEEP_TEL_GROW_MMAP] + b[SEEP_TEL_GROW_FAULT];
}

static int _by_grown(const void *a, const void *b)
{
	const struct growth_stack_view *x = a, *y = b;

	return x->grown < y->grown ? 1 : x->grown > y->grown ? -1 : 0;
}

static char *_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int _frames(struct gproc *p, const uint64_t *ips, size_t n, struct growth_stack_view *sv)
{
	sv->frames = calloc(n ? n : 1, sizeof(*sv->frames));
	if (!sv->frames)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct growth_frame_view *f = &sv->frames[i];
		struct stack_frame fr = { 0 };

		sv->nframes = i + 1;
		f->addr = ips[i];
		if (!p->sym || symbolizer__frame(p->sym, ips[i], i > 0, &fr))
			continue;
		f->function = _dup(fr.function);
		f->module = _dup(fr.module);
		f->file = _dup(fr.file);
		f->line = fr.line;
		free(fr.function);
		free(fr.module);
		free(fr.file);
		free(fr.build_id);
		if ((fr.function && !f->function) || (fr.module && !f->module) ||
		    (fr.file && !f->file))
			return -ENOMEM;
	}
	return 0;
}

/* Modules whose frames are the allocator's or the C runtime's, not the
 * program's: glibc, the dynamic loader, the C++ runtime, the common
 * allocators. */
static bool _runtime_module(const char *module)
{
	static const char *const prefixes[] = {
		"libc.so", "libc-", "ld-linux", "ld.so", "ld64.so", "libstdc++.so", "libgcc_s.so",
		"libjemalloc.so", "libtcmalloc", "libmimalloc.so", "libpthread.so",
	};
	const char *base;

	if (!module)
		return false;
	base = strrchr(module, '/');
	base = base ? base + 1 : module;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

size_t growth__site(const struct growth_stack_view *sv)
{
	for (size_t i = 0; i < sv->nframes; i++) {
		const struct growth_frame_view *f = &sv->frames[i];

		if (!f->function || _runtime_module(f->module) || allocators__is_entry(f->function))
			continue;
		return i;
	}
	/* all runtime frames (or none named): the innermost named one */
	for (size_t i = 0; i < sv->nframes; i++)
		if (sv->frames[i].function)
			return i;
	return 0;
}

int growth__view(struct growth *g, int pid, size_t top, struct growth_view *out)
{
	struct gproc *p = _find(g, pid);
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!p)
		return -ENOENT;
	if (!p->sym)	/* frames given unwound (growth__add): symbols of the live process */
		p->sym = symbolizer__new((pid_t)pid, g->cache);
	out->pid = p->pid;
	out->start_boottime = p->start_boottime;
	memcpy(out->comm, p->comm, sizeof(out->comm));
	memcpy(out->bytes, p->bytes, sizeof(out->bytes));
	out->samples = p->samples;
	out->total_stacks = p->nst;
	out->stacks = calloc(p->nst ? p->nst : 1, sizeof(*out->stacks));
	if (!out->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < p->nst; i++) {
		struct growth_stack_view *sv = &out->stacks[i];

		memcpy(sv->bytes, p->st[i].bytes, sizeof(sv->bytes));
		sv->grown = _grown(sv->bytes);
		sv->samples = p->st[i].samples;
		sv->nframes = i;	/* the stack's id until sorted and filled */
	}
	qsort(out->stacks, p->nst, sizeof(*out->stacks), _by_grown);
	out->nstacks = top && top < p->nst ? top : p->nst;
	for (size_t i = 0; i < p->nst; i++) {
		struct growth_stack_view *sv = &out->stacks[i];
		uint32_t id = (uint32_t)sv->nframes;
		size_t n = 0;
		const uint64_t *ips;

		sv->nframes = 0;
		if (i >= out->nstacks || err)
			continue;
		ips = stacks__get(p->stacks, id, &n, &sv->truncated);
		err = ips ? _frames(p, ips, n, sv) : -ENOENT;
	}
	if (err)
		growth_view__release(out);
	return err;
}

void growth_view__release(struct growth_view *v)
{
	if (!v || !v->stacks)
		return;
	for (size_t i = 0; i < v->total_stacks; i++) {
		struct growth_stack_view *sv = &v->stacks[i];

		for (size_t j = 0; j < sv->nframes; j++) {
			free(sv->frames[j].function);
			free(sv->frames[j].module);
			free(sv->frames[j].file);
		}
		free(sv->frames);
	}
	free(v->stacks);
	v->stacks = NULL;
	v->nstacks = v->total_stacks = 0;
}

int growth__pids(const struct growth *g, int **pids, size_t *n)
{
	size_t k = 0;

	*pids = calloc(g->live ? g->live : 1, sizeof(**pids));
	if (!*pids)
		return -ENOMEM;
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i])
			(*pids)[k++] = g->procs[i]->pid;
	*n = k;
	return 0;
}

static json_t *_bytes(const double *b)
{
	json_t *o = json_object();

	for (unsigned k = 0; o && k < SEEP_TEL_GROW_NKINDS; k++)
		if (json_object_set_new(o, kind_names[k], json_real(b[k]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *_stack_json(const struct growth_stack_view *sv)
{
	json_t *frames = json_array(), *o;

	for (size_t i = 0; frames && i < sv->nframes; i++) {
		const struct growth_frame_view *f = &sv->frames[i];

		if (json_array_append_new(frames, json_pack("{s:o, s:o, s:o, s:i, s:I}",
							    "function", _str(f->function),
							    "module", _str(f->module),
							    "file", _str(f->file), "line", f->line,
							    "addr", (json_int_t)f->addr))) {
			json_decref(frames);
			return NULL;
		}
	}
	o = json_pack("{s:o, s:f, s:I, s:b, s:I, s:o}", "bytes", _bytes(sv->bytes), "grown",
		      sv->grown, "samples", (json_int_t)sv->samples, "truncated", sv->truncated,
		      "site", (json_int_t)growth__site(sv), "frames", frames);
	return o;
}

static json_t *_proc_json(struct growth *g, int pid, size_t top, int *err)
{
	struct growth_view v;
	json_t *stacks, *o = NULL;

	*err = growth__view(g, pid, top, &v);
	if (*err)
		return NULL;
	stacks = json_array();
	for (size_t i = 0; stacks && i < v.nstacks; i++)
		if (json_array_append_new(stacks, _stack_json(&v.stacks[i]))) {
			json_decref(stacks);
			stacks = NULL;
		}
	if (stacks)
		o = json_pack("{s:i, s:s, s:I, s:I, s:o, s:I, s:I, s:o}", "pid", v.pid, "comm",
			      v.comm, "start_boottime", (json_int_t)v.start_boottime, "sample_bytes",
			      (json_int_t)g->cfg.sample_bytes, "bytes", _bytes(v.bytes), "samples",
			      (json_int_t)v.samples, "total_stacks", (json_int_t)v.total_stacks,
			      "stacks", stacks);
	growth_view__release(&v);
	if (!o)
		*err = -ENOMEM;
	return o;
}

static json_t *_list_json(struct growth *g)
{
	json_t *list = json_array(), *o;

	for (size_t i = 0; list && i < g->nprocs; i++) {
		const struct gproc *p = g->procs[i];

		if (!p)
			continue;
		if (json_array_append_new(list, json_pack("{s:i, s:s, s:I, s:o, s:I, s:I}", "pid",
							  p->pid, "comm", p->comm, "start_boottime",
							  (json_int_t)p->start_boottime, "bytes",
							  _bytes(p->bytes), "samples",
							  (json_int_t)p->samples, "stacks",
							  (json_int_t)p->nst))) {
			json_decref(list);
			return NULL;
		}
	}
	o = json_pack("{s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "sample_bytes",
		      (json_int_t)g->cfg.sample_bytes, "stats", "events",
		      (json_int_t)g->stats.events, "dropped", (json_int_t)g->stats.dropped,
		      "unwind_failed", (json_int_t)g->stats.unwind_failed, "truncated",
		      (json_int_t)g->stats.truncated, "processes", list);
	return o;
}

static int _number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int growth__render_json(struct growth *g, const char *pid_arg, const char *top_arg, char **body,
			size_t *len)
{
	uint64_t pid = 0, top = DEFAULT_TOP;
	json_t *j;
	int err = 0;

	*body = NULL;
	*len = 0;
	if (top_arg && _number(top_arg, 1u << 20, &top))
		return -EINVAL;
	if (pid_arg) {
		if (_number(pid_arg, INT32_MAX, &pid))
			return -EINVAL;
		j = _proc_json(g, (int)pid, (size_t)top, &err);
	} else {
		j = _list_json(g);
		err = j ? 0 : -ENOMEM;
	}
	if (err)
		return err;
	*body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!*body)
		return -ENOMEM;
	*len = strlen(*body);
	return 0;
}
