/* api — the JSON API over the model: /api/processes, /api/components,
 * /api/suspects (with their evidence), /api/collections (heap snapshot
 * series), /api/mitigations (tier 4: its decisions and counters),
 * /api/status (host and daemon).
 *
 * api__render() returns the JSON text of PATH (malloc'ed, the caller
 * frees), or -ENOENT for a path the API does not have, -ENOMEM. Objects
 * are documented in docs/daemon.md; numbers are base units.
 */
#ifndef SEEP_API_H
#define SEEP_API_H

#include <stddef.h>

#include "metrics/model.h"

int api__render(const struct mx_model *m, const char *path, char **buf, size_t *len);

#endif
