/* hierarchy — attribute hierarchy chains mined from the data. See hierarchy.h.
 *
 * Columns that partition the rows the same way (aliases: one to one) form a
 * class, kept in column order; one representative per class is compared
 * with the others, so the work is classes x rows per class and the memory
 * one bit per pair of classes. Inside a class the earlier column is the
 * lower one; between classes A -> B holds for every member pair. The
 * transitive reduction follows: consecutive members of a class, and the
 * last member of A to the first of B where no class lies between them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contrast/contrast.h"
#include "contrast/hierarchy.h"
#include "lib/hash.h"
#include "lib/hashmap.h"

struct chain {
	size_t len;
	uint32_t *attrs;
};

struct hierarchy {
	size_t nattrs, nrows, navps;
	size_t nclasses;
	uint32_t *cls;          /* [attr]: its class, or CONTRAST_NONE (one value) */
	uint32_t *rank;         /* [attr]: its place in its class */
	uint32_t *rep;          /* [class]: its first (lowest) column */
	uint32_t *last;         /* [class]: its last column */
	uint32_t *next;         /* [attr]: the next column of its class, or CONTRAST_NONE */
	size_t words;           /* per class row of ABOVE */
	uint64_t *above;        /* bit B of row A: class A -> class B (transitively closed) */
	uint32_t **col;         /* [attr]: a copy of the column, for attributes above another */
	uint32_t *avp_attr;     /* copies of the data's AVP table */
	uint32_t *avp_row;      /* [avp]: a row holding it, or CONTRAST_NONE */
	struct chain chains[HIERARCHY_MAX_CHAINS];
	size_t nchains;
};

void hierarchy__free(struct hierarchy *h)
{
	if (!h)
		return;
	if (h->col)
		for (size_t i = 0; i < h->nattrs; i++)
			free(h->col[i]);
	for (size_t i = 0; i < h->nchains; i++)
		free(h->chains[i].attrs);
	free(h->col);
	free(h->cls);
	free(h->rank);
	free(h->rep);
	free(h->last);
	free(h->next);
	free(h->above);
	free(h->avp_attr);
	free(h->avp_row);
	free(h);
}

static bool _bit(const uint64_t *row, size_t b)
{
	return row[b / 64] >> (b % 64) & 1;
}

/* Class A -> class B. */
static bool _cbelow(const struct hierarchy *h, size_t a, size_t b)
{
	return _bit(&h->above[a * h->words], b);
}

/* --- the classes of aliases --- */

struct alias_ctx {
	const struct contrast_data *d;
	const uint32_t *rep;
	uint32_t attr;
	uint32_t *scratch;      /* one slot per value of the largest attribute */
};

/* Do A and B partition the rows the same way? (Then each value of one goes
 * with exactly one value of the other, and both have as many values.) */
static bool _same_partition(const struct contrast_data *d, uint32_t a, uint32_t b,
			    uint32_t *scratch)
{
	size_t n = contrast_data__nvalues(d, a), nrows = contrast_data__nrows(d);
	const uint32_t *ca = contrast_data__column(d, a), *cb = contrast_data__column(d, b);

	if (n != contrast_data__nvalues(d, b))
		return false;
	memset(scratch, 0xff, n * sizeof(*scratch));
	for (size_t r = 0; r < nrows; r++) {
		uint32_t *m = &scratch[contrast_data__avp_local(d, ca[r])];

		if (*m == CONTRAST_NONE)
			*m = cb[r];
		else if (*m != cb[r])
			return false;
	}
	return true;
}

static bool _alias_eq(uint32_t id, const void *key, void *ctx)
{
	struct alias_ctx *c = ctx;

	(void)key;
	return _same_partition(c->d, c->rep[id], c->attr, c->scratch);
}

/* The partition of the rows by A, as a hash: each row's value numbered in
 * the order values first appear. */
static uint64_t _partition_hash(const struct contrast_data *d, uint32_t a, uint32_t *scratch)
{
	size_t n = contrast_data__nvalues(d, a), nrows = contrast_data__nrows(d);
	const uint32_t *ca = contrast_data__column(d, a);
	uint64_t hash = HASH_SEED;
	uint32_t seen = 0;

	memset(scratch, 0xff, n * sizeof(*scratch));
	for (size_t r = 0; r < nrows; r++) {
		uint32_t *m = &scratch[contrast_data__avp_local(d, ca[r])];

		if (*m == CONTRAST_NONE)
			*m = seen++;
		hash = hash__update(hash, m, sizeof(*m));
	}
	return hash__finish(hash);
}

