/* contrast — CONAN data model, objectives, pattern evaluation. See contrast.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"
#include "contrast/contrast.h"
#include "lib/intern.h"

struct contrast_data {
	size_t nattrs;
	char **names;
	struct intern **values;      /* per attribute: value string -> local id */
	uint32_t **local2avp;        /* per attribute: local id -> AVP id */
	size_t *local_cap;

	uint32_t *avp_attr, *avp_local;
	size_t navps, avp_attr_cap, avp_local_cap;

	uint32_t *rows;              /* until finalize: nrows * nattrs AVP ids, by row */
	uint32_t *cols;              /* after: nattrs * nrows AVP ids, by attribute */
	uint8_t *cls;
	uint64_t *count;
	double *metric;
	size_t nrows;
	size_t rows_cap, cls_cap, count_cap, metric_cap;	/* until finalize */

	uint64_t total[2];
	bool has_metric, finalized;

	struct hashmap merge;        /* until finalize: a row's values, class, metric -> row */

	uint32_t *post_off;          /* navps + 1 offsets into post */
	uint32_t *post;
};

struct contrast_data *contrast_data__new(size_t nattrs, const char *const *names)
{
	struct contrast_data *d;

	if (!nattrs || nattrs > UINT32_MAX / 2) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->nattrs = nattrs;
	d->names = calloc(nattrs, sizeof(*d->names));
	d->values = calloc(nattrs, sizeof(*d->values));
	d->local2avp = calloc(nattrs, sizeof(*d->local2avp));
	d->local_cap = calloc(nattrs, sizeof(*d->local_cap));
	if (!d->names || !d->values || !d->local2avp || !d->local_cap)
		goto fail;
	for (size_t a = 0; a < nattrs; a++) {
		d->names[a] = strdup(names[a]);
		d->values[a] = intern__new();
		if (!d->names[a] || !d->values[a])
			goto fail;
	}
	return d;
fail:
	contrast_data__free(d);
	errno = ENOMEM;
	return NULL;
}

void contrast_data__free(struct contrast_data *d)
{
	if (!d)
		return;
	for (size_t a = 0; a < d->nattrs; a++) {
		if (d->names)
			free(d->names[a]);
		if (d->values)
			intern__free(d->values[a]);
		if (d->local2avp)
			free(d->local2avp[a]);
	}
	free(d->names);
	free(d->values);
	free(d->local2avp);
	free(d->local_cap);
	free(d->avp_attr);
	free(d->avp_local);
	free(d->rows);
	free(d->cols);
	free(d->cls);
	free(d->count);
	free(d->metric);
	free(d->post_off);
	free(d->post);
	hashmap__release(&d->merge);
	free(d);
}

static int _intern_avp(struct contrast_data *d, size_t a, const char *value, uint32_t *avp)
{
	size_t before = intern__len(d->values[a]);
	int64_t local = intern__add(d->values[a], value);
	int err;

	if (local < 0)
		return (int)local;
	if ((size_t)local < before) {
		*avp = d->local2avp[a][local];
		return 0;
	}
	err = VEC_RESERVE(d->local2avp[a], d->local_cap[a], (size_t)local + 1);
	if (!err)
		err = VEC_RESERVE(d->avp_attr, d->avp_attr_cap, d->navps + 1);
	if (!err)
		err = VEC_RESERVE(d->avp_local, d->avp_local_cap, d->navps + 1);
	if (err)
		return err;
	if (d->navps >= UINT32_MAX - 1)
		return -ENOSPC;
	d->avp_attr[d->navps] = (uint32_t)a;
	d->avp_local[d->navps] = (uint32_t)local;
	d->local2avp[a][local] = (uint32_t)d->navps;
	*avp = (uint32_t)d->navps++;
	return 0;
}

/* The merge key of row R: its class, metric and AVP ids. */
static uint64_t _row_hash(const struct contrast_data *d, size_t r)
{
	uint64_t h = hash__update(HASH_SEED, &d->cls[r], sizeof(d->cls[r]));

	h = hash__update(h, &d->metric[r], sizeof(d->metric[r]));
	h = hash__update(h, d->rows + r * d->nattrs, d->nattrs * sizeof(*d->rows));
	return hash__finish(h);
}

/* hashmap_eq_fn: does row ID hold the same key as row *KEY (a size_t)? */
static bool _row_eq(uint32_t id, const void *key, void *ctx)
{
	const struct contrast_data *d = ctx;
	size_t a = id, b = *(const size_t *)key;

	return d->cls[a] == d->cls[b] && !memcmp(&d->metric[a], &d->metric[b], sizeof(double)) &&
	       !memcmp(d->rows + a * d->nattrs, d->rows + b * d->nattrs, d->nattrs * sizeof(uint32_t));
}

