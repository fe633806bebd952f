/* stackcontrast — CONAN contrast patterns over stacks; see stackcontrast.h. */
#include "diagnose/stackcontrast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrast/consolidate.h"
#include "contrast/contrast_search.h"
#include "contrast/hierarchy.h"
#include "diagnose/diagnosis.h"
#include "diagnose/fingerprint.h"
#include "lib/vec.h"

enum { A_FUNCTION, A_FAMILY, A_CALL, A_FILE, A_MODULE, A_PATH };

static const char *const fixed_names[A_PATH] = { "function", "family", "call", "file", "module" };

#define NAME_MAX_LEN 512

struct stackcontrast {
	struct contrast_data *data;
	struct stackcontrast_pattern *p;
	size_t n;
	uint64_t total[2];
	const char *target_name, *ref_name;
};

static const char *_base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

/* A frame's name: its function, else module+offset. */
static void _frame_name(const struct stack_frame *f, char *buf, size_t len)
{
	if (f->function)
		snprintf(buf, len, "%s", f->function);
	else
		snprintf(buf, len, "%s+0x%llx", _base(f->module), (unsigned long long)f->offset);
}

static void _family(const char *fn, char *buf, size_t len)
{
	const char *colon = NULL, *u;

	for (const char *s = fn; (s = strstr(s, "::")); s += 2)
		colon = s;
	if (colon) {
		snprintf(buf, len, "%.*s::*", (int)(colon - fn), fn);
		return;
	}
	for (u = fn; *u == '_'; u++)
		;
	u = strchr(u, '_');
	if (u && u[1])
		snprintf(buf, len, "%.*s*", (int)(u - fn + 1), fn);
	else
		snprintf(buf, len, "%s", fn);
}

/* The attribute values of ST into VALS (NATTRS buffers of NAME_MAX_LEN). */
static void _values(const struct report_stack *st, size_t depth, char **vals)
{
	const struct stack_frame *site = diagnosis__site(st), *caller = NULL;
	char name[NAME_MAX_LEN];
	size_t pos = 0;

	snprintf(vals[A_FUNCTION], NAME_MAX_LEN, "%s", site && site->function ? site->function : "?");
	_family(vals[A_FUNCTION], vals[A_FAMILY], NAME_MAX_LEN);
	for (size_t i = site ? (size_t)(site - st->frames) + 1 : st->nframes; i < st->nframes; i++)
		if (st->frames[i].function) {
			caller = &st->frames[i];
			break;
		}
	snprintf(vals[A_CALL], NAME_MAX_LEN, "%s->%s", caller ? caller->function : "?",
		 vals[A_FUNCTION]);
	snprintf(vals[A_FILE], NAME_MAX_LEN, "%s", site && site->file ? _base(site->file) : "?");
	snprintf(vals[A_MODULE], NAME_MAX_LEN, "%s", site ? _base(site->module) : "?");
	if (depth)
		vals[A_PATH][0] = '\0';
	for (size_t k = 0; k < depth; k++) {
		char *v = vals[A_PATH + k];

		if (k < st->nframes) {
			_frame_name(&st->frames[st->nframes - 1 - k], name, sizeof(name));
			if (pos < NAME_MAX_LEN)
				pos += (size_t)snprintf(v + pos, NAME_MAX_LEN - pos, "%s%s",
							k ? ";" : "", name);
		}
		if (k + 1 < depth)
			memcpy(vals[A_PATH + k + 1], v, NAME_MAX_LEN);
		if (pos >= NAME_MAX_LEN)
			pos = NAME_MAX_LEN - 1;
	}
}

static uint32_t _attr(const struct contrast_data *d, uint32_t avp)
{
	return contrast_data__avp_attr(d, avp);
}

/* The first attribute of P. */
static uint32_t _first_attr(const struct contrast_data *d, const struct contrast_pattern *p)
{
	uint32_t a = UINT32_MAX;

	for (uint32_t i = 0; i < p->len; i++)
		if (_attr(d, p->avp[i]) < a)
			a = _attr(d, p->avp[i]);
	return a;
}

/* Of patterns covering the same bytes of both classes, keeps the one with
 * fewest items, then the earliest attribute. */
static int _dedupe(const struct contrast_data *d, struct contrast_top *top)
{
	size_t n = contrast_top__len(top);
	bool *keep = malloc((n ? n : 1) * sizeof(*keep));

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keep[i] = true;
	for (size_t i = 0; i < n; i++) {
		const struct contrast_pattern *a = contrast_top__get(top, i);

		for (size_t j = 0; j < n && keep[i]; j++) {
			const struct contrast_pattern *b = contrast_top__get(top, j);

			if (i == j || !keep[j] || a->count[0] != b->count[0] ||
			    a->count[1] != b->count[1])
				continue;
			if (b->len < a->len ||
			    (b->len == a->len && _first_attr(d, b) < _first_attr(d, a)) ||
			    (b->len == a->len && _first_attr(d, b) == _first_attr(d, a) && j < i))
				keep[i] = false;
		}
	}
	contrast_top__filter(top, keep);
	free(keep);
	return 0;
}

