#include "elf/allocators.h"

#include "elf/elfcode.h"
#include "elf/placement.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const kind_names[SEEP_KIND__MAX] = {
	[SEEP_KIND_MALLOC] = "malloc",
	[SEEP_KIND_CALLOC] = "calloc",
	[SEEP_KIND_REALLOC] = "realloc",
	[SEEP_KIND_REALLOCARRAY] = "reallocarray",
	[SEEP_KIND_POSIX_MEMALIGN] = "posix_memalign",
	[SEEP_KIND_ALIGNED_ALLOC] = "aligned_alloc",
	[SEEP_KIND_MEMALIGN] = "memalign",
	[SEEP_KIND_VALLOC] = "valloc",
	[SEEP_KIND_PVALLOC] = "pvalloc",
	[SEEP_KIND_MMAP] = "mmap",
	[SEEP_KIND_MREMAP] = "mremap",
	[SEEP_KIND_NEW] = "operator new",
	[SEEP_KIND_FREE] = "free",
	[SEEP_KIND_MUNMAP] = "munmap",
	[SEEP_KIND_DELETE] = "operator delete",
};

/* The heap functions, looked up plain and with each allocator's prefix
 * (jemalloc je_, tcmalloc tc_, mimalloc mi_); the order decides which name
 * an alias is reported under. The prefixed names are spelled out by the
 * compiler: string literals, read-only, shared safely by every thread. */
#define HEAP_FUNCS(P) \
	{ P "malloc", SEEP_KIND_MALLOC }, { P "calloc", SEEP_KIND_CALLOC }, \
	{ P "realloc", SEEP_KIND_REALLOC }, { P "reallocarray", SEEP_KIND_REALLOCARRAY }, \
	{ P "posix_memalign", SEEP_KIND_POSIX_MEMALIGN }, { P "memalign", SEEP_KIND_MEMALIGN }, \
	{ P "aligned_alloc", SEEP_KIND_ALIGNED_ALLOC }, { P "valloc", SEEP_KIND_VALLOC }, \
	{ P "pvalloc", SEEP_KIND_PVALLOC }, { P "free", SEEP_KIND_FREE }, { P "cfree", SEEP_KIND_FREE }

static const struct {
	const char *name;
	enum seep_kind kind;
} heap_funcs[] = { HEAP_FUNCS(""), HEAP_FUNCS("je_"), HEAP_FUNCS("tc_"), HEAP_FUNCS("mi_") };

static const struct {
	const char *name;
	enum seep_kind kind;
} other_funcs[] = {
	{ "mmap", SEEP_KIND_MMAP }, { "mmap64", SEEP_KIND_MMAP },
	{ "mremap", SEEP_KIND_MREMAP }, { "munmap", SEEP_KIND_MUNMAP },
};

/* C++ operators (Itanium ABI names, size_t = unsigned long). */
static const struct {
	const char *name;
	enum seep_kind kind;
} cxx_funcs[] = {
	{ "_Znwm", SEEP_KIND_NEW }, { "_Znam", SEEP_KIND_NEW },
	{ "_ZnwmRKSt9nothrow_t", SEEP_KIND_NEW }, { "_ZnamRKSt9nothrow_t", SEEP_KIND_NEW },
	{ "_ZnwmSt11align_val_t", SEEP_KIND_NEW }, { "_ZnamSt11align_val_t", SEEP_KIND_NEW },
	{ "_ZdlPv", SEEP_KIND_DELETE }, { "_ZdaPv", SEEP_KIND_DELETE },
	{ "_ZdlPvm", SEEP_KIND_DELETE }, { "_ZdaPvm", SEEP_KIND_DELETE },
	{ "_ZdlPvRKSt9nothrow_t", SEEP_KIND_DELETE }, { "_ZdaPvRKSt9nothrow_t", SEEP_KIND_DELETE },
	{ "_ZdlPvSt11align_val_t", SEEP_KIND_DELETE }, { "_ZdaPvSt11align_val_t", SEEP_KIND_DELETE },
	{ "_ZdlPvmSt11align_val_t", SEEP_KIND_DELETE }, { "_ZdaPvmSt11align_val_t", SEEP_KIND_DELETE },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NAMES_MAX (NELEMS(heap_funcs) + NELEMS(other_funcs) + NELEMS(cxx_funcs))

/* Every name looked up, in order, with its kind: per call (the caller's
 * stack), pointing at the static tables' strings, which is what struct
 * alloc_func keeps. */
struct lookup {
	const char *name[NAMES_MAX];
	enum seep_kind kind[NAMES_MAX];
	size_t n, ncxx_from;
};

static void _lookup_add(struct lookup *l, const char *name, enum seep_kind kind)
{
	l->name[l->n] = name;
	l->kind[l->n++] = kind;
}

static void _lookup_init(struct lookup *l)
{
	l->n = 0;
	for (size_t i = 0; i < NELEMS(heap_funcs); i++)
		_lookup_add(l, heap_funcs[i].name, heap_funcs[i].kind);
	for (size_t i = 0; i < NELEMS(other_funcs); i++)
		_lookup_add(l, other_funcs[i].name, other_funcs[i].kind);
	l->ncxx_from = l->n;
	for (size_t i = 0; i < NELEMS(cxx_funcs); i++)
		_lookup_add(l, cxx_funcs[i].name, cxx_funcs[i].kind);
}

bool allocators__is_entry(const char *function)
{
	struct lookup l;

	if (!function)
		return false;
	if (!strncmp(function, "operator new", 12) || !strncmp(function, "operator delete", 15))
		return true;
	_lookup_init(&l);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(function, l.name[i]))
			return true;
	return false;
}

