#include "lib/csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/vec.h"

#define CSV_BLOCK (1 << 17)	/* bytes inflated (or read) at a time when streaming */
/* Regular files up to this size (and gzip'd ones whose trailer says they
 * inflate to no more) are read whole, then decompressed whole by
 * libdeflate: one read, one inflate, one block for the parser. Larger
 * ones, pipes and stdin stream through zlib block by block. */
#define CSV_WHOLE_MAX ((size_t)256 << 20)

struct csv {
	gzFile in;		/* streaming input, or NULL when read whole */
	unsigned char *blk;	/* the input read ahead: [CSV_BLOCK], or the whole data */
	size_t pos, len;	/* next byte in blk, bytes in blk */
	bool eof;		/* no more input: gzread() returned 0 or -1, or read whole */
	int gz_err;		/* read whole: Z_OK, or zlib's error where the data stops */
	char gz_msg[64];	/* ... and its message */
	char delim;
	unsigned char cls[256];	/* read whole: each byte's class (_set_classes) */
	size_t line;        /* lines consumed so far */
	size_t rec_line;    /* line where the current record began */
	char *buf;          /* field bytes, NUL-separated */
	size_t buf_len, buf_cap;
	size_t *offs;       /* field start offsets into buf */
	size_t nf, offs_cap;
	char **fields;      /* [nf] pointers into buf, set when a record is complete */
	size_t fields_cap;
	char err[128];
};

/* The classes of _whole_record's scan: an ordinary byte, the delimiter,
 * the line feed, and what sends a record to the byte-by-byte reader. */
enum { CLS_PLAIN, CLS_DELIM, CLS_LF, CLS_SLOW };

static void _set_classes(struct csv *csv)
{
	memset(csv->cls, CLS_PLAIN, sizeof(csv->cls));
	csv->cls['"'] = csv->cls['\r'] = csv->cls[0] = CLS_SLOW;
	csv->cls['\n'] = CLS_LF;
	csv->cls[(unsigned char)csv->delim] = CLS_DELIM;
}

/* Reads the regular file open at FD (of SIZE bytes when stat'ed) whole into
 * *OUT (malloc'd, *LEN bytes). 0 or -errno. */
static int _read_all(int fd, size_t size, unsigned char **out, size_t *len)
{
	size_t cap = size + 1, n = 0;
	unsigned char *p = malloc(cap), *q;

	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* the file grew since it was stat'ed */
			if (!(q = realloc(p, cap * 2))) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(p);
			return err;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*out = p;
	*len = n;
	return 0;
}

/* zlib's reading of the gzip member at IN[0, N), for when libdeflate
 * rejects it: appends what inflates to *OUT at *OLEN (growing it and
 * *OCAP), *USED the bytes of the member. CSV's gz_err/gz_msg: Z_OK if zlib
 * reads the member to its end, else the error where the data stops
 * (Z_BUF_ERROR: before the trailer, i.e. truncated). 0 or -ENOMEM. */
static int _inflate_member(struct csv *csv, const unsigned char *in, size_t n,
			   unsigned char **out, size_t *olen, size_t *ocap, size_t *used)
{
	z_stream zs = { 0 };
	int zr = Z_OK;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	while (zr == Z_OK) {
		if (*olen == *ocap) {
			unsigned char *q = realloc(*out, *ocap * 2);

			if (!q) {
				inflateEnd(&zs);
				return -ENOMEM;
			}
			*out = q;
			*ocap *= 2;
		}
		zs.next_out = *out + *olen;
		zs.avail_out = (unsigned)(*ocap - *olen > UINT32_MAX ? UINT32_MAX : *ocap - *olen);
		zr = inflate(&zs, Z_NO_FLUSH);
		*olen = (size_t)(zs.next_out - *out);
		/* Z_BUF_ERROR with room left: no input to go on with */
		if (zr == Z_BUF_ERROR && !zs.avail_out)
			zr = Z_OK;
	}
	*used = (size_t)(zs.next_in - in);
	csv->gz_err = zr == Z_STREAM_END ? Z_OK : zr;
	snprintf(csv->gz_msg, sizeof(csv->gz_msg), "%s",
		 zr == Z_BUF_ERROR || !zs.msg ? "unexpected end of file" : zs.msg);
	inflateEnd(&zs);
	return 0;
}

