#include "snapshot/kreport.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/fmt.h"

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

static json_t *_stack_json(const struct report_stack *s, const struct kreport_site *k)
{
	json_t *frames = json_array();

	for (size_t j = 0; j < s->nframes; j++)
		json_array_append_new(frames, report__frame_json(&s->frames[j]));
	return json_pack("{s:s, s:I, s:I, s:I, s:f, s:I, s:I, s:i, s:s, s:I, s:s, s:o, s:o, s:o,"
			 " s:b, s:b, s:b, s:o}",
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
			 "truncated", s->truncated, "frames", frames);
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
	root = json_pack("{s:b, s:o, s:f, s:f, s:b, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I,"
			 " s:I, s:o}",
			 "kernel", 1, "pid", r->base.pid > 0 ? json_integer(r->base.pid) : json_null(),
			 "time", _ms(r->base.time), "elapsed_s", _ms(r->base.elapsed_s),
			 "final", r->base.final, "sample_bytes", (json_int_t)r->base.sample_bytes,
			 "total_bytes", (json_int_t)r->base.total_bytes,
			 "total_count", (json_int_t)r->base.total_count,
			 "stacks_total", (json_int_t)r->base.stacks_total,
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
	fprintf(out, ", oldest %.1f s (%" PRIu64 " allocated since attach)%s%s\n",
		s->oldest_age_s, s->alloc_count, k->sampled ? "" : " [call site only: not sampled]",
		k->frees_maybe_missed ? " [frees may have been missed]" : "");
	for (size_t j = 0; j < s->nframes; j++) {
		const struct stack_frame *f = &s->frames[j];

		fprintf(out, "    %-40s %s+0x%" PRIx64 "\n", f->function ? f->function : "??",
			f->module ? f->module : "?", f->offset);
	}
	if (s->truncated)
		fprintf(out, "    ... (deeper frames not kept)\n");
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
	fputc('\n', out);
	for (size_t i = 0; i < r->base.nstacks; i++)
		_site_text(&r->base.stacks[i], &r->sites[i], i, out);
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
	return -EINVAL;
}
