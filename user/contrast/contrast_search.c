/* contrast_search — CONAN meta-heuristic search and the exhaustive reference.
 * See contrast_search.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contrast/contrast_search.h"
#include "contrast/hierarchy.h"
#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/rng.h"
#include "lib/vec.h"

/* The cache stops growing at this many patterns (scoring goes on uncached). */
#define CACHE_MAX (1u << 21)

void contrast_search__defaults(struct contrast_search_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_len = 4;
	o->bms_k = 5;
	o->tabu_size = 8;
	o->p_add = 0.5;
	o->max_steps = 200000;
	o->patience = 20000;
	o->min_count = 1;
	o->seed = 1;
}


/* --- the pattern cache ----------------------------------------------------- */

/* Patterns scored so far (with their score and counts), indexed by their
 * AVPs. */
struct cache {
	struct contrast_pattern *pats;
	size_t len, cap;
	struct hashmap index;
};

static void _cache_release(struct cache *c)
{
	free(c->pats);
	hashmap__release(&c->index);
}

static uint64_t _pattern_hash(const struct contrast_pattern *p)
{
	return hash__bytes(p->avp, p->len * sizeof(p->avp[0]));
}

/* hashmap_eq_fn: does cached pattern ID have the AVPs of KEY? */
static bool _cache_eq(uint32_t id, const void *key, void *ctx)
{
	const struct cache *c = ctx;

	return contrast_pattern__same(&c->pats[id], key);
}

/* Remembers P (not yet cached) under HASH; a full cache or a failed
 * allocation leaves it uncached. */
static void _cache_add(struct cache *c, uint64_t hash, const struct contrast_pattern *p)
{
	struct contrast_pattern *slot;

	if (c->len >= CACHE_MAX)
		return;
	slot = VEC_PUSH(c->pats, c->len, c->cap);
	if (!slot || hashmap__add(&c->index, hash, (uint32_t)c->len))
		return;
	*slot = *p;
	c->len++;
}

/* Scores P from the cache, or evaluates and remembers it. */
static int _score(struct cache *c, struct contrast_eval *ev, struct contrast_pattern *p,
		  struct contrast_search_stats *st)
{
	uint64_t hash = _pattern_hash(p);
	int64_t id = hashmap__find(&c->index, hash, p, _cache_eq, c);

	if (id >= 0) {
		*p = c->pats[id];
		st->cache_hits++;
		return 0;
	}
	contrast_eval__pattern(ev, p, NULL);
	st->evaluations++;
	_cache_add(c, hash, p);
	return 0;
}

/* --- the meta-heuristic ---------------------------------------------------- */

struct walk {
	const struct contrast_data *d;
	const struct contrast_search_opts *o;
	struct contrast_eval *ev;
	struct cache cache;
	double *score;          /* per AVP: f({AVP}) */
	uint32_t *order;        /* AVPs that match something, best first */
	size_t norder;
	uint64_t *tabu_until;   /* per AVP: tabu while step < tabu_until */
	uint64_t rng, min_count;
	/* ADD's candidates without a scan of every AVP (see _pick_add): */
	uint32_t *rank;         /* per AVP: its place in ORDER */
	uint32_t *by_attr;      /* ORDER grouped by attribute, each group in order */
	uint32_t *attr_off;     /* nattrs + 1 offsets into BY_ATTR */
	uint32_t *blocked;      /* per attribute: the pattern's AVPs that rule it out */
	uint32_t *scratch;      /* norder candidates */
	size_t nattrs;
};

