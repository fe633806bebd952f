/* The CSV reader's one-pass path for plain records against the records
 * written: a generated file mixes plain records (the fast path), quoted
 * fields, CRLF and stray CR, blank lines, records of 1 to 70 fields and
 * long ones that straddle the 128 KiB read-ahead block, plain and gzip'd;
 * every field and every line number must come back as written. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/csv.h"

#define NREC 6000
#define MAXF 70

struct rec {
	size_t line, nf;
	char *f[MAXF];
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A field of LEN bytes; QUOTED ones hold a quote, a comma or a line break. */
static char *field(size_t len, int quoted)
{
	char *s = malloc(len + 1);

	cr_assert_not_null(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + next() % 26);
	if (quoted && len) {
		static const char specials[] = "\",\n";

		s[next() % len] = specials[next() % 3];
	}
	s[len] = 0;
	return s;
}

/* Writes the records into TEXT (grown by the caller's buffer) and fills
 * RECS with what a reader must return. Returns the text's length. */
static size_t generate(struct rec *recs, char **text)
{
	size_t cap = 1 << 20, len = 0, line = 1;
	char *t = malloc(cap);

	cr_assert_not_null(t);
	for (size_t r = 0; r < NREC; r++) {
		struct rec *rec = &recs[r];
		int crlf = next() % 5 == 0, quoted_rec = next() % 7 == 0;
		size_t blank = next() % 9 == 0 ? 1 + next() % 2 : 0;

		for (size_t b = 0; b < blank; b++) {
			t[len++] = '\n';
			line++;
		}
		rec->line = line;
		rec->nf = next() % 11 == 0 ? 1 + next() % MAXF : 1 + next() % 4;
		for (size_t i = 0; i < rec->nf; i++) {
			/* now and then a field of tens of kilobytes */
			size_t flen = next() % 97 == 0 ? 20000 + next() % 50000 : next() % 12;
			int q = quoted_rec && next() % 2;

			rec->f[i] = field(flen, q);
			if (len + 2 * flen + 16 > cap) {
				cap = 2 * cap + 2 * flen;
				t = realloc(t, cap);
				cr_assert_not_null(t);
			}
			if (i)
				t[len++] = ',';
			if (q || (flen == 0 && (rec->nf == 1 || next() % 3 == 0))) {
				t[len++] = '"';
				for (size_t k = 0; k < flen; k++) {
					if (rec->f[i][k] == '"')
						t[len++] = '"';
					if (rec->f[i][k] == '\n')
						line++;
					t[len++] = rec->f[i][k];
				}
				t[len++] = '"';
			} else {
				memcpy(t + len, rec->f[i], flen);
				len += flen;
			}
		}
		if (crlf)
			t[len++] = '\r';
		t[len++] = '\n';
		line++;
	}
	*text = t;
	return len;
}

static void check(const char *path, struct rec *recs)
{
	struct csv *c = csv__open(path);
	char **f;
	size_t n;

	cr_assert_not_null(c);
	for (size_t r = 0; r < NREC; r++) {
		cr_assert_eq(csv__next(c, &f, &n), 1, "record %zu: %s", r, csv__error(c));
		cr_assert_eq(csv__line(c), recs[r].line, "record %zu", r);
		cr_assert_eq(n, recs[r].nf, "record %zu at line %zu", r, recs[r].line);
		for (size_t i = 0; i < n; i++)
			cr_assert_str_eq(f[i], recs[r].f[i], "record %zu field %zu", r, i);
	}
	cr_assert_eq(csv__next(c, &f, &n), 0);
	csv__free(c);
}

Test(csv_fast, mixed_records_plain_and_gzip)
{
	static struct rec recs[NREC];
	char plain[] = "/tmp/seep-csvfast-XXXXXX", gz[] = "/tmp/seep-csvfast-gz-XXXXXX";
	char *text;
	size_t len = generate(recs, &text);
	int fd = mkstemp(plain), gfd = mkstemp(gz);
	gzFile g;

	cr_assert(fd >= 0 && gfd >= 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	g = gzdopen(gfd, "wb");
	cr_assert_not_null(g);
	cr_assert_eq(gzwrite(g, text, (unsigned)len), (int)len);
	gzclose(g);
	cr_assert_gt(len, 3 << 17, "the file spans several read-ahead blocks");
	check(plain, recs);
	check(gz, recs);
	unlink(plain);
	unlink(gz);
	for (size_t r = 0; r < NREC; r++)
		for (size_t i = 0; i < recs[r].nf; i++)
			free(recs[r].f[i]);
	free(text);
}

Test(csv_fast, stray_cr_and_other_delimiter)
{
	char path[] = "/tmp/seep-csvfast-XXXXXX";
	const char *text = "a;b\rc;d\n1;2\r\n;;\n";
	int fd = mkstemp(path);
	struct csv *c;
	char **f;
	size_t n;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	c = csv__open(path);
	cr_assert_not_null(c);
	csv__set_delimiter(c, ';');
	/* a CR inside a line is dropped, as the byte-wise reader always did */
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(f[0], "a");
	cr_assert_str_eq(f[1], "bc");
	cr_assert_str_eq(f[2], "d");
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(f[1], "2");
	cr_assert_eq(csv__next(c, &f, &n), 1);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(f[2], "");
	cr_assert_eq(csv__line(c), 3);
	cr_assert_eq(csv__next(c, &f, &n), 0);
	csv__free(c);
	unlink(path);
}
