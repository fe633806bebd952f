/* Fuzzes contrast/contrast_csv: loading CONAN instances. The first byte
 * chooses the options (count column, metric column, background value). */
#include "fuzz.h"
#include "contrast/contrast.h"
#include "contrast/contrast_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode = size ? data[0] : 0;
	struct contrast_csv_opts o = {
		.class_col = "Status",
		.target = "leak",
		.count_col = mode & 1 ? "Count" : NULL,
		.metric_col = mode & 2 ? "Metric" : NULL,
		.background = mode & 4 ? "ok" : NULL,
	};
	struct contrast_data *d = NULL;
	char err[256];

	if (size)
		data++, size--;
	if (!contrast_csv__load(fuzz__file(data, size), &o, &d, err, sizeof(err)))
		contrast_data__free(d);
	return 0;
}
