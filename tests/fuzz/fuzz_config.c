/* Fuzzes daemon/config: the input is the config file; its last line is
 * also tried as a --set assignment. */
#include "fuzz.h"
#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct daemon_config c;
	char err[256], *s, *last;

	if (!quiet) {
		fuzz__quiet();
		quiet = true;
	}
	daemon_config__defaults(&c);
	(void)daemon_config__load(&c, fuzz__file(data, size), err, sizeof(err));
	s = fuzz__cstr(data, size);
	last = strrchr(s, '\n');
	(void)daemon_config__set(&c, last ? last + 1 : s, err, sizeof(err));
	free(s);
	fuzz__drop_errors();
	return 0;
}
