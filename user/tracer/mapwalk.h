/* mapwalk — reading a whole BPF map from user space, in batches.
 *
 * One way for every tracer (trace.c, ktrace.c) to visit each entry of a
 * hash or array map: BPF_MAP_LOOKUP_BATCH, 4096 entries per system call
 * rather than one get-next-key and one lookup per entry. The map may
 * change under the walk (BPF keeps writing it): an entry is seen at most
 * once, entries added or deleted meanwhile may or may not be.
 * A failed read is logged ("cannot read map 'NAME': cause"); errors of
 * the callback stop the walk and are returned as they are, unlogged.
 */
#ifndef SEEP_MAPWALK_H
#define SEEP_MAPWALK_H

#include <stddef.h>

struct bpf_map;

/* Called with each entry's key (KSZ bytes) and value (VSZ bytes); both
 * are the walk's buffers, valid during the call only. Non-zero stops. */
typedef int (*mapwalk_fn)(const void *key, const void *val, void *ctx);

/* Calls FN on every entry of MAP (keys KSZ bytes, values VSZ: the map's
 * sizes, a per-CPU map's VSZ covering every CPU). 0, the callback's
 * error, -ENOMEM, or -errno of the read. */
int mapwalk__each(struct bpf_map *map, size_t ksz, size_t vsz, mapwalk_fn fn, void *ctx);

#endif
