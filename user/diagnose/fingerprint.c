/* fingerprint — a heap reference from healthy runs; see fingerprint.h. */
#include "diagnose/fingerprint.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/stackseries.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

struct entry {
	struct fingerprint_stack s;
	double sum, sum2;        /* of the per-run shares */
	double bytes, count;     /* the runs' means, summed */
	double run_share, run_bytes, run_count;  /* the run being added */
	bool run_seen;
};

struct fingerprint {
	struct entry *e;
	size_t n, cap;
	struct hashmap index;
	size_t runs;
	double heap;             /* the runs' mean live heaps, summed */
	char *build_id;
	char comm[17];
	bool done;               /* finalized and sorted: no more runs */
};

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct fingerprint *fp = ctx;

	return !strcmp(fp->e[id].s.key, key);
}

struct fingerprint *fingerprint__new(void)
{
	struct fingerprint *fp = calloc(1, sizeof(*fp));

	if (fp)
		hashmap__init(&fp->index);
	return fp;
}

static void _frames_free(struct report_stack *st)
{
	for (size_t i = 0; i < st->nframes; i++) {
		free(st->frames[i].function);
		free(st->frames[i].module);
		free(st->frames[i].file);
		free(st->frames[i].build_id);
	}
	free(st->frames);
	st->frames = NULL;
	st->nframes = 0;
}

void fingerprint__free(struct fingerprint *fp)
{
	if (!fp)
		return;
	for (size_t i = 0; i < fp->n; i++) {
		free(fp->e[i].s.key);
		_frames_free(&fp->e[i].s.stack);
	}
	free(fp->e);
	hashmap__release(&fp->index);
	free(fp->build_id);
	free(fp);
}

