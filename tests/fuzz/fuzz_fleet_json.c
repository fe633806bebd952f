/* Fuzzes fleet/fleetset's TSDB readers (lib/jsonscan underneath): the
 * first byte picks the VictoriaMetrics export reader (even) or the
 * Prometheus matrix reader (odd), the rest is the answer. Checks the
 * documented invariants: chunks lie inside the sample pools, every sample
 * is finite, and a matrix answer that fails adds nothing. */
#include "fuzz.h"
#include <errno.h>
#include <math.h>

#include "fleet/fleetset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_set *s;
	char err[512];
	int e;

	if (!size)
		return 0;
	s = fleet_set__new();
	if (!s)
		abort();
	if (data[0] & 1) {
		e = fleet_set__read_matrix(s, (const char *)data + 1, size - 1, err, sizeof(err));
		if (e && (s->nchunks || s->nsamples))
			abort();	/* a failed answer leaves nothing */
	} else {
		e = fleet_set__read_export(s, (const char *)data + 1, size - 1, 1, err, sizeof(err));
	}
	if (e && e != -EINVAL && e != -ENOMEM)
		abort();	/* the documented codes */
	if (e == -EINVAL && !memchr(err, '\0', sizeof(err)))
		abort();
	for (size_t i = 0; i < s->nchunks; i++) {
		const struct fleet_chunk *c = &s->chunks[i];

		if (c->off > s->nsamples || c->n > s->nsamples - c->off)
			abort();
		for (int l = 0; l < FLEET_NLABELS; l++)
			if (!fleet_set__label(s, c, (enum fleet_label)l))
				abort();
		for (size_t k = 0; k < c->n; k++)
			if (!isfinite(fleet_set__time(s, c, k)) || !isfinite(fleet_set__value(s, c, k)))
				abort();
	}
	fleet_set__free(s);
	return 0;
}
