#include "snapshot/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/intern.h"
#include "lib/vec.h"

struct folded {
	struct intern *lines;    /* folded stack -> index into values */
	int64_t *values;         /* [intern__len(lines)] */
	size_t cap;
};

struct folded *folded__new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (f && !(f->lines = intern__new())) {
		free(f);
		return NULL;
	}
	return f;
}

void folded__free(struct folded *f)
{
	if (!f)
		return;
	intern__free(f->lines);
	free(f->values);
	free(f);
}

/* Appends the frame's name to BUF (of LEN, at *POS), sanitized. */
static void _append_name(char *buf, size_t len, size_t *pos, const struct stack_frame *fr)
{
	char name[512];
	const char *mod = fr->module ? strrchr(fr->module, '/') : NULL;

	if (fr->function)
		snprintf(name, sizeof(name), "%s", fr->function);
	else if (fr->module)
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, mod ? mod + 1 : fr->module, fr->offset);
	else
		snprintf(name, sizeof(name), "??");
	for (char *c = name; *c && *pos + 1 < len; c++)
		buf[(*pos)++] = *c == ';' ? ':' : (*c == '\n' || *c == '\r') ? ' ' : *c;
	buf[*pos] = '\0';
}

int folded__add(struct folded *f, const struct stack_frame *frames, size_t n, int64_t value)
{
	char line[16384];
	size_t pos = 0;
	size_t n_lines = intern__len(f->lines);
	int64_t idx;
	int err;

	line[0] = '\0';
	for (size_t i = n; i-- > 0;) {
		_append_name(line, sizeof(line), &pos, &frames[i]);
		if (i && pos + 1 < sizeof(line)) {
			line[pos++] = ';';
			line[pos] = '\0';
		}
	}
	if (!n)
		snprintf(line, sizeof(line), "[no frames]");
	/* room for a new line's value first: a line interned has a value */
	if ((err = VEC_RESERVE(f->values, f->cap, n_lines + 1)))
		return err;
	idx = intern__add(f->lines, line);
	if (idx < 0)
		return (int)idx;
	if ((size_t)idx == n_lines)
		f->values[idx] = 0;
	f->values[idx] += value;
	return 0;
}

struct line_ref {
	const char *name;
	int64_t value;
};

static int _by_value(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return strcmp(x->name, y->name);
}

int folded__write(const struct folded *f, FILE *out)
{
	size_t n = intern__len(f->lines), k = 0;
	struct line_ref *refs = calloc(n ? n : 1, sizeof(*refs));

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (f->values[i] > 0)
			refs[k++] = (struct line_ref){ intern__str(f->lines, i), f->values[i] };
	qsort(refs, k, sizeof(*refs), _by_value);
	for (size_t i = 0; i < k; i++)
		fprintf(out, "%s %" PRId64 "\n", refs[i].name, refs[i].value);
	free(refs);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}

int folded__write_report(const struct report *r, FILE *out)
{
	struct folded *f = folded__new();
	int err = f ? 0 : -ENOMEM;

	for (size_t i = 0; i < r->nstacks && !err; i++)
		err = folded__add(f, r->stacks[i].frames, r->stacks[i].nframes,
				  (int64_t)r->stacks[i].bytes);
	if (!err)
		err = folded__write(f, out);
	folded__free(f);
	return err;
}
