/* contrast_csv — CSV to contrast_data. See contrast_csv.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrast/contrast.h"
#include "contrast/contrast_csv.h"
#include "lib/csv.h"
#include "lib/hash.h"
#include "lib/hashmap.h"

struct loader {
	const char *path;
	const struct contrast_csv_opts *o;
	char *err;
	size_t errlen;
	int class_idx, count_idx, metric_idx;
	int *attr_idx;
	size_t nattrs, nfields;
	const char **names, **values;
};

static int _fail(struct loader *l, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int _fail(struct loader *l, int code, const char *fmt, ...)
{
	va_list ap;

	if (l->err && l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err, l->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool _listed(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static int _column(struct loader *l, char **hdr, size_t n, const char *name, const char *what)
{
	int idx = csv__column(hdr, n, name);

	if (idx < 0)
		return _fail(l, -ENOENT, "%s column '%s' not found in the header of '%s'",
			     what, name, l->path);
	return idx;
}

static bool _same_name(uint32_t id, const void *key, void *ctx)
{
	char **hdr = ctx;

	return !strcmp(hdr[id], key);
}

/* Every header name is non-empty and appears once: a column is named by
 * it (--attrs, --class-col) and patterns print it. 0 or -errno. */
static int _check_names(struct loader *l, char **hdr, size_t n)
{
	struct hashmap seen;
	int err = 0;

	hashmap__init(&seen);
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t h = hash__str(hdr[i]);
		int64_t prev;

		if (!hdr[i][0]) {
			err = _fail(l, -EINVAL, "'%s': column %zu of the header has no name",
				    l->path, i + 1);
			break;
		}
		prev = hashmap__find(&seen, h, hdr[i], _same_name, hdr);
		if (prev >= 0)
			err = _fail(l, -EINVAL, "'%s': columns %" PRId64 " and %zu of the header are both named '%.40s'",
				    l->path, prev + 1, i + 1, hdr[i]);
		else if (hashmap__add(&seen, h, (uint32_t)i))
			err = _fail(l, -ENOMEM, "out of memory");
	}
	hashmap__release(&seen);
	return err;
}

static int _header(struct loader *l, char **hdr, size_t n)
{
	const struct contrast_csv_opts *o = l->o;
	int err;

	if ((err = _check_names(l, hdr, n)))
		return err;
	l->nfields = n;
	l->class_idx = _column(l, hdr, n, o->class_col, "class");
	if (l->class_idx < 0)
		return l->class_idx;
	l->count_idx = o->count_col ? _column(l, hdr, n, o->count_col, "count") : -1;
	if (o->count_col && l->count_idx < 0)
		return l->count_idx;
	l->metric_idx = o->metric_col ? _column(l, hdr, n, o->metric_col, "metric") : -1;
	if (o->metric_col && l->metric_idx < 0)
		return l->metric_idx;

	l->attr_idx = calloc(n, sizeof(*l->attr_idx));
	l->names = calloc(n, sizeof(*l->names));
	l->values = calloc(n, sizeof(*l->values));
	if (!l->attr_idx || !l->names || !l->values)
		return _fail(l, -ENOMEM, "out of memory");
	if (o->attrs) {
		for (size_t i = 0; i < o->nattrs; i++) {
			int idx = _column(l, hdr, n, o->attrs[i], "attribute");

			if (idx < 0)
				return idx;
			if (idx == l->class_idx || idx == l->count_idx || idx == l->metric_idx)
				return _fail(l, -EINVAL, "column '%s' of '%s' cannot be both an attribute and the class, count or metric",
					     o->attrs[i], l->path);
			l->attr_idx[l->nattrs++] = idx;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if ((int)i == l->class_idx || (int)i == l->count_idx ||
			    (int)i == l->metric_idx || _listed(o->ignore, o->nignore, hdr[i]))
				continue;
			l->attr_idx[l->nattrs++] = (int)i;
		}
	}
	if (!l->nattrs)
		return _fail(l, -EINVAL, "'%s' has no attribute columns besides the class, count and metric",
			     l->path);
	for (size_t i = 0; i < l->nattrs; i++)
		l->names[i] = hdr[l->attr_idx[i]];
	return 0;
}

static int _parse_count(struct loader *l, const char *s, size_t line, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		return _fail(l, -EINVAL, "%s: line %zu: invalid count '%s' in column '%s'",
			     l->path, line, s, l->o->count_col);
	return 0;
}

