/* exe — an ELF file's build ID; see exe.h. */
#include "sys/exe.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct elfread {
	int fd;
	int is64, swap;
};

static uint32_t _u32(const struct elfread *e, uint32_t v)
{
	return e->swap ? __builtin_bswap32(v) : v;
}

static uint64_t _u64(const struct elfread *e, uint64_t v)
{
	return e->swap ? __builtin_bswap64(v) : v;
}

static uint16_t _u16(const struct elfread *e, uint16_t v)
{
	return e->swap ? __builtin_bswap16(v) : v;
}

static int _pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

/* Searches the note area [off, off + size) for NT_GNU_BUILD_ID. */
static int _notes(const struct elfread *e, uint64_t off, uint64_t size, char *buf, size_t len)
{
	unsigned char notes[4096];
	size_t pos = 0;
	int err;

	if (size > sizeof(notes))
		size = sizeof(notes);
	err = _pread(e->fd, notes, (size_t)size, off);
	if (err)
		return err;
	while (pos + 12 <= size) {
		uint32_t nsz, dsz, type;
		size_t name_at, desc_at;

		memcpy(&nsz, notes + pos, 4);
		memcpy(&dsz, notes + pos + 4, 4);
		memcpy(&type, notes + pos + 8, 4);
		nsz = _u32(e, nsz), dsz = _u32(e, dsz), type = _u32(e, type);
		name_at = pos + 12;
		desc_at = name_at + ((nsz + 3u) & ~3u);
		if (desc_at + dsz > size)
			break;
		if (type == NT_GNU_BUILD_ID && nsz == 4 && !memcmp(notes + name_at, "GNU", 4)) {
			if (dsz * 2 + 1 > len || dsz > 64)
				return -ENAMETOOLONG;
			for (uint32_t i = 0; i < dsz; i++)
				snprintf(buf + 2 * i, 3, "%02x", notes[desc_at + i]);
			return dsz ? 0 : -ENOENT;
		}
		pos = desc_at + ((dsz + 3u) & ~3u);
	}
	return -ENOENT;
}

int exe__build_id(const char *path, char *buf, size_t len)
{
	unsigned char ident[EI_NIDENT];
	struct elfread e = { .fd = open(path, O_RDONLY | O_CLOEXEC) };
	uint64_t phoff;
	unsigned phnum, phentsize;
	int err;

	if (e.fd < 0)
		return -errno;
	err = _pread(e.fd, ident, sizeof(ident), 0);
	if (err)
		goto cleanup;
	if (memcmp(ident, ELFMAG, SELFMAG) || (ident[EI_CLASS] != ELFCLASS64 &&
	    ident[EI_CLASS] != ELFCLASS32)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	e.is64 = ident[EI_CLASS] == ELFCLASS64;
	e.swap = (ident[EI_DATA] == ELFDATA2LSB) != (__BYTE_ORDER == __LITTLE_ENDIAN);
	if (e.is64) {
		Elf64_Ehdr h;

		err = _pread(e.fd, &h, sizeof(h), 0);
		phoff = _u64(&e, h.e_phoff), phnum = _u16(&e, h.e_phnum);
		phentsize = _u16(&e, h.e_phentsize);
	} else {
		Elf32_Ehdr h;

		err = _pread(e.fd, &h, sizeof(h), 0);
		phoff = _u32(&e, h.e_phoff), phnum = _u16(&e, h.e_phnum);
		phentsize = _u16(&e, h.e_phentsize);
	}
	if (err)
		goto cleanup;
	err = -ENOENT;
	for (unsigned i = 0; i < phnum && i < 256; i++) {
		uint64_t at = phoff + (uint64_t)i * phentsize, off, size;
		uint32_t type;

		if (e.is64) {
			Elf64_Phdr ph;

			if (_pread(e.fd, &ph, sizeof(ph), at))
				break;
			type = _u32(&e, ph.p_type), off = _u64(&e, ph.p_offset);
			size = _u64(&e, ph.p_filesz);
		} else {
			Elf32_Phdr ph;

			if (_pread(e.fd, &ph, sizeof(ph), at))
				break;
			type = _u32(&e, ph.p_type), off = _u32(&e, ph.p_offset);
			size = _u32(&e, ph.p_filesz);
		}
		if (type != PT_NOTE)
			continue;
		err = _notes(&e, off, size, buf, len);
		if (err != -ENOENT)
			break;
	}
cleanup:
	close(e.fd);
	return err;
}