/* Room for one more row in every row array. */
static int _reserve_row(struct contrast_data *d)
{
	size_t n = d->nrows + 1;
	int err = VEC_RESERVE(d->rows, d->rows_cap, n * d->nattrs);

	if (!err)
		err = VEC_RESERVE(d->cls, d->cls_cap, n);
	if (!err)
		err = VEC_RESERVE(d->count, d->count_cap, n);
	if (!err)
		err = VEC_RESERVE(d->metric, d->metric_cap, n);
	return err;
}

int contrast_data__add(struct contrast_data *d, const char *const *values,
		       enum contrast_class cls, uint64_t count, double metric)
{
	size_t r = d->nrows;
	uint64_t hash;
	int64_t same;
	uint32_t *row;
	int err;

	if (d->finalized)
		return -EBUSY;
	if (cls != CONTRAST_TARGET && cls != CONTRAST_BACKGROUND)
		return -EINVAL;
	if (!count)
		return 0;
	if (r >= UINT32_MAX - 1)
		return -ENOSPC;
	err = _reserve_row(d);
	if (err)
		return err;
	row = d->rows + r * d->nattrs;
	for (size_t a = 0; a < d->nattrs; a++) {
		err = _intern_avp(d, a, values[a], &row[a]);
		if (err)
			return err;
	}
	d->cls[r] = (uint8_t)cls;
	d->count[r] = count;
	d->metric[r] = metric;
	d->total[cls] += count;
	/* Identical rows (values, class, metric) merge into one: raw input
	 * becomes the aggregated form as it loads. */
	hash = _row_hash(d, r);
	same = hashmap__find(&d->merge, hash, &r, _row_eq, d);
	if (same >= 0) {
		d->count[same] += count;
		return 0;
	}
	err = hashmap__add(&d->merge, hash, (uint32_t)r);
	if (err)
		return err;
	d->nrows++;
	return 0;
}

void contrast_data__set_has_metric(struct contrast_data *d, bool has_metric)
{
	d->has_metric = has_metric;
}

