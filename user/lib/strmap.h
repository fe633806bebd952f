/* strmap — interning of strings: each distinct string gets a dense index.
 *
 * The first string added gets index 0, the next new one 1, and so on; adding
 * a string already present returns its index. That is what a pprof string
 * table, its function/location/mapping tables (keyed by a composite string)
 * and the stack tables of diff and report need. Open addressing, FNV-1a.
 * Invariants: strmap__size() == number of distinct strings added;
 * strmap__key(m, i) is the string with index i.
 * Ownership: the map owns copies of its keys; strmap__free() frees them and
 * accepts NULL.
 */
#ifndef SEEP_STRMAP_H
#define SEEP_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

struct strmap *strmap__new(void);
void strmap__free(struct strmap *m);

/* Index of KEY, adding it if new (*added tells which, if not NULL).
 * Returns the index (>= 0) or -ENOMEM. */
long strmap__intern(struct strmap *m, const char *key, bool *added);
/* Index of KEY, or -ENOENT. */
long strmap__find(const struct strmap *m, const char *key);
size_t strmap__size(const struct strmap *m);
const char *strmap__key(const struct strmap *m, size_t index);

#endif
