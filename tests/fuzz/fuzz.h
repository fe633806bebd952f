/* fuzz — helpers shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Each harness is one LLVMFuzzerTestOneInput() feeding one parser; `make
 * fuzz` builds them with clang -fsanitize=fuzzer,address,undefined and runs
 * each for FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/NAME/).
 * fuzz__file() gives the parsers that read a path the input as a file (a
 * memfd, reused across runs, no disk writes); fuzz__cstr() a NUL-terminated
 * copy (the caller frees it). Errors the parsers log are kept and dropped
 * (fuzz__quiet), so a run prints only what the fuzzer finds.
 */
#ifndef SEEP_FUZZ_H
#define SEEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"

/* "/proc/self/fd/N" of a memfd holding DATA[SIZE]; aborts on failure (the
 * harness cannot run). */
static inline const char *fuzz__file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("seep-fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

static inline char *fuzz__cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Keeps the errors logged from now on out of stderr; call once. */
static inline void fuzz__quiet(void)
{
	log__keep_errors(true);
}

/* Drops the errors kept by the last run. */
static inline void fuzz__drop_errors(void)
{
	free(log__take_errors());
}

#endif
