/* fmt — one formatter per unit, for every human-readable report.
 *
 * Bytes in binary units with one decimal ("1.5 MiB"), whole bytes below
 * 1 KiB ("512 B"); signed values carry their sign ("+1.5 MiB", "-2 B").
 * BUF always ends up NUL-terminated (truncated if LEN is too small).
 */
#ifndef SEEP_FMT_H
#define SEEP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "1.5 MiB", "512 B"; "+1.5 MiB" / "-2 B" with IS_SIGNED. */
void fmt__bytes(int64_t bytes, bool is_signed, char *buf, size_t len);

#endif