static char *_dup(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

static int _frames_copy(struct report_stack *dst, const struct report_stack *src)
{
	bool oom = false;

	dst->frames = calloc(src->nframes ? src->nframes : 1, sizeof(*dst->frames));
	if (!dst->frames)
		return -ENOMEM;
	dst->nframes = src->nframes;
	dst->truncated = src->truncated;
	for (size_t i = 0; i < src->nframes; i++) {
		const struct stack_frame *f = &src->frames[i];
		struct stack_frame *g = &dst->frames[i];

		*g = *f;
		g->function = _dup(f->function, &oom);
		g->module = _dup(f->module, &oom);
		g->file = _dup(f->file, &oom);
		g->build_id = _dup(f->build_id, &oom);
	}
	return oom ? -ENOMEM : 0;
}

int fingerprint__path(const char *dir, const char *build_id, char *buf, size_t len)
{
	int n;

	if (!build_id || !build_id[0] || strspn(build_id, "0123456789abcdefABCDEF") != strlen(build_id))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.pb.gz", dir, build_id);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *fingerprint__exe_id(const struct report *r)
{
	const char *by_name = NULL;

	for (size_t i = 0; i < r->nstacks; i++)
		for (size_t j = 0; j < r->stacks[i].nframes; j++) {
			const struct stack_frame *f = &r->stacks[i].frames[j];
			const char *base = f->module ? strrchr(f->module, '/') : NULL;

			if (!f->build_id || !f->build_id[0])
				continue;
			if (f->function && !strcmp(f->function, "main"))
				return f->build_id;
			if (!by_name && base && r->comm[0] &&
			    !strncmp(base + 1, r->comm, strlen(r->comm)))
				by_name = f->build_id;
		}
	return by_name;
}

/* The entry of ST (a new one, with its frames copied, if unseen). */
static int _entry(struct fingerprint *fp, const struct report_stack *st, struct entry **out)
{
	char *key = stackseries__key(st);
	int64_t id;
	struct entry *e;
	int err;

	if (!key)
		return -ENOMEM;
	id = hashmap__find(&fp->index, hash__str(key), key, _eq, fp);
	if (id >= 0) {
		free(key);
		*out = &fp->e[id];
		return 0;
	}
	if (!(e = VEC_PUSH(fp->e, fp->n, fp->cap))) {
		free(key);
		return -ENOMEM;
	}
	memset(e, 0, sizeof(*e));
	e->s.key = key;
	fp->n++;
	if ((err = _frames_copy(&e->s.stack, st)) ||
	    (err = hashmap__add(&fp->index, hash__str(key), (uint32_t)(fp->n - 1))))
		return err;
	*out = e;
	return 0;
}

static int _check_exe(struct fingerprint *fp, const struct report *const *snaps, size_t n,
		      char *why, size_t len)
{
	const char *id = NULL;

	for (size_t i = n; i-- > 0 && !id;)
		id = fingerprint__exe_id(snaps[i]);
	if (!fp->runs) {
		if (id && !(fp->build_id = strdup(id)))
			return -ENOMEM;
		snprintf(fp->comm, sizeof(fp->comm), "%s", snaps[n - 1]->comm);
		return 0;
	}
	if ((id == NULL) != (fp->build_id == NULL) || (id && strcmp(id, fp->build_id))) {
		snprintf(why, len, "its executable's build-id is %s, the reference's %s",
			 id ? id : "unknown", fp->build_id ? fp->build_id : "unknown");
		return -EXDEV;
	}
	return 0;
}

/* Folds the run just read (USED snapshots) into the sums. */
static void _fold(struct fingerprint *fp, size_t used, double heap)
{
	for (size_t i = 0; i < fp->n; i++) {
		struct entry *e = &fp->e[i];
		double sh = used ? e->run_share / (double)used : 0;

		e->sum += sh;
		e->sum2 += sh * sh;
		e->bytes += used ? e->run_bytes / (double)used : 0;
		e->count += used ? e->run_count / (double)used : 0;
		e->s.runs += e->run_seen;
		e->run_share = e->run_bytes = e->run_count = 0;
		e->run_seen = false;
	}
	fp->heap += used ? heap / (double)used : 0;
	fp->runs++;
}

int fingerprint__add_run(struct fingerprint *fp, const struct report *const *snaps, size_t n,
			 char *why, size_t len)
{
	size_t used = 0;
	double heap = 0;
	int err;

	if (fp->done)
		return -EBUSY;
	if (!n)
		return -EINVAL;
	if ((err = _check_exe(fp, snaps, n, why, len)))
		return err;
	for (size_t c = 0; c < n; c++) {
		const struct report *r = snaps[c];
		double total = 0;

		for (size_t k = 0; k < r->nstacks; k++)
			total += (double)r->stacks[k].bytes;
		if (total <= 0)
			continue;
		used++;
		heap += total;
		for (size_t k = 0; k < r->nstacks; k++) {
			const struct report_stack *st = &r->stacks[k];
			struct entry *e;

			if ((err = _entry(fp, st, &e)))
				return err;
			e->run_share += (double)st->bytes / total;
			e->run_bytes += (double)st->bytes;
			e->run_count += (double)st->count;
			e->run_seen = e->run_seen || st->bytes > 0;
		}
	}
	_fold(fp, used, heap);
	return 0;
}

static int _by_share(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->s.share != y->s.share)
		return x->s.share > y->s.share ? -1 : 1;
	return strcmp(x->s.key, y->s.key);
}

/* Means and spreads, sorted by share; the index rebuilt for the order. */
static int _finish(struct fingerprint *fp)
{
	double r = (double)fp->runs;
	int err;

	if (fp->done)
		return 0;
	for (size_t i = 0; i < fp->n && fp->runs; i++) {
		struct entry *e = &fp->e[i];
		double m = e->sum / r, v = fp->runs > 1 ? (e->sum2 - r * m * m) / (r - 1) : 0;

		e->s.share = m;
		e->s.share_sd = v > 0 ? sqrt(v) : 0;
		e->s.stack.bytes = (uint64_t)llround(e->bytes / r);
		e->s.stack.count = (uint64_t)llround(e->count / r);
	}
	if (fp->n)
		qsort(fp->e, fp->n, sizeof(*fp->e), _by_share);
	hashmap__clear(&fp->index);
	for (size_t i = 0; i < fp->n; i++)
		if ((err = hashmap__add(&fp->index, hash__str(fp->e[i].s.key), (uint32_t)i)))
			return err;
	fp->done = true;
	return 0;
}

size_t fingerprint__runs(const struct fingerprint *fp)
{
	return fp->runs;
}

size_t fingerprint__stacks(const struct fingerprint *fp)
{
	return fp->n;
}

const struct fingerprint_stack *fingerprint__stack(struct fingerprint *fp, size_t i)
{
	if (_finish(fp) || i >= fp->n)
		return NULL;
	return &fp->e[i].s;
}

const char *fingerprint__build_id(const struct fingerprint *fp)
{
	return fp->build_id;
}

const char *fingerprint__comm(const struct fingerprint *fp)
{
	return fp->comm;
}

int fingerprint__to_report(struct fingerprint *fp, struct report *out)
{
	double heap = fp->runs ? fp->heap / (double)fp->runs : 0;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = _finish(fp)))
		return err;
	snprintf(out->comm, sizeof(out->comm), "%s", fp->comm);
	out->sample_bytes = 1;
	out->final = true;
	out->stacks = calloc(fp->n ? fp->n : 1, sizeof(*out->stacks));
	if (!out->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < fp->n; i++) {
		const struct fingerprint_stack *s = &fp->e[i].s;
		struct report_stack *st = &out->stacks[out->nstacks++];

		if ((err = _frames_copy(st, &s->stack))) {
			report__release(out);
			return err;
		}
		st->bytes = (uint64_t)llround(s->share * heap);
		st->bytes_stddev = s->share_sd * heap;
		st->count = s->stack.count;
		st->samples = s->runs;
		out->total_bytes += st->bytes;
		out->total_count += st->count;
		out->total_samples += st->samples;
	}
	out->stacks_total = out->nstacks;
	return 0;
}

