#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "elf/allocators.h"
#include "testlib.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"

static const struct alloc_func *find(const struct alloc_funcs *f, enum seep_kind k)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->f[i].kind == k)
			return &f->f[i];
	return NULL;
}

/* Value of the defined dynamic symbol NAME in PATH, read independently. */
static uint64_t dynsym_value(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	uint64_t v = 0;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;

			gelf_getsym(d, (int)i, &s);
			if (s.st_shndx != SHN_UNDEF && !strcmp(elf_strptr(elf, sh.sh_link, s.st_name), name))
				v = s.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return v;
}

Test(allocators, glibc_functions)
{
	struct alloc_funcs f;
	const struct alloc_func *m, *ma;

	cr_assert_eq(allocators__find(LIBC, &f), 0);
	cr_assert(allocators__has_heap(&f));
	for (int k = 0; k < SEEP_KIND__MAX; k++) {
		if (k == SEEP_KIND_ALIGNED_ALLOC || k == SEEP_KIND_NEW || k == SEEP_KIND_DELETE)
			continue;
		cr_assert_not_null(find(&f, k), "libc defines %s", allocators__kind_name(k));
	}
	m = find(&f, SEEP_KIND_MALLOC);
	cr_assert_eq(m->vaddr, dynsym_value(LIBC, "malloc"));
	/* libc's first PT_LOAD maps offset 0 at vaddr 0: offset == vaddr */
	cr_assert_eq(m->offset, m->vaddr);
	/* aligned_alloc is an alias of memalign in glibc: hooked once */
	ma = find(&f, SEEP_KIND_MEMALIGN);
	cr_assert_eq(ma->vaddr, dynsym_value(LIBC, "aligned_alloc"));
	cr_assert_null(find(&f, SEEP_KIND_ALIGNED_ALLOC));
	for (size_t i = 0; i < f.n; i++)
		for (size_t j = i + 1; j < f.n; j++)
			cr_assert_neq(f.f[i].vaddr, f.f[j].vaddr, "no address hooked twice");
}

Test(allocators, program_without_allocator)
{
	struct alloc_funcs f;

	cr_assert_eq(allocators__find(SEEP_BUILD_DIR "/tests/targets/noalloc", &f), 0);
	cr_assert_eq(f.n, 0);
	cr_assert(!allocators__has_heap(&f));
	/* a dynamic program imports malloc but defines none */
	cr_assert_eq(allocators__find(SEEP_BUILD_DIR "/tests/targets/leaky_server", &f), 0);
	cr_assert(!allocators__has_heap(&f));
}

Test(allocators, not_elf_and_missing)
{
	struct alloc_funcs f;

	cr_assert_eq(allocators__find("/etc/passwd", &f), -ENOEXEC);
	cr_assert_eq(allocators__find("/nonexistent", &f), -ENOENT);
	cr_assert_str_eq(allocators__kind_name(SEEP_KIND_MUNMAP), "munmap");
	cr_assert_str_eq(allocators__kind_name(SEEP_KIND__MAX), "?");
}

Test(allocators, glibc_free_probe_past_null_check)
{
	struct alloc_funcs f;
	const struct alloc_func *fr, *m;

	cr_assert_eq(allocators__find(LIBC, &f), 0);
	fr = find(&f, SEEP_KIND_FREE);
	m = find(&f, SEEP_KIND_MALLOC);
	/* Debian 12's glibc: free begins test %rdi,%rdi; je; push %rbp */
	cr_expect_eq(fr->probe_offset - fr->offset, 9);
	cr_expect_eq(m->probe_offset, m->offset, "malloc starts with a push");
}

/* Allocators that replace malloc: their own operator new and delete are
 * hooked too; libstdc++'s (which calls malloc) is not. */
/* Criterion runs each test in a fresh process: parameters hold no pointers. */
struct lib_case {
	char path[64];
	char prefixed[16];       /* a prefixed entry point it exports, or "" */
};