static double _share(uint64_t x, uint64_t total)
{
	return total ? (double)x / (double)total : 0;
}

/* The value of ATTR shared by every row EV matched last, or CONTRAST_NONE. */
static uint32_t _common(const struct contrast_data *d, const struct contrast_eval *ev, uint32_t attr)
{
	size_t n;
	const uint32_t *rows = contrast_eval__rows(ev, &n);
	uint32_t v = n ? contrast_data__value(d, rows[0], attr) : CONTRAST_NONE;

	for (size_t i = 1; i < n && v != CONTRAST_NONE; i++)
		if (contrast_data__value(d, rows[i], attr) != v)
			v = CONTRAST_NONE;
	return v;
}

static void _fill(const struct stackcontrast *sc, struct contrast_eval *ev,
		  const struct contrast_pattern *cp, struct stackcontrast_pattern *out)
{
	const struct contrast_data *d = sc->data;
	static const uint32_t implied[] = { A_FUNCTION, A_MODULE, A_FILE };
	struct contrast_pattern again = *cp;
	uint32_t by_attr[CONTRAST_MAX_LEN];

	memset(out, 0, sizeof(*out));
	contrast_pattern__by_attr(d, cp, by_attr);
	for (uint32_t i = 0; i < cp->len; i++) {
		out->items[i].attr = contrast_data__attr_name(d, _attr(d, by_attr[i]));
		out->items[i].value = contrast_data__avp_value(d, by_attr[i]);
	}
	out->nitems = cp->len;
	contrast_eval__pattern(ev, &again, NULL);
	for (size_t k = 0; k < sizeof(implied) / sizeof(implied[0]); k++) {
		uint32_t want = implied[k], v;

		if (contrast_pattern__has_attr(d, cp, want) ||
		    (v = _common(d, ev, want)) == CONTRAST_NONE)
			continue;
		out->implied[out->nimplied].attr = contrast_data__attr_name(d, want);
		out->implied[out->nimplied++].value = contrast_data__avp_value(d, v);
	}
	out->score = cp->score;
	out->target_bytes = cp->count[CONTRAST_TARGET];
	out->ref_bytes = cp->count[CONTRAST_BACKGROUND];
	out->target_share = _share(out->target_bytes, sc->total[CONTRAST_TARGET]);
	out->ref_share = _share(out->ref_bytes, sc->total[CONTRAST_BACKGROUND]);
}

/* Loads ROWS into a new data set of 5 + DEPTH attributes. */
static int _load(const struct stackcontrast_row *rows, size_t n, size_t depth,
		 struct contrast_data **out)
{
	size_t na = A_PATH + depth;
	char *names[A_PATH + STACKCONTRAST_MAX_DEPTH] = { NULL };
	char *vals[A_PATH + STACKCONTRAST_MAX_DEPTH] = { NULL };
	struct contrast_data *d = NULL;
	int err = -ENOMEM;

	for (size_t a = 0; a < na; a++) {
		names[a] = malloc(16);
		vals[a] = malloc(NAME_MAX_LEN);
		if (!names[a] || !vals[a])
			goto cleanup;
		if (a < A_PATH)
			snprintf(names[a], 16, "%s", fixed_names[a]);
		else
			snprintf(names[a], 16, "path%zu", a - A_PATH + 1);
	}
	if (!(d = contrast_data__new(na, (const char *const *)names))) {
		err = -errno;
		goto cleanup;
	}
	err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		if (!rows[i].bytes || !rows[i].stack)
			continue;
		_values(rows[i].stack, depth, vals);
		err = contrast_data__add(d, (const char *const *)vals, rows[i].cls, rows[i].bytes, 0);
	}
	if (!err)
		err = contrast_data__finalize(d);
cleanup:
	for (size_t a = 0; a < na; a++) {
		free(names[a]);
		free(vals[a]);
	}
	if (err) {
		contrast_data__free(d);
		return err;
	}
	*out = d;
	return 0;
}

static struct stackcontrast *_new(void)
{
	struct stackcontrast *sc = calloc(1, sizeof(*sc));

	if (sc) {
		sc->target_name = "target";
		sc->ref_name = "background";
	}
	return sc;
}

static int _search(struct stackcontrast *sc, size_t top)
{
	struct contrast_search_opts o;
	struct contrast_objective obj;
	struct contrast_top *list = NULL;
	struct contrast_eval *ev = NULL;
	struct hierarchy *h = NULL;
	int err;

	sc->total[0] = contrast_data__total(sc->data, CONTRAST_BACKGROUND);
	sc->total[1] = contrast_data__total(sc->data, CONTRAST_TARGET);
	if (!sc->total[1])
		return 0;
	if ((err = hierarchy__mine(sc->data, &h)))
		return err;
	contrast_search__defaults(&o);
	o.max_len = contrast_data__nrows(sc->data) > STACKCONTRAST_ROWS_LEN3 ? 2 : 3;
	o.hier = h;
	contrast_objective__lookup("proportion", &obj);
	if (!(list = contrast_top__new(256))) {
		err = -ENOMEM;
		goto cleanup;
	}
	if ((err = contrast_search__exhaustive(sc->data, &obj, &o, list, NULL)) ||
	    (err = _dedupe(sc->data, list)) ||
	    (err = consolidate__run(h, CONSOLIDATE_TOLERANCE, list)))
		goto cleanup;
	sc->p = calloc(top ? top : 1, sizeof(*sc->p));
	ev = contrast_eval__new(sc->data, &obj);
	if (!sc->p || !ev) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < contrast_top__len(list) && sc->n < top; i++) {
		const struct contrast_pattern *cp = contrast_top__get(list, i);

		if (cp->score > 0 && cp->count[CONTRAST_TARGET])
			_fill(sc, ev, cp, &sc->p[sc->n++]);
	}
