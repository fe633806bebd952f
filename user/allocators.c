#include "allocators.h"

#include "elfcode.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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
	[SEEP_KIND_FREE] = "free",
	[SEEP_KIND_MUNMAP] = "munmap",
};

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

static int _kind_of(const char *name)
{
	if (!strcmp(name, "mmap64"))
		return SEEP_KIND_MMAP;
	for (int k = 0; k < SEEP_KIND__MAX; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

/* push %reg or push %r8..%r15 */
static int _is_push(const uint8_t *p, size_t len)
{
	if (len >= 1 && p[0] >= 0x50 && p[0] <= 0x57)
		return 1;
	return len >= 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57;
}

size_t allocators__probe_skip(enum seep_kind kind, const uint8_t *code, size_t len)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const uint8_t test_rdi[] = { 0x48, 0x85, 0xff };
	size_t at = 0;

	if (len >= sizeof(endbr64) && !memcmp(code, endbr64, sizeof(endbr64)))
		at = sizeof(endbr64);
	if (kind == SEEP_KIND_FREE && len - at >= sizeof(test_rdi) + 2 &&
	    !memcmp(code + at, test_rdi, sizeof(test_rdi))) {
		size_t j = at + sizeof(test_rdi);

		if (code[j] == 0x74)                            /* je rel8 */
			j += 2;
		else if (len - j >= 6 && code[j] == 0x0f && code[j + 1] == 0x84)  /* je rel32 */
			j += 6;
		else
			return at && _is_push(code + at, len - at) ? at : 0;
		if (_is_push(code + j, len - j))
			return j;
	}
	return at && _is_push(code + at, len - at) ? at : 0;
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

static void _scan_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, uint64_t vaddrs[])
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		int kind;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || (kind = _kind_of(name)) < 0 || vaddrs[kind])
			continue;
		vaddrs[kind] = sym.st_value;
	}
}

int allocators__find(const char *path, struct alloc_funcs *funcs)
{
	uint64_t vaddrs[SEEP_KIND__MAX] = { 0 };
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd, err = 0;

	memset(funcs, 0, sizeof(*funcs));
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	/* .dynsym first: it is what the dynamic linker binds to. */
	for (int pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    sh.sh_type == (pass == 0 ? SHT_DYNSYM : SHT_SYMTAB))
				_scan_symtab(elf, scn, &sh, vaddrs);
		}
	}
	for (int k = 0; k < SEEP_KIND__MAX; k++) {
		struct alloc_func *f;
		int dup = 0;

		if (!vaddrs[k])
			continue;
		for (size_t i = 0; i < funcs->n; i++)
			dup |= funcs->f[i].vaddr == vaddrs[k];
		if (dup)
			continue;
		const uint8_t *code;
		size_t len = 0;

		f = &funcs->f[funcs->n];
		f->kind = k;
		f->vaddr = vaddrs[k];
		if (_vaddr_to_offset(elf, vaddrs[k], &f->offset))
			continue;
		code = elfcode__at(elf, vaddrs[k], &len);
		f->probe_offset = f->offset + (code ? allocators__probe_skip(k, code, len) : 0);
		funcs->n++;
	}
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
