#include "snapshot/report.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/fmt.h"

static const struct {
	const char *name;
	bool drop;
} stat_info[SEEP_STAT__MAX] = {
	[SEEP_STAT_ALLOCS] = { "allocs", false },
	[SEEP_STAT_ALLOC_BYTES] = { "alloc_bytes", false },
	[SEEP_STAT_FREES] = { "frees", false },
	[SEEP_STAT_FREES_UNTRACKED] = { "frees_untracked", false },
	[SEEP_STAT_FAILED_ALLOCS] = { "failed_allocs", false },
	[SEEP_STAT_NESTED] = { "nested_calls", false },
	[SEEP_STAT_MUNMAP_PARTIAL] = { "munmap_partial", false },
	[SEEP_STAT_DROP_LIVE_FULL] = { "live_map_full", true },
	[SEEP_STAT_DROP_LIVE_FULL_BYTES] = { "live_map_full_bytes", true },
	[SEEP_STAT_DROP_AGG_FULL] = { "site_map_full", true },
	[SEEP_STAT_DROP_STACK_LOST] = { "stacks_lost", true },
	[SEEP_STAT_DROP_MISSED_RETURN] = { "missed_returns", true },
	[SEEP_STAT_DROP_NEST_FULL] = { "nesting_overflow", true },
	[SEEP_STAT_DROP_NO_TASK_STORAGE] = { "thread_state_failed", true },
	[SEEP_STAT_UNSAMPLED] = { "calls_unsampled", false },
	[SEEP_STAT_STACK_EVENTS] = { "stack_copies", false },
	[SEEP_STAT_DROP_RINGBUF_FULL] = { "ringbuf_full", true },
	[SEEP_STAT_STACKS_WALKED] = { "stacks_walked", false },
	[SEEP_STAT_DEGRADED_SHORT] = { "stack_copies_short", true },
	[SEEP_STAT_DEGRADED_FP] = { "stacks_frame_pointer", true },
	[SEEP_STAT_WALKS_JOINED] = { "walks_joined", false },
	[SEEP_STAT_WALKS_OUTER_CHANGED] = { "walks_outer_changed", false },
	[SEEP_STAT_LIVE_SPILLED] = { "live_spilled", false },
	[SEEP_STAT_NESTED_ASSUMED] = { "nested_assumed", false },
};

const char *report__stat_name(enum seep_stat s)
{
	return (unsigned)s < SEEP_STAT__MAX ? stat_info[s].name : "?";
}

bool report__stat_is_drop(enum seep_stat s)
{
	return (unsigned)s < SEEP_STAT__MAX && stat_info[s].drop;
}

/* Events lost: every drop counter except the byte count beside one. */
static uint64_t _drops_total(const struct report *r)
{
	uint64_t n = 0;

	for (int s = 0; s < SEEP_STAT__MAX; s++)
		if (stat_info[s].drop && s != SEEP_STAT_DROP_LIVE_FULL_BYTES)
			n += r->stats[s];
	return n + r->stack_store_full + r->stacks_queued;
}

void report__release(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstacks; i++) {
		struct report_stack *s = &r->stacks[i];

		for (size_t j = 0; j < s->nframes; j++) {
			free(s->frames[j].function);
			free(s->frames[j].module);
			free(s->frames[j].file);
			free(s->frames[j].build_id);
		}
		free(s->frames);
	}
	free(r->stacks);
	r->stacks = NULL;
	r->nstacks = 0;
}

int report__append_stacks(struct report *dst, struct report *src)
{
	struct report_stack *v;

	if (!src->nstacks)
		return 0;
	if (!(v = realloc(dst->stacks, (dst->nstacks + src->nstacks) * sizeof(*v))))
		return -ENOMEM;
	memcpy(v + dst->nstacks, src->stacks, src->nstacks * sizeof(*v));
	dst->stacks = v;
	dst->nstacks += src->nstacks;
	free(src->stacks);
	src->stacks = NULL;
	src->nstacks = 0;
	return 0;
}

/* Seconds rounded to the millisecond, so JSON shows 1.276, not 1.2761600012. */
static double _ms(double s)
{
	return round(s * 1000) / 1000;
}

static json_t *_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *_frame_json(const struct stack_frame *f)
{
	char off[32];

	snprintf(off, sizeof(off), "0x%" PRIx64, f->offset);
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}",
			 "function", _str_or_null(f->function),
			 "module", _str_or_null(f->module),
			 "offset", off,
			 "file", _str_or_null(f->file),
			 "line", f->line > 0 ? json_integer(f->line) : json_null(),
			 "build_id", _str_or_null(f->build_id));
}

json_t *report__frame_json(const struct stack_frame *f)
{
	return _frame_json(f);
}

const char *report__escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	bool clean = true;

	for (const unsigned char *p = (const unsigned char *)s; *p && clean; p++)
		clean = *p >= 0x20 && *p != 0x7f && *p != '\\';
	if (clean || !len)
		return s;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 <= len; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}