/* Decompresses the gzip data IN[0, N) whole into *OUT (malloc'd, *OLEN
 * bytes): member after member, as zlib reads them (bytes after a member
 * that do not start another one are ignored). A member libdeflate rejects
 * is read by zlib (_inflate_member): what comes before the fault, and
 * the fault (csv->gz_err). 0 or -ENOMEM. */
static int _gunzip(struct csv *csv, const unsigned char *in, size_t n, unsigned char **out,
		   size_t *olen)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t cap, len = 0, at = 0;
	unsigned char *o;
	uint32_t isize;
	int err = 0;

	if (!d)
		return -ENOMEM;
	/* the trailer's ISIZE, the (last) member's size mod 2^32, is a hint
	 * when deflate could reach it (at most ~1032:1) */
	memcpy(&isize, in + n - 4, 4);
	cap = (size_t)isize > n && (size_t)isize / 1032 <= n ? (size_t)isize + 1 : 4 * n + 1;
	if (!(o = malloc(cap))) {
		libdeflate_free_decompressor(d);
		return -ENOMEM;
	}
	while (!err && at + 2 <= n && in[at] == 0x1f && in[at + 1] == 0x8b) {
		size_t used = 0, got = 0;
		enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in + at, n - at, o + len,
									 cap - len, &used, &got);

		if (r == LIBDEFLATE_SUCCESS) {
			len += got;
		} else if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
			unsigned char *q = realloc(o, cap * 2);

			if (!q)
				err = -ENOMEM;
			else
				o = q, cap *= 2;
			continue;
		} else if ((err = _inflate_member(csv, in + at, n - at, &o, &len, &cap, &used)) ||
			   csv->gz_err != Z_OK) {
			break;
		}
		at += used;
	}
	libdeflate_free_decompressor(d);
	/* a byte to spare past the data, for _whole_record's last NUL */
	if (!err && len == cap) {
		unsigned char *q = realloc(o, cap + 1);

		if (!q)
			err = -ENOMEM;
		else
			o = q;
	}
	if (err) {
		free(o);
		return err;
	}
	*out = o;
	*olen = len;
	return 0;
}

/* Reads the file open at FD whole into CSV's block when it is a regular
 * file of at most CSV_WHOLE_MAX bytes, and then closes FD: 1 if it did, 0
 * when FD (still open) must be streamed, -errno (FD closed). The block
 * always has a byte to spare past its LEN bytes. */
static int _read_whole(struct csv *csv, int fd)
{
	unsigned char *raw = NULL, *data;
	struct stat st;
	size_t n = 0, len = 0;
	int err;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > CSV_WHOLE_MAX)
		return 0;
	err = _read_all(fd, (size_t)st.st_size, &raw, &n);
	if (!err && n >= 18 && raw[0] == 0x1f && raw[1] == 0x8b) {
		uint32_t isize;

		/* decompressed to more than CSV_WHOLE_MAX: streamed instead */
		memcpy(&isize, raw + n - 4, 4);
		if (isize > CSV_WHOLE_MAX && lseek(fd, 0, SEEK_SET) == 0) {
			free(raw);
			return 0;
		}
	}
	close(fd);
	if (err)
		return err;
	if (n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		if (n < 18) {
			/* shorter than a gzip header and trailer: what zlib says */
			data = malloc(1);
			if (!data) {
				free(raw);
				return -ENOMEM;
			}
			csv->gz_err = Z_BUF_ERROR;
			snprintf(csv->gz_msg, sizeof(csv->gz_msg), "unexpected end of file");
		} else if ((err = _gunzip(csv, raw, n, &data, &len))) {
			free(raw);
			return err;
		}
		free(raw);
	} else {
		data = raw;
		len = n;
	}
	csv->blk = data;
	csv->len = len;
	csv->eof = true;
	return 1;
}

struct csv *csv__open(const char *path)
{
	struct csv *csv = calloc(1, sizeof(*csv));
	int fd = 0, rc = 0;

