/* Fuzzes lib/parse: the first byte picks the parser, the rest is the text. */
#include <math.h>

#include "fuzz.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "text", "json", "folded" };
	char why[128], *s;
	double d;
	uint64_t u;
	pid_t pid;
	size_t idx;

	if (!size)
		return 0;
	s = fuzz__cstr(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		if (!parse__seconds(s, 0.001, PARSE_SECONDS_MAX, &d, why, sizeof(why)) &&
		    !(d >= 0.001 && d <= PARSE_SECONDS_MAX))
			abort();
		break;
	case 1:
		if (!parse__duration(s, INFINITY, &d, why, sizeof(why)) && !(d > 0))
			abort();
		break;
	case 2:
		if (!parse__real(s, -1e6, 1e6, &d, why, sizeof(why)) && !(d >= -1e6 && d <= 1e6))
			abort();
		break;
	case 3:
		if (!parse__count(s, 1, 1000000, &u, why, sizeof(why)) && (u < 1 || u > 1000000))
			abort();
		break;
	case 4:
		if (!parse__bytes(s, 0, UINT64_MAX, &u, why, sizeof(why)))
			(void)u;
		break;
	case 5:
		if (!parse__pid(s, &pid, why, sizeof(why)) && pid < 1)
			abort();
		break;
	default:
		if (!parse__name(s, names, 3, &idx, why, sizeof(why)) && strcmp(names[idx], s))
			abort();
		break;
	}
	free(s);
	return 0;
}
