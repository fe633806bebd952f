/* targets — the registry of a session's traced processes, by pid.
 *
 * Unbounded: targets are added as processes are attached and removed as
 * they exit. Entries are kept dense (removal moves the last one into the
 * hole), so targets__at(0 .. targets__len() - 1) visits every target; an
 * index is valid until the next add or remove. Lookups by pid go through
 * lib/hashmap.
 * Ownership: the registry owns the targets added to it: targets__release()
 * closes them; targets__remove() hands one back to the caller.
 */
#ifndef SEEP_TARGETS_H
#define SEEP_TARGETS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/hashmap.h"
#include "tracer/target.h"

struct targets {
	struct target **v;
	size_t n, cap;
	struct hashmap by_pid;   /* pid -> index in v */
};

void targets__init(struct targets *r);
void targets__release(struct targets *r);

/* Adds T (its pid not registered yet): 0, -EEXIST, -ENOMEM. */
int targets__add(struct targets *r, struct target *t);
struct target *targets__find(const struct targets *r, pid_t pid);
/* Unregisters PID's target and returns it (NULL if none). */
struct target *targets__remove(struct targets *r, pid_t pid);

static inline size_t targets__len(const struct targets *r)
{
	return r->n;
}

static inline struct target *targets__at(const struct targets *r, size_t i)
{
	return r->v[i];
}

#endif
