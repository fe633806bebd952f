/* threshold — the leak threshold U in the series' unit, from what users say.
 *
 * U can be given as:
 *   "95" or "95%"          percent, for a series in percent (the paper's U)
 *   "8GiB", "512M", "1e9"B  bytes, for a series in bytes (K/M/G/T and KiB…
 *                          are powers of 1024; KB/MB/GB/TB powers of 1000)
 *   "90%" with a limit     90% of the limit, for a series in bytes
 * and the limit as bytes ("16GiB"), "host" (MemTotal in /proc/meminfo), or a
 * path: a cgroup v2 directory (its memory.max is read) or a file holding a
 * byte count such as /sys/fs/cgroup/x/memory.max ("max" is an error: no
 * limit to be relative to).
 *
 * Functions return 0 or -errno; on failure ERR gets a one-line message.
 */
#ifndef SEEP_THRESHOLD_H
#define SEEP_THRESHOLD_H

#include <stddef.h>

/* Parses a byte size with an optional unit suffix. */
int threshold__parse_bytes(const char *str, double *out);

/* Resolves a limit spec (bytes, "host", or a path) to bytes. MEMINFO is the
 * meminfo file to read for "host" (NULL: /proc/meminfo). */
int threshold__limit(const char *spec, const char *meminfo, double *out,
		     char *err, size_t errlen);

/* U from a threshold spec (NULL: 100%) and an optional limit spec. */
int threshold__resolve(const char *spec, const char *limit, double *out,
		       char *err, size_t errlen);

#endif
