#include "snapshot/stacktab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/intern.h"
#include "lib/vec.h"

struct stacktab {
	size_t ncols;
	struct intern *keys;     /* stack key -> row index */
	struct stacktab_row *rows;  /* [intern__len(keys)] */
	size_t cap;
};

struct stacktab *stacktab__new(size_t ncols)
{
	struct stacktab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->keys = intern__new();
	if (!t->keys) {
		free(t);
		return NULL;
	}
	return t;
}

void stacktab__free(struct stacktab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < intern__len(t->keys); i++)
		free(t->rows[i].bytes);
	free(t->rows);
	intern__free(t->keys);
	free(t);
}

/* Frames innermost first, separated by '\x1e'. */
static int _key(const struct report_stack *s, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nframes && pos < len; i++) {
		const struct stack_frame *f = &s->frames[i];
		const char *mod = f->module ? strrchr(f->module, '/') : NULL;

		if (f->function)
			pos += snprintf(buf + pos, len - pos, "%s\x1f%s\x1f%d\x1e", f->function,
					f->file ? f->file : "", f->line);
		else
			pos += snprintf(buf + pos, len - pos, "%s+0x%" PRIx64 "\x1e",
					mod ? mod + 1 : f->module ? f->module : "??", f->offset);
	}
	return pos < len ? 0 : -E2BIG;
}

/* Starts row ID (new) with the frames of S and zero columns. */
static int _new_row(struct stacktab *t, size_t id, const struct report_stack *s)
{
	struct stacktab_row *row = &t->rows[id];

	row->stack = s;
	row->bytes = calloc(2 * t->ncols, sizeof(uint64_t));
	if (!row->bytes)
		return -ENOMEM;
	row->count = row->bytes + t->ncols;
	return 0;
}

int stacktab__add(struct stacktab *t, size_t col, const struct report *r)
{
	char key[16384];
	int err;

	if (col >= t->ncols)
		return -EINVAL;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];
		size_t nrows = intern__len(t->keys);
		struct stacktab_row *row;
		int64_t idx;

		_key(s, key, sizeof(key));  /* a cut key still tells stacks apart well */
		idx = intern__find(t->keys, key);
		if (idx == -ENOENT) {
			/* the row first: every key interned has its row */
			if ((err = VEC_RESERVE(t->rows, t->cap, nrows + 1)) ||
			    (err = _new_row(t, nrows, s)))
				return err;
			idx = intern__add(t->keys, key);
			if (idx < 0) {
				free(t->rows[nrows].bytes);
				return (int)idx;
			}
		}
		row = &t->rows[idx];
		row->bytes[col] += s->bytes;
		row->count[col] += s->count;
	}
	return 0;
}

size_t stacktab__rows(const struct stacktab *t)
{
	return intern__len(t->keys);
}

struct stacktab_row *stacktab__row(struct stacktab *t, size_t i)
{
	return i < stacktab__rows(t) ? &t->rows[i] : NULL;
}