ParameterizedTestParameters(allocators, replacement_allocators)
{
	static struct lib_case cases[] = {
		{ "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "" },
		{ "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "tc_malloc" },
		{ "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "mi_malloc" },
	};

	return cr_make_param_array(struct lib_case, cases, 3);
}

ParameterizedTest(struct lib_case *c, allocators, replacement_allocators)
{
	struct alloc_funcs f;
	int news = 0, deletes = 0, prefixed = 0;

	cr_assert_eq(allocators__find(c->path, &f), 0, "%s (installed by tools/setup.sh)", c->path);
	cr_assert(allocators__has_heap(&f));
	cr_assert_not_null(find(&f, SEEP_KIND_MALLOC));
	cr_assert_not_null(find(&f, SEEP_KIND_FREE));
	for (size_t i = 0; i < f.n; i++) {
		news += f.f[i].kind == SEEP_KIND_NEW;
		deletes += f.f[i].kind == SEEP_KIND_DELETE;
		prefixed += c->prefixed[0] && !strcmp(f.f[i].name, c->prefixed);
	}
	cr_expect_geq(news, 1, "%s: operator new", c->path);
	cr_expect_geq(deletes, 1, "%s: operator delete", c->path);
	if (c->prefixed[0] &&
	    dynsym_value(c->path, c->prefixed) != dynsym_value(c->path, "malloc"))
		cr_expect_eq(prefixed, 1, "%s: %s hooked", c->path, c->prefixed);
}

Test(allocators, libstdcxx_new_goes_through_malloc)
{
	struct alloc_funcs f;

	cr_assert_eq(allocators__find("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", &f), 0);
	cr_expect_eq(f.n, 0, "libstdc++ defines no malloc: its operator new is not hooked");
}

/* The cookie carries the kind, the unwind mode and where the probe sits in
 * the module's image: BPF rebuilds the module's range from the probed
 * address with it. */
Test(allocators, cookie_locates_the_image)
{
	struct alloc_funcs f;
	const struct alloc_func *m;
	uint64_t c, page, span, probe;

	cr_assert_eq(allocators__find(LIBC, &f), 0);
	m = find(&f, SEEP_KIND_MALLOC);
	cr_assert(f.image_lo < f.image_hi);
	cr_expect_eq(f.image_lo % 4096, 0);
	cr_expect_eq(f.image_hi % 4096, 0);
	c = allocators__cookie(&f, m, SEEP_UNWIND_DWARF);
	cr_expect_eq(c & SEEP_COOKIE_KIND_MASK, SEEP_KIND_MALLOC);
	cr_expect_eq((c >> SEEP_COOKIE_MODE_SHIFT) & SEEP_COOKIE_MODE_MASK, SEEP_UNWIND_DWARF);
	cr_expect(f.library && (c & SEEP_COOKIE_LIBRARY), "libc.so.6 is a library, runnable as it is");
	page = (c >> SEEP_COOKIE_PAGE_SHIFT) & SEEP_COOKIE_PAGES_MAX;
	span = c >> SEEP_COOKIE_SPAN_SHIFT;
	probe = m->vaddr + (m->probe_offset - m->offset);
	cr_expect_eq(page, (probe - f.image_lo) / 4096);
	cr_expect_eq(span, (f.image_hi - f.image_lo) / 4096);
	/* loaded at any page-aligned bias, the rebuilt range holds the probe */
	for (uint64_t bias = 0; bias < (1ULL << 47); bias += (0x7f0123456000ULL / 7) & ~4095ULL) {
		uint64_t ip = probe + bias, lo = (ip & ~4095ULL) - page * 4096;

		cr_expect_eq(lo, f.image_lo + bias);
		cr_expect_eq(lo + span * 4096, f.image_hi + bias);
	}
	/* an image too large to describe: the range is left unknown */
	f.image_hi = f.image_lo + ((SEEP_COOKIE_PAGES_MAX + 1) << 12);
	c = allocators__cookie(&f, m, SEEP_UNWIND_FP);
	cr_expect_eq(c >> SEEP_COOKIE_PAGE_SHIFT, 0);
}

/* A program is not a library, whether PIE (ET_DYN, DF_1_PIE, no soname)
 * or static (ET_EXEC): its image holds the program's own code, and BPF
 * then takes none of the calls made from it for the allocator's own. */
Test(allocators, programs_are_not_libraries)
{
	struct alloc_funcs f;

	cr_assert_eq(allocators__find(TARGET("static_helper"), &f), 0);
	cr_assert_gt(f.n, 0, "static_helper defines malloc");
	cr_expect_not(f.library);
	cr_expect_not(allocators__cookie(&f, &f.f[0], SEEP_UNWIND_FP) & SEEP_COOKIE_LIBRARY);
	cr_assert_eq(allocators__find(TARGET("alloc_each"), &f), 0);
	cr_expect_not(f.library, "a PIE program");
	cr_assert_eq(allocators__find("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", &f), 0);
	cr_expect(f.library);
}
