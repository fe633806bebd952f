/* allocators — the allocator entry points an ELF file defines.
 *
 * Looks up, among the file's defined function symbols (.dynsym, then
 * .symtab for static or unstripped binaries), the malloc family and free
 * under their plain names and the prefixed names of jemalloc (je_),
 * tcmalloc (tc_) and mimalloc (mi_); the anonymous-mapping calls; and C++
 * operator new and delete in modules that define a malloc themselves (an
 * allocator's own new does not go through malloc; libstdc++'s does and is
 * covered by it). Each address is converted to the file offset a uprobe
 * needs; aliases (glibc's aligned_alloc is memalign) are reported once,
 * under the first name in the lookup table. Pure libelf; no BPF.
 */
#ifndef SEEP_ALLOCATORS_H
#define SEEP_ALLOCATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_heap.h"

#define ALLOC_FUNCS_MAX 96

struct alloc_func {
	enum seep_kind kind;
	const char *name;        /* the symbol hooked (static storage) */
	uint64_t vaddr;          /* symbol value */
	uint64_t offset;         /* file offset of the entry */
	uint64_t probe_offset;   /* file offset of the entry probe (see placement.h) */
};

struct alloc_funcs {
	struct alloc_func f[ALLOC_FUNCS_MAX];
	size_t n;
	uint64_t image_lo, image_hi;  /* page-aligned span of the loadable segments */
	bool library;                 /* a shared library, not a program (SEEP_COOKIE_LIBRARY) */
};

/* Fills FUNCS with what PATH defines. Returns 0 (possibly n == 0), -ENOEXEC
 * for a file that is not ELF, -errno on I/O errors. */
int allocators__find(const char *path, struct alloc_funcs *funcs);

/* The attach cookie of F (see SEEP_COOKIE_*): its kind, MODE, and where its
 * entry probe sits in the module's image. */
uint64_t allocators__cookie(const struct alloc_funcs *funcs, const struct alloc_func *f,
			    enum seep_unwind mode);

/* True if FUNCTION (a symbol or demangled name) is one of the entry
 * points looked up above, under any prefix: malloc, je_free, mmap,
 * operator new, _ZdlPv, ... */
bool allocators__is_entry(const char *function);

/* "malloc", "free", ... */
const char *allocators__kind_name(enum seep_kind kind);
/* True if the file defines a malloc or a free (any prefix). */
int allocators__has_heap(const struct alloc_funcs *funcs);

#endif
