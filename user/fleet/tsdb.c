/* tsdb — a fleet's series from Prometheus or VictoriaMetrics; see tsdb.h. */
#include "fleet/tsdb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/httpget.h"
#include "lib/vec.h"

#define MAX_CHUNKS 4096

double tsdb__auto_step(double range_s, double min_step_s)
{
	/* floor(range / step) + 1 <= TSDB_AUTO_POINTS  <=>  step > range / TSDB_AUTO_POINTS */
	double step = floor(range_s / TSDB_AUTO_POINTS) + 1;

	if (!(min_step_s >= 1))
		min_step_s = 1;
	return fmax(step, min_step_s);
}

int tsdb__split(double start, double end, double step, size_t max_points, struct tsdb_span *out,
		size_t max, size_t *n)
{
	double span;

	*n = 0;
	if (!isfinite(start) || !isfinite(end) || end < start || !(step > 0) || max_points < 1)
		return -EINVAL;
	span = step * (double)(max_points - 1);	/* a chunk of max_points points */
	for (double s = start; s <= end; s += span + step) {
		if (*n >= max)
			return -E2BIG;
		out[*n].start = s;
		out[*n].end = fmin(s + span, end);
		(*n)++;
	}
	return 0;
}

int tsdb__query(const char *selector, char *buf, size_t len)
{
	size_t n = selector ? strlen(selector) : 0;
	int w;

	if (n < 2 || selector[0] != '{' || selector[n - 1] != '}')
		return -EINVAL;
	/* the matchers inside the braces, then the type */
	w = snprintf(buf, len, "%s{%.*s%stype=\"%s\"}", FLEET_METRIC, (int)(n - 2), selector + 1,
		     n > 2 ? "," : "", FLEET_TYPE);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

int tsdb__escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

		if (o + (keep ? 1 : 3) >= len)
			return -ENAMETOOLONG;
		if (keep) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

/* BASE without its trailing slashes. */
static int _base_len(const char *base)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	return (int)n;
}

/* The escaped query of SRC into ESC; 0 or -EINVAL with ERR set. */
static int _query(const struct tsdb_source *src, char *esc, size_t len, char *err, size_t errlen)
{
	char q[2048];

	if (tsdb__query(src->selector, q, sizeof(q)) || tsdb__escape(q, esc, len)) {
		snprintf(err, errlen, "invalid selector '%s': expected label matchers in braces",
			 src->selector);
		return -EINVAL;
	}
	return 0;
}

/* The body of a GET of URL that answered 2xx (or, with ERRBODY, an API
 * error in a 4xx/5xx body handed back as such). */
static int _get(struct tsdb_source *src, const char *url, char **body, size_t *len, char *err,
		size_t errlen)
{
	char why[512];
	long status;
	int e = httpget__fetch(url, src->timeout_s > 0 ? src->timeout_s : 120, body, len, &status,
			       why, sizeof(why));
	int shown = (int)strcspn(url, "?");	/* messages name the endpoint, not the query */

	src->requests++;
	if (e) {
		snprintf(err, errlen, "cannot query '%.*s': %s", shown, url, why);
		return e;
	}
	if (status / 100 != 2) {
		/* Prometheus explains its errors in a JSON body; VM in text */
		const char *b = *body;

		if (status == 404)
			snprintf(err, errlen, "cannot query '%.*s': HTTP 404 (not this TSDB's API?)",
				 shown, url);
		else
			snprintf(err, errlen, "cannot query '%.*s': HTTP %ld: %.300s", shown, url,
				 status, b && *b ? b : "no body");
		free(*body);
		*body = NULL;
		return -EPROTO;
	}
	return 0;
}

