#include "snapshot/heapreport.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/allocators.h"

/* The header of a report: who, when, and the heap's totals. */
static void _fill_header(const struct heap *heap, const struct heapreport_meta *m,
			 struct report *r)
{
	r->pid = m->pid;
	snprintf(r->comm, sizeof(r->comm), "%s", m->comm ? m->comm : "?");
	r->time = m->time;
	r->elapsed_s = m->elapsed_s;
	r->final = m->final;
	r->exited = m->exited;
	r->has_exit_status = m->has_exit_status;
	r->exit_status = m->exit_status;
	r->exit_signal = m->exit_signal;
	r->sample_bytes = heap->sample_bytes > 1 ? heap->sample_bytes : 1;
	r->total_bytes = (uint64_t)llround(heap->total_bytes);
	r->total_count = (uint64_t)llround(heap->total_count);
	r->total_samples = heap->total_samples;
	r->stacks_total = heap->n;
	if (m->stats)
		memcpy(r->stats, m->stats, sizeof(r->stats));
	r->stack_store_full = m->stack_store_full;
	r->stacks_queued = m->stacks_queued;
	r->execs = m->execs;
}

/* A site's figures, rounded from the model's estimates. */
static void _fill_figures(const struct heap_site *site, uint64_t now_ns, struct report_stack *rs)
{
	rs->bytes = (uint64_t)llround(site->bytes);
	rs->count = (uint64_t)llround(site->count);
	rs->bytes_stddev = sqrt(site->var_bytes);
	rs->samples = site->samples;
	rs->oldest_age_s = now_ns > site->oldest_ns ? (now_ns - site->oldest_ns) / 1e9 : 0;
	rs->alloc_bytes = (uint64_t)llround(site->alloc_bytes);
	rs->alloc_count = (uint64_t)llround(site->alloc_count);
}

/* Names the allocator frame by what it is, not by an internal alias
 * (glibc's __libc_malloc) or nothing (a stripped allocator). */
static int _name_allocator(const struct heap_site *site, struct stack_frame *f)
{
	char *name;

	if (f->function && strncmp(f->function, "__", 2))
		return 0;
	name = strdup(allocators__kind_name(site->kind));
	if (!name)
		return -ENOMEM;
	free(f->function);
	f->function = name;
	return 0;
}

/* Symbolizes the N addresses of IPS into RS->frames. */
static int _symbolize(const struct heapreport_source *src, const struct heap_site *site,
		      const uint64_t *ips, const struct heapreport_stack *st,
		      struct report_stack *rs)
{
	int err;

	rs->truncated = st->truncated;
	rs->fp_fallback = st->frame_pointer;
	rs->frames = calloc(st->n + 1, sizeof(*rs->frames));
	if (!rs->frames)
		return -ENOMEM;
	if (st->lost) {  /* said in place of the allocator frame */
		rs->frames[rs->nframes].module = strdup("[stack lost]");
		if (!rs->frames[rs->nframes++].module)
			return -ENOMEM;
	}
	for (size_t i = 0; i < st->n; i++) {
		if (!ips[i])
			continue;
		/* everything but an intact stack's first address is a return address */
		err = src->frame(src->ctx, ips[i], st->lost || i > 0, &rs->frames[rs->nframes]);
		rs->nframes++;   /* counted even on failure: released with the report */
		if (err)
			return err;
	}
	return !st->lost && rs->nframes ? _name_allocator(site, &rs->frames[0]) : 0;
}

static int _add_stacks(const struct heap *heap, const struct heapreport_meta *m,
		       const struct heapreport_source *src, struct report *r)
{
	size_t n = heap->n, max = m->max_frames ? m->max_frames : 1;
	uint64_t *ips;
	int err = 0;

	if (m->top && n > m->top)
		n = m->top;
	r->stacks = calloc(n ? n : 1, sizeof(*r->stacks));
	ips = calloc(max, sizeof(*ips));
	if (!r->stacks || !ips) {
		free(ips);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const struct heap_site *site = &heap->sites[i];
		struct report_stack *rs = &r->stacks[i];
		struct heapreport_stack st = { 0 };

		_fill_figures(site, m->now_ns, rs);
		r->nstacks++;
		err = src->stack(src->ctx, site, ips, max, &st);
		if (!err && st.n > max)
			err = -EOVERFLOW;
		if (!err)
			err = _symbolize(src, site, ips, &st, rs);
	}
	free(ips);
	return err;
}

int heapreport__build(const struct heap *heap, const struct heapreport_meta *meta,
		      const struct heapreport_source *src, struct report *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	_fill_header(heap, meta, out);
	err = _add_stacks(heap, meta, src, out);
	if (err)
		report__release(out);
	return err;
}
