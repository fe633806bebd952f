/* series — loading and pre-processing of memory series; see series.h. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/csv.h"
#include "lib/decimal.h"
#include "lib/vec.h"
#include "detect/series.h"

int series__init(struct series *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	s->t = calloc(n, sizeof(*s->t));
	s->v = calloc(n, sizeof(*s->v));
	if (!s->t || !s->v) {
		series__release(s);
		return -ENOMEM;
	}
	s->n = n;
	return 0;
}

void series__release(struct series *s)
{
	if (!s)
		return;
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Input echoed in a message: at most 40 bytes of S, then "..." and the
 * length, so a 100,000-digit field does not become the message. */
#define ECHO_MAX 40

/* The sane range of a sample (series.h): values up to 1e18 (an exabyte, or
 * a percentage many times over), times up to 1e12 s (year 33658) either
 * side of 1970. */
#define SERIES_VALUE_MAX 1e18
#define SERIES_TIME_MAX 1e12

static const char *_echo(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (n <= ECHO_MAX)
		return s;
	snprintf(buf, len, "%.*s... (%zu bytes)", ECHO_MAX, s, n);
	return buf;
}

/* isspace() in the C locale, without the locale table lookup per byte */
static inline int _is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static const char *skip_space(const char *p)
{
	while (_is_space((unsigned char)*p))
		p++;
	return p;
}

/* Reads exactly N digits at *P into *OUT. */
static int read_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int parse_iso(const char *p, double *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	double frac = 0, offset = 0;

	if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) ||
	    *p++ != '-' || read_digits(&p, 2, &d))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, &sec))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				double scale = 0.1;

				for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
					frac += (*p - '0') * scale;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;

			if (read_digits(&p, 2, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && read_digits(&p, 2, &om))
				return -EINVAL;
			offset = sign * (oh * 3600.0 + om * 60.0);
		}
	}
	if (*skip_space(p))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (double)timegm(&tm) + frac - offset;
	return 0;
}

static int parse_number(const char *str, double *out)
{
	char *end;
	double v;

	str = skip_space(str);
	if (!*str)
		return -EINVAL;
	errno = 0;
	v = decimal__strtod(str, &end);
	if (end == str || *skip_space(end))
		return -EINVAL;
	/* ERANGE on underflow (5e-324, a denormal) still gives the nearest
	 * double: a valid number; on overflow it gives infinity: not one */
	if (errno == ERANGE && !(fabs(v) <= DBL_MIN))
		return -EINVAL;
	*out = v;
	return 0;
}

int series__parse_time(const char *str, double *out)
{
	double v;

	if (!parse_number(str, &v) && isfinite(v)) {
		/* epoch in ms, µs or ns by magnitude: 1e11 s is the year 5138 */
		double a = fabs(v);

		*out = a >= 1e17 ? v / 1e9 : a >= 1e14 ? v / 1e6 : a >= 1e11 ? v / 1e3 : v;
		return 0;
	}
	return parse_iso(skip_space(str), out);
}

static int is_missing(const char *str)
{
	static const char *const words[] = { "", "nan", "na", "n/a", "null", "none", "-" };
	char buf[8];
	size_t len;

	/* a digit first (after a sign) is a number, never a missing word */
	if ((*str >= '0' && *str <= '9') ||
	    ((*str == '-' || *str == '+') && str[1] >= '0' && str[1] <= '9'))
		return 0;
	str = skip_space(str);
	len = strlen(str);
	while (len && isspace((unsigned char)str[len - 1]))
		len--;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, str, len);
	buf[len] = 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(buf, words[i]))
			return 1;
	return 0;
}

struct row {
	double t, v;
	size_t line;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int pick_value_column(char **f, size_t nf, const char *want)
{
	static const char *const names[] = { "value", "mem_util_percent", "memory", "bytes" };

	if (want)
		return csv__column(f, nf, want);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int c = csv__column(f, nf, names[i]);

		if (c > 0)
			return c;
	}
	return nf >= 2 ? 1 : -1;
}

/* One load in progress: where the rows go and where errors are written. */
struct loader {
	const char *path;
	struct series_load_opts *opts;
	char *err;
	size_t errlen;
	int vcol;		/* the value column */
	struct row *rows;	/* the samples read, in file order */
	size_t nrows, cap;
};

/* The first record R at LINE: a header (the value column is chosen from it)
 * returns 1; a data row returns 0 (and the value is the second column);
 * -EINVAL with the message written when neither can be used. */
static int _load_header(struct loader *l, char **f, size_t nf, size_t line)
{
	const char *col = l->opts->column;
	double t;

	if (!series__parse_time(f[0], &t)) {
		if (col) {
			set_err(l->err, l->errlen, "'%s' has no header: cannot select column '%s'",
				l->path, col);
			return -EINVAL;
		}
		return 0;
	}
	l->vcol = pick_value_column(f, nf, col);
	if (l->vcol < 0) {
		set_err(l->err, l->errlen, "'%s' line %zu: no value column%s%s%s", l->path, line,
			col ? " '" : "", col ? col : "", col ? "'" : "");
		return -EINVAL;
	}
	return 1;
}