cleanup:
	contrast_eval__free(ev);
	contrast_top__free(list);
	hierarchy__free(h);
	return err;
}

int stackcontrast__run(const struct stackcontrast_row *rows, size_t n, size_t top,
		       struct stackcontrast **out)
{
	struct stackcontrast *sc = _new();
	size_t depth = 1;
	int err;

	if (!sc)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (rows[i].stack && rows[i].stack->nframes > depth)
			depth = rows[i].stack->nframes;
	if (depth > STACKCONTRAST_MAX_DEPTH)
		depth = STACKCONTRAST_MAX_DEPTH;
	err = _load(rows, n, depth, &sc->data);
	if (!err)
		err = _search(sc, top);
	if (err) {
		stackcontrast__free(sc);
		return err;
	}
	*out = sc;
	return 0;
}

int stackcontrast__from_diagnosis(const struct diagnosis *d, struct fingerprint *ref, size_t top,
				  struct stackcontrast **out)
{
	struct stackcontrast_row *rows = NULL;
	size_t n = 0, cap = 0, leaks = 0, nref = ref ? fingerprint__stacks(ref) : 0;
	int err = 0;

	for (size_t k = 0; k < d->nj; k++)
		leaks += d->j[k].v.kind == VERDICT_LEAK;
	for (size_t k = 0; k < d->nj && !err; k++) {
		const struct stack_series *r = d->j[k].row;
		double first = r->bytes[0], last = r->bytes[d->n - 1], growth = last - first;
		bool grows = growth > 0 && (!leaks || d->j[k].v.kind == VERDICT_LEAK);
		struct stackcontrast_row *t, *b;

		if (grows && !(t = VEC_PUSH(rows, n, cap)))
			err = -ENOMEM;
		else if (grows)
			*t = (struct stackcontrast_row){ r->stack, (uint64_t)growth, CONTRAST_TARGET };
		n += grows && !err;
		if (ref || err)
			continue;
		if (grows)
			continue;
		if (!(b = VEC_PUSH(rows, n, cap)))
			err = -ENOMEM;
		else
			*b = (struct stackcontrast_row){ r->stack, (uint64_t)(last > 0 ? last : 0),
							 CONTRAST_BACKGROUND };
		n += !err;
	}
	for (size_t k = 0; k < nref && !err; k++) {
		const struct fingerprint_stack *fs = fingerprint__stack(ref, k);
		struct stackcontrast_row *b = VEC_PUSH(rows, n, cap);

		if (!b || !fs) {
			err = -ENOMEM;
			break;
		}
		*b = (struct stackcontrast_row){ &fs->stack, fs->stack.bytes, CONTRAST_BACKGROUND };
		n++;
	}
	if (!err)
		err = stackcontrast__run(rows, n, top, out);
	if (!err) {
		(*out)->target_name = leaks ? "leaks" : "growth";
		(*out)->ref_name = ref ? "reference" : "non-growing stacks";
	}
	free(rows);
	return err;
}

void stackcontrast__free(struct stackcontrast *sc)
{
	if (!sc)
		return;
	contrast_data__free(sc->data);
	free(sc->p);
	free(sc);
}

size_t stackcontrast__len(const struct stackcontrast *sc)
{
	return sc ? sc->n : 0;
}

const struct stackcontrast_pattern *stackcontrast__get(const struct stackcontrast *sc, size_t i)
{
	return sc && i < sc->n ? &sc->p[i] : NULL;
}

uint64_t stackcontrast__total(const struct stackcontrast *sc, enum contrast_class cls)
{
	return sc ? sc->total[cls & 1] : 0;
}

const char *stackcontrast__target_name(const struct stackcontrast *sc)
{
	return sc->target_name;
}

const char *stackcontrast__ref_name(const struct stackcontrast *sc)
{
	return sc->ref_name;
}

void stackcontrast__describe(const struct stackcontrast_pattern *p, char *buf, size_t len)
{
	size_t pos = 0;

	if (!len)
		return;
	buf[0] = '\0';
	pos += (size_t)snprintf(buf, len, "{");
	for (size_t i = 0; i < p->nitems && pos < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s=%s", i ? ", " : "",
					p->items[i].attr, p->items[i].value);
	if (pos < len)
		snprintf(buf + pos, len - pos, "}");
}
