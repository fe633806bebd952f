#include "snapshot/kreport.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/fmt.h"
#include "lib/hashmap.h"
#include "lib/vec.h"
#include "snapshot/folded.h"

static const char *const kind_names[SEEP_KKIND__MAX] = {
	[SEEP_KKIND_SLAB] = "slab",
	[SEEP_KKIND_KMALLOC] = "kmalloc",
	[SEEP_KKIND_PAGE] = "page",
	[SEEP_KKIND_PERCPU] = "percpu",
	[SEEP_KKIND_VMALLOC] = "vmalloc",
};

static const char *const ctx_names[SEEP_KCTX__MAX] = {
	[SEEP_KCTX_TASK] = "task",
	[SEEP_KCTX_IRQ] = "interrupt",
};

static const struct {
	const char *name;
	bool drop;
} stat_info[SEEP_KSTAT__MAX] = {
	[SEEP_KSTAT_ALLOCS] = { "allocs", false },
	[SEEP_KSTAT_ALLOC_BYTES] = { "alloc_bytes", false },
	[SEEP_KSTAT_FREES] = { "frees", false },
	[SEEP_KSTAT_FREES_UNTRACKED] = { "frees_untracked", false },
	[SEEP_KSTAT_FAILED_ALLOCS] = { "failed_allocs", false },
	[SEEP_KSTAT_SAMPLED] = { "sampled", false },
	[SEEP_KSTAT_IRQ_ALLOCS] = { "irq_allocs", false },
	[SEEP_KSTAT_REPLACED] = { "frees_unseen", true },
	[SEEP_KSTAT_DROP_LIVE_FULL] = { "live_map_full", true },
	[SEEP_KSTAT_DROP_LIVE_FULL_BYTES] = { "live_map_full_bytes", true },
	[SEEP_KSTAT_DROP_SITE_FULL] = { "site_map_full", true },
	[SEEP_KSTAT_DROP_STACK_LOST] = { "stacks_lost", true },
	[SEEP_KSTAT_DROP_CACHE_FULL] = { "cache_map_full", true },
	[SEEP_KSTAT_SITE_RETRIED] = { "site_retries", false },
	[SEEP_KSTAT_DROP_SITE_LOST] = { "site_lost", true },
};

const char *kreport__kind_name(enum seep_kkind k)
{
	return (unsigned)k < SEEP_KKIND__MAX ? kind_names[k] : "?";
}

const char *kreport__ctx_name(enum seep_kctx c)
{
	return (unsigned)c < SEEP_KCTX__MAX ? ctx_names[c] : "?";
}

const char *kreport__stat_name(enum seep_kstat s)
{
	return (unsigned)s < SEEP_KSTAT__MAX ? stat_info[s].name : "?";
}

bool kreport__stat_is_drop(enum seep_kstat s)
{
	return (unsigned)s < SEEP_KSTAT__MAX && stat_info[s].drop;
}

static uint64_t _recursion_misses(const struct kreport *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->nprogs; i++)
		n += r->progs[i].recursion_misses;
	return n;
}

uint64_t kreport__drops_total(const struct kreport *r)
{
	uint64_t n = _recursion_misses(r);

	for (int k = 0; k < SEEP_KKIND__MAX; k++)
		for (int s = 0; s < SEEP_KSTAT__MAX; s++)
			if (stat_info[s].drop && s != SEEP_KSTAT_DROP_LIVE_FULL_BYTES)
				n += r->stats[k][s];
	return n;
}

void kreport__release(struct kreport *r)
{
	if (!r)
		return;
	report__release(&r->base);
	free(r->sites);
	r->sites = NULL;
}

static double _ms(double s)
{
	return round(s * 1000) / 1000;
}

static json_t *_detect_json(const struct kreport_detect *d)
{
	if (!d->judged)
		return json_null();
	return json_pack("{s:s, s:i, s:b, s:f, s:f}", "algo", d->algo ? d->algo : "?",
			 "points", (int)d->points, "leak", d->leak,
			 "slope_bytes_per_s", round(d->slope_per_s * 10) / 10,
			 "r2", round(d->r2 * 1000) / 1000);
}