	if (!csv)
		return NULL;
	csv->delim = ',';
	_set_classes(csv);
	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : _read_whole(csv, fd);
	}
	if (rc > 0)
		return csv;
	if (rc < 0) {
		free(csv);
		errno = -rc;
		return NULL;
	}
	/* a pipe, stdin or a very large file: streamed (gzclose closes FD) */
	csv->in = gzdopen(fd, "rb");
	if (!csv->in) {
		int err = errno ? errno : ENOMEM;

		if (fd)
			close(fd);
		free(csv);
		errno = err;
		return NULL;
	}
	gzbuffer(csv->in, 1 << 17);
	csv->blk = malloc(CSV_BLOCK);
	if (!csv->blk) {
		gzclose(csv->in);
		free(csv);
		errno = ENOMEM;
		return NULL;
	}
	return csv;
}

void csv__free(struct csv *csv)
{
	if (!csv)
		return;
	if (csv->in)
		gzclose(csv->in);
	free(csv->blk);
	free(csv->buf);
	free(csv->offs);
	free(csv->fields);
	free(csv);
}

void csv__set_delimiter(struct csv *csv, char delim)
{
	csv->delim = delim;
	_set_classes(csv);
}

size_t csv__remaining(const struct csv *csv)
{
	return csv->in ? 0 : csv->len - csv->pos;
}

size_t csv__line(const struct csv *csv)
{
	return csv->rec_line;
}

const char *csv__error(const struct csv *csv)
{
	return csv->err;
}

/* Refills the read-ahead block: 1 with bytes in it, 0 at the end of input
 * or on a read error (gzerror() tells which, in _at_end). */
static int _fill(struct csv *csv)
{
	int n;

	if (csv->eof)
		return 0;
	n = gzread(csv->in, csv->blk, CSV_BLOCK);
	if (n <= 0) {
		csv->eof = true;
		return 0;
	}
	csv->pos = 0;
	csv->len = (size_t)n;
	return 1;
}

/* The next input byte, or -1 at the end of input (or on an error). */
static inline int _getc(struct csv *csv)
{
	if (csv->pos == csv->len && !_fill(csv))
		return -1;
	return csv->blk[csv->pos++];
}

/* The next input byte without consuming it, or -1. */
static inline int _peekc(struct csv *csv)
{
	if (csv->pos == csv->len && !_fill(csv))
		return -1;
	return csv->blk[csv->pos];
}

/* Copies the run of ordinary bytes (no delimiter, quote, line break or
 * NUL) that starts at the read position into the current field, in bulk.
 * 0 or -ENOMEM. */
static int _plain_run(struct csv *csv)
{
	const unsigned char *p = csv->blk + csv->pos, *end = csv->blk + csv->len, *q = p;
	unsigned char d = (unsigned char)csv->delim;
	size_t n;
	int err;

	while (q < end && *q != d && *q != '\n' && *q != '\r' && *q != '"' && *q)
		q++;
	n = (size_t)(q - p);
	if (!n)
		return 0;
	err = VEC_RESERVE(csv->buf, csv->buf_cap, csv->buf_len + n + 1);
	if (err)
		return err;
	memcpy(csv->buf + csv->buf_len, p, n);
	csv->buf_len += n;
	csv->pos += n;
	return 0;
}

static inline int _push_byte(struct csv *csv, char c)
{
	char *p;

	if (csv->buf_len < csv->buf_cap) {
		csv->buf[csv->buf_len++] = c;
		return 0;
	}
	p = VEC_PUSH(csv->buf, csv->buf_len, csv->buf_cap);
	if (!p)
		return -ENOMEM;
	*p = c;
	csv->buf_len++;
	return 0;
}

static int _start_field(struct csv *csv)
{
	size_t *o = VEC_PUSH(csv->offs, csv->nf, csv->offs_cap);

	if (!o)
		return -ENOMEM;
	*o = csv->buf_len;
	csv->nf++;
	return 0;
}

static int _end_field(struct csv *csv)
{
	return _push_byte(csv, '\0');
}

/* Where csv__next() is within the record being read. */
struct rec {
	bool in_record;          /* past the blank lines before it */
	bool quoted;             /* inside a quoted field */
	bool after_quote;        /* just past a quoted field's closing quote */
};

/* The input ended (or failed) in the state REC: 1 if a record ends here, 0
 * at the end of input between records, -errno (with the message set). */
