/* meminfo — the host's memory, from /proc/meminfo.
 *
 * Bytes throughout. meminfo__read() takes the file's path so tests can
 * read a fixture ("/proc/meminfo" on a live host). Returns 0 or -errno;
 * -EINVAL when MemTotal or MemAvailable is missing (kernels before 3.14).
 */
#ifndef SEEP_MEMINFO_H
#define SEEP_MEMINFO_H

#include <stdint.h>

struct meminfo {
	uint64_t total;		/* MemTotal */
	uint64_t available;	/* MemAvailable */
	uint64_t free;		/* MemFree */
	uint64_t swap_total;	/* SwapTotal */
	uint64_t swap_free;	/* SwapFree */
};

int meminfo__read(const char *path, struct meminfo *out);

#endif