/* "SIGSEGV" for SEGV's number ("SIG?" if it has no name). */
static const char *_signame(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	snprintf(buf, len, "SIG%s", abbrev ? abbrev : "?");
	return buf;
}

static json_t *_stats_json(const struct report *r)
{
	json_t *stats = json_object(), *drops = json_object();

	for (int s = 0; s < SEEP_STAT__MAX; s++)
		json_object_set_new(stat_info[s].drop ? drops : stats, stat_info[s].name,
				    json_integer((json_int_t)r->stats[s]));
	json_object_set_new(drops, "stack_store_full", json_integer((json_int_t)r->stack_store_full));
	json_object_set_new(drops, "stacks_queued", json_integer((json_int_t)r->stacks_queued));
	json_object_set_new(stats, "drops", drops);
	json_object_set_new(stats, "drops_total", json_integer((json_int_t)_drops_total(r)));
	return stats;
}

int report__print_json(struct json_t *root, FILE *out)
{
	int err = 0;

	if (!root)
		return -ENOMEM;
	if (json_dumpf(root, out, JSON_COMPACT | JSON_REAL_PRECISION(15)) || fputc('\n', out) == EOF)
		err = -EIO;
	json_decref(root);
	fflush(out);
	return err;
}

static json_t *_reach_json(const struct report_reach *a)
{
	return json_pack("{s:b, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "exact", a->exact, "pause_ms", round(a->pause_ns / 1e3) / 1e3,
			 "scanned_bytes", (json_int_t)a->scanned_bytes,
			 "root_bytes", (json_int_t)a->root_bytes,
			 "stack_bytes", (json_int_t)a->stack_bytes,
			 "threads", (json_int_t)a->threads,
			 "lost_bytes", (json_int_t)a->lost_bytes,
			 "lost_blocks", (json_int_t)a->lost_blocks,
			 "lost_stacks", (json_int_t)a->lost_stacks,
			 "reachable_bytes", (json_int_t)a->reachable_bytes,
			 "reachable_blocks", (json_int_t)a->reachable_blocks);
}

/* The text report's reachability lines: the verdict, then what it cost. */
static void _reach_text(const struct report *r, FILE *out)
{
	const struct report_reach *a = &r->reach;
	char lost[32], held[32], scanned[32];

	fmt__bytes((int64_t)a->lost_bytes, false, lost, sizeof(lost));
	fmt__bytes((int64_t)a->reachable_bytes, false, held, sizeof(held));
	fmt__bytes((int64_t)a->scanned_bytes, false, scanned, sizeof(scanned));
	fprintf(out, "  reachability: %s definitely lost in %" PRIu64 " blocks from %zu stacks "
		"(nothing points to them); %s in %" PRIu64 " blocks still reachable\n", lost,
		a->lost_blocks, a->lost_stacks, held, a->reachable_blocks);
	fprintf(out, "  scan: process held %.3f ms, %s read (%zu threads' registers and stacks, "
		"writable segments%s)\n", a->pause_ns / 1e6, scanned, a->threads,
		a->exact ? "" : ", untracked heap: blocks from before attach count as roots");
}

int report__write_json(const struct report *r, FILE *out)
{
	json_t *root, *stacks = json_array();

	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];
		json_t *frames = json_array();

		for (size_t j = 0; j < s->nframes; j++)
			json_array_append_new(frames, _frame_json(&s->frames[j]));
		json_array_append_new(stacks, json_pack(
			"{s:I, s:I, s:f, s:I, s:f, s:I, s:I, s:b, s:b, s:o}",
			"bytes", (json_int_t)s->bytes, "count", (json_int_t)s->count,
			"bytes_stddev", round(s->bytes_stddev),
			"samples", (json_int_t)s->samples,
			"oldest_age_s", _ms(s->oldest_age_s),
			"alloc_bytes", (json_int_t)s->alloc_bytes,
			"alloc_count", (json_int_t)s->alloc_count,
			"truncated", s->truncated, "fp_fallback", s->fp_fallback,
			"frames", frames));
		if (r->reach.done)
			json_object_set_new(json_array_get(stacks, i), "reach",
					    json_string(s->lost ? "lost" : "reachable"));
	}
	char sig[32];

	root = json_pack("{s:i, s:s, s:f, s:f, s:b, s:b, s:o, s:o, s:I, s:I, s:I, s:I, s:I, "
			 "s:o, s:o}",
			 "pid", r->pid, "comm", r->comm, "time", _ms(r->time),
			 "elapsed_s", _ms(r->elapsed_s), "final", r->final, "exited", r->exited,
			 "exit_status", r->has_exit_status && r->exit_status >= 0
						? json_integer(r->exit_status) : json_null(),
			 "signal", r->has_exit_status && r->exit_signal
					   ? json_string(_signame(r->exit_signal, sig, sizeof(sig)))
					   : json_null(),
			 "sample_bytes", (json_int_t)r->sample_bytes,
			 "total_bytes", (json_int_t)r->total_bytes,
			 "total_count", (json_int_t)r->total_count,
			 "total_samples", (json_int_t)r->total_samples,
			 "stacks_total", (json_int_t)r->stacks_total,
			 "stacks", stacks, "stats", _stats_json(r));
	if (root)
		json_object_set_new(root, "execs", json_integer((json_int_t)r->execs));
	if (root && r->reach.done)   /* absent without a scan */
		json_object_set_new(root, "reach", _reach_json(&r->reach));
	return report__print_json(root, out);
}

