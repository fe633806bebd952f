/* timeline — a snapshot series ranked by growth; see timeline.h. */
#include "snapshot/timeline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/pprof.h"
#include "snapshot/store.h"

struct timeline {
	struct report *snaps;    /* in order added */
	char **paths;            /* [n], owned copies */
	size_t n, cap, paths_cap;
	struct stacktab *tab;    /* NULL until ranked */
	size_t *order;           /* rows by growth, largest first */
	size_t nrows;
};

struct timeline *timeline__new(void)
{
	return calloc(1, sizeof(struct timeline));
}

void timeline__free(struct timeline *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		report__release(&t->snaps[i]);
		free(t->paths[i]);
	}
	free(t->snaps);
	free(t->paths);
	stacktab__free(t->tab);
	free(t->order);
	free(t);
}

int timeline__add(struct timeline *t, struct report *r, const char *path)
{
	char *copy;
	int err;

	if (t->tab)
		return -EBUSY;
	if ((err = VEC_RESERVE(t->snaps, t->cap, t->n + 1)) ||
	    (err = VEC_RESERVE(t->paths, t->paths_cap, t->n + 1)))
		return err;
	if (!(copy = strdup(path ? path : "")))
		return -ENOMEM;
	t->snaps[t->n] = *r;
	t->paths[t->n] = copy;
	t->n++;
	memset(r, 0, sizeof(*r));
	return 0;
}

static int64_t _row_growth(const struct timeline *t, size_t row)
{
	const struct stacktab_row *r = stacktab__row(t->tab, row);

	return (int64_t)r->bytes[t->n - 1] - (int64_t)r->bytes[0];
}

static int _by_growth(const void *a, const void *b, void *ctx)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int64_t gx = _row_growth(ctx, x), gy = _row_growth(ctx, y);

	if (gx != gy)
		return gx > gy ? -1 : 1;
	return x < y ? -1 : x > y;
}

int timeline__rank(struct timeline *t)
{
	int err;

	if (t->tab)
		return 0;
	if (!t->n)
		return -ENOENT;
	if (!(t->tab = stacktab__new(t->n)))
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		if ((err = stacktab__add(t->tab, i, &t->snaps[i])))
			goto fail;
	t->nrows = stacktab__rows(t->tab);
	if (!(t->order = calloc(t->nrows ? t->nrows : 1, sizeof(*t->order)))) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < t->nrows; i++)
		t->order[i] = i;
	qsort_r(t->order, t->nrows, sizeof(*t->order), _by_growth, t);
	return 0;
fail:
	stacktab__free(t->tab);
	t->tab = NULL;
	t->nrows = 0;
	return err;
}

int timeline__load(const char *dir, struct timeline **out)
{
	struct timeline *t = NULL;
	struct report r;
	char **paths = NULL;
	size_t n = 0;
	int err;

	if ((err = store__list(dir, &paths, &n)))
		return err;
	if (!n) {
		pr_err("series '%s' has no snapshots", dir);
		err = -ENOENT;
		goto cleanup;
	}
	if (!(t = timeline__new())) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if ((err = pprof__read_file(paths[i], &r)) ||
		    (err = timeline__add(t, &r, paths[i]))) {
			report__release(&r);
			goto cleanup;
		}
	}
	err = timeline__rank(t);
cleanup:
	store__list_free(paths, n);
	if (err) {
		timeline__free(t);
		return err;
	}
	*out = t;
	return 0;
}

size_t timeline__snapshots(const struct timeline *t)
{
	return t->n;
}

const struct report *timeline__snapshot(const struct timeline *t, size_t i)
{
	return &t->snaps[i];
}

const char *timeline__path(const struct timeline *t, size_t i)
{
	return t->paths[i];
}

double timeline__elapsed(const struct timeline *t, size_t i)
{
	return t->snaps[i].time - t->snaps[0].time;
}

size_t timeline__stacks(const struct timeline *t)
{
	return t->nrows;
}

const struct stacktab_row *timeline__ranked(const struct timeline *t, size_t k)
{
	return stacktab__row(t->tab, t->order[k]);
}

int64_t timeline__growth(const struct timeline *t, size_t k)
{
	return _row_growth(t, t->order[k]);
}

size_t timeline__grew(const struct timeline *t, size_t k)
{
	const struct stacktab_row *r = timeline__ranked(t, k);
	size_t grew = 0;

	for (size_t i = 1; i < t->n; i++)
		grew += r->bytes[i] > r->bytes[i - 1];
	return grew;
}
