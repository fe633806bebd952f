#include "tracer/mapwalk.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* Entries read per system call. */
#define MAPWALK_BATCH 4096u

int mapwalk__each(struct bpf_map *map, size_t ksz, size_t vsz, mapwalk_fn fn, void *ctx)
{
	char *keys = calloc(MAPWALK_BATCH, ksz), *vals = calloc(MAPWALK_BATCH, vsz);
	uint64_t token[4];       /* the batch cursor (a bucket of a hash map, a key of an array) */
	void *in = NULL;
	int fd = bpf_map__fd(map), err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		uint32_t count = MAPWALK_BATCH;
		int rc = bpf_map_lookup_batch(fd, in, token, keys, vals, &count, NULL);
		int done = rc < 0 && errno == ENOENT;

		if (rc < 0 && !done) {
			err = -errno;
			pr_err("cannot read map '%s': %s", bpf_map__name(map), strerror(-err));
			break;
		}
		for (uint32_t i = 0; i < count && !err; i++)
			err = fn(keys + i * ksz, vals + i * vsz, ctx);
		if (done || err)
			break;
		in = token;
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}
