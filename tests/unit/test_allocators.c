#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "allocators.h"

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
		if (k == SEEP_KIND_ALIGNED_ALLOC)
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
