/* pprof__decode on hostile profiles: what decoding allocates is bounded
 * by the input's size (a crafted file is refused as too large for its
 * size, not decoded into gigabytes), and ids are looked up in linear time.
 * A large realistic profile still decodes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "snapshot/pprof.h"
#include "snapshot/report.h"
#include "gzipbuf.h"

/* A growable byte buffer with protobuf's wire encoding. */
struct pb {
	uint8_t *p;
	size_t len, cap;
};

static void _bytes(struct pb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void _varint(struct pb *b, uint64_t v)
{
	uint8_t c[10];
	size_t n = 0;

	do {
		c[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	_bytes(b, c, n);
}

static void _field_varint(struct pb *b, unsigned field, uint64_t v)
{
	_varint(b, field << 3);
	_varint(b, v);
}

/* Field FIELD holding the message (or string) M. */
static void _field_msg(struct pb *b, unsigned field, const struct pb *m)
{
	_varint(b, (field << 3) | 2);
	_varint(b, m->len);
	_bytes(b, m->p, m->len);
}

static void _field_str(struct pb *b, unsigned field, const char *s)
{
	struct pb m = { (uint8_t *)s, strlen(s), 0 };

	_field_msg(b, field, &m);
}

/* The string table ["", "inuse_space", "bytes", "f"] and one sample type. */
static void _heap_header(struct pb *b)
{
	struct pb vt = { 0 };

	_field_varint(&vt, 1, 1);
	_field_varint(&vt, 2, 2);
	_field_msg(b, 1, &vt);
	free(vt.p);
	_field_str(b, 6, "");
	_field_str(b, 6, "inuse_space");
	_field_str(b, 6, "bytes");
	_field_str(b, 6, "f");
}

static void _function(struct pb *b, uint64_t id)
{
	struct pb f = { 0 };

	_field_varint(&f, 1, id);
	_field_varint(&f, 2, 3);
	_field_varint(&f, 4, 3);
	_field_msg(b, 5, &f);
	free(f.p);
}

/* A location ID with NLINES lines of function 1. */
static void _location(struct pb *b, uint64_t id, size_t nlines)
{
	struct pb l = { 0 }, line = { 0 };

	_field_varint(&line, 1, 1);
	_field_varint(&l, 1, id);
	_field_varint(&l, 3, 0x1000 + id);
	for (size_t i = 0; i < nlines; i++)
		_field_msg(&l, 4, &line);
	_field_msg(b, 4, &l);
	free(l.p);
	free(line.p);
}

/* A sample of one value over the locations IDS[N]. */
static void _sample(struct pb *b, const uint64_t *ids, size_t n, int64_t value)
{
	struct pb s = { 0 }, packed = { 0 };

	for (size_t i = 0; i < n; i++)
		_varint(&packed, ids[i]);
	_field_msg(&s, 1, &packed);
	_field_varint(&s, 2, (uint64_t)value);
	_field_msg(b, 2, &s);
	free(s.p);
	free(packed.p);
}

static void _gzip(const struct pb *in, struct pb *out)
{
	out->cap = in->len / 2 + 1024;
	out->p = malloc(out->cap);
	cr_assert_not_null(out->p);
	out->len = gzip_buf(in->p, in->len, 9, out->p, out->cap);
}

/* Millions of empty strings: a few kilobytes of gzip, 16 MB of protobuf,
 * hundreds of MB as C strings. */
Test(pprof_hostile, empty_string_bomb_is_too_large, .timeout = 30)
{
	struct pb plain = { 0 }, gz = { 0 };
	struct report r;
	const char *why = NULL;

	_heap_header(&plain);
	for (size_t i = 0; i < 8u << 20; i++)
		_bytes(&plain, "\x32\x00", 2);
	_gzip(&plain, &gz);
	cr_assert_lt(gz.len, 100 * 1024, "the bomb is small: %zu bytes", gz.len);
	cr_assert_eq(pprof__decode(gz.p, gz.len, &r, &why), -EFBIG);
	cr_assert(why && strstr(why, "too large for its size"), "%s", why ? why : "(null)");
	free(plain.p);
	free(gz.p);
}

/* The same empty strings uncompressed: bounded the same way, not decoded
 * at 20 times the file's size. */
Test(pprof_hostile, uncompressed_empty_string_bomb_is_too_large, .timeout = 30)
{
	struct pb plain = { 0 };
	struct report r;
	const char *why = NULL;

	struct rusage before, after;

	_heap_header(&plain);
	for (size_t i = 0; i < 8u << 20; i++)
		_bytes(&plain, "\x32\x00", 2);
	cr_assert_eq(getrusage(RUSAGE_SELF, &before), 0);
	cr_assert_eq(pprof__decode(plain.p, plain.len, &r, &why), -EFBIG);
	cr_assert_eq(getrusage(RUSAGE_SELF, &after), 0);
	cr_assert(why && strstr(why, "too large for its size"), "%s", why ? why : "(null)");
	/* refused before the decoder allocates: not 20 times the file */
	cr_expect_lt((after.ru_maxrss - before.ru_maxrss) * 1024L, (long)plain.len * 2,
		     "decoding %zu bytes raised the peak RSS by %ld KiB", plain.len,
		     after.ru_maxrss - before.ru_maxrss);
	free(plain.p);
}

/* One location of 4,000 lines named by 20,000 samples: 80 M frames from
 * a few hundred kilobytes. */
Test(pprof_hostile, frame_amplification_is_too_large, .timeout = 30)
{
	struct pb plain = { 0 }, gz = { 0 };
	uint64_t one = 1;
	struct report r;
	const char *why = NULL;

	_heap_header(&plain);
	_function(&plain, 1);
	_location(&plain, 1, 4000);
	for (size_t i = 0; i < 20000; i++)
		_sample(&plain, &one, 1, 100);
	_gzip(&plain, &gz);
	cr_assert_eq(pprof__decode(gz.p, gz.len, &r, &why), -EFBIG);
	cr_assert(why && strstr(why, "too large for its size"), "%s", why ? why : "(null)");
	free(plain.p);
	free(gz.p);
}

/* 100,000 locations with sparse ids, each named by a sample: a linear
 * scan per id would take minutes. */
Test(pprof_hostile, sparse_ids_decode_in_linear_time, .timeout = 20)
{
	enum { N = 100000 };
	struct pb plain = { 0 };
	struct report r;
	const char *why = NULL;

	_heap_header(&plain);
	_function(&plain, 1);
	for (uint64_t i = 0; i < N; i++)
		_location(&plain, 1000 + 7 * i, 1);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t ids[2] = { 1000 + 7 * ((i * 7919) % N), 1000 + 7 * ((i * 104729) % N) };

		_sample(&plain, ids, 2, (int64_t)i + 1);
	}
	cr_assert_eq(pprof__decode(plain.p, plain.len, &r, &why), 0, "%s", why ? why : "");
	cr_assert_eq(r.nstacks, N);
	cr_assert_eq(r.stacks[0].nframes, 2);
	cr_assert_eq(r.stacks[0].bytes, N, "sorted by bytes");
	report__release(&r);
	free(plain.p);
}

Test(pprof_hostile, duplicate_location_ids_are_refused)
{
	struct pb plain = { 0 };
	uint64_t id = 5;
	struct report r;
	const char *why = NULL;

	_heap_header(&plain);
	_function(&plain, 1);
	_location(&plain, 5, 1);
	_location(&plain, 9, 1);
	_location(&plain, 5, 1);
	_sample(&plain, &id, 1, 1);
	cr_assert_eq(pprof__decode(plain.p, plain.len, &r, &why), -EINVAL);
	cr_assert(why && strstr(why, "one id"), "%s", why ? why : "(null)");
	free(plain.p);
}

/* A big, deep profile with long names (C++-like), as seep writes it:
 * decodes within the budget. */
Test(pprof_hostile, large_realistic_profile_decodes, .timeout = 60)
{
	enum { NSTACKS = 3000, DEPTH = 40, NFUNCS = 2000 };
	struct report r = { 0 }, back;
	const char *why = NULL;
	void *buf;
	size_t len;

	r.pid = 42;
	snprintf(r.comm, sizeof(r.comm), "server");
	r.stacks = calloc(NSTACKS, sizeof(*r.stacks));
	cr_assert_not_null(r.stacks);
	for (size_t i = 0; i < NSTACKS; i++) {
		struct report_stack *s = &r.stacks[r.nstacks++];

		s->bytes = s->alloc_bytes = 1000 + i;
		s->count = s->alloc_count = 1;
		s->frames = calloc(DEPTH, sizeof(*s->frames));
		s->nframes = DEPTH;
		for (size_t j = 0; j < DEPTH; j++) {
			struct stack_frame *f = &s->frames[j];
			size_t fn = (i * 31 + j * 17) % NFUNCS;

			cr_assert(asprintf(&f->function,
					   "std::vector<std::basic_string<char>, std::allocator<char> >::grow_%zu(unsigned long)",
					   fn) > 0);
			cr_assert(asprintf(&f->file, "/build/server-1.2/src/module_%zu/impl.cc", fn % 97) > 0);
			f->module = strdup("/usr/lib/x86_64-linux-gnu/libserver-core.so.1.2.3");
			f->build_id = strdup("8f3c2a9e0b1d4c5f6a7b8c9d0e1f2a3b4c5d6e7f");
			f->line = (int)(fn % 900) + 1;
			f->map_start = 0x7f0000000000;
			f->map_end = 0x7f0000800000;
			f->offset = 0x1000 + fn * 16;
			f->addr = f->map_start + f->offset + (j > 0);
		}
		r.total_bytes += s->bytes;
		r.total_count += s->count;
	}
	r.stacks_total = r.nstacks;
	cr_assert_eq(pprof__encode(&r, &(struct pprof_options){ 0 }, &buf, &len), 0);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), 0, "%s", why ? why : "");
	cr_assert_eq(back.nstacks, NSTACKS);
	cr_assert_eq(back.stacks[0].nframes, DEPTH);
	report__release(&back);
	report__release(&r);
	free(buf);
}
