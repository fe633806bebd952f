/* meminfo — /proc/meminfo; see meminfo.h. */
#include "sys/meminfo.h"

#include <errno.h>
#include <string.h>

#include "sys/sysfile.h"

int meminfo__read(const char *path, struct meminfo *out)
{
	char buf[8192];
	ssize_t n = sysfile__read(path, buf, sizeof(buf));

	memset(out, 0, sizeof(*out));
	if (n < 0)
		return (int)n;
	if (sysfile__field_u64(buf, "MemTotal", 1024, &out->total) ||
	    sysfile__field_u64(buf, "MemAvailable", 1024, &out->available))
		return -EINVAL;
	/* optional fields stay 0 when absent */
	sysfile__field_u64(buf, "MemFree", 1024, &out->free);
	sysfile__field_u64(buf, "SwapTotal", 1024, &out->swap_total);
	sysfile__field_u64(buf, "SwapFree", 1024, &out->swap_free);
	return 0;
}
