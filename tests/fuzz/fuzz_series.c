/* Fuzzes detect/series: loading a timestamp,value series. */
#include "fuzz.h"
#include "detect/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct series_load_opts o = { .column = size && data[0] == 'v' ? "value" : NULL };
	struct series s;
	char err[256];

	if (!series__load(&s, fuzz__file(data, size), &o, err, sizeof(err))) {
		for (size_t i = 1; i < s.n; i++)
			if (!(s.t[i - 1] < s.t[i]))
				abort();   /* the documented invariant */
		series__release(&s);
	}
	return 0;
}
