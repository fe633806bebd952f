/* parse — option values from text: seconds, durations, real numbers,
 * counts, byte sizes, process ids, and names from a table.
 *
 * The one set of value parsers of the command line (every command's -d,
 * -i, -n, -s, -p, --format, ... goes through here). Pure: no I/O, no
 * allocation, no state.
 *
 * Every parser takes the whole string: no blanks around the value, nothing
 * after it. It returns 0 and sets *OUT, or returns -EINVAL and leaves *OUT
 * as it was; then, when WHY is not NULL, WHY (WHYLEN bytes, always
 * NUL-terminated) says what was expected, as the cause of a message such as
 * "invalid value 'x' for --interval: expected seconds, at least 0.1".
 * Bounds are inclusive.
 */
#ifndef SEEP_PARSE_H
#define SEEP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest number of seconds a time option takes (about 31 years). */
#define PARSE_SECONDS_MAX 1e9

/* A plain number of seconds ("0.5", "30") in [MIN, MAX]. */
int parse__seconds(const char *s, double min, double max, double *out, char *why,
		   size_t whylen);

/* A duration: a number with an optional unit s, m, h, d or w ("90", "15m",
 * "6h", "7d"), in seconds; more than 0 and at most MAX (may be INFINITY). */
int parse__duration(const char *s, double max, double *out, char *why, size_t whylen);

/* A real number in [MIN, MAX] (either may be infinite); NaN never is. */
int parse__real(const char *s, double min, double max, double *out, char *why, size_t whylen);

/* An unsigned integer in [MIN, MAX]: decimal ("42"), or hexadecimal with
 * 0x ("0x2a"). No sign. */
int parse__count(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
		 size_t whylen);

/* A byte size in [MIN, MAX]: an integer ("4096"), or a number with a unit,
 * case ignored: B; K, KiB, M, MiB, G, GiB, T, TiB (powers of 1024); KB, MB,
 * GB, TB (powers of 1000). "1.5K" is 1536; a size that is not a whole number
 * of bytes ("0.3K") is refused. */
int parse__bytes(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
		 size_t whylen);

/* A process id: a decimal integer from 1 to INT32_MAX (whether such a
 * process exists is not this module's question). */
int parse__pid(const char *s, pid_t *out, char *why, size_t whylen);

/* The index in NAMES[N] of the name S (exact, case matters); WHY lists the
 * names: "expected text, json or folded". */
int parse__name(const char *s, const char *const *names, size_t n, size_t *out, char *why,
		size_t whylen);

#endif