/* Row order: target first, then by metric, then by input order (stable). */
static int _row_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct contrast_data *d = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	if (d->cls[a] != d->cls[b])
		return d->cls[a] > d->cls[b] ? -1 : 1;
	if (d->has_metric && d->metric[a] != d->metric[b])
		return d->metric[a] < d->metric[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Reorders the rows by PERM and turns them into columns: scans that check
 * one attribute over ascending rows then read memory in order. */
static int _permute(struct contrast_data *d, const uint32_t *perm)
{
	size_t n = d->nrows, na = d->nattrs;
	uint32_t *cols = malloc((n ? n : 1) * na * sizeof(*cols));
	uint8_t *cls = malloc(n ? n : 1);
	uint64_t *count = malloc((n ? n : 1) * sizeof(*count));
	double *metric = malloc((n ? n : 1) * sizeof(*metric));

	if (!cols || !cls || !count || !metric) {
		free(cols);
		free(cls);
		free(count);
		free(metric);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t r = perm[i];

		for (size_t a = 0; a < na; a++)
			cols[a * n + i] = d->rows[(size_t)r * na + a];
		cls[i] = d->cls[r];
		count[i] = d->count[r];
		metric[i] = d->metric[r];
	}
	free(d->rows);
	free(d->cls);
	free(d->count);
	free(d->metric);
	d->rows = NULL;
	d->cols = cols;
	d->cls = cls;
	d->count = count;
	d->metric = metric;
	d->rows_cap = d->cls_cap = d->count_cap = d->metric_cap = 0;
	return 0;
}

int contrast_data__finalize(struct contrast_data *d)
{
	size_t n = d->nrows, na = d->nattrs;
	uint32_t *perm;
	int err;

	if (d->finalized)
		return -EBUSY;
	perm = malloc((n ? n : 1) * sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	hashmap__release(&d->merge);
	qsort_r(perm, n, sizeof(*perm), _row_cmp, d);
	err = _permute(d, perm);
	free(perm);
	if (err)
		return err;

	d->post_off = calloc(d->navps + 1, sizeof(*d->post_off));
	size_t ncells = n * na;
	d->post = malloc((ncells ? ncells : 1) * sizeof(*d->post));
	if (!d->post_off || !d->post)
		return -ENOMEM;
	for (size_t i = 0; i < ncells; i++)
		d->post_off[d->cols[i] + 1]++;
	for (size_t v = 0; v < d->navps; v++)
		d->post_off[v + 1] += d->post_off[v];
	uint32_t *fill = malloc((d->navps ? d->navps : 1) * sizeof(*fill));
	if (!fill)
		return -ENOMEM;
	memcpy(fill, d->post_off, d->navps * sizeof(*fill));
	for (size_t a = 0; a < na; a++)
		for (size_t r = 0; r < n; r++)
			d->post[fill[d->cols[a * n + r]]++] = (uint32_t)r;
	free(fill);
	d->finalized = true;
	return 0;
}

size_t contrast_data__nattrs(const struct contrast_data *d) { return d->nattrs; }
bool contrast_data__has_metric(const struct contrast_data *d) { return d->has_metric; }
size_t contrast_data__navps(const struct contrast_data *d) { return d->navps; }
size_t contrast_data__nrows(const struct contrast_data *d) { return d->nrows; }

const char *contrast_data__attr_name(const struct contrast_data *d, size_t attr)
{
	return attr < d->nattrs ? d->names[attr] : NULL;
}

int contrast_data__attr_index(const struct contrast_data *d, const char *name)
{
	for (size_t a = 0; a < d->nattrs; a++)
		if (!strcmp(d->names[a], name))
			return (int)a;
	return -ENOENT;
}

size_t contrast_data__nvalues(const struct contrast_data *d, size_t attr)
{
	return intern__len(d->values[attr]);
}

uint32_t contrast_data__avp_attr(const struct contrast_data *d, uint32_t avp)
{
	return d->avp_attr[avp];
}

uint32_t contrast_data__avp_local(const struct contrast_data *d, uint32_t avp)
{
	return d->avp_local[avp];
}

const char *contrast_data__avp_value(const struct contrast_data *d, uint32_t avp)
{
	return intern__str(d->values[d->avp_attr[avp]], d->avp_local[avp]);
}

uint32_t contrast_data__avp_find(const struct contrast_data *d, size_t attr, const char *value)
{
	int64_t local;

	if (attr >= d->nattrs)
		return CONTRAST_NONE;
	local = intern__find(d->values[attr], value);
	return local < 0 ? CONTRAST_NONE : d->local2avp[attr][local];
}

const uint32_t *contrast_data__column(const struct contrast_data *d, size_t attr)
{
	return d->finalized && attr < d->nattrs ? d->cols + attr * d->nrows : NULL;
}

uint32_t contrast_data__value(const struct contrast_data *d, size_t row, size_t attr)
{
	return d->cols[attr * d->nrows + row];
}

enum contrast_class contrast_data__row_class(const struct contrast_data *d, size_t row)
{
	return (enum contrast_class)d->cls[row];
}

uint64_t contrast_data__row_count(const struct contrast_data *d, size_t row)
{
	return d->count[row];
}

double contrast_data__row_metric(const struct contrast_data *d, size_t row)
{
	return d->metric[row];
}

uint64_t contrast_data__total(const struct contrast_data *d, enum contrast_class cls)
{
	return d->total[cls & 1];
}

const uint32_t *contrast_data__postings(const struct contrast_data *d, uint32_t avp, size_t *n)
{
	if (!d->finalized || avp >= d->navps) {
		*n = 0;
		return NULL;
	}
	*n = d->post_off[avp + 1] - d->post_off[avp];
	return d->post + d->post_off[avp];
}

static int _parse_number(const char *s, const char *end, double *out)
{
	char buf[64], *e;
	size_t n = (size_t)(end - s);

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &e);
	if (*e || errno || !isfinite(*out))
		return -EINVAL;
	return 0;
}

int contrast__parse_metric(const char *s, double *out)
{
	const char *end = s + strlen(s), *dash;

	if (!_parse_number(s, end, out))
		return 0;
	while (*s == ' ')
		s++;
	if (!*s)
		return -EINVAL;
	if (*s == '<')
		return _parse_number(s + 1, end, out);
	if (*s == '>')
		return _parse_number(s + 1, end, out);
	if (end > s && end[-1] == '+')
		return _parse_number(s, end - 1, out);
	dash = strchr(s + 1, '-');      /* "lo-hi"; a leading '-' is a sign */
	if (dash && !_parse_number(dash + 1, end, out)) {
		double lo;

		if (!_parse_number(s, dash, &lo) && lo <= *out)
			return 0;
	}
	return -EINVAL;
}

/* --- objectives ------------------------------------------------------------ */

static double _share(uint64_t n, uint64_t total)
{
	return total ? (double)n / (double)total : 0.0;
}

static double _proportion(const struct contrast_stats *s, void *ctx)
{
	(void)ctx;
	return _share(s->count[CONTRAST_TARGET], s->total[CONTRAST_TARGET]) -
	       _share(s->count[CONTRAST_BACKGROUND], s->total[CONTRAST_BACKGROUND]);
}

static double _count(const struct contrast_stats *s, void *ctx)
{
	(void)ctx;
	return (double)s->count[CONTRAST_TARGET] - (double)s->count[CONTRAST_BACKGROUND];
}

static double _p90(const struct contrast_stats *s, void *ctx)
{
	(void)ctx;
	return s->p90[CONTRAST_TARGET] - s->p90[CONTRAST_BACKGROUND];
}

static double _sum(const struct contrast_stats *s, void *ctx)
{
	(void)ctx;
	return s->sum[CONTRAST_TARGET] - s->sum[CONTRAST_BACKGROUND];
}

static const struct contrast_objective builtin[] = {
	{ "proportion", _proportion, 0, NULL },
	{ "count", _count, 0, NULL },
	{ "p90", _p90, CONTRAST_NEED_METRIC | CONTRAST_NEED_P90, NULL },
	{ "sum", _sum, CONTRAST_NEED_METRIC, NULL },
};

static const char *const builtin_names[] = { "proportion", "count", "p90", "sum", NULL };

int contrast_objective__lookup(const char *name, struct contrast_objective *out)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(builtin[i].name, name)) {
			*out = builtin[i];
			return 0;
		}
	return -ENOENT;
}