static int _row(struct loader *l, struct contrast_data *d, char **f, size_t n, size_t line)
{
	const struct contrast_csv_opts *o = l->o;
	enum contrast_class cls;
	uint64_t count = 1;
	double metric = 0;
	int err;

	if (n != l->nfields)
		return _fail(l, -EINVAL, "%s: line %zu: expected %zu fields, got %zu",
			     l->path, line, l->nfields, n);
	if (!strcmp(f[l->class_idx], o->target))
		cls = CONTRAST_TARGET;
	else if (!o->background || !strcmp(f[l->class_idx], o->background))
		cls = CONTRAST_BACKGROUND;
	else
		return 0;
	if (l->count_idx >= 0) {
		err = _parse_count(l, f[l->count_idx], line, &count);
		if (err)
			return err;
	}
	if (l->metric_idx >= 0 && contrast__parse_metric(f[l->metric_idx], &metric))
		return _fail(l, -EINVAL, "%s: line %zu: invalid metric '%s' in column '%s'",
			     l->path, line, f[l->metric_idx], o->metric_col);
	for (size_t i = 0; i < l->nattrs; i++)
		l->values[i] = f[l->attr_idx[i]];
	err = contrast_data__add(d, l->values, cls, count, metric);
	if (err)
		return _fail(l, err, "%s: line %zu: cannot add row: %s", l->path, line, strerror(-err));
	return 0;
}

/* Both classes have instances in D: 0, or -ENODATA with the message. */
static int _check_classes(struct loader *l, const struct contrast_data *d)
{
	const struct contrast_csv_opts *o = l->o;

	if (!contrast_data__total(d, CONTRAST_TARGET))
		return _fail(l, -ENODATA, "no instance of the target class: no row of '%s' has %s='%s'",
			     l->path, o->class_col, o->target);
	if (contrast_data__total(d, CONTRAST_BACKGROUND))
		return 0;
	if (o->background)
		return _fail(l, -ENODATA, "no instance of the background class: no row of '%s' has %s='%s'",
			     l->path, o->class_col, o->background);
	return _fail(l, -ENODATA, "no instance of the background class: every row of '%s' has %s='%s'",
		     l->path, o->class_col, o->target);
}

int contrast_csv__load(const char *path, const struct contrast_csv_opts *o,
		       struct contrast_data **out, char *err, size_t errlen)
{
	struct loader l = { .path = path, .o = o, .err = err, .errlen = errlen };
	struct contrast_data *d = NULL;
	struct csv *csv;
	char **f;
	size_t n;
	int ret;

	*out = NULL;
	if (!o->class_col || !o->target)
		return _fail(&l, -EINVAL, "the class column and the target value are required");
	csv = csv__open(path);
	if (!csv)
		return _fail(&l, -errno, "cannot open '%s': %s", path, strerror(errno));
	if (o->delim)
		csv__set_delimiter(csv, o->delim);
	ret = csv__next(csv, &f, &n);
	if (ret == 0) {
		ret = _fail(&l, -EINVAL, "'%s' is empty: no header row", path);
		goto cleanup;
	}
	if (ret < 0)
		goto read_error;
	ret = _header(&l, f, n);
	if (ret)
		goto cleanup;
	/* The header's strings die at the next csv__next(): the data copies
	 * the names now. */
	d = contrast_data__new(l.nattrs, l.names);
	if (!d) {
		ret = _fail(&l, -ENOMEM, "out of memory");
		goto cleanup;
	}
	contrast_data__set_has_metric(d, l.metric_idx >= 0);
	while ((ret = csv__next(csv, &f, &n)) > 0) {
		ret = _row(&l, d, f, n, csv__line(csv));
		if (ret)
			goto cleanup;
	}
	if (ret < 0)
		goto read_error;
	ret = _check_classes(&l, d);
	if (ret)
		goto cleanup;
	ret = contrast_data__finalize(d);
	if (ret) {
		_fail(&l, ret, "cannot index '%s': %s", path, strerror(-ret));
		goto cleanup;
	}
	*out = d;
	d = NULL;
	goto cleanup;
read_error:
	if (ret == -EINVAL)
		_fail(&l, ret, "%s: %s", path, csv__error(csv));
	else
		_fail(&l, ret, "cannot read '%s': %s", path, strerror(-ret));
cleanup:
	contrast_data__free(d);
	csv__free(csv);
	free(l.attr_idx);
	free(l.names);
	free(l.values);
	return ret;
}