static int _classes(struct hierarchy *h, const struct contrast_data *d, uint32_t *scratch)
{
	struct hashmap m;
	struct alias_ctx c = { .d = d, .rep = h->rep, .scratch = scratch };
	int err = 0;

	hashmap__init(&m);
	for (uint32_t a = 0; a < h->nattrs; a++) {
		uint64_t hash;
		int64_t id;

		h->cls[a] = h->next[a] = CONTRAST_NONE;
		if (contrast_data__nvalues(d, a) < 2)
			continue;
		hash = _partition_hash(d, a, scratch);
		c.attr = a;
		id = hashmap__find(&m, hash, NULL, _alias_eq, &c);
		if (id >= 0) {
			uint32_t k = (uint32_t)id;

			h->cls[a] = k;
			h->rank[a] = h->rank[h->last[k]] + 1;
			h->next[h->last[k]] = a;
			h->last[k] = a;
			continue;
		}
		if ((err = hashmap__add(&m, hash, (uint32_t)h->nclasses)))
			break;
		h->cls[a] = (uint32_t)h->nclasses;
		h->rank[a] = 0;
		h->rep[h->nclasses] = h->last[h->nclasses] = a;
		h->nclasses++;
	}
	hashmap__release(&m);
	return err;
}

/* --- the relation between classes --- */

/* Which classes does class K determine? One pass over the rows, comparing
 * each row's candidate values with those of the first row holding the same
 * value of K's representative; a candidate drops out at its first clash. */
static void _mine_from(struct hierarchy *h, const struct contrast_data *d, size_t k,
		       uint32_t *first_row, uint32_t *cand, const uint32_t **ccol)
{
	uint32_t low = h->rep[k];
	size_t nlow = contrast_data__nvalues(d, low), ncand = 0;
	const uint32_t *lowcol = contrast_data__column(d, low);

	for (size_t b = 0; b < h->nclasses; b++) {
		/* fewer values: a class with as many would be this one */
		if (b == k || contrast_data__nvalues(d, h->rep[b]) >= nlow)
			continue;
		ccol[ncand] = contrast_data__column(d, h->rep[b]);
		cand[ncand++] = (uint32_t)b;
	}
	memset(first_row, 0xff, nlow * sizeof(*first_row));
	for (size_t r = 0; r < h->nrows && ncand; r++) {
		uint32_t *f = &first_row[contrast_data__avp_local(d, lowcol[r])];

		if (*f == CONTRAST_NONE) {
			*f = (uint32_t)r;
			continue;
		}
		for (size_t i = 0; i < ncand; i++) {
			if (ccol[i][r] == ccol[i][*f])
				continue;
			--ncand;
			ccol[i] = ccol[ncand];
			cand[i--] = cand[ncand];
		}
	}
	for (size_t i = 0; i < ncand; i++)
		h->above[k * h->words + cand[i] / 64] |= 1ULL << (cand[i] % 64);
}

/* --- chains --- */

/* Walks on from the path PATH[0..LEN) into class K, through the direct
 * successors of K in column order (DIRECT: K's row of the reduction). */
static int _walk(struct hierarchy *h, const uint64_t *direct, uint32_t *path, size_t len,
		 size_t k)
{
	bool extended = false;

	for (uint32_t a = h->rep[k]; a != CONTRAST_NONE; a = h->next[a])
		path[len++] = a;
	for (size_t b = 0; b < h->nclasses && h->nchains < HIERARCHY_MAX_CHAINS; b++) {
		int err;

		if (!_bit(&direct[k * h->words], b))
			continue;
		extended = true;
		if ((err = _walk(h, direct, path, len, b)))
			return err;
	}
	if (extended || len < 2 || h->nchains == HIERARCHY_MAX_CHAINS)
		return 0;
	struct chain *c = &h->chains[h->nchains];
	if (!(c->attrs = malloc(len * sizeof(*c->attrs))))
		return -ENOMEM;
	memcpy(c->attrs, path, len * sizeof(*path));
	c->len = len;
	h->nchains++;
	return 0;
}

/* The reduction of ABOVE into DIRECT; chains from each class nothing lies
 * below, in column order. */
static int _chains(struct hierarchy *h, uint64_t *direct, uint32_t *path)
{
	size_t nk = h->nclasses, w = h->words;
	bool *has_low = calloc(nk ? nk : 1, sizeof(*has_low));
	int err = 0;

	if (!has_low)
		return -ENOMEM;
	for (size_t a = 0; a < nk; a++) {
		uint64_t *row = &direct[a * w];

		memcpy(row, &h->above[a * w], w * sizeof(*row));
		for (size_t c = 0; c < nk; c++) {
			if (!_cbelow(h, a, c))
				continue;
			has_low[c] = true;
			for (size_t i = 0; i < w; i++)
				row[i] &= ~h->above[c * w + i];
		}
	}
	for (size_t k = 0; k < nk && !err && h->nchains < HIERARCHY_MAX_CHAINS; k++) {
		bool has_high = h->next[h->rep[k]] != CONTRAST_NONE;

		for (size_t i = 0; i < w; i++)
			has_high |= h->above[k * w + i] != 0;
		if (has_high && !has_low[k])
			err = _walk(h, direct, path, 0, k);
	}
	free(has_low);
	return err;
}

/* Copies of the columns that lie above another, and a row for each AVP:
 * the parent of a value is then the higher column at that row. */
