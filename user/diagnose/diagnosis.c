/* diagnosis — verdicts over a snapshot series, ranked; see diagnosis.h. */
#include "diagnose/diagnosis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int _rank_of(const struct verdict *v)
{
	switch (v->kind) {
	case VERDICT_LEAK: return 0;
	case VERDICT_WARMUP: return 1;
	case VERDICT_BOUNDED: return 2;
	case VERDICT_TRANSIENT: return 3;
	}
	return 4;
}

static int _by_verdict(const void *a, const void *b)
{
	const struct judged *x = a, *y = b;
	int rx = _rank_of(&x->v), ry = _rank_of(&y->v);
	double kx, ky;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	kx = rx == 0 ? x->v.rate : rx == 3 ? x->v.peak : x->v.last;
	ky = ry == 0 ? y->v.rate : ry == 3 ? y->v.peak : y->v.last;
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

void diagnosis__release(struct diagnosis *d)
{
	if (!d)
		return;
	stackseries__free(d->ss);
	free(d->j);
	free(d->t);
	free(d->heap);
	free(d->heap_var);
	memset(d, 0, sizeof(*d));
}

int diagnosis__run(const struct report *const *snaps, const double *t, size_t n, bool allow_few,
		   struct diagnosis *d, char *msg, size_t len)
{
	struct verdict_params p;
	int err = -ENOMEM;

	memset(d, 0, sizeof(*d));
	d->n = n;
	d->snaps = snaps;
	verdict__defaults(&p);
	if (!n) {
		snprintf(msg, len, "cannot diagnose series: it has no snapshots");
		return -EINVAL;
	}
	d->t = calloc(n, sizeof(double));
	d->heap = calloc(n, sizeof(double));
	d->heap_var = calloc(n, sizeof(double));
	if (!d->t || !d->heap || !d->heap_var)
		goto cleanup;
	d->verdicts = n >= 3;
	if (!d->verdicts && !allow_few) {
		snprintf(msg, len, "cannot diagnose series: it has %zu snapshot%s, a verdict needs at least 3",
			 n, n == 1 ? "" : "s");
		err = -EINVAL;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		d->t[i] = t[i];
		if (i && !(t[i] > t[i - 1])) {
			snprintf(msg, len, "cannot diagnose series: snapshot %zu is not later than the one before",
				 i + 1);
			err = -EINVAL;
			goto cleanup;
		}
	}
	if ((err = stackseries__build(snaps, n, &d->ss)))
		goto cleanup;
	d->nj = stackseries__rows(d->ss);
	if (!(d->j = calloc(d->nj ? d->nj : 1, sizeof(*d->j)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t k = 0; k < d->nj; k++) {
		const struct stack_series *r = stackseries__row(d->ss, k);
		struct verdict_series vs = { .n = n, .t = d->t, .bytes = r->bytes, .var = r->var,
					     .oldest_age = r->age, .alloc_bytes = r->alloc };

		d->j[k].row = r;
		if (d->verdicts && (err = verdict__decide(&vs, &p, &d->j[k].v))) {
			snprintf(msg, len, "cannot diagnose series: %s", strerror(-err));
			goto cleanup;
		}
		if (d->j[k].v.kind == VERDICT_LEAK)
			d->leak_rate += d->j[k].v.rate;
		for (size_t i = 0; i < n; i++) {
			d->heap[i] += r->bytes[i];
			d->heap_var[i] += r->var[i];
		}
	}
	if (!d->verdicts) {
		d->nj = 0;
		d->pv.reason = "too few snapshots for a verdict (at least 3)";
		return 0;
	}
	qsort(d->j, d->nj, sizeof(*d->j), _by_verdict);
	err = verdict__process(d->t, d->heap, d->heap_var, NULL, n, &p, &d->pv);
	if (err)
		snprintf(msg, len, "cannot diagnose series: %s", strerror(-err));
cleanup:
	if (err == -ENOMEM)
		snprintf(msg, len, "cannot diagnose series: %s", strerror(ENOMEM));
	return err;
}

const struct stack_frame *diagnosis__site(const struct report_stack *st)
{
	for (size_t i = 1; i < st->nframes; i++)
		if (st->frames[i].function)
			return &st->frames[i];
	return st->nframes ? &st->frames[0] : NULL;
}

void diagnosis__label(const struct report_stack *st, char *buf, size_t len)
{
	size_t pos = 0;
	int shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < st->nframes && shown < 4 && pos < len; i++) {
		if (!st->frames[i].function)
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", shown ? " <- " : "",
					st->frames[i].function);
		shown++;
	}
	if (!shown)
		snprintf(buf, len, "(no symbols)");
}
