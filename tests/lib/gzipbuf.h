/* gzipbuf — gzip in memory for the tests that feed gzip'd files to
 * seep's readers (whole, cut short, several members in a row). */
#ifndef SEEP_TEST_GZIPBUF_H
#define SEEP_TEST_GZIPBUF_H

#include <stddef.h>

/* IN[0, N) as one gzip member (zlib level LEVEL) into OUT[0, CAP); its
 * length. A failed or short deflate fails the calling test. */
size_t gzip_buf(const void *in, size_t n, int level, void *out, size_t cap);

#endif
