/* Fuzzes snapshot/pprof: decoding a heap profile (gzip or plain protobuf). */
#include "fuzz.h"
#include "snapshot/pprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r;
	const char *why;

	if (!pprof__decode(data, size, &r, &why)) {
		uint64_t total = 0;

		for (size_t i = 0; i < r.nstacks; i++)
			total += r.stacks[i].bytes;
		if (total != r.total_bytes)
			abort();   /* totals are the sums over the stacks */
		report__release(&r);
	}
	return 0;
}