static json_t *_stack_json(const struct report_stack *s, const struct kreport_site *k)
{
	json_t *frames = json_array();

	for (size_t j = 0; j < s->nframes; j++)
		json_array_append_new(frames, report__frame_json(&s->frames[j]));
	json_t *growth = json_pack("{s:i, s:i, s:I, s:b}", "intervals", (int)k->growth.intervals,
				   "grew", (int)k->growth.grew, "bytes", (json_int_t)k->growth.bytes,
				   "growing", k->growth.growing);
	json_t *missed = json_pack("{s:I, s:f}", "at_most", (json_int_t)k->missed.at_most,
				   "expected", round(k->missed.expected * 100) / 100);
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:f, s:I, s:I, s:i, s:s, s:I, s:s, s:o, s:o,"
			      " s:o, s:b, s:b, s:o, s:b, s:o, s:o, s:o}",
			      "kind", kreport__kind_name(k->kind),
			      "bytes", (json_int_t)s->bytes, "count", (json_int_t)s->count,
			      "samples", (json_int_t)s->samples,
			      "oldest_age_s", _ms(s->oldest_age_s),
			      "alloc_bytes", (json_int_t)s->alloc_bytes,
			      "alloc_count", (json_int_t)s->alloc_count,
			      "pid", k->pid, "comm", k->comm, "cgroup_id", (json_int_t)k->cgroup_id,
			      "context", kreport__ctx_name(k->ctx),
			      "cache", k->cache[0] ? json_string(k->cache) : json_null(),
			      "object_size", k->cache[0] ? json_integer(k->object_size) : json_null(),
			      "order", k->order >= 0 ? json_integer(k->order) : json_null(),
			      "sampled", k->sampled, "frees_maybe_missed", k->frees_maybe_missed,
			      "frees_missed", missed, "truncated", s->truncated, "growth", growth,
			      "detect", _detect_json(&k->detect), "frames", frames);
	return o;
}

int kreport__write_json(const struct kreport *r, FILE *out)
{
	json_t *root, *stacks = json_array(), *kinds = json_object(), *stats = json_object();
	json_t *drops = json_object(), *progs = json_array();

	for (size_t i = 0; i < r->base.nstacks; i++)
		json_array_append_new(stacks, _stack_json(&r->base.stacks[i], &r->sites[i]));
	for (int k = 0; k < SEEP_KKIND__MAX; k++) {
		json_t *st = json_object(), *dr = json_object();

		json_object_set_new(kinds, kind_names[k],
				    json_pack("{s:I, s:I}", "bytes", (json_int_t)r->kind_bytes[k],
					      "count", (json_int_t)r->kind_count[k]));
		for (int s = 0; s < SEEP_KSTAT__MAX; s++)
			json_object_set_new(stat_info[s].drop ? dr : st, stat_info[s].name,
					    json_integer((json_int_t)r->stats[k][s]));
		json_object_set_new(stats, kind_names[k], st);
		json_object_set_new(drops, kind_names[k], dr);
	}
	for (size_t i = 0; i < r->nprogs; i++) {
		const struct kreport_prog *p = &r->progs[i];

		json_array_append_new(progs, json_pack(
			"{s:s, s:s, s:b, s:I, s:I, s:o, s:I}", "name", p->name,
			"kind", kreport__kind_name(p->kind), "frees", p->frees,
			"run_cnt", (json_int_t)p->run_cnt, "run_time_ns", (json_int_t)p->run_time_ns,
			"ns_per_event", p->run_cnt ? json_real(round((double)p->run_time_ns /
								     (double)p->run_cnt * 10) / 10)
						   : json_null(),
			"recursion_misses", (json_int_t)p->recursion_misses));
	}
	root = json_pack("{s:b, s:o, s:f, s:f, s:b, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I, s:o,"
			 " s:o, s:o, s:o, s:o, s:I, s:I, s:o}",
			 "kernel", 1, "pid", r->base.pid > 0 ? json_integer(r->base.pid) : json_null(),
			 "time", _ms(r->base.time), "elapsed_s", _ms(r->base.elapsed_s),
			 "final", r->base.final, "sample_bytes", (json_int_t)r->base.sample_bytes,
			 "total_bytes", (json_int_t)r->base.total_bytes,
			 "total_count", (json_int_t)r->base.total_count,
			 "stacks_total", (json_int_t)r->base.stacks_total,
			 "intervals", (int)r->intervals, "growing_total", (json_int_t)r->growing_total,
			 "detected_total", (json_int_t)r->detected_total,
			 "missed_marked", (json_int_t)r->missed_marked,
			 "site_map", json_pack("{s:I, s:I, s:I}", "used", (json_int_t)r->site_map_used,
					       "max", (json_int_t)r->site_map_max,
					       "pruned", (json_int_t)r->sites_pruned),
			 "kinds", kinds, "stacks", stacks, "stats", stats, "drops", drops,
			 "drops_total", (json_int_t)kreport__drops_total(r),
			 "recursion_misses_total", (json_int_t)_recursion_misses(r),
			 "programs", progs);
	return report__print_json(root, out);
}