/* A data record at LINE: appended to the rows, or counted as missing;
 * -EINVAL (message written) on a bad field, -ENOMEM. */
static int _load_row(struct loader *l, char **f, size_t nf, size_t line)
{
	struct row r = { .line = line }, *slot;

	if (nf <= (size_t)l->vcol) {
		set_err(l->err, l->errlen, "'%s' line %zu: expected at least %d fields, got %zu",
			l->path, line, l->vcol + 1, nf);
		return -EINVAL;
	}
	char echo[ECHO_MAX + 32];

	if (series__parse_time(f[0], &r.t)) {
		set_err(l->err, l->errlen,
			"'%s' line %zu: invalid timestamp '%s' (want epoch seconds or ISO-8601)",
			l->path, line, _echo(f[0], echo, sizeof(echo)));
		return -EINVAL;
	}
	if (is_missing(f[l->vcol])) {
		l->opts->missing++;
		return 0;
	}
	if (parse_number(f[l->vcol], &r.v) || isinf(r.v)) {
		set_err(l->err, l->errlen, "'%s' line %zu: non-numeric value '%s'", l->path, line,
			_echo(f[l->vcol], echo, sizeof(echo)));
		return -EINVAL;
	}
	if (isnan(r.v)) {
		l->opts->missing++;
		return 0;
	}
	/* sums and squares of values this large overflow to infinity and
	 * turn the statistics (and the verdict) into noise */
	if (fabs(r.v) > SERIES_VALUE_MAX) {
		set_err(l->err, l->errlen,
			"'%s' line %zu: value '%s' out of range (at most %g in magnitude)", l->path,
			line, _echo(f[l->vcol], echo, sizeof(echo)), SERIES_VALUE_MAX);
		return -EINVAL;
	}
	if (!isfinite(r.t) || fabs(r.t) > SERIES_TIME_MAX) {
		set_err(l->err, l->errlen,
			"'%s' line %zu: timestamp '%s' out of range (at most %g seconds from 1970)",
			l->path, line, _echo(f[0], echo, sizeof(echo)), SERIES_TIME_MAX);
		return -EINVAL;
	}
	if (l->nrows && r.t < l->rows[l->nrows - 1].t)
		l->opts->unsorted = 1;
	slot = VEC_PUSH(l->rows, l->nrows, l->cap);
	if (!slot)
		return -ENOMEM;
	*slot = r;
	l->nrows++;
	return 0;
}

/* Reads every record of CSV into L's rows. */
static int _load_records(struct loader *l, struct csv *csv)
{
	int first = 1, rc, err;
	size_t nf, hint = csv__remaining(csv) / 16;
	char **f;

	/* rows of a file read whole are at least "t,v\n" and mostly ~20 bytes:
	 * reserved once instead of grown by copies (capped at 1M rows) */
	if (hint && VEC_RESERVE(l->rows, l->cap, hint < (1 << 20) ? hint : (1 << 20)))
		return -ENOMEM;
	while ((rc = csv__next(csv, &f, &nf)) == 1) {
		size_t line = csv__line(csv);

		if (first) {
			first = 0;
			err = _load_header(l, f, nf, line);
			if (err < 0)
				return err;
			if (err)
				continue;
		}
		err = _load_row(l, f, nf, line);
		if (err)
			return err;
	}
	if (rc < 0)
		set_err(l->err, l->errlen, "'%s': %s", l->path,
			rc == -EINVAL ? csv__error(csv) : strerror(-rc));
	return rc;
}

/* S (initialized by the call) = L's rows in time order, equal times merged. */
static int _load_finish(struct loader *l, struct series *s)
{
	int err;

	if (!l->nrows) {
		set_err(l->err, l->errlen, "'%s': no samples", l->path);
		return -EINVAL;
	}
	if (l->opts->unsorted)
		qsort(l->rows, l->nrows, sizeof(*l->rows), cmp_row);
	err = series__init(s, l->nrows);
	if (err)
		return err;
	for (size_t i = 0; i < l->nrows; i++) {
		s->t[i] = l->rows[i].t;
		s->v[i] = l->rows[i].v;
	}
	return series__normalize(s, &l->opts->duplicates);
}

int series__load(struct series *s, const char *path, struct series_load_opts *opts,
		 char *err, size_t errlen)
{
	struct series_load_opts dflt = { 0 };
	struct loader l = { .path = path, .opts = opts ? opts : &dflt, .err = err,
			    .errlen = errlen, .vcol = 1 };
	struct csv *csv;
	int rc;

	l.opts->missing = l.opts->duplicates = 0;
	l.opts->unsorted = 0;
	memset(s, 0, sizeof(*s));
	csv = csv__open(path);
	if (!csv) {
		rc = -errno;
		set_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return rc;
	}
	rc = _load_records(&l, csv);
	if (!rc)
		rc = _load_finish(&l, s);
	free(l.rows);
	csv__free(csv);
	if (rc)
		series__release(s);
	return rc;
}

