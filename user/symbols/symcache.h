/* symcache — symbolization results by (build ID, offset).
 *
 * Frames of the same module at the same offset name the same function,
 * file and line in every process that maps it, and in every report: the
 * results are kept under the module's GNU build ID, shared by the
 * symbolizers of all the processes a session traces. Modules without a
 * build ID are not cached. Pure C.
 * Ownership: the cache owns its strings; symcache__get copies them out.
 */
#ifndef SEEP_SYMCACHE_H
#define SEEP_SYMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symcache;

struct symcache *symcache__new(void);
void symcache__free(struct symcache *c);

/* Copies the cached FUNCTION, FILE (NULL if none) and LINE of (BUILD_ID,
 * OFFSET) into new strings; returns true on a hit. */
bool symcache__get(struct symcache *c, const char *build_id, uint64_t offset, char **function,
		   char **file, int *line);
/* Remembers the result for (BUILD_ID, OFFSET); 0 or -ENOMEM. */
int symcache__put(struct symcache *c, const char *build_id, uint64_t offset, const char *function,
		  const char *file, int line);
size_t symcache__size(const struct symcache *c);

#endif