const char *const *contrast_objective__names(void)
{
	return builtin_names;
}

void contrast_data__stats(const struct contrast_data *d, const uint32_t *rows,
			  size_t n, unsigned flags, struct contrast_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->total[0] = d->total[0];
	out->total[1] = d->total[1];
	if (flags & CONTRAST_NEED_METRIC) {
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rows[i];

			out->count[d->cls[r]] += d->count[r];
			out->sum[d->cls[r]] += (double)d->count[r] * d->metric[r];
		}
	} else {
		for (size_t i = 0; i < n; i++)
			out->count[d->cls[rows[i]]] += d->count[rows[i]];
	}
	if (!(flags & CONTRAST_NEED_P90))
		return;
	/* Rows of each class come in ascending metric order (finalize): the
	 * P90 is the first metric whose cumulative count reaches 90%. */
	uint64_t cum[2] = { 0, 0 };
	bool done[2] = { out->count[0] == 0, out->count[1] == 0 };
	for (size_t i = 0; i < n && !(done[0] && done[1]); i++) {
		uint32_t r = rows[i];
		unsigned c = d->cls[r];

		if (done[c])
			continue;
		cum[c] += d->count[r];
		if (cum[c] * 10 >= out->count[c] * 9) {
			out->p90[c] = d->metric[r];
			done[c] = true;
		}
	}
}

/* --- patterns -------------------------------------------------------------- */

int contrast_pattern__cmp(const struct contrast_pattern *a, const struct contrast_pattern *b)
{
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	for (uint32_t i = 0; i < a->len; i++)
		if (a->avp[i] != b->avp[i])
			return a->avp[i] < b->avp[i] ? -1 : 1;
	return 0;
}

bool contrast_pattern__same(const struct contrast_pattern *a, const struct contrast_pattern *b)
{
	return a->len == b->len && !memcmp(a->avp, b->avp, a->len * sizeof(a->avp[0]));
}

bool contrast_pattern__has_attr(const struct contrast_data *d,
				const struct contrast_pattern *p, uint32_t attr)
{
	for (uint32_t i = 0; i < p->len; i++)
		if (d->avp_attr[p->avp[i]] == attr)
			return true;
	return false;
}

int contrast_pattern__add(struct contrast_pattern *p, uint32_t avp)
{
	uint32_t i;

	if (p->len >= CONTRAST_MAX_LEN)
		return -E2BIG;
	for (i = p->len; i > 0 && p->avp[i - 1] > avp; i--)
		p->avp[i] = p->avp[i - 1];
	p->avp[i] = avp;
	p->len++;
	return 0;
}

void contrast_pattern__del(struct contrast_pattern *p, uint32_t avp)
{
	for (uint32_t i = 0; i < p->len; i++)
		if (p->avp[i] == avp) {
			memmove(&p->avp[i], &p->avp[i + 1], (p->len - i - 1) * sizeof(p->avp[0]));
			p->len--;
			return;
		}
}

