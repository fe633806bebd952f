/* csv — a reader of comma-separated files, plain or gzip.
 *
 * Reads RFC 4180 style CSV: fields separated by a delimiter (',' by default),
 * optionally double-quoted, "" an escaped quote inside quotes, quoted fields
 * may span lines, CRLF or LF line ends. Input compressed with gzip is detected
 * and decompressed transparently, so `m_10.csv.gz` reads like a .csv.
 *
 * A regular file up to 256 MiB is read whole at open, and a gzip one
 * decompressed whole (libdeflate; members in a row as zlib reads them, a
 * member libdeflate rejects read again by zlib to say where and why it
 * fails); pipes, stdin and larger files are streamed block by block through
 * zlib. Both ways give the same records and errors.
 *
 * Ownership: the reader owns the field strings returned by csv__next(); they
 * stay valid until the next call to csv__next() or csv__free().
 * Errors: functions return 0 / 1 or -errno; csv__error() describes the last
 * parse error ("line 12: unterminated quoted field").
 */
#ifndef SEEP_CSV_H
#define SEEP_CSV_H

#include <stddef.h>

struct csv;

/* Opens PATH ("-" for standard input). Returns NULL with errno set. */
struct csv *csv__open(const char *path);
void csv__free(struct csv *csv);
void csv__set_delimiter(struct csv *csv, char delim);

/* Reads the next record. Returns 1 with the fields and their count set, 0 at end of
 * input, -EINVAL on malformed input (also: a NUL byte anywhere, and gzip
 * data that stops before its trailer, i.e. a truncated .gz), -errno on read
 * errors. Blank lines are skipped. */
int csv__next(struct csv *csv, char ***fields, size_t *nfields);

/* Bytes of input not yet read into records when the input was read whole
 * (a hint for sizing what the records go to), else 0. */
size_t csv__remaining(const struct csv *csv);

/* 1-based line number where the last record returned began. */
size_t csv__line(const struct csv *csv);
const char *csv__error(const struct csv *csv);

/* Index of NAME among header FIELDS, or -1. */
int csv__column(char *const *fields, size_t nfields, const char *name);

#endif