static void _site_text(const struct report_stack *s, const struct kreport_site *k, size_t i,
		       FILE *out)
{
	char b[32];

	fmt__bytes((int64_t)s->bytes, false, b, sizeof(b));
	fprintf(out, "\n  #%zu %s %s in %" PRIu64 " allocations", i + 1, b,
		kreport__kind_name(k->kind), s->count);
	if (k->cache[0])
		fprintf(out, " of cache %s (%u B objects)", k->cache, k->object_size);
	if (k->order >= 0)
		fprintf(out, " of order %d", k->order);
	if (k->ctx == SEEP_KCTX_TASK)
		fprintf(out, ", by pid %d (%s)", k->pid, k->comm);
	else
		fprintf(out, ", in %s context", kreport__ctx_name(k->ctx));
	fprintf(out, ", oldest %.1f s (%" PRIu64 " allocated since attach)%s", s->oldest_age_s,
		s->alloc_count, k->sampled ? "" : " [call site only: not sampled]");
	if (k->frees_maybe_missed)
		fprintf(out, " [frees may have been missed: ~%.1f of at most %" PRIu64 "]",
			k->missed.expected, k->missed.at_most);
	if (k->detect.judged && k->detect.leak) {
		fmt__bytes((int64_t)llround(k->detect.slope_per_s), true, b, sizeof(b));
		fprintf(out, " [leak: %s, %s/s over %u reports]", k->detect.algo ? k->detect.algo : "?",
			b, k->detect.points);
	}
	if (k->growth.intervals) {
		fmt__bytes(k->growth.bytes, true, b, sizeof(b));
		fprintf(out, "%s %s over %u intervals, grew in %u", k->growth.growing ? " [growing]" : ",",
			b, k->growth.intervals, k->growth.grew);
	}
	fputc('\n', out);
	for (size_t j = 0; j < s->nframes; j++) {
		const struct stack_frame *f = &s->frames[j];

		fprintf(out, "    %-40s %s+0x%" PRIx64 "\n", f->function ? f->function : "??",
			f->module ? f->module : "?", f->offset);
	}
	if (s->truncated)
		fprintf(out, "    ... (deeper frames not kept)\n");
}

