/* gzipbuf — see gzipbuf.h. */
#include "gzipbuf.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <zlib.h>

size_t gzip_buf(const void *in, size_t n, int level, void *out, size_t cap)
{
	z_stream z = { 0 };

	cr_assert(deflateInit2(&z, level, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert(deflate(&z, Z_FINISH) == Z_STREAM_END, "%zu bytes do not fit %zu of gzip", n, cap);
	deflateEnd(&z);
	return z.total_out;
}
