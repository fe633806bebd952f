/* cgroup — memory usage of control groups, cgroup v1 or v2.
 *
 * The memory controller is found once (cgroup__find_memory): a v1
 * hierarchy mounted with the "memory" option wins (memory.usage_in_bytes,
 * memory.limit_in_bytes), else the v2 hierarchy if its root lists "memory"
 * in cgroup.subtree_control (memory.current, memory.max). A cgroup is named
 * by its path relative to the hierarchy's root ("/" is the root), the path
 * /proc/PID/cgroup shows. Limits read as UINT64_MAX when unlimited (v1's
 * page-rounded LONG_MAX, v2's "max"). Returns 0 or -errno; -ENOENT when no
 * hierarchy has the memory controller, or the cgroup is gone.
 */
#ifndef SEEP_CGROUP_H
#define SEEP_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_memory {
	char root[PATH_MAX];	/* mount point of the hierarchy with the controller */
	int version;		/* 1 or 2 */
};

/* From MOUNTS (a /proc/self/mounts file). */
int cgroup__find_memory(const char *mounts, struct cgroup_memory *out);

struct cgroup_usage {
	uint64_t usage;		/* bytes charged (v1 usage_in_bytes, v2 current) */
	uint64_t limit;		/* bytes, UINT64_MAX when unlimited */
};

int cgroup__read(const struct cgroup_memory *m, const char *cgroup, struct cgroup_usage *out);

/* Calls FN for the root and every cgroup below it down to MAX_DEPTH
 * (the root is depth 0), parents before children; stops at the first
 * non-zero return of FN and returns it. */
typedef int cgroup_visit_fn(const char *cgroup, int depth, void *ctx);
int cgroup__walk(const struct cgroup_memory *m, int max_depth, cgroup_visit_fn *fn, void *ctx);

#endif