static int _at_end(struct csv *csv, const struct rec *rec)
{
	int zerr = csv->gz_err;
	const char *msg = csv->in ? gzerror(csv->in, &zerr) : csv->gz_msg;

	/* zlib says Z_BUF_ERROR ("unexpected end of file") when the gzip
	 * stream stops before its trailer: the file was cut, not ended. */
	if (zerr == Z_BUF_ERROR) {
		snprintf(csv->err, sizeof(csv->err),
			 "line %zu: truncated gzip data (the file ends before its gzip trailer)",
			 csv->line + 1);
		return -EINVAL;
	}
	if (zerr != Z_OK) {
		snprintf(csv->err, sizeof(csv->err), "line %zu: %s", csv->line + 1, msg);
		return zerr == Z_ERRNO ? -errno : -EINVAL;
	}
	if (rec->quoted) {
		snprintf(csv->err, sizeof(csv->err), "line %zu: unterminated quoted field",
			 csv->rec_line);
		return -EINVAL;
	}
	return rec->in_record;
}

/* C inside a quoted field: a doubled quote is one quote, a single one
 * closes the field; line breaks are part of it. 0 or -errno. */
static int _quoted_char(struct csv *csv, struct rec *rec, int c)
{
	int next;

	if (c != '"') {
		if (c == '\n')
			csv->line++;
		return _push_byte(csv, (char)c);
	}
	next = _peekc(csv);
	if (next == '"') {
		csv->pos++;
		return _push_byte(csv, '"');
	}
	rec->quoted = false;
	rec->after_quote = true;
	return 0;
}

/* C outside quotes: a delimiter starts the next field, a line break ends
 * the record, a quote at a field's start opens a quoted field. 1 at the
 * end of the record, 0 to read on, -errno. */
static int _plain_char(struct csv *csv, struct rec *rec, int c)
{
	int err;

	if (c == csv->delim) {
		rec->after_quote = false;
		return (err = _end_field(csv)) ? err : _start_field(csv);
	}
	if (c == '\n') {
		csv->line++;
		return 1;
	}
	if (c == '\r')
		return 0;
	if (c == '"' && csv->buf_len == csv->offs[csv->nf - 1] && !rec->after_quote) {
		rec->quoted = true;
		return 0;
	}
	if (rec->after_quote) {
		snprintf(csv->err, sizeof(csv->err),
			 "line %zu: unexpected character after closing quote", csv->rec_line);
		return -EINVAL;
	}
	return _push_byte(csv, (char)c);
}

/* Ends the record read: its last field, and the field pointers (now that
 * the bytes no longer move). */
static int _finish_record(struct csv *csv, char ***fields, size_t *nfields)
{
	int err;

	if ((err = _end_field(csv)) || (err = VEC_RESERVE(csv->fields, csv->fields_cap, csv->nf)))
		return err;
	for (size_t i = 0; i < csv->nf; i++)
		csv->fields[i] = csv->buf + csv->offs[i];
	*fields = csv->fields;
	*nfields = csv->nf;
	return 1;
}

/* Nonzero when a byte of W equals B (the classic SWAR zero-byte test on
 * W ^ B·0x01..01: exact, as a borrow only runs above a real match). */
static inline uint64_t _has_byte(uint64_t w, unsigned char b)
{
	uint64_t x = w ^ (0x0101010101010101ULL * b);

	return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/* The common case in one pass: a whole record of plain fields (no quote,
 * no NUL) whose line ends inside the read-ahead block is copied once and cut
 * at its delimiters. 1 with the record read, 0 when the slow path must read
 * it (nothing consumed), -ENOMEM. */
static int _fast_record(struct csv *csv, char ***fields, size_t *nfields)
{
	const unsigned char *p = csv->blk + csv->pos, *end = csv->blk + csv->len, *nl;
	unsigned char d = (unsigned char)csv->delim;
	size_t n, nf = 1, i;
	char *out;
	int err;

	if (p == end || *p == '\n' || *p == '\r')
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return 0;
	n = (size_t)(nl - p);
	if (n && p[n - 1] == '\r')
		n--;
	if (n + 1 > csv->buf_cap && (err = VEC_RESERVE(csv->buf, csv->buf_cap, n + 1)))
		return err;
	out = csv->buf;
	/* eight bytes at a time: any quote, NUL or CR sends the record to
	 * the slow path; delimiters are counted and cut below */
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (_has_byte(w, '"') | _has_byte(w, '\r') | _has_byte(w, 0))
			return 0;
		memcpy(out + i, &w, 8);
	}
	for (; i < n; i++) {
		if (p[i] == '"' || p[i] == '\r' || !p[i])
			return 0;
		out[i] = (char)p[i];
	}
	out[n] = '\0';
	for (char *q = out, *e = out + n;; q++) {
		if (nf > csv->fields_cap && (err = VEC_RESERVE(csv->fields, csv->fields_cap, nf)))
			return err;
		csv->fields[nf - 1] = q;
		if (!(q = memchr(q, d, (size_t)(e - q))))
			break;
		*q = '\0';
		nf++;
	}
	csv->buf_len = n + 1;
	csv->nf = nf;
	csv->rec_line = ++csv->line;
	csv->pos += (size_t)(nl - p) + 1;
	*fields = csv->fields;
	*nfields = nf;
	return 1;
}

