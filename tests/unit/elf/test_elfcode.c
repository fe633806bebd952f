/* elfcode: the code at a function's address is the bytes objdump
 * disassembles there; errors for a file that is missing or not ELF. */
#include <criterion/criterion.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elfcode.h"

#define LEAKY SEEP_BUILD_DIR "/tests/targets/leaky_server"
#define NOFP SEEP_BUILD_DIR "/tests/targets/nofp_helper"
#define CMP_MAX 4096   /* bytes of a function compared */

/* The bytes objdump shows from ADDR up to ADDR + N in PATH (N: a whole
 * function, so no instruction is cut; -z: runs of zeros shown too), up to N
 * of them into OUT; returns how many. */
static size_t objdump_bytes(const char *path, uint64_t addr, size_t n, uint8_t *out)
{
	char cmd[1024], line[512];
	size_t got = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d -z --insn-width=16 --start-address=0x%" PRIx64
		 " --stop-address=0x%" PRIx64 " '%s'", addr, addr + n, path);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "cannot run objdump");
	/* instruction lines: "  140d:\t55 48 89 e5  \tpush ...": the bytes
	 * are the hex pairs between the first tab and the next */
	while (fgets(line, sizeof(line), p)) {
		char *c = strchr(line, '\t');
		unsigned int b;
		int used;

		if (!c || c == line || c[-1] != ':')
			continue;
		for (c++; got < n && *c != '\t' && *c != '\n' && *c; c += used) {
			if (*c == ' ') {
				used = 1;
				continue;
			}
			cr_assert_eq(sscanf(c, "%2x%n", &b, &used), 1, "objdump line: %s", line);
			cr_assert_eq(used, 2, "objdump line: %s", line);
			out[got++] = (uint8_t)b;
		}
	}
	cr_assert_eq(pclose(p), 0, "objdump failed: %s", cmd);
	return got;
}

struct func {
	uint64_t addr, size;
	char name[64];
};

/* Up to MAX defined function symbols of PATH's .symtab, of at least 8 bytes. */
static size_t functions(Elf *elf, struct func *out, size_t max)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;

	while ((scn = elf_nextscn(elf, scn)) && n < max) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && n < max; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_size < 8)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			out[n].addr = sym.st_value;
			out[n].size = sym.st_size;
			snprintf(out[n].name, sizeof(out[n].name), "%s", name ? name : "?");
			n++;
		}
	}
	return n;
}

static void check_functions(const char *path)
{
	struct func f[32];
	size_t n;
	int fd;
	Elf *elf;

	cr_assert_eq(elfcode__open(path, &fd, &elf), 0, "cannot open '%s'", path);
	n = functions(elf, f, 32);
	cr_assert_geq(n, 3, "'%s' has %zu function symbols", path, n);
	for (size_t i = 0; i < n; i++) {
		size_t want = f[i].size < CMP_MAX ? f[i].size : CMP_MAX, len = 0, got;
		static uint8_t ref[CMP_MAX];
		const uint8_t *code = elfcode__at(elf, f[i].addr, &len);

		cr_assert_not_null(code, "no code at %s (0x%" PRIx64 ")", f[i].name, f[i].addr);
		cr_assert_geq(len, f[i].size, "%s: %zu bytes to the section's end", f[i].name, len);
		got = objdump_bytes(path, f[i].addr, want, ref);
		cr_assert_eq(got, want, "objdump shows %zu bytes of %s", got, f[i].name);
		cr_assert_arr_eq(code, ref, want, "the code of %s differs from objdump's", f[i].name);
	}
	elfcode__close(fd, elf);
}

Test(elfcode, code_at_symbols_is_what_objdump_shows)
{
	check_functions(LEAKY);
	check_functions(NOFP);
}

/* Addresses in no executable section have no code. */
Test(elfcode, no_code_outside_text)
{
	struct func f[1];
	size_t len = 12345;
	int fd;
	Elf *elf;

	cr_assert_eq(elfcode__open(LEAKY, &fd, &elf), 0);
	cr_assert_eq(functions(elf, f, 1), 1);
	cr_assert_null(elfcode__at(elf, 0, &len), "address 0 is in the ELF header");
	cr_assert_null(elfcode__at(elf, UINT64_MAX - 16, &len));
	cr_assert_not_null(elfcode__at(elf, f[0].addr, &len));
	elfcode__close(fd, elf);
}

Test(elfcode, errors)
{
	int fd = 7;
	Elf *elf = NULL;

	cr_assert_eq(elfcode__open(SEEP_BUILD_DIR "/no/such/file", &fd, &elf), -ENOENT);
	cr_assert_eq(elfcode__open(SEEP_SRC_DIR "/README.md", &fd, &elf), -ENOEXEC, "text");
	cr_assert_eq(elfcode__open("/dev/null", &fd, &elf), -ENOEXEC, "empty");
	cr_assert_eq(elfcode__open(SEEP_SRC_DIR "/tests/unit/data/go_heap.pb.gz", &fd, &elf),
		     -ENOEXEC, "binary, not ELF");
	elfcode__close(-1, NULL);   /* nothing to close */
}
