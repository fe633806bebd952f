/* hierarchy — attribute hierarchy chains mined from the data. See hierarchy.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contrast/contrast.h"
#include "contrast/hierarchy.h"

struct chain {
	size_t len;
	uint32_t *attrs;
};

struct hierarchy {
	size_t nattrs;
	bool *below;            /* nattrs * nattrs: below[low * nattrs + high] */
	uint32_t **parent;      /* [low * nattrs + high]: local(low) -> AVP of high */
	uint32_t *avp_attr, *avp_local;   /* copies, for hierarchy__parent */
	size_t navps;
	struct chain chains[HIERARCHY_MAX_CHAINS];
	size_t nchains;
};

void hierarchy__free(struct hierarchy *h)
{
	if (!h)
		return;
	if (h->parent)
		for (size_t i = 0; i < h->nattrs * h->nattrs; i++)
			free(h->parent[i]);
	for (size_t i = 0; i < h->nchains; i++)
		free(h->chains[i].attrs);
	free(h->parent);
	free(h->below);
	free(h->avp_attr);
	free(h->avp_local);
	free(h);
}

/* For attribute LOW, which attributes does it determine? One pass over the
 * rows with a value map per candidate; a candidate dies at its first clash. */
static int _mine_from(struct hierarchy *h, const struct contrast_data *d, uint32_t low)
{
	size_t na = h->nattrs, nlow = contrast_data__nvalues(d, low), nrows = contrast_data__nrows(d);
	uint32_t *map = NULL, *cand = NULL;
	const uint32_t **ccol = NULL;
	size_t ncand = 0;
	int err = 0;

	cand = malloc(na * sizeof(*cand));
	ccol = malloc(na * sizeof(*ccol));
	map = malloc(na * nlow * sizeof(*map));
	if (!cand || !ccol || !map) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (uint32_t b = 0; b < na; b++) {
		size_t nb = contrast_data__nvalues(d, b);

		if (b == low || nb < 2 || nb > nlow || (nb == nlow && b < low))
			continue;
		ccol[ncand] = contrast_data__column(d, b);
		cand[ncand++] = b;
	}
	memset(map, 0xff, na * nlow * sizeof(*map));
	const uint32_t *lowcol = contrast_data__column(d, low);
	for (size_t r = 0; r < nrows && ncand; r++) {
		uint32_t lv = contrast_data__avp_local(d, lowcol[r]);

		for (size_t k = 0; k < ncand; k++) {
			uint32_t *m = &map[cand[k] * nlow + lv];
			uint32_t v = ccol[k][r];

			if (*m == CONTRAST_NONE) {
				*m = v;
			} else if (*m != v) {
				--ncand;
				ccol[k] = ccol[ncand];
				cand[k--] = cand[ncand];
			}
		}
	}
	for (size_t k = 0; k < ncand; k++) {
		uint32_t b = cand[k];
		uint32_t *pm = malloc(nlow * sizeof(*pm));

		if (!pm) {
			err = -ENOMEM;
			goto cleanup;
		}
		memcpy(pm, &map[b * nlow], nlow * sizeof(*pm));
		h->below[low * na + b] = true;
		h->parent[low * na + b] = pm;
	}
cleanup:
	free(cand);
	free(ccol);
	free(map);
	return err;
}

static bool _direct(const struct hierarchy *h, uint32_t a, uint32_t b)
{
	size_t na = h->nattrs;

	if (!h->below[a * na + b])
		return false;
	for (uint32_t c = 0; c < na; c++)
		if (h->below[a * na + c] && h->below[c * na + b])
			return false;
	return true;
}

static int _walk(struct hierarchy *h, uint32_t *path, size_t len)
{
	uint32_t last = path[len - 1];
	bool extended = false;

	for (uint32_t b = 0; b < h->nattrs; b++) {
		if (!_direct(h, last, b))
			continue;
		extended = true;
		path[len] = b;
		int err = _walk(h, path, len + 1);
		if (err)
			return err;
	}
	if (extended || len < 2 || h->nchains == HIERARCHY_MAX_CHAINS)
		return 0;
	struct chain *c = &h->chains[h->nchains];
	c->attrs = malloc(len * sizeof(*c->attrs));
	if (!c->attrs)
		return -ENOMEM;
	memcpy(c->attrs, path, len * sizeof(*path));
	c->len = len;
	h->nchains++;
	return 0;
}

int hierarchy__mine(const struct contrast_data *d, struct hierarchy **out)
{
	struct hierarchy *h;
	size_t na = contrast_data__nattrs(d);
	uint32_t *path = NULL;
	int err = 0;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->nattrs = na;
	h->navps = contrast_data__navps(d);
	h->below = calloc(na * na, sizeof(*h->below));
	h->parent = calloc(na * na, sizeof(*h->parent));
	h->avp_attr = malloc((h->navps + 1) * sizeof(*h->avp_attr));
	h->avp_local = malloc((h->navps + 1) * sizeof(*h->avp_local));
	path = malloc((na + 1) * sizeof(*path));
	if (!h->below || !h->parent || !h->avp_attr || !h->avp_local || !path) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (uint32_t v = 0; v < h->navps; v++) {
		h->avp_attr[v] = contrast_data__avp_attr(d, v);
		h->avp_local[v] = contrast_data__avp_local(d, v);
	}
	for (uint32_t a = 0; a < na; a++) {
		if (contrast_data__nvalues(d, a) < 2)
			continue;
		err = _mine_from(h, d, a);
		if (err)
			goto cleanup;
	}
	/* Chains start at attributes nothing lies below. */
	for (uint32_t a = 0; a < na; a++) {
		bool has_high = false, has_low = false;

		for (uint32_t b = 0; b < na; b++) {
			has_high |= h->below[a * na + b];
			has_low |= h->below[b * na + a];
		}
		if (!has_high || has_low)
			continue;
		path[0] = a;
		err = _walk(h, path, 1);
		if (err)
			goto cleanup;
	}
cleanup:
	free(path);
	if (err) {
		hierarchy__free(h);
		return err;
	}
	*out = h;
	return 0;
}

bool hierarchy__below(const struct hierarchy *h, uint32_t low, uint32_t high)
{
	if (!h || low >= h->nattrs || high >= h->nattrs)
		return false;
	return h->below[low * h->nattrs + high];
}

bool hierarchy__related(const struct hierarchy *h, uint32_t a, uint32_t b)
{
	return hierarchy__below(h, a, b) || hierarchy__below(h, b, a);
}

uint32_t hierarchy__parent(const struct hierarchy *h, uint32_t low_avp, uint32_t high)
{
	uint32_t low;

	if (!h || low_avp >= h->navps)
		return CONTRAST_NONE;
	low = h->avp_attr[low_avp];
	if (!hierarchy__below(h, low, high))
		return CONTRAST_NONE;
	return h->parent[low * h->nattrs + high][h->avp_local[low_avp]];
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