int tsdb__read_prometheus(struct tsdb_source *src, struct fleet_set *set, char *err,
			  size_t errlen)
{
	struct tsdb_span *spans = NULL;
	size_t nspans = 0, before = set->nchunks;
	char esc[6144], url[8192];
	int b = _base_len(src->url), e;

	e = _query(src, esc, sizeof(esc), err, errlen);
	if (e)
		return e;
	src->step_used = src->step > 0 ? src->step : tsdb__auto_step(src->end - src->start, 1);
	spans = calloc(MAX_CHUNKS, sizeof(*spans));
	if (!spans)
		return -ENOMEM;
	e = tsdb__split(src->start, src->end, src->step_used, TSDB_MAX_POINTS, spans, MAX_CHUNKS,
			&nspans);
	if (e) {
		snprintf(err, errlen, "a step of %gs over %gs needs more than %d queries", src->step_used,
			 src->end - src->start, MAX_CHUNKS);
		goto cleanup;
	}
	for (size_t i = 0; i < nspans && !e; i++) {
		char why[512];
		char *body = NULL;
		size_t len;

		snprintf(url, sizeof(url), "%.*s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%g",
			 b, src->url, esc, spans[i].start, spans[i].end, src->step_used);
		e = _get(src, url, &body, &len, err, errlen);
		if (e) {
			/* a 4xx/5xx answer from Prometheus: its own reason */
			break;
		}
		e = fleet_set__read_matrix(set, body, len, why, sizeof(why));
		if (e)
			snprintf(err, errlen, "cannot read the answer of '%.*s': %s",
				 (int)strcspn(url, "?"), url, why);
		free(body);
	}
	if (!e && set->nchunks == before) {
		snprintf(err, errlen, "no series matched '%s' in %.0fs up to %.0f at '%.*s'",
			 src->selector, src->end - src->start, src->end, b, src->url);
		e = -ENODATA;
	}
cleanup:
	free(spans);
	return e;
}

/* The export answer as it streams in: whole lines go to the set, the
 * last partial one waits for the next piece. */
struct lines {
	struct fleet_set *set;
	char *buf;
	size_t len, cap;
	size_t line;		/* the number of the buffer's first line */
	size_t bytes;		/* of the answer */
	char why[512];
};

static int _lines_parse(struct lines *l, size_t upto)
{
	int e = fleet_set__read_export(l->set, l->buf, upto, l->line, l->why, sizeof(l->why));

	if (e)
		return e;
	for (const char *c = l->buf; (c = memchr(c, '\n', (size_t)(l->buf + upto - c))); c++)
		l->line++;
	memmove(l->buf, l->buf + upto, l->len - upto);
	l->len -= upto;
	return 0;
}

static int _lines_sink(void *ctx, const char *data, size_t n)
{
	struct lines *l = ctx;
	const char *nl;
	int e;

	l->bytes += n;
	if (l->len + n > TSDB_MAX_LINE) {
		snprintf(l->why, sizeof(l->why), "line %zu: longer than %d MiB", l->line,
			 TSDB_MAX_LINE >> 20);
		return -EINVAL;
	}
	if ((e = VEC_RESERVE(l->buf, l->cap, l->len + n)))
		return e;
	memcpy(l->buf + l->len, data, n);
	nl = memrchr(data, '\n', n);	/* the new piece's last line end */
	l->len += n;
	if (!nl)
		return 0;
	return _lines_parse(l, l->len - n + (size_t)(nl - data) + 1);
}

int tsdb__read_victoriametrics(struct tsdb_source *src, struct fleet_set *set, char *err,
			       size_t errlen)
{
	char esc[6144], url[8192], why[512], body[512];
	struct lines l = { .set = set, .line = 1 };
	size_t before = set->nchunks;
	int b = _base_len(src->url), e, shown;
	long status;

	e = _query(src, esc, sizeof(esc), err, errlen);
	if (e)
		return e;
	snprintf(url, sizeof(url), "%.*s/api/v1/export?match[]=%s&start=%.3f&end=%.3f", b, src->url,
		 esc, src->start, src->end);
	shown = (int)strcspn(url, "?");
	src->requests++;
	e = httpget__stream(url, src->timeout_s > 0 ? src->timeout_s : 120, _lines_sink, &l,
			    &status, body, sizeof(body), why, sizeof(why));
	if (!e && status / 100 == 2 && l.len)
		e = _lines_parse(&l, l.len);	/* the last line, without its '\n' */
	src->bytes = l.bytes;
	if (e == -EINVAL && l.why[0]) {
		snprintf(err, errlen, "cannot read the answer of '%.*s': %s", shown, url, l.why);
	} else if (e) {
		snprintf(err, errlen, "cannot query '%.*s': %s", shown, url,
			 why[0] ? why : strerror(-e));
	} else if (status / 100 != 2) {
		if (status == 404)
			snprintf(err, errlen, "cannot query '%.*s': HTTP 404 (not this TSDB's API?)",
				 shown, url);
		else
			snprintf(err, errlen, "cannot query '%.*s': HTTP %ld: %.300s", shown, url,
				 status, body[0] ? body : "no body");
		e = -EPROTO;
	} else if (set->nchunks == before) {
		snprintf(err, errlen, "no series matched '%s' in %.0fs up to %.0f at '%.*s'",
			 src->selector, src->end - src->start, src->end, b, src->url);
		e = -ENODATA;
	}
	free(l.buf);
	return e;
}