/* W's evaluator and per-AVP arrays: 0 or -ENOMEM (W released then). */
static int _walk_init(struct walk *w, const struct contrast_data *d,
		      const struct contrast_objective *obj, const struct contrast_search_opts *o)
{
	size_t navps = contrast_data__navps(d);

	*w = (struct walk){ .d = d, .o = o, .rng = o->seed,
			    .min_count = o->min_count ? o->min_count : 1 };
	hashmap__init(&w->cache.index);
	w->score = malloc((navps + 1) * sizeof(*w->score));
	w->order = malloc((navps + 1) * sizeof(*w->order));
	w->tabu_until = calloc(navps + 1, sizeof(*w->tabu_until));
	w->nattrs = contrast_data__nattrs(d);
	w->rank = malloc((navps + 1) * sizeof(*w->rank));
	w->by_attr = malloc((navps + 1) * sizeof(*w->by_attr));
	w->attr_off = calloc(w->nattrs + 1, sizeof(*w->attr_off));
	w->blocked = calloc(w->nattrs + 1, sizeof(*w->blocked));
	w->scratch = malloc((navps + w->nattrs + 1) * sizeof(*w->scratch));
	w->ev = contrast_eval__new(d, obj);
	return w->score && w->order && w->tabu_until && w->rank && w->by_attr && w->attr_off &&
	       w->blocked && w->scratch && w->ev ? 0 : -ENOMEM;
}

static void _walk_release(struct walk *w)
{
	contrast_eval__free(w->ev);
	_cache_release(&w->cache);
	free(w->score);
	free(w->order);
	free(w->tabu_until);
	free(w->rank);
	free(w->by_attr);
	free(w->attr_off);
	free(w->blocked);
	free(w->scratch);
}