/* The allocators' own frames, above the function that asked. */
static bool _allocator_frame(const char *fn)
{
	static const char *const prefixes[] = {
		"kmem_cache_alloc", "__kmalloc", "kmalloc", "kzalloc", "kvmalloc", "__kvmalloc",
		"kmalloc_", "__alloc_pages", "alloc_pages", "__folio_alloc", "folio_alloc",
		"pcpu_alloc", "__alloc_percpu", "alloc_vmap_area", "__vmalloc", "vmalloc",
		"slab_alloc", "__slab_alloc", "___slab_alloc", "__do_kmalloc", "alloc_slab",
		"new_slab", "allocate_slab", "__get_free_pages", "get_zeroed_page",
	};

	size_t n = strlen(fn);

	/* since 6.10 the allocators' entry points end in _noprof */
	if (n > 7 && !strcmp(fn + n - 7, "_noprof"))
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(fn, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* The name of a site: the first frame outside the allocators. */
static const char *_site_name(const struct report_stack *s)
{
	const char *fn = "??";

	for (size_t j = 0; j < s->nframes; j++)
		if (s->frames[j].function) {
			fn = s->frames[j].function;
			if (!_allocator_frame(fn))
				break;
		}
	return fn;
}

static void _site_brief(const struct report_stack *s, const struct kreport_site *k, size_t i,
			FILE *out)
{
	fprintf(out, "    #%zu %s %s", i + 1, kreport__kind_name(k->kind), _site_name(s));
	if (k->cache[0])
		fprintf(out, " (%s)", k->cache);
	if (k->ctx == SEEP_KCTX_TASK)
		fprintf(out, " by pid %d (%s)", k->pid, k->comm);
}

/* Which sites grew in every interval, and which a detector calls leaks
 * (the final report: kernel memory that grows without bound). */
static void _growing_text(const struct kreport *r, FILE *out)
{
	char b[32];

	fprintf(out, "\n  growing: %zu site%s grew in each of their intervals (of %u)%s\n",
		r->growing_total, r->growing_total == 1 ? "" : "s", r->intervals,
		r->growing_total && r->base.final ? ": kernel memory that grows without bound" : "");
	for (size_t i = 0; i < r->base.nstacks; i++) {
		const struct kreport_site *k = &r->sites[i];

		if (!k->growth.growing)
			continue;
		_site_brief(&r->base.stacks[i], k, i, out);
		fmt__bytes(k->growth.bytes, true, b, sizeof(b));
		fprintf(out, ": %s in %u intervals\n", b, k->growth.intervals);
	}
	if (r->growing_total > r->base.nstacks)
		fprintf(out, "    (only the top %zu sites are shown)\n", r->base.nstacks);
	fprintf(out, "  leaks: %zu site%s whose live bytes a detector calls a leak\n",
		r->detected_total, r->detected_total == 1 ? "" : "s");
	for (size_t i = 0; i < r->base.nstacks; i++) {
		const struct kreport_site *k = &r->sites[i];

		if (!k->detect.judged || !k->detect.leak)
			continue;
		_site_brief(&r->base.stacks[i], k, i, out);
		fmt__bytes((int64_t)llround(k->detect.slope_per_s), true, b, sizeof(b));
		fprintf(out, ": %s/s over %u reports (%s, R² %.2f)\n", b, k->detect.points,
			k->detect.algo ? k->detect.algo : "?", k->detect.r2);
	}
}

int kreport__write_text(const struct kreport *r, FILE *out)
{
	char b[32], when[32];
	time_t t = (time_t)r->base.time;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fmt__bytes((int64_t)r->base.total_bytes, false, b, sizeof(b));
	fprintf(out, "%s kernel", when);
	if (r->base.pid > 0)
		fprintf(out, ", pid %d", r->base.pid);
	fprintf(out, ": %s live in %" PRIu64 " allocations from %zu sites", b,
		r->base.total_count, r->base.stacks_total);
	if (r->base.sample_bytes > 1) {
		fmt__bytes((int64_t)r->base.sample_bytes, false, b, sizeof(b));
		fprintf(out, ", stacks sampled every %s", b);
	}
	if (r->base.nstacks < r->base.stacks_total)
		fprintf(out, " (top %zu shown)", r->base.nstacks);
	fprintf(out, "%s\n  by kind:", r->base.final ? " [final]" : "");
	for (int k = 0; k < SEEP_KKIND__MAX; k++) {
		fmt__bytes((int64_t)r->kind_bytes[k], false, b, sizeof(b));
		fprintf(out, "%s %s %s (%" PRIu64 ")", k ? "," : "", kind_names[k], b,
			r->kind_count[k]);
	}
	fprintf(out, "\n  site map: %" PRIu64 " of %" PRIu64 " sites in use, %" PRIu64
		" pruned since attach; %zu site%s marked [frees may have been missed]\n",
		r->site_map_used, r->site_map_max, r->sites_pruned, r->missed_marked,
		r->missed_marked == 1 ? "" : "s");
	for (size_t i = 0; i < r->base.nstacks; i++)
		_site_text(&r->base.stacks[i], &r->sites[i], i, out);
	if (r->intervals)
		_growing_text(r, out);
	fprintf(out, "\n  drops: %" PRIu64 " (recursion misses %" PRIu64, kreport__drops_total(r),
		_recursion_misses(r));
	for (int s = 0; s < SEEP_KSTAT__MAX; s++) {
		uint64_t n = 0;

		if (!stat_info[s].drop)
			continue;
		for (int k = 0; k < SEEP_KKIND__MAX; k++)
			n += r->stats[k][s];
		fprintf(out, ", %s %" PRIu64, stat_info[s].name, n);
	}
	fputs(")\n", out);
	for (size_t i = 0; i < r->nprogs; i++) {
		const struct kreport_prog *p = &r->progs[i];

		if (!p->recursion_misses)
			continue;
		fprintf(out, "    %s: %" PRIu64 " events missed%s\n", p->name, p->recursion_misses,
			p->frees ? " (frees: their objects may be reported as leaks)" : "");
	}
	fputc('\n', out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int kreport__write(const struct kreport *r, enum report_format fmt, FILE *out)
{
	if (fmt == REPORT_JSON)
		return kreport__write_json(r, out);
	if (fmt == REPORT_TEXT)
		return kreport__write_text(r, out);
	if (fmt == REPORT_FOLDED)
		return kreport__write_folded(r, out);
	return -EINVAL;
}

/* --- folded ---------------------------------------------------------------- */

int kreport__write_folded(const struct kreport *r, FILE *out)
{
	struct folded *f = folded__new();
	struct stack_frame *frames = NULL;
	size_t cap = 0;
	int err = f ? 0 : -ENOMEM;

	for (size_t i = 0; i < r->base.nstacks && !err; i++) {
		const struct report_stack *s = &r->base.stacks[i];
		const struct kreport_site *k = &r->sites[i];
		char who[40], what[64];

		if ((err = VEC_RESERVE(frames, cap, s->nframes + 2)))
			break;
		if (s->nframes)
			memcpy(frames, s->frames, s->nframes * sizeof(*frames));
		if (k->cache[0])
			snprintf(what, sizeof(what), "[slab %s]", k->cache);
		else if (k->order >= 0)
			snprintf(what, sizeof(what), "[page order %d]", k->order);
		else
			snprintf(what, sizeof(what), "[%s]", kreport__kind_name(k->kind));
		if (k->ctx == SEEP_KCTX_TASK)
			snprintf(who, sizeof(who), "%s %d", k->comm, k->pid);
		else
			snprintf(who, sizeof(who), "[%s]", kreport__ctx_name(k->ctx));
		frames[s->nframes] = (struct stack_frame){ .function = what };
		frames[s->nframes + 1] = (struct stack_frame){ .function = who };
		err = folded__add(f, frames, s->nframes + 2, (int64_t)s->bytes);
	}
	if (!err)
		err = folded__write(f, out);
	free(frames);
	folded__free(f);
	return err;
}

/* --- growth ---------------------------------------------------------------- */

struct kgrowth_entry {
	uint64_t id;
	uint64_t bytes;          /* live bytes in the report */
	struct kgrowth_mark mark;
};

/* The entries of one report, indexed by id. */
struct kgrowth_gen {
	struct kgrowth_entry *v;
	size_t n, cap;
	struct hashmap index;
};

struct kgrowth {
	struct kgrowth_gen gen[2];   /* [cur]: the report being made; the other: the last one */
	int cur;
	size_t reports;
};

static bool _entry_eq(uint32_t id, const void *key, void *ctx)
{
	const struct kgrowth_gen *g = ctx;

	return g->v[id].id == *(const uint64_t *)key;
}

struct kgrowth *kgrowth__new(void)
{
	struct kgrowth *g = calloc(1, sizeof(*g));

	if (g) {
		hashmap__init(&g->gen[0].index);
		hashmap__init(&g->gen[1].index);
	}
	return g;
}

void kgrowth__free(struct kgrowth *g)
{
	if (!g)
		return;
	for (int i = 0; i < 2; i++) {
		hashmap__release(&g->gen[i].index);
		free(g->gen[i].v);
	}
	free(g);
}

int kgrowth__observe(struct kgrowth *g, uint64_t id, uint64_t bytes, struct kgrowth_mark *out)
{
	struct kgrowth_gen *cur = &g->gen[g->cur], *prev = &g->gen[!g->cur];
	struct kgrowth_entry *e;
	uint64_t h = id;         /* a hash already */
	int64_t at = hashmap__find(&prev->index, h, &id, _entry_eq, prev);
	int err;

	if (cur->n >= UINT32_MAX - 1)
		return -ENOMEM;
	if (!(e = VEC_PUSH(cur->v, cur->n, cur->cap)))
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->bytes = bytes;
	if (at >= 0) {
		const struct kgrowth_entry *p = &prev->v[at];

		e->mark = p->mark;
		e->mark.intervals++;
		e->mark.grew += bytes > p->bytes;
		e->mark.bytes += (int64_t)bytes - (int64_t)p->bytes;
	}
	e->mark.growing = e->mark.intervals >= KGROWTH_MIN_INTERVALS &&
			  e->mark.grew == e->mark.intervals;
	if ((err = hashmap__add(&cur->index, h, (uint32_t)cur->n)))
		return err;
	cur->n++;
	*out = e->mark;
	return 0;
}

void kgrowth__commit(struct kgrowth *g)
{
	struct kgrowth_gen *prev = &g->gen[!g->cur];

	prev->n = 0;
	hashmap__clear(&prev->index);
	g->cur = !g->cur;
	g->reports++;
}

size_t kgrowth__reports(const struct kgrowth *g)
{
	return g->reports;
}
