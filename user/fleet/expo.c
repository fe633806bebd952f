/* expo — the exposition read back into series; see expo.h. */
#include "fleet/expo.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/vec.h"

#define MAX_LABELS 64

struct raw {
	char name[128];
	char *val;	/* malloc'ed, unescaped */
};

static int _cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct expo_label *)a)->name, ((const struct expo_label *)b)->name);
}

void expo_series__release(struct expo_series *s)
{
	if (!s)
		return;
	free(s->labels);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

/* Builds S from N name/value pairs: one key buffer holds the strings,
 * the labels point into it (sorted first). */
static int _build(struct expo_series *s, struct expo_label *l, size_t n)
{
	size_t len = 0, o = 0;

	qsort(l, n, sizeof(*l), _cmp_label);
	for (size_t i = 0; i < n; i++)
		len += strlen(l[i].name) + strlen(l[i].value) + 2;
	s->key = malloc(len + 1);
	s->labels = calloc(n ? n : 1, sizeof(*s->labels));
	if (!s->key || !s->labels) {
		expo_series__release(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(l[i].name) + 1, b = strlen(l[i].value) + 1;

		memcpy(s->key + o, l[i].name, a);
		s->labels[i].name = s->key + o;
		o += a;
		memcpy(s->key + o, l[i].value, b);
		s->labels[i].value = s->key + o;
		o += b;
	}
	s->nlabels = n;
	s->keylen = o;
	s->hash = hash__bytes(s->key, o);
	return 0;
}

int expo__from_key(const char *key, size_t keylen, double value, struct expo_series *out)
{
	struct expo_label l[MAX_LABELS] = { 0 };
	size_t n = 0, o = 0;

	memset(out, 0, sizeof(*out));
	while (o < keylen && n < MAX_LABELS) {
		l[n].name = key + o;
		o += strlen(key + o) + 1;
		if (o >= keylen)
			return -EINVAL;
		l[n].value = key + o;
		o += strlen(key + o) + 1;
		n++;
	}
	out->value = value;
	return _build(out, l, n);
}

/* A label value at P (after the opening quote) into a new string; P moves
 * past the closing quote. */
static char *_value(const char **p)
{
	const char *q = *p;
	size_t n = 0;
	char *v;

	while (*q && *q != '"' && *q != '\n')
		q += *q == '\\' && q[1] ? 2 : 1;
	if (*q != '"')
		return NULL;
	v = malloc((size_t)(q - *p) + 1);
	if (!v)
		return NULL;
	for (const char *r = *p; r < q; r++) {
		if (*r == '\\') {
			r++;
			v[n++] = *r == 'n' ? '\n' : *r;
		} else {
			v[n++] = *r;
		}
	}
	v[n] = '\0';
	*p = q + 1;
	return v;
}

static bool _name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* One sample line into SET. */
static int _line(const char *line, const struct expo_label *extra, size_t nextra,
		 struct expo_set *set)
{
	struct raw raw[MAX_LABELS] = { 0 };
	struct expo_label l[MAX_LABELS + 1 + 16];
	struct expo_series *s;
	const char *p = line, *ns = line;
	char name[256], *end;
	size_t nraw = 0, nl = 0;
	int err = -EINVAL;

	while (_name_char(*p, p == ns))
		p++;
	if (p == ns || (size_t)(p - ns) >= sizeof(name))
		return -EINVAL;
	snprintf(name, sizeof(name), "%.*s", (int)(p - ns), ns);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			const char *k = p;

			while (_name_char(*p, p == k))
				p++;
			if (p == k || (size_t)(p - k) >= sizeof(raw[0].name) || p[0] != '=' ||
			    p[1] != '"' || nraw == MAX_LABELS)
				goto cleanup;
			snprintf(raw[nraw].name, sizeof(raw[0].name), "%.*s", (int)(p - k), k);
			p += 2;
			raw[nraw].val = _value(&p);
			if (!raw[nraw].val)
				goto cleanup;
			nraw++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				goto cleanup;
		}
		p++;
	}
	if (*p != ' ')
		goto cleanup;
	p++;
	l[nl++] = (struct expo_label){ "__name__", name };
	for (size_t i = 0; i < nraw; i++)
		if (raw[i].val[0])	/* an empty value is no label (the data model) */
			l[nl++] = (struct expo_label){ raw[i].name, raw[i].val };
	for (size_t i = 0; i < nextra && i < 16; i++) {
		bool have = false;

		for (size_t j = 0; j < nl && !have; j++)
			have = !strcmp(l[j].name, extra[i].name);
		if (!have && extra[i].value[0])
			l[nl++] = extra[i];
	}
	err = -ENOMEM;
	s = VEC_PUSH(set->s, set->n, set->cap);
	if (!s)
		goto cleanup;
	memset(s, 0, sizeof(*s));
	if (!strcmp(p, "NaN"))
		s->value = NAN;
	else if (!strcmp(p, "+Inf"))
		s->value = INFINITY;
	else if (!strcmp(p, "-Inf"))
		s->value = -INFINITY;
	else {
		s->value = strtod(p, &end);
		if (end == p || *end) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	err = _build(s, l, nl);
	if (!err)
		set->n++;
cleanup:
	for (size_t i = 0; i < nraw; i++)
		free(raw[i].val);
	return err;
}

int expo__parse(const char *text, const struct expo_label *extra, size_t nextra,
		struct expo_set *out, char *err, size_t errlen)
{
	const char *p = text;
	size_t lineno = 0;
	char buf[4096];

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int e;

		lineno++;
		if (len && p[0] != '#') {
			if (len >= sizeof(buf)) {
				snprintf(err, errlen, "exposition line %zu too long", lineno);
				return -EINVAL;
			}
			memcpy(buf, p, len);
			buf[len] = '\0';
			e = _line(buf, extra, nextra, out);
			if (e) {
				snprintf(err, errlen, "cannot read exposition line %zu: %s", lineno,
					 e == -ENOMEM ? "out of memory" : "bad syntax");
				return e;
			}
		}
		p += len + (nl != NULL);
	}
	return 0;
}

void expo__release(struct expo_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		expo_series__release(&set->s[i]);
	free(set->s);
	memset(set, 0, sizeof(*set));
}
