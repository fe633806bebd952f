#include "lib/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct csv {
	gzFile in;
	char delim;
	size_t line;        /* lines consumed so far */
	size_t rec_line;    /* line where the current record began */
	char *buf;          /* field bytes, NUL-separated */
	size_t buf_len, buf_cap;
	size_t *offs;       /* field start offsets into buf */
	char **fields;
	size_t nf, nf_cap;
	char err[128];
};

struct csv *csv__open(const char *path)
{
	struct csv *csv = calloc(1, sizeof(*csv));

	if (!csv)
		return NULL;
	csv->in = strcmp(path, "-") ? gzopen(path, "rb") : gzdopen(0, "rb");
	if (!csv->in) {
		int err = errno ? errno : ENOMEM;

		free(csv);
		errno = err;
		return NULL;
	}
	gzbuffer(csv->in, 1 << 16);
	csv->delim = ',';
	return csv;
}

void csv__free(struct csv *csv)
{
	if (!csv)
		return;
	if (csv->in)
		gzclose(csv->in);
	free(csv->buf);
	free(csv->offs);
	free(csv->fields);
	free(csv);
}

void csv__set_delimiter(struct csv *csv, char delim)
{
	csv->delim = delim;
}

size_t csv__line(const struct csv *csv)
{
	return csv->rec_line;
}

const char *csv__error(const struct csv *csv)
{
	return csv->err;
}

static int _push_byte(struct csv *csv, char c)
{
	if (csv->buf_len == csv->buf_cap) {
		size_t cap = csv->buf_cap ? csv->buf_cap * 2 : 256;
		char *p = realloc(csv->buf, cap);

		if (!p)
			return -ENOMEM;
		csv->buf = p;
		csv->buf_cap = cap;
	}
	csv->buf[csv->buf_len++] = c;
	return 0;
}

static int _start_field(struct csv *csv)
{
	if (csv->nf == csv->nf_cap) {
		size_t cap = csv->nf_cap ? csv->nf_cap * 2 : 16;
		size_t *o = realloc(csv->offs, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		csv->offs = o;
		csv->nf_cap = cap;
	}
	csv->offs[csv->nf++] = csv->buf_len;
	return 0;
}

static int _end_field(struct csv *csv)
{
	return _push_byte(csv, '\0');
}

int csv__next(struct csv *csv, char ***fields, size_t *nfields)
{
	int c, err;
	int quoted = 0, after_quote = 0, in_record = 0;

	csv->buf_len = 0;
	csv->nf = 0;
	csv->err[0] = '\0';
	for (;;) {
		c = gzgetc(csv->in);
		if (c == -1) {
			int zerr;
			const char *msg = gzerror(csv->in, &zerr);

			if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
				snprintf(csv->err, sizeof(csv->err), "line %zu: %s",
					 csv->line + 1, msg);
				return zerr == Z_ERRNO ? -errno : -EINVAL;
			}
			if (quoted) {
				snprintf(csv->err, sizeof(csv->err),
					 "line %zu: unterminated quoted field", csv->rec_line);
				return -EINVAL;
			}
			if (!in_record)
				return 0;
			break;
		}
		if (!in_record) {
			if (c == '\n') {
				csv->line++;
				continue;
			}
			if (c == '\r')
				continue;
			in_record = 1;
			csv->rec_line = csv->line + 1;
			if ((err = _start_field(csv)))
				return err;
		}
		if (quoted) {
			if (c == '"') {
				int n = gzgetc(csv->in);

				if (n == '"') {
					if ((err = _push_byte(csv, '"')))
						return err;
					continue;
				}
				quoted = 0;
				after_quote = 1;
				if (n == -1)
					continue;
				gzungetc(n, csv->in);
				continue;
			}
			if (c == '\n')
				csv->line++;
			if ((err = _push_byte(csv, (char)c)))
				return err;
			continue;
		}
		if (c == csv->delim) {
			if ((err = _end_field(csv)) || (err = _start_field(csv)))
				return err;
			after_quote = 0;
			continue;
		}
		if (c == '\n') {
			csv->line++;
			break;
		}
		if (c == '\r')
			continue;
		if (c == '"' && csv->buf_len == csv->offs[csv->nf - 1] && !after_quote) {
			quoted = 1;
			continue;
		}
		if (after_quote) {
			snprintf(csv->err, sizeof(csv->err),
				 "line %zu: unexpected character after closing quote", csv->rec_line);
			return -EINVAL;
		}
		if ((err = _push_byte(csv, (char)c)))
			return err;
	}
	if ((err = _end_field(csv)))
		return err;
	free(csv->fields);
	csv->fields = malloc(csv->nf * sizeof(*csv->fields));
	if (!csv->fields)
		return -ENOMEM;
	for (size_t i = 0; i < csv->nf; i++)
		csv->fields[i] = csv->buf + csv->offs[i];
	*fields = csv->fields;
	*nfields = csv->nf;
	return 1;
}

int csv__column(char *const *fields, size_t nfields, const char *name)
{
	for (size_t i = 0; i < nfields; i++)
		if (!strcmp(fields[i], name))
			return (int)i;
	return -1;
}
