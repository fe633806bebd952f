#include "elf/framepointer.h"

#include "elf/elfcode.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#define SAMPLE_MAX 256

static int _prologue_keeps_fp(const uint8_t *p, size_t len)
{
	static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const unsigned char fp[] = { 0x55, 0x48, 0x89, 0xe5 };

	if (len >= sizeof(endbr64) && !memcmp(p, endbr64, sizeof(endbr64))) {
		p += sizeof(endbr64);
		len -= sizeof(endbr64);
	}
	return len >= sizeof(fp) && !memcmp(p, fp, sizeof(fp));
}

int framepointer__module(const char *path)
{
	int fd, sampled = 0, with_fp = 0, err;
	Elf_Scn *scn = NULL;
	Elf *elf;

	err = elfcode__open(path, &fd, &elf);
	if (err)
		return err;
	while ((scn = elf_nextscn(elf, scn)) && sampled < SAMPLE_MAX) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && sampled < SAMPLE_MAX; i++) {
			const uint8_t *code;
			size_t len;
			GElf_Sym sym;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_size < 16)
				continue;
			code = elfcode__at(elf, sym.st_value, &len);
			if (!code)
				continue;
			sampled++;
			with_fp += _prologue_keeps_fp(code, len);
		}
	}
	elfcode__close(fd, elf);
	return sampled && with_fp * 4 >= sampled * 3;
}