static int _parents(struct hierarchy *h, const struct contrast_data *d)
{
	uint64_t *high = calloc(h->words + 1, sizeof(*high));   /* classes above another */

	if (!high)
		return -ENOMEM;
	for (size_t c = 0; c < h->nclasses; c++)
		for (size_t i = 0; i < h->words; i++)
			high[i] |= h->above[c * h->words + i];
	for (uint32_t v = 0; v < h->navps; v++) {
		h->avp_attr[v] = contrast_data__avp_attr(d, v);
		h->avp_row[v] = CONTRAST_NONE;
	}
	for (uint32_t a = 0; a < h->nattrs; a++) {
		const uint32_t *ca = contrast_data__column(d, a);
		uint32_t k = h->cls[a];

		for (size_t r = h->nrows; r-- > 0;)
			h->avp_row[ca[r]] = (uint32_t)r;
		if (k == CONTRAST_NONE || (!h->rank[a] && !_bit(high, k)))
			continue;
		if (!(h->col[a] = malloc((h->nrows ? h->nrows : 1) * sizeof(*h->col[a])))) {
			free(high);
			return -ENOMEM;
		}
		memcpy(h->col[a], ca, h->nrows * sizeof(*ca));
	}
	free(high);
	return 0;
}

int hierarchy__mine(const struct contrast_data *d, struct hierarchy **out)
{
	size_t na = contrast_data__nattrs(d), maxv = 1;
	uint32_t *scratch = NULL, *cand = NULL, *path = NULL;
	const uint32_t **ccol = NULL;
	uint64_t *direct = NULL;
	struct hierarchy *h;
	int err = -ENOMEM;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	h->nattrs = na;
	h->nrows = contrast_data__nrows(d);
	h->navps = contrast_data__navps(d);
	for (size_t a = 0; a < na; a++)
		if (contrast_data__nvalues(d, a) > maxv)
			maxv = contrast_data__nvalues(d, a);
	h->cls = malloc((na + 1) * sizeof(*h->cls));
	h->rank = calloc(na + 1, sizeof(*h->rank));
	h->rep = malloc((na + 1) * sizeof(*h->rep));
	h->last = malloc((na + 1) * sizeof(*h->last));
	h->next = malloc((na + 1) * sizeof(*h->next));
	h->col = calloc(na + 1, sizeof(*h->col));
	h->avp_attr = malloc((h->navps + 1) * sizeof(*h->avp_attr));
	h->avp_row = malloc((h->navps + 1) * sizeof(*h->avp_row));
	scratch = malloc(maxv * sizeof(*scratch));
	cand = malloc((na + 1) * sizeof(*cand));
	ccol = malloc((na + 1) * sizeof(*ccol));
	path = malloc((na + 1) * sizeof(*path));
	if (!h->cls || !h->rank || !h->rep || !h->last || !h->next || !h->col || !h->avp_attr ||
	    !h->avp_row || !scratch || !cand || !ccol || !path)
		goto cleanup;
	if ((err = _classes(h, d, scratch)))
		goto cleanup;
	err = -ENOMEM;
	h->words = (h->nclasses + 63) / 64;
	h->above = calloc(h->nclasses * h->words + 1, sizeof(*h->above));
	direct = calloc(h->nclasses * h->words + 1, sizeof(*direct));
	if (!h->above || !direct)
		goto cleanup;
	for (size_t k = 0; k < h->nclasses; k++)
		_mine_from(h, d, k, scratch, cand, ccol);
	if ((err = _chains(h, direct, path)))
		goto cleanup;
	err = _parents(h, d);
cleanup:
	free(scratch);
	free(cand);
	free(ccol);
	free(path);
	free(direct);
	if (err) {
		hierarchy__free(h);
		return err;
	}
	*out = h;
	return 0;
}

bool hierarchy__below(const struct hierarchy *h, uint32_t low, uint32_t high)
{
	uint32_t a, b;

	if (!h || low >= h->nattrs || high >= h->nattrs || low == high)
		return false;
	a = h->cls[low];
	b = h->cls[high];
	if (a == CONTRAST_NONE || b == CONTRAST_NONE)
		return false;
	if (a == b)
		return h->rank[low] < h->rank[high];
	return _cbelow(h, a, b);
}

bool hierarchy__related(const struct hierarchy *h, uint32_t a, uint32_t b)
{
	return hierarchy__below(h, a, b) || hierarchy__below(h, b, a);
}

uint32_t hierarchy__parent(const struct hierarchy *h, uint32_t low_avp, uint32_t high)
{
	uint32_t row;

	if (!h || low_avp >= h->navps || !hierarchy__below(h, h->avp_attr[low_avp], high))
		return CONTRAST_NONE;
	row = h->avp_row[low_avp];
	return row == CONTRAST_NONE || !h->col[high] ? CONTRAST_NONE : h->col[high][row];
}

uint32_t hierarchy__avp_attr(const struct hierarchy *h, uint32_t avp)
{
	return h && avp < h->navps ? h->avp_attr[avp] : CONTRAST_NONE;
}

size_t hierarchy__nchains(const struct hierarchy *h)
{
	return h ? h->nchains : 0;
}

const uint32_t *hierarchy__chain(const struct hierarchy *h, size_t i, size_t *len)
{
	if (!h || i >= h->nchains) {
		*len = 0;
		return NULL;
	}
	*len = h->chains[i].len;
	return h->chains[i].attrs;
}