int fingerprint__from_report(const struct report *r, struct fingerprint **out)
{
	struct fingerprint *fp = fingerprint__new();
	const char *id = fingerprint__exe_id(r);
	double total = (double)r->total_bytes;
	int err = -ENOMEM;

	if (!fp || (id && !(fp->build_id = strdup(id))))
		goto cleanup;
	snprintf(fp->comm, sizeof(fp->comm), "%s", r->comm);
	for (size_t k = 0; k < r->nstacks; k++) {
		const struct report_stack *st = &r->stacks[k];
		struct entry *e;

		if ((err = _entry(fp, st, &e)))
			goto cleanup;
		e->s.share += total > 0 ? (double)st->bytes / total : 0;
		e->s.share_sd = total > 0 ? st->bytes_stddev / total : 0;
		e->s.runs = st->samples;
		e->s.stack.bytes += st->bytes;
		e->s.stack.count += st->count;
		if (st->samples > fp->runs)
			fp->runs = st->samples;
	}
	fp->heap = total * (double)fp->runs;
	fp->done = true;
	if (fp->n)
		qsort(fp->e, fp->n, sizeof(*fp->e), _by_share);
	hashmap__clear(&fp->index);
	for (size_t i = 0; i < fp->n; i++)
		if ((err = hashmap__add(&fp->index, hash__str(fp->e[i].s.key), (uint32_t)i)))
			goto cleanup;
	*out = fp;
	return 0;
cleanup:
	fingerprint__free(fp);
	return err;
}

const char *fingerprint__kind_name(enum departure_kind k)
{
	switch (k) {
	case DEPART_NEW: return "new";
	case DEPART_GREW: return "grew";
	case DEPART_USUAL: return "usual";
	case DEPART_SHRANK: return "shrank";
	}
	return "?";
}

static int _by_z(const void *a, const void *b)
{
	const struct departure *x = a, *y = b;

	if (x->z != y->z)
		return x->z > y->z ? -1 : 1;
	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

int fingerprint__compare(struct fingerprint *ref, const struct report *suspect,
			 struct departure **out, size_t *n)
{
	struct departure *d = NULL;
	double total = 0;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = _finish(ref)))
		return err;
	for (size_t k = 0; k < suspect->nstacks; k++)
		total += (double)suspect->stacks[k].bytes;
	if (!(d = calloc(suspect->nstacks ? suspect->nstacks : 1, sizeof(*d))))
		return -ENOMEM;
	for (size_t k = 0; k < suspect->nstacks; k++) {
		const struct report_stack *st = &suspect->stacks[k];
		char *key = stackseries__key(st);
		struct departure *x = &d[k];
		int64_t id;
		double floor;

		if (!key) {
			free(d);
			return -ENOMEM;
		}
		id = hashmap__find(&ref->index, hash__str(key), key, _eq, ref);
		free(key);
		x->stack = st;
		x->share = total > 0 ? (double)st->bytes / total : 0;
		if (id >= 0) {
			x->ref_share = ref->e[id].s.share;
			x->ref_sd = ref->e[id].s.share_sd;
			x->ref_runs = ref->e[id].s.runs;
		}
		floor = fmax(x->ref_sd, fmax(FINGERPRINT_REL_FLOOR * x->ref_share,
					     FINGERPRINT_ABS_FLOOR));
		x->z = (x->share - x->ref_share) / floor;
		x->excess = (double)st->bytes - x->ref_share * total;
		if (id < 0)
			x->kind = DEPART_NEW;
		else if (x->z >= FINGERPRINT_Z_DEPART)
			x->kind = DEPART_GREW;
		else if (x->z <= -FINGERPRINT_Z_DEPART)
			x->kind = DEPART_SHRANK;
		else
			x->kind = DEPART_USUAL;
	}
	qsort(d, suspect->nstacks, sizeof(*d), _by_z);
	*out = d;
	*n = suspect->nstacks;
	return 0;
}