static const char *_basename(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

int report__write_text(const struct report *r, FILE *out)
{
	char total[32], when[32], b[32], how[64] = "", e1[256], e2[256], e3[256];
	time_t t = (time_t)r->time;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fmt__bytes((int64_t)r->total_bytes, false, total, sizeof(total));
	if (r->has_exit_status && r->exit_signal)
		snprintf(how, sizeof(how), " killed by %s", _signame(r->exit_signal, b, sizeof(b)));
	else if (r->has_exit_status)
		snprintf(how, sizeof(how), " exited with status %d", r->exit_status);
	else if (r->exited)
		snprintf(how, sizeof(how), " exited");
	fprintf(out, "%s pid %d (%s)%s: %s live in %s%" PRIu64 " allocations from %zu stacks",
		when, r->pid, report__escape(r->comm, e1, sizeof(e1)), how, total,
		r->sample_bytes > 1 ? "~" : "", r->total_count, r->stacks_total);
	if (r->sample_bytes > 1) {
		fmt__bytes((int64_t)r->sample_bytes, false, b, sizeof(b));
		fprintf(out, ", sampled every %s", b);
	}
	if (r->nstacks < r->stacks_total)
		fprintf(out, " (top %zu shown)", r->nstacks);
	fprintf(out, "%s\n", r->final ? " [final]" : "");
	if (r->reach.done)
		_reach_text(r, out);
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];

		if (r->reach.done && i == 0 && s->lost)
			fprintf(out, "\n  == definitely lost ==\n");
		if (r->reach.done && !s->lost && (i == 0 || r->stacks[i - 1].lost))
			fprintf(out, "\n  == still reachable (not leaks) ==\n");

		fmt__bytes((int64_t)s->bytes, false, b, sizeof(b));
		fprintf(out, "\n  #%zu %s", i + 1, b);
		if (r->sample_bytes > 1) {
			fmt__bytes((int64_t)(s->bytes_stddev + 0.5), false, b, sizeof(b));
			fprintf(out, " ± %s in ~%" PRIu64 " allocations (%" PRIu64 " sampled)", b,
				s->count, s->samples);
		} else {
			fprintf(out, " in %" PRIu64 " allocations", s->count);
		}
		fprintf(out, ", oldest %.1f s (%" PRIu64 " allocated since attach)\n",
			s->oldest_age_s, s->alloc_count);
		for (size_t j = 0; j < s->nframes; j++) {
			const struct stack_frame *f = &s->frames[j];

			fprintf(out, "    %-32s %s+0x%" PRIx64,
				f->function ? report__escape(f->function, e1, sizeof(e1)) : "??",
				report__escape(_basename(f->module), e2, sizeof(e2)), f->offset);
			if (f->file)
				fprintf(out, "  %s:%d", report__escape(_basename(f->file), e3, sizeof(e3)),
					f->line);
			fputc('\n', out);
		}
		if (s->truncated)
			fprintf(out, "    ... (deeper frames not kept)\n");
		if (s->fp_fallback)
			fprintf(out, "    (frame-pointer frames: the stack ring was full; past a "
				"function without frame pointers they may be cut or wrong)\n");
	}
	fprintf(out, "\n  stats: %" PRIu64 " allocations recorded, %" PRIu64 " frees matched, %"
		PRIu64 " frees of untracked blocks, %" PRIu64 " failed, %" PRIu64 " nested\n",
		r->stats[SEEP_STAT_ALLOCS], r->stats[SEEP_STAT_FREES],
		r->stats[SEEP_STAT_FREES_UNTRACKED], r->stats[SEEP_STAT_FAILED_ALLOCS],
		r->stats[SEEP_STAT_NESTED]);
	if (r->execs)
		fprintf(out, "  execs: %" PRIu64 " followed (a new heap each; the old image's blocks"
			" dropped)\n", r->execs);
	fprintf(out, "  drops: %" PRIu64 " (", _drops_total(r));
	for (int s = 0, first = 1; s < SEEP_STAT__MAX; s++) {
		if (!stat_info[s].drop)
			continue;
		fprintf(out, "%s%s %" PRIu64, first ? "" : ", ", stat_info[s].name, r->stats[s]);
		first = 0;
	}
	fprintf(out, ", stack_store_full %" PRIu64 ", stacks_queued %" PRIu64 ")\n\n",
		r->stack_store_full, r->stacks_queued);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int report__write(const struct report *r, enum report_format fmt, FILE *out)
{
	if (fmt == REPORT_FOLDED)
		return -EINVAL;
	return fmt == REPORT_JSON ? report__write_json(r, out) : report__write_text(r, out);
}
