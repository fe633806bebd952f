#include <math.h>
#include <stdio.h>

#include "lib/fmt.h"

void fmt__bytes(int64_t bytes, bool is_signed, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	const char *sign = bytes < 0 ? "-" : is_signed ? "+" : "";
	double v = fabs((double)bytes);
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%s%.0f B", sign, v);
	else
		snprintf(buf, len, "%s%.1f %s", sign, v, units[u]);
}