static int cmp_pair(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

int series__normalize(struct series *s, size_t *merged)
{
	size_t out = 0, dup = 0;
	double *pairs;
	int sorted = 1;

	for (size_t i = 1; i < s->n; i++)
		if (s->t[i] <= s->t[i - 1])
			sorted = 0;
	if (!sorted) {
		/* stable enough: qsort of (t, v) pairs; equal t are averaged below */
		pairs = malloc(s->n * 2 * sizeof(*pairs));
		if (!pairs)
			return -ENOMEM;
		for (size_t i = 0; i < s->n; i++) {
			pairs[2 * i] = s->t[i];
			pairs[2 * i + 1] = s->v[i];
		}
		qsort(pairs, s->n, 2 * sizeof(*pairs), cmp_pair);
		for (size_t i = 0; i < s->n; i++) {
			s->t[i] = pairs[2 * i];
			s->v[i] = pairs[2 * i + 1];
		}
		free(pairs);
	}
	for (size_t i = 0; i < s->n;) {
		size_t j = i;
		double sum = 0;

		while (j < s->n && s->t[j] == s->t[i])
			sum += s->v[j++];
		s->t[out] = s->t[i];
		s->v[out] = sum / (double)(j - i);
		dup += j - i - 1;
		out++;
		i = j;
	}
	s->n = out;
	if (merged)
		*merged = dup;
	return 0;
}

int series__resample(const struct series *in, double step, struct series *out)
{
	double t0, *sum;
	size_t nb, *cnt, last = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!in->n || !(step > 0))
		return -EINVAL;
	t0 = floor(in->t[0] / step) * step;
	if ((in->t[in->n - 1] - t0) / step >= SERIES_MAX_SAMPLES)
		return -E2BIG;
	nb = (size_t)floor((in->t[in->n - 1] - t0) / step) + 1;
	err = series__init(out, nb);
	if (err)
		return err;
	out->step = step;
	sum = out->v;
	cnt = calloc(nb, sizeof(*cnt));
	if (!cnt) {
		series__release(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < in->n; i++) {
		size_t b = (size_t)floor((in->t[i] - t0) / step);

		if (b >= nb)
			b = nb - 1;
		sum[b] += in->v[i];
		cnt[b]++;
	}
	for (size_t b = 0; b < nb; b++) {
		out->t[b] = t0 + (double)b * step;
		if (cnt[b])
			sum[b] /= (double)cnt[b];
	}
	/* fill empty bins by linear interpolation between filled neighbours;
	 * bin 0 and the last bin always hold a sample */
	for (size_t b = 1; b < nb; b++) {
		if (!cnt[b])
			continue;
		if (b - last > 1)
			for (size_t k = last + 1; k < b; k++)
				sum[k] = sum[last] + (sum[b] - sum[last]) *
					 (double)(k - last) / (double)(b - last);
		last = b;
	}
	free(cnt);
	return 0;
}

int series__median_smooth(struct series *s, size_t w)
{
	double *win, *src;
	size_t len = 0;

	if (w <= 1 || s->n < 2)
		return 0;
	win = malloc(w * sizeof(*win));
	src = malloc(s->n * sizeof(*src));
	if (!win || !src) {
		free(win);
		free(src);
		return -ENOMEM;
	}
	memcpy(src, s->v, s->n * sizeof(*src));
	for (size_t i = 0; i < s->n; i++) {
		size_t pos = 0;

		if (len == w) {
			/* drop src[i - w] from the sorted window */
			double old = src[i - w];
			size_t k = 0;

			while (k < len && win[k] != old)
				k++;
			memmove(win + k, win + k + 1, (len - k - 1) * sizeof(*win));
			len--;
		}
		while (pos < len && win[pos] < src[i])
			pos++;
		memmove(win + pos + 1, win + pos, (len - pos) * sizeof(*win));
		win[pos] = src[i];
		len++;
		s->v[i] = len & 1 ? win[len / 2] : 0.5 * (win[len / 2 - 1] + win[len / 2]);
	}
	free(win);
	free(src);
	return 0;
}

double series__max_gap(const struct series *s, size_t *at)
{
	double gap = 0;

	for (size_t i = 1; i < s->n; i++)
		if (s->t[i] - s->t[i - 1] > gap) {
			gap = s->t[i] - s->t[i - 1];
			if (at)
				*at = i - 1;
		}
	return gap;
}

int series__slice(const struct series *in, size_t from, size_t to, struct series *out)
{
	int err;

	if (to > in->n || from > to)
		return -EINVAL;
	err = series__init(out, to - from);
	if (err)
		return err;
	if (to > from) {
		memcpy(out->t, in->t + from, (to - from) * sizeof(*out->t));
		memcpy(out->v, in->v + from, (to - from) * sizeof(*out->v));
	}
	out->step = in->step;
	return 0;
}
