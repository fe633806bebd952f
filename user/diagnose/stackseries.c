/* stackseries — per-stack series of a snapshot series; see stackseries.h. */
#include "diagnose/stackseries.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"
#include "snapshot/sampling.h"

struct stackseries {
	struct stack_series *rows;
	size_t nrows, cap, ncols;
	struct hashmap index;
};

static const char *_base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

char *stackseries__key(const struct report_stack *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < st->nframes; i++) {
		const struct stack_frame *fr = &st->frames[i];

		if (fr->function)
			fprintf(f, "%s%s@%s:%d", i ? ";" : "", fr->function, fr->file ? fr->file : "",
				fr->line);
		else
			fprintf(f, "%s%s+0x%llx", i ? ";" : "", _base(fr->module),
				(unsigned long long)fr->offset);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct stackseries *s = ctx;

	return !strcmp(s->rows[id].key, key);
}

long stackseries__find(const struct stackseries *s, const char *key)
{
	int64_t id = hashmap__find(&s->index, hash__str(key), key, _eq, (void *)s);

	return id < 0 ? -ENOENT : (long)id;
}

void stackseries__free(struct stackseries *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrows; i++) {
		free(s->rows[i].key);
		free(s->rows[i].bytes);
		free(s->rows[i].var);
		free(s->rows[i].age);
		free(s->rows[i].alloc);
	}
	free(s->rows);
	hashmap__release(&s->index);
	free(s);
}

/* The row of ST (a new one if unseen); KEY is taken over. */
static int _row(struct stackseries *s, const struct report_stack *st, char *key, size_t *out)
{
	long id = stackseries__find(s, key);
	struct stack_series *r;
	int err;

	if (id >= 0) {
		free(key);
		*out = (size_t)id;
		return 0;
	}
	if (!(r = VEC_PUSH(s->rows, s->nrows, s->cap))) {
		free(key);
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	r->stack = st;
	r->key = key;
	r->bytes = calloc(s->ncols, sizeof(double));
	r->var = calloc(s->ncols, sizeof(double));
	r->age = calloc(s->ncols, sizeof(double));
	r->alloc = calloc(s->ncols, sizeof(double));
	s->nrows++;
	if (!r->bytes || !r->var || !r->age || !r->alloc)
		return -ENOMEM;
	for (size_t i = 0; i < s->ncols; i++)
		r->age[i] = NAN;
	if ((err = hashmap__add(&s->index, hash__str(key), (uint32_t)(s->nrows - 1))))
		return err;
	*out = s->nrows - 1;
	return 0;
}

static double _variance(const struct report_stack *st, uint64_t rate)
{
	struct sample_weight w;
	double size;

	if (rate <= 1 || !st->count)
		return 0;
	size = (double)st->bytes / (double)st->count;
	w = sampling__weight((uint64_t)llround(size), rate);
	/* C estimated blocks: C p sampled, each of variance s^2 (1-p) / p^2 */
	return (double)st->count * w.p * w.var_bytes;
}

int stackseries__build(const struct report *const *snaps, size_t n, struct stackseries **out)
{
	struct stackseries *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s)
		return -ENOMEM;
	s->ncols = n;
	hashmap__init(&s->index);
	for (size_t c = 0; c < n && !err; c++) {
		const struct report *r = snaps[c];

		for (size_t k = 0; k < r->nstacks; k++) {
			const struct report_stack *st = &r->stacks[k];
			char *key = stackseries__key(st);
			size_t id;

			if (!key || (err = _row(s, st, key, &id))) {
				err = err ? err : -ENOMEM;
				break;
			}
			s->rows[id].bytes[c] += (double)st->bytes;
			s->rows[id].var[c] += _variance(st, r->sample_bytes);
			s->rows[id].alloc[c] += (double)st->alloc_bytes;
			if (!isfinite(s->rows[id].age[c]) || st->oldest_age_s > s->rows[id].age[c])
				s->rows[id].age[c] = st->oldest_age_s;
		}
		/* a stack absent here keeps its allocation total */
		for (size_t id = 0; c > 0 && id < s->nrows; id++)
			if (!isfinite(s->rows[id].age[c]) && s->rows[id].bytes[c] == 0)
				s->rows[id].alloc[c] = s->rows[id].alloc[c - 1];
	}
	if (err) {
		stackseries__free(s);
		return err;
	}
	*out = s;
	return 0;
}

size_t stackseries__rows(const struct stackseries *s)
{
	return s->nrows;
}

const struct stack_series *stackseries__row(const struct stackseries *s, size_t i)
{
	return &s->rows[i];
}
