/* intern — a string table that maps strings to dense integer ids.
 *
 * Each distinct string (within one table) gets the next id, 0, 1, 2, ...,
 * in order of first insertion, so ids index plain arrays. Lookups hash the
 * bytes (FNV-1a) into an open-addressed table that doubles at 1/2 load.
 *
 * Invariants: ids are dense and stable; intern__str(t, id) is the exact
 * string that was inserted. Ownership: the table copies every string into
 * its own arena; returned pointers stay valid until intern__free().
 * Errors: functions return 0 / a non-negative id, or -errno.
 */
#ifndef SEEP_INTERN_H
#define SEEP_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern;

struct intern *intern__new(void);          /* NULL with errno set */
void intern__free(struct intern *t);

/* Id of STR, inserting it when new. Returns the id (>= 0) or -ENOMEM. */
int64_t intern__add(struct intern *t, const char *str);
/* Id of STR, or -ENOENT when absent. */
int64_t intern__find(const struct intern *t, const char *str);

size_t intern__len(const struct intern *t);
const char *intern__str(const struct intern *t, size_t id);

#endif
