/* Unit tests: where an allocator function's entry probe goes, on the bytes
 * of real allocator builds and on hand-made prologues. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "elf/allocators.h"
#include "elf/placement.h"

/* Criterion runs each test in a fresh process: parameters hold no pointers. */
struct skip_case {
	char what[64];
	enum seep_kind kind;
	uint8_t code[64];
	size_t len;
	size_t want;
};

ParameterizedTestParameters(placement, probe_skip)
{
	static struct skip_case cases[] = {
		{ "glibc 2.36 free: test; je rel32; push %rbp", SEEP_KIND_FREE,
		  { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55 }, 10, 9 },
		{ "free, je rel8", SEEP_KIND_FREE,
		  { 0x48, 0x85, 0xff, 0x74, 0x10, 0x41, 0x54 }, 7, 5 },
		{ "glibc malloc: push %r12 first", SEEP_KIND_MALLOC, { 0x41, 0x54, 0x55, 0x53 }, 4, 0 },
		{ "jemalloc 5.3 malloc: cmp $0x1000,%rdi; ja", SEEP_KIND_MALLOC,
		  { 0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x87, 0x93, 0x00, 0x00, 0x00 }, 13, 7 },
		{ "jemalloc 5.3 free: movs and ands leave %rdi, then jne", SEEP_KIND_FREE,
		  { 0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, 0x48, 0x89, 0xf9,
		    0x48, 0xc1, 0xe8, 0x1a, 0x48, 0x81, 0xe1, 0x00, 0x00, 0x00, 0xc0, 0x25, 0xf0,
		    0x00, 0x00, 0x00, 0x64, 0x48, 0x03, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x48,
		    0x01, 0xd0, 0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00, 0x0f, 0x85, 0x8a, 0x00,
		    0x00, 0x00 }, 54, 48 },
		{ "movs to %rax, %rdx, %rcx: a realloc's arguments stay", SEEP_KIND_REALLOC,
		  { 0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, 0x48, 0x89, 0xf9,
		    0x48, 0xc1, 0xe8, 0x1a, 0x0f, 0x85, 0x8a, 0x00, 0x00, 0x00 }, 23, 17 },
		{ "the same for reallocarray: %rdx is its third argument", SEEP_KIND_REALLOCARRAY,
		  { 0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, 0x48, 0x89, 0xf9,
		    0x48, 0xc1, 0xe8, 0x1a, 0x0f, 0x85, 0x8a, 0x00, 0x00, 0x00 }, 23, 0 },
		{ "calloc: mov %rdi,%rsi clobbers its second argument", SEEP_KIND_CALLOC,
		  { 0x48, 0x89, 0xfe, 0x55 }, 4, 0 },
		{ "malloc: a return-probed function stops at the je (no NULL skip)", SEEP_KIND_MALLOC,
		  { 0x48, 0x85, 0xff, 0x74, 0x10, 0x55 }, 6, 3 },
		{ "endbr64 then push", SEEP_KIND_MALLOC, { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 }, 5, 4 },
		{ "endbr64, NULL check, push", SEEP_KIND_FREE,
		  { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x02, 0x53 }, 10, 9 },
		{ "free: sub %rsp after the NULL check: the je itself", SEEP_KIND_FREE,
		  { 0x48, 0x85, 0xff, 0x74, 0x10, 0x48, 0x83, 0xec, 0x08 }, 9, 3 },
		{ "free: jne is not a NULL check: probe on it", SEEP_KIND_FREE,
		  { 0x48, 0x85, 0xff, 0x75, 0x10, 0x55 }, 6, 3 },
		{ "sub %rsp before anything emulated", SEEP_KIND_MALLOC,
		  { 0x48, 0x83, 0xec, 0x08, 0x55 }, 5, 0 },
		{ "a 5-byte nop (emulated)", SEEP_KIND_MALLOC,
		  { 0x48, 0x85, 0xff, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 8, 3 },
		{ "jmp back into the skipped range: one hit would not be one call", SEEP_KIND_MALLOC,
		  { 0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x77, 0x02, 0xeb, 0xfc, 0xc3 }, 12, 0 },
		{ "a branch to the entry itself is a new call: fine", SEEP_KIND_MALLOC,
		  { 0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x77, 0x02, 0xeb, 0xf5, 0xc3 }, 12, 7 },
		{ "ret before anything emulated", SEEP_KIND_MUNMAP, { 0xb8, 0x0b, 0, 0, 0, 0xc3 }, 6, 0 },
		{ "syscall wrapper: mov, syscall", SEEP_KIND_MUNMAP,
		  { 0xb8, 0x0b, 0, 0, 0, 0x0f, 0x05 }, 7, 0 },
		{ "truncated je rel32", SEEP_KIND_FREE, { 0x48, 0x85, 0xff, 0x0f, 0x84 }, 5, 0 },
		{ "truncated instruction", SEEP_KIND_FREE, { 0x48 }, 1, 0 },
		{ "no code", SEEP_KIND_FREE, { 0 }, 0, 0 },
	};

	return cr_make_param_array(struct skip_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct skip_case *c, placement, probe_skip)
{
	size_t got = placement__probe_skip(c->kind, c->code, c->len);

	cr_expect_eq(got, c->want, "%s (%s): skip %zu, want %zu", c->what,
		     allocators__kind_name(c->kind), got, c->want);
}

/* Debian's jemalloc: malloc and free no longer start on single-stepped
 * instructions; the file's own bytes, through allocators__find. */
Test(placement, debian_jemalloc)
{
	struct alloc_funcs f;
	size_t moved = 0;

	cr_assert_eq(allocators__find("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", &f), 0);
	for (size_t i = 0; i < f.n; i++) {
		if (f.f[i].kind == SEEP_KIND_MALLOC && !strcmp(f.f[i].name, "malloc"))
			cr_expect_eq(f.f[i].probe_offset - f.f[i].offset, 7, "malloc+7 (ja)");
		if (f.f[i].kind == SEEP_KIND_FREE && !strcmp(f.f[i].name, "free"))
			cr_expect_eq(f.f[i].probe_offset - f.f[i].offset, 48, "free+48 (jne)");
		moved += f.f[i].probe_offset != f.f[i].offset;
	}
	cr_expect_geq(moved, 2);
}
