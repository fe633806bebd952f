/* intern — the one string interner of seep: each distinct string gets a
 * dense integer id.
 *
 * The first string added gets id 0, the next new one 1, and so on, so ids
 * index plain arrays: a pprof string table, its function/location/mapping
 * tables (keyed by a composite string), the stack tables of folded and
 * stacktab, the attribute values of contrast. Adding a string already
 * present returns its id. Built on lib/hashmap (lookups by lib/hash's
 * hash__str) and lib/vec (id -> string); the strings live in an arena.
 *
 * Invariants: intern__len() is the number of distinct strings added; ids
 * are 0 .. intern__len() - 1 and never change; intern__str(t, id) is the
 * exact string added under ID; a string is new exactly when intern__add()
 * returns the intern__len() it saw before the call (the idiom callers use
 * to fill their own per-id arrays).
 * Ownership: the table copies every string into its own arena; returned
 * pointers stay valid until intern__free(), which accepts NULL.
 * Errors: functions return 0 / a non-negative id, or -errno.
 */
#ifndef SEEP_INTERN_H
#define SEEP_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern;

struct intern *intern__new(void);          /* NULL with errno set */
void intern__free(struct intern *t);

/* Id of STR, inserting it when new. Returns the id (>= 0), -ENOMEM, or
 * -ENOSPC when the ids are exhausted. The table is unchanged on failure. */
int64_t intern__add(struct intern *t, const char *str);
/* Id of STR, or -ENOENT when absent. */
int64_t intern__find(const struct intern *t, const char *str);

size_t intern__len(const struct intern *t);
/* The string of ID, or NULL if ID >= intern__len(). */
const char *intern__str(const struct intern *t, size_t id);

#endif