static int _order_cmp(const void *pa, const void *pb, void *ctx)
{
	const double *score = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	if (score[a] != score[b])
		return score[a] > score[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Marks (DELTA +1) or unmarks (-1) the attributes AVP rules out: its own
 * and those related to it by the hierarchy. */
static void _block(struct walk *w, uint32_t avp, int delta)
{
	uint32_t attr = contrast_data__avp_attr(w->d, avp);

	w->blocked[attr] += (uint32_t)delta;
	if (!w->o->hier)
		return;
	for (uint32_t a = 0; a < w->nattrs; a++)
		if (a != attr && hierarchy__related(w->o->hier, attr, a))
			w->blocked[a] += (uint32_t)delta;
}

static bool _usable(const struct walk *w, uint32_t v, uint64_t step, bool honour_tabu)
{
	return !w->blocked[contrast_data__avp_attr(w->d, v)] &&
	       !(honour_tabu && step < w->tabu_until[v]);
}

static int _rank_cmp(const void *pa, const void *pb, void *ctx)
{
	const uint32_t *rank = ctx;
	uint32_t a = rank[*(const uint32_t *)pa], b = rank[*(const uint32_t *)pb];

	return a < b ? -1 : a > b;
}

/* The first K usable AVPs of ORDER into CAND; returns how many. A scan of
 * ORDER finds them at once unless the pattern rules out the attributes of
 * most AVPs ahead of them; past a budget, the first K usable of each open
 * attribute's own list are gathered and the K best ranked of
 * them taken: the same AVPs a scan of ORDER finds, without walking past
 * every AVP of the ruled-out attributes (all of them, when the hierarchy
 * relates every attribute to every other). */
static unsigned _candidates(struct walk *w, uint64_t step, bool honour_tabu, unsigned k,
			    uint32_t *cand)
{
	size_t open = 0, n = 0;
	unsigned got = 0;

	for (uint32_t a = 0; a < w->nattrs; a++)
		open += !w->blocked[a];
	if (!open)
		return 0;
	/* a scan of ORDER, as long as it is no dearer than the lists */
	size_t budget = open * ((size_t)k + w->o->tabu_size) + 64, i;
	for (i = 0; i < w->norder && i < budget && got < k; i++)
		if (_usable(w, w->order[i], step, honour_tabu))
			cand[got++] = w->order[i];
	if (got == k || i == w->norder)
		return got;
	got = 0;
	for (uint32_t a = 0; a < w->nattrs; a++) {
		unsigned taken = 0;

		if (w->blocked[a])
			continue;
		for (uint32_t i = w->attr_off[a]; i < w->attr_off[a + 1] && taken < k; i++)
			if (_usable(w, w->by_attr[i], step, honour_tabu)) {
				w->scratch[n++] = w->by_attr[i];
				taken++;
			}
	}
	qsort_r(w->scratch, n, sizeof(*w->scratch), _rank_cmp, w->rank);
	for (size_t i = 0; i < n && got < k; i++)
		cand[got++] = w->scratch[i];
	return got;
}

/* BMS: the bms_k best allowed AVPs, one drawn with probability proportional
 * to its score. Returns CONTRAST_NONE if no AVP can be added. BLOCKED holds
 * the pattern's ruled-out attributes (kept by _move). */
static uint32_t _pick_add(struct walk *w, uint64_t step, bool honour_tabu)
{
	uint32_t cand[64];
	unsigned k = w->o->bms_k ? w->o->bms_k : 1, n;

	if (k > 64)
		k = 64;
	n = _candidates(w, step, honour_tabu, k, cand);
	if (!n)
		return CONTRAST_NONE;
	double lo = w->score[cand[n - 1]], hi = w->score[cand[0]], shift = 0, total = 0;
	if (lo <= 0)
		shift = -lo + (hi - lo) / n + 1e-12;
	for (unsigned i = 0; i < n; i++)
		total += w->score[cand[i]] + shift;
	double x = rng__unit(&w->rng) * total;
	for (unsigned i = 0; i < n; i++) {
		x -= w->score[cand[i]] + shift;
		if (x < 0)
			return cand[i];
	}
	return cand[n - 1];
}

/* DEL: one of the pattern's AVPs, the weaker ones (by the score table) the
 * likelier, so that a strong core stays while its weak members rotate. */
static uint32_t _pick_del(struct walk *w, const struct contrast_pattern *p)
{
	double lo = w->score[p->avp[0]], hi = lo, total = 0;

	for (uint32_t i = 1; i < p->len; i++) {
		lo = fmin(lo, w->score[p->avp[i]]);
		hi = fmax(hi, w->score[p->avp[i]]);
	}
	double floor = (hi - lo) / p->len + 1e-12;
	for (uint32_t i = 0; i < p->len; i++)
		total += hi - w->score[p->avp[i]] + floor;
	double x = rng__unit(&w->rng) * total;
	for (uint32_t i = 0; i < p->len; i++) {
		x -= hi - w->score[p->avp[i]] + floor;
		if (x < 0)
			return p->avp[i];
	}
	return p->avp[p->len - 1];
}

static int _score_table(struct walk *w, struct contrast_top *out,
			struct contrast_search_stats *st)
{
	const struct contrast_data *d = w->d;
	size_t navps = contrast_data__navps(d);

	for (uint32_t v = 0; v < navps; v++) {
		struct contrast_pattern p = { .len = 1, .avp = { v } };

		contrast_eval__pattern(w->ev, &p, NULL);
		st->evaluations++;
		w->score[v] = p.score;
		if (p.count[CONTRAST_TARGET] < w->min_count)
			continue;
		w->order[w->norder++] = v;
		contrast_top__offer(out, &p);
	}
	qsort_r(w->order, w->norder, sizeof(*w->order), _order_cmp, w->score);
	/* each attribute's AVPs in ORDER's order, and every AVP's rank */
	for (size_t i = 0; i < w->norder; i++) {
		w->rank[w->order[i]] = (uint32_t)i;
		w->attr_off[contrast_data__avp_attr(d, w->order[i]) + 1]++;
	}
	for (size_t a = 0; a < w->nattrs; a++)
		w->attr_off[a + 1] += w->attr_off[a];
	memcpy(w->scratch, w->attr_off, w->nattrs * sizeof(*w->scratch));
	for (size_t i = 0; i < w->norder; i++)
		w->by_attr[w->scratch[contrast_data__avp_attr(d, w->order[i])]++] = w->order[i];
	return 0;
}

/* The stop criteria before STEP: max_steps, patience (no L_c update since
 * LAST_UPDATE), time_limit (checked every 256 steps, from T0). */
static bool _should_stop(const struct contrast_search_opts *o, uint64_t step,
			 uint64_t last_update, double t0)
{
	if (o->max_steps && step > o->max_steps)
		return true;
	if (o->patience && step - last_update > o->patience)
		return true;
	return o->time_limit > 0 && !(step & 255) && clock__mono_s() - t0 > o->time_limit;
}

/* One move at STEP: ADD (BMS, tabu honoured unless the pattern is empty and
 * nothing else can be added) or DEL on P; the AVP moved becomes tabu.
 * Returns it with *ADDED, or CONTRAST_NONE when nothing can ever be added
 * (the walk is over). */
static uint32_t _move(struct walk *w, struct contrast_pattern *p, uint64_t step, bool *added)
{
	bool add = !p->len || (p->len < w->o->max_len && rng__unit(&w->rng) < w->o->p_add);
	uint32_t avp = CONTRAST_NONE;

	if (add) {
		avp = _pick_add(w, step, true);
		if (avp == CONTRAST_NONE && !p->len)
			avp = _pick_add(w, step, false);
		if (avp == CONTRAST_NONE && !p->len)
			return CONTRAST_NONE;
		add = avp != CONTRAST_NONE;
	}
	if (add) {
		contrast_pattern__add(p, avp);
		_block(w, avp, +1);
	} else {
		avp = _pick_del(w, p);
		contrast_pattern__del(p, avp);
		_block(w, avp, -1);
	}
	w->tabu_until[avp] = step + w->o->tabu_size;
	*added = add;
	return avp;
}

int contrast_search__run(const struct contrast_data *d, const struct contrast_objective *obj,
			 const struct contrast_search_opts *o, struct contrast_top *out,
			 struct contrast_search_stats *stats)
{
	struct contrast_search_stats st = { 0 };
	struct contrast_pattern p = { 0 };
	uint64_t step, last_update = 0;
	double t0 = clock__mono_s();
	struct walk w;
	int err;

	if (!o->max_len || o->max_len > CONTRAST_MAX_LEN)
		return -EINVAL;
	if (!o->max_steps && !o->patience && !(o->time_limit > 0))
		return -EINVAL;         /* it would never stop */
	err = _walk_init(&w, d, obj, o);
	if (!err)
		err = _score_table(&w, out, &st);
	for (step = 1; !err && w.norder && !_should_stop(o, step, last_update, t0); step++) {
		bool added;
		uint32_t avp;

		st.steps = step;
		avp = _move(&w, &p, step, &added);
		if (avp == CONTRAST_NONE)
			break;
		if (!p.len)
			continue;
		_score(&w.cache, w.ev, &p, &st);
		if (added && p.count[CONTRAST_TARGET] < w.min_count) {
			contrast_pattern__del(&p, avp);     /* too few instances: undo */
			_block(&w, avp, -1);
			continue;
		}
		if (contrast_top__offer(out, &p))
			last_update = step;
	}
	st.seconds = clock__mono_s() - t0;
	if (stats)
		*stats = st;
	_walk_release(&w);
	return err;
}

/* --- the exhaustive reference ---------------------------------------------- */

struct group {
	uint32_t avp, start, len;
};

struct exhaustive {
	const struct contrast_data *d;
	const struct contrast_objective *obj;
	const struct hierarchy *hier;
	struct contrast_top *out;
	struct contrast_search_stats *st;
	unsigned max_len;
	uint64_t min_count;
	uint32_t *buf[CONTRAST_MAX_LEN];     /* rows partitioned, per depth */
	struct group *groups[CONTRAST_MAX_LEN];
	uint32_t *cnt, *off;                 /* per AVP, zero between uses */
	uint32_t *byrow;                     /* nrows * nattrs: the data by row */
	size_t nattrs;
	struct contrast_pattern p;
};

static bool _ex_allowed(const struct exhaustive *x, uint32_t attr)
{
	for (uint32_t i = 0; i < x->p.len; i++) {
		uint32_t other = contrast_data__avp_attr(x->d, x->p.avp[i]);

		if (hierarchy__related(x->hier, attr, other))
			return false;
	}
	return true;
}

/* Stable counting sort of ROWS by the value of ATTR into OUT; GROUPS gets
 * one entry per value present. Returns the number of groups. */
static size_t _partition(struct exhaustive *x, const uint32_t *rows, size_t n, uint32_t attr,
			 uint32_t *out, struct group *groups)
{
	size_t ng = 0, pos = 0, na = x->nattrs;
	const uint32_t *base = x->byrow + attr;

	for (size_t i = 0; i < n; i++) {
		uint32_t v = base[(size_t)rows[i] * na];

		if (!x->cnt[v]++)
			groups[ng++].avp = v;
	}
	for (size_t g = 0; g < ng; g++) {
		uint32_t v = groups[g].avp;

		groups[g].start = (uint32_t)pos;
		groups[g].len = x->cnt[v];
		x->off[v] = (uint32_t)pos;
		pos += x->cnt[v];
		x->cnt[v] = 0;
	}
	for (size_t i = 0; i < n; i++)
		out[x->off[base[(size_t)rows[i] * na]]++] = rows[i];
	return ng;
}

static void _expand(struct exhaustive *x, const uint32_t *rows, size_t n, unsigned depth,
		    uint32_t first_attr)
{
	size_t na = contrast_data__nattrs(x->d);

	for (uint32_t j = first_attr; j < na; j++) {
		if (!_ex_allowed(x, j))
			continue;
		uint32_t *part = x->buf[depth];
		struct group *groups = x->groups[depth];
		size_t ng = _partition(x, rows, n, j, part, groups);

		for (size_t g = 0; g < ng; g++) {
			struct contrast_stats s;
			const uint32_t *grows = part + groups[g].start;

			contrast_data__stats(x->d, grows, groups[g].len, x->obj->flags, &s);
			/* Target counts only shrink as items are added: prune. */
			if (s.count[CONTRAST_TARGET] < x->min_count)
				continue;
			contrast_pattern__add(&x->p, groups[g].avp);
			x->p.score = x->obj->score(&s, x->obj->ctx);
			x->p.count[0] = s.count[0];
			x->p.count[1] = s.count[1];
			x->st->evaluations++;
			contrast_top__offer(x->out, &x->p);
			if (depth + 1 < x->max_len)
				_expand(x, grows, groups[g].len, depth + 1, j + 1);
			contrast_pattern__del(&x->p, groups[g].avp);
		}
	}
}

int contrast_search__exhaustive(const struct contrast_data *d,
				const struct contrast_objective *obj,
				const struct contrast_search_opts *o, struct contrast_top *out,
				struct contrast_search_stats *stats)
{
	unsigned max_len = o->max_len;
	struct exhaustive x = { .d = d, .obj = obj, .hier = o->hier, .out = out, .max_len = max_len,
				.min_count = o->min_count ? o->min_count : 1 };
	struct contrast_search_stats st = { 0 };
	size_t nrows = contrast_data__nrows(d), navps = contrast_data__navps(d), maxdom = 1;
	uint32_t *all = NULL;
	double t0 = clock__mono_s();
	int err = 0;

	if (!max_len || max_len > CONTRAST_MAX_LEN)
		return -EINVAL;
	x.st = &st;
	for (size_t a = 0; a < contrast_data__nattrs(d); a++)
		if (contrast_data__nvalues(d, a) > maxdom)
			maxdom = contrast_data__nvalues(d, a);
	all = malloc((nrows + 1) * sizeof(*all));
	x.cnt = calloc(navps + 1, sizeof(*x.cnt));
	x.off = calloc(navps + 1, sizeof(*x.off));
	/* The data is stored by attribute; this search reads every attribute
	 * of the same rows over and over, so it works on a copy by row. */
	x.nattrs = contrast_data__nattrs(d);
	x.byrow = malloc((nrows * x.nattrs + 1) * sizeof(*x.byrow));
	if (!all || !x.cnt || !x.off || !x.byrow) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t a = 0; a < x.nattrs; a++) {
		const uint32_t *col = contrast_data__column(d, a);

		for (size_t r = 0; r < nrows; r++)
			x.byrow[r * x.nattrs + a] = col[r];
	}
	for (unsigned i = 0; i < max_len; i++) {
		x.buf[i] = malloc((nrows + 1) * sizeof(*x.buf[i]));
		x.groups[i] = malloc(maxdom * sizeof(*x.groups[i]));
		if (!x.buf[i] || !x.groups[i]) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t r = 0; r < nrows; r++)
		all[r] = (uint32_t)r;
	_expand(&x, all, nrows, 0, 0);
cleanup:
	st.seconds = clock__mono_s() - t0;
	if (stats)
		*stats = st;
	for (unsigned i = 0; i < CONTRAST_MAX_LEN; i++) {
		free(x.buf[i]);
		free(x.groups[i]);
	}
	free(all);
	free(x.cnt);
	free(x.off);
	free(x.byrow);
	return err;
}