/* The common case when the input is read whole: a record of plain fields
 * (no quote, NUL or stray CR) is cut in place, its delimiters and line end
 * overwritten with NULs (the block has a byte to spare past its end, for a
 * last line without one). 1 with the record read, 0 when the byte-by-byte
 * reader must read it (nothing consumed or changed), -ENOMEM. */
static int _whole_record(struct csv *csv, char ***fields, size_t *nfields)
{
	unsigned char *p = csv->blk + csv->pos, *end = csv->blk + csv->len, *q = p;
	size_t nf = 1, next;
	int err;

	if (p == end || *p == '\n' || *p == '\r')
		return 0;
	if (!csv->fields_cap && (err = VEC_RESERVE(csv->fields, csv->fields_cap, 16)))
		return err;
	csv->fields[0] = (char *)p;
	for (;; q++) {
		unsigned char k = q < end ? csv->cls[*q] : CLS_LF;

		if (k == CLS_PLAIN)
			continue;
		if (k == CLS_DELIM) {
			if (nf == csv->fields_cap &&
			    (err = VEC_RESERVE(csv->fields, csv->fields_cap, nf + 1)))
				return err;
			csv->fields[nf++] = (char *)q + 1;
			continue;
		}
		if (k == CLS_LF) {
			/* a last line cut by a gzip error is the error, not a record */
			if (q == end && csv->gz_err != Z_OK)
				return 0;
			next = (size_t)(q - csv->blk) + (q < end);
			break;
		}
		/* CRLF ends the line too; anything else is the slow path's */
		if (*q == '\r' && q + 1 < end && q[1] == '\n') {
			next = (size_t)(q - csv->blk) + 2;
			break;
		}
		return 0;
	}
	for (size_t i = 1; i < nf; i++)
		csv->fields[i][-1] = '\0';
	*q = '\0';
	csv->nf = nf;
	csv->rec_line = ++csv->line;
	csv->pos = next;
	*fields = csv->fields;
	*nfields = nf;
	return 1;
}

int csv__next(struct csv *csv, char ***fields, size_t *nfields)
{
	struct rec rec = { 0 };
	int c, err;

	csv->buf_len = 0;
	csv->nf = 0;
	csv->err[0] = '\0';
	if ((err = csv->in ? _fast_record(csv, fields, nfields)
			   : _whole_record(csv, fields, nfields)))
		return err;
	for (;;) {
		/* the common case: a run of plain bytes inside an unquoted field */
		if (rec.in_record && !rec.quoted && !rec.after_quote && (err = _plain_run(csv)))
			return err;
		c = _getc(csv);
		if (c == -1) {
			if ((err = _at_end(csv, &rec)) <= 0)
				return err;
			break;
		}
		if (c == '\0') {
			/* a field is a C string: a NUL would cut it short */
			snprintf(csv->err, sizeof(csv->err), "line %zu: NUL byte in the data",
				 csv->line + 1);
			return -EINVAL;
		}
		if (!rec.in_record) {
			/* blank lines before the record */
			if (c == '\n')
				csv->line++;
			if (c == '\n' || c == '\r')
				continue;
			rec.in_record = true;
			csv->rec_line = csv->line + 1;
			if ((err = _start_field(csv)))
				return err;
		}
		err = rec.quoted ? _quoted_char(csv, &rec, c) : _plain_char(csv, &rec, c);
		if (err < 0)
			return err;
		if (err == 1)
			break;
	}
	return _finish_record(csv, fields, nfields);
}

int csv__column(char *const *fields, size_t nfields, const char *name)
{
	for (size_t i = 0; i < nfields; i++)
		if (!strcmp(fields[i], name))
			return (int)i;
	return -1;
}
