#include "snapshot/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strmap.h"

struct folded {
	struct strmap *lines;    /* folded stack -> index into values */
	int64_t *values;
	size_t cap;
};

struct folded *folded__new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (f && !(f->lines = strmap__new())) {
		free(f);
		return NULL;
	}
	return f;
}

void folded__free(struct folded *f)
{
	if (!f)
		return;
	strmap__free(f->lines);
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
	long idx;
	bool added;

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
	idx = strmap__intern(f->lines, line, &added);
	if (idx < 0)
		return (int)idx;
	if ((size_t)idx >= f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		int64_t *v = realloc(f->values, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->values = v;
		f->cap = cap;
	}
	if (added)
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
	size_t n = strmap__size(f->lines), k = 0;
	struct line_ref *refs = calloc(n ? n : 1, sizeof(*refs));

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (f->values[i] > 0)
			refs[k++] = (struct line_ref){ strmap__key(f->lines, i), f->values[i] };
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