const char *allocators__kind_name(enum seep_kind kind)
{
	return (unsigned)kind < SEEP_KIND__MAX ? kind_names[kind] : "?";
}

int allocators__has_heap(const struct alloc_funcs *funcs)
{
	for (size_t i = 0; i < funcs->n; i++)
		if (funcs->f[i].kind == SEEP_KIND_MALLOC || funcs->f[i].kind == SEEP_KIND_FREE)
			return 1;
	return 0;
}

static int _index_of(const struct lookup *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(name, l->name[i]))
			return (int)i;
	return -1;
}

static int _vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* True if ELF is a shared library, not a program: ET_DYN with a DT_SONAME
 * and not flagged DF_1_PIE (libc.so.6 is runnable yet a library; a PIE
 * program has no soname). Read from the dynamic segment, which stripping
 * keeps. */
static bool _is_library(Elf *elf)
{
	bool soname = false, pie = false;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (!gelf_getehdr(elf, &eh) || eh.e_type != ET_DYN)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			soname |= dyn.d_tag == DT_SONAME;
			pie |= dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE);
		}
	}
	return soname && !pie;
}

/* The page-aligned span of ELF's loadable segments. */
static void _image_span(Elf *elf, uint64_t *lo, uint64_t *hi)
{
	size_t n;

	*lo = UINT64_MAX;
	*hi = 0;
	if (elf_getphdrnum(elf, &n))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr < *lo)
			*lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > *hi)
			*hi = ph.p_vaddr + ph.p_memsz;
	}
	if (*lo >= *hi) {
		*lo = *hi = 0;
		return;
	}
	*lo &= ~4095ULL;
	*hi = (*hi + 4095) & ~4095ULL;
}

uint64_t allocators__cookie(const struct alloc_funcs *funcs, const struct alloc_func *f,
			    enum seep_unwind mode)
{
	uint64_t cookie = (uint64_t)f->kind | (uint64_t)mode << SEEP_COOKIE_MODE_SHIFT |
			  (funcs->library ? SEEP_COOKIE_LIBRARY : 0);
	uint64_t probe = f->vaddr + (f->probe_offset - f->offset);
	uint64_t page, span;

	if (probe < funcs->image_lo || probe >= funcs->image_hi)
		return cookie;  /* span unknown */
	page = (probe - funcs->image_lo) >> 12;
	span = (funcs->image_hi - funcs->image_lo) >> 12;
	if (span > SEEP_COOKIE_PAGES_MAX)
		return cookie;
	return cookie | page << SEEP_COOKIE_PAGE_SHIFT | span << SEEP_COOKIE_SPAN_SHIFT;
}

static void _scan_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, const struct lookup *l,
			 uint64_t vaddrs[], uint64_t sizes[])
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int at;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || (at = _index_of(l, name)) < 0 || vaddrs[at])
			continue;
		vaddrs[at] = sym.st_value;
		sizes[at] = sym.st_size;
	}
}

int allocators__find(const char *path, struct alloc_funcs *funcs)
{
	uint64_t vaddrs[NAMES_MAX] = { 0 }, sizes[NAMES_MAX] = { 0 };
	struct lookup l;
	Elf_Scn *scn = NULL;
	bool own_malloc = false;
	size_t last;
	Elf *elf;
	int fd, err;

	memset(funcs, 0, sizeof(*funcs));
	_lookup_init(&l);
	err = elfcode__open(path, &fd, &elf);
	if (err)
		return err;
	_image_span(elf, &funcs->image_lo, &funcs->image_hi);
	funcs->library = _is_library(elf);
	/* .dynsym first: it is what the dynamic linker binds to. */
	for (int pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    sh.sh_type == (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
				_scan_symtab(elf, scn, &sh, &l, vaddrs, sizes);
		}
	}
	for (size_t i = 0; i < l.ncxx_from; i++)
		own_malloc |= vaddrs[i] && l.kind[i] == SEEP_KIND_MALLOC;
	last = own_malloc ? l.n : l.ncxx_from;  /* C++ only beside a malloc of its own */
	for (size_t i = 0; i < last && funcs->n < ALLOC_FUNCS_MAX; i++) {
		struct alloc_func *f;
		const uint8_t *code;
		size_t len = 0;
		int dup = 0;

		if (!vaddrs[i])
			continue;
		for (size_t j = 0; j < funcs->n; j++)
			dup |= funcs->f[j].vaddr == vaddrs[i];
		if (dup)
			continue;
		f = &funcs->f[funcs->n];
		f->kind = l.kind[i];
		f->name = l.name[i];
		f->vaddr = vaddrs[i];
		if (_vaddr_to_offset(elf, vaddrs[i], &f->offset))
			continue;
		code = elfcode__at(elf, vaddrs[i], &len);
		if (len > sizes[i])  /* no size: branches into the prologue cannot be ruled out */
			len = sizes[i];
		f->probe_offset = f->offset + placement__probe_skip(f->kind, code, len);
		funcs->n++;
	}
	elfcode__close(fd, elf);
	return 0;
}