void contrast_pattern__by_attr(const struct contrast_data *d,
			       const struct contrast_pattern *p, uint32_t *out)
{
	for (uint32_t i = 0; i < p->len; i++) {
		uint32_t v = p->avp[i], j = i;

		for (; j > 0 && d->avp_attr[out[j - 1]] > d->avp_attr[v]; j--)
			out[j] = out[j - 1];
		out[j] = v;
	}
}

struct contrast_eval {
	const struct contrast_data *d;
	struct contrast_objective obj;
	uint32_t *rows;
	size_t nrows;
};

struct contrast_eval *contrast_eval__new(const struct contrast_data *d,
					 const struct contrast_objective *obj)
{
	struct contrast_eval *ev;

	if (!d->finalized) {
		errno = EINVAL;
		return NULL;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->d = d;
	ev->obj = *obj;
	ev->rows = malloc((d->nrows ? d->nrows : 1) * sizeof(*ev->rows));
	if (!ev->rows) {
		free(ev);
		errno = ENOMEM;
		return NULL;
	}
	return ev;
}

void contrast_eval__free(struct contrast_eval *ev)
{
	if (!ev)
		return;
	free(ev->rows);
	free(ev);
}

int contrast_eval__pattern(struct contrast_eval *ev, struct contrast_pattern *p,
			   struct contrast_stats *stats)
{
	const struct contrast_data *d = ev->d;
	struct contrast_stats s;
	const uint32_t *col[CONTRAST_MAX_LEN] = { NULL };
	uint32_t want[CONTRAST_MAX_LEN] = { 0 }, nchk = 0;
	size_t best = 0, bestn = SIZE_MAX, n = 0;

	if (!p->len) {
		for (size_t r = 0; r < d->nrows; r++)
			ev->rows[r] = (uint32_t)r;
		n = d->nrows;
	} else {
		for (uint32_t i = 0; i < p->len; i++) {
			size_t len;

			contrast_data__postings(d, p->avp[i], &len);
			if (len < bestn) {
				bestn = len;
				best = i;
			}
		}
		for (uint32_t i = 0; i < p->len; i++) {
			if (i == best)
				continue;
			col[nchk] = d->cols + (size_t)d->avp_attr[p->avp[i]] * d->nrows;
			want[nchk++] = p->avp[i];
		}
		const uint32_t *post = contrast_data__postings(d, p->avp[best], &bestn);
		for (size_t k = 0; k < bestn; k++) {
			uint32_t j = 0, r = post[k];

			while (j < nchk && col[j][r] == want[j])
				j++;
			if (j == nchk)
				ev->rows[n++] = post[k];
		}
	}
	ev->nrows = n;
	contrast_data__stats(d, ev->rows, n, ev->obj.flags, &s);
	p->score = ev->obj.score(&s, ev->obj.ctx);
	p->count[0] = s.count[0];
	p->count[1] = s.count[1];
	if (stats)
		*stats = s;
	return 0;
}

const uint32_t *contrast_eval__rows(const struct contrast_eval *ev, size_t *n)
{
	*n = ev->nrows;
	return ev->rows;
}

/* --- the best-patterns list ------------------------------------------------ */

struct contrast_top {
	size_t len, cap;
	struct contrast_pattern *p;
};

struct contrast_top *contrast_top__new(size_t cap)
{
	struct contrast_top *t;

	if (!cap) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = cap;
	t->p = calloc(cap, sizeof(*t->p));
	if (!t->p) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void contrast_top__free(struct contrast_top *t)
{
	if (!t)
		return;
	free(t->p);
	free(t);
}

int contrast_top__offer(struct contrast_top *t, const struct contrast_pattern *p)
{
	size_t i;

	if (t->len == t->cap && contrast_pattern__cmp(p, &t->p[t->len - 1]) >= 0)
		return 0;
	for (i = 0; i < t->len; i++)
		if (contrast_pattern__same(&t->p[i], p))
			return 0;
	if (t->len < t->cap)
		t->len++;
	for (i = t->len - 1; i > 0 && contrast_pattern__cmp(p, &t->p[i - 1]) < 0; i--)
		t->p[i] = t->p[i - 1];
	t->p[i] = *p;
	return 1;
}

size_t contrast_top__len(const struct contrast_top *t) { return t->len; }
size_t contrast_top__cap(const struct contrast_top *t) { return t->cap; }

const struct contrast_pattern *contrast_top__get(const struct contrast_top *t, size_t i)
{
	return i < t->len ? &t->p[i] : NULL;
}

void contrast_top__filter(struct contrast_top *t, const bool *keep)
{
	size_t n = 0;

	for (size_t i = 0; i < t->len; i++)
		if (keep[i])
			t->p[n++] = t->p[i];
	t->len = n;
}
