#include "snapshot/diff.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/fmt.h"
#include "snapshot/folded.h"
#include "snapshot/stacktab.h"

static int _by_growth(const void *a, const void *b)
{
	const struct diff_row *x = a, *y = b;

	if (x->delta_bytes != y->delta_bytes)
		return x->delta_bytes > y->delta_bytes ? -1 : 1;
	if (x->delta_count != y->delta_count)
		return x->delta_count > y->delta_count ? -1 : 1;
	if (x->new_bytes != y->new_bytes)
		return x->new_bytes > y->new_bytes ? -1 : 1;
	return 0;
}

int diff__compute(const struct report *base, const struct report *new, struct diff *out)
{
	struct stacktab *t = stacktab__new(2);
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->base = base;
	out->new = new;
	if (!t)
		return -ENOMEM;
	/* the new report first: its frames show a row that is in both */
	if ((err = stacktab__add(t, 1, new)) || (err = stacktab__add(t, 0, base)))
		goto cleanup;
	out->n = stacktab__rows(t);
	out->rows = calloc(out->n ? out->n : 1, sizeof(*out->rows));
	if (!out->rows) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < out->n; i++) {
		const struct stacktab_row *tr = stacktab__row(t, i);
		struct diff_row *r = &out->rows[i];

		r->stack = tr->stack;
		r->base_bytes = tr->bytes[0];
		r->base_count = tr->count[0];
		r->new_bytes = tr->bytes[1];
		r->new_count = tr->count[1];
		r->delta_bytes = (int64_t)r->new_bytes - (int64_t)r->base_bytes;
		r->delta_count = (int64_t)r->new_count - (int64_t)r->base_count;
		out->delta_bytes += r->delta_bytes;
		out->delta_count += r->delta_count;
	}
	qsort(out->rows, out->n, sizeof(*out->rows), _by_growth);
	err = 0;
cleanup:
	stacktab__free(t);
	if (err)
		diff__release(out);
	return err;
}

void diff__release(struct diff *d)
{
	if (!d)
		return;
	free(d->rows);
	d->rows = NULL;
	d->n = 0;
}

static size_t _shown(const struct diff *d, size_t top)
{
	return top && top < d->n ? top : d->n;
}

static void _when(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	localtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *_base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

static void _side_text(const char *label, const char *name, const struct report *r, FILE *out)
{
	char when[32], total[32];

	_when(r->time, when, sizeof(when));
	fmt__bytes((int64_t)r->total_bytes, false, total, sizeof(total));
	fprintf(out, "%-5s %s: pid %d (%s) at %s, %s live in %" PRIu64 " objects\n", label,
		name ? name : "?", r->pid, r->comm[0] ? r->comm : "?", when, total, r->total_count);
}

int diff__write_text(const struct diff *d, size_t top, FILE *out)
{
	char delta[32], from[32], to[32];
	size_t n = _shown(d, top);

	_side_text("base", d->base_name, d->base, out);
	_side_text("new", d->new_name, d->new, out);
	fmt__bytes(d->delta_bytes, true, delta, sizeof(delta));
	fprintf(out, "growth: %s, %+" PRId64 " objects, over %.1f s; %zu stacks%s\n", delta,
		d->delta_count, d->new->time - d->base->time, d->n,
		n < d->n ? " (top ones shown)" : "");
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *r = &d->rows[i];

		fmt__bytes(r->delta_bytes, true, delta, sizeof(delta));
		fmt__bytes((int64_t)r->base_bytes, false, from, sizeof(from));
		fmt__bytes((int64_t)r->new_bytes, false, to, sizeof(to));
		fprintf(out, "\n  #%zu %s, %+" PRId64 " objects (%s -> %s live)\n", i + 1, delta,
			r->delta_count, from, to);
		for (size_t j = 0; j < r->stack->nframes; j++) {
			const struct stack_frame *f = &r->stack->frames[j];

			fprintf(out, "    %-32s %s+0x%" PRIx64, f->function ? f->function : "??",
				_base(f->module), f->offset);
			if (f->file)
				fprintf(out, "  %s:%d", _base(f->file), f->line);
			fputc('\n', out);
		}
	}
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

static json_t *_side_json(const char *name, const struct report *r)
{
	return json_pack("{s:o, s:i, s:s, s:f, s:I, s:I}", "file", name ? json_string(name)
								: json_null(),
			 "pid", r->pid, "comm", r->comm, "time", round(r->time * 1000) / 1000,
			 "total_bytes", (json_int_t)r->total_bytes,
			 "total_count", (json_int_t)r->total_count);
}

int diff__write_json(const struct diff *d, size_t top, FILE *out)
{
	json_t *root, *stacks = json_array();
	size_t n = _shown(d, top);

	for (size_t i = 0; i < n; i++) {
		const struct diff_row *r = &d->rows[i];
		json_t *frames = json_array();

		for (size_t j = 0; j < r->stack->nframes; j++)
			json_array_append_new(frames, report__frame_json(&r->stack->frames[j]));
		json_array_append_new(stacks, json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			"delta_bytes", (json_int_t)r->delta_bytes,
			"delta_count", (json_int_t)r->delta_count,
			"base_bytes", (json_int_t)r->base_bytes, "base_count", (json_int_t)r->base_count,
			"new_bytes", (json_int_t)r->new_bytes, "new_count", (json_int_t)r->new_count,
			"frames", frames));
	}
	root = json_pack("{s:o, s:o, s:I, s:I, s:I, s:o}", "base", _side_json(d->base_name, d->base),
			 "new", _side_json(d->new_name, d->new),
			 "delta_bytes", (json_int_t)d->delta_bytes,
			 "delta_count", (json_int_t)d->delta_count, "stacks_total", (json_int_t)d->n,
			 "stacks", stacks);
	return report__print_json(root, out);
}

int diff__write_folded(const struct diff *d, FILE *out)
{
	struct folded *f = folded__new();
	int err = f ? 0 : -ENOMEM;

	for (size_t i = 0; i < d->n && !err; i++)
		if (d->rows[i].delta_bytes > 0)
			err = folded__add(f, d->rows[i].stack->frames, d->rows[i].stack->nframes,
					  d->rows[i].delta_bytes);
	if (!err)
		err = folded__write(f, out);
	folded__free(f);
	return err;
}
