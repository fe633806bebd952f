/* Fuzzes lib/csv: every record of the input, plain or gzip. */
#include "fuzz.h"
#include "lib/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv *csv = csv__open(fuzz__file(data, size));
	char **f;
	size_t n, fields = 0;

	if (!csv)
		return 0;
	if (size && data[0] == ';')
		csv__set_delimiter(csv, ';');
	while (csv__next(csv, &f, &n) > 0) {
		for (size_t i = 0; i < n; i++)
			fields += strlen(f[i]);
		(void)csv__column(f, n, "value");
		(void)csv__line(csv);
	}
	(void)fields;
	(void)csv__error(csv);
	csv__free(csv);
	return 0;
}
