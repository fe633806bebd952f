/* elfcode — opening ELF files and reading the code at an address.
 *
 * For the modules that look into executables and libraries (allocators:
 * symbols and probe placement; framepointer: prologues). Pure libelf.
 * Bytes returned belong to the Elf handle: valid until elfcode__close().
 */
#ifndef SEEP_ELFCODE_H
#define SEEP_ELFCODE_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

/* Opens PATH as an ELF file: 0, -errno, or -ENOEXEC if it is not ELF. */
int elfcode__open(const char *path, int *fd, Elf **elf);
void elfcode__close(int fd, Elf *elf);

/* Code at VADDR in an executable section of ELF, with *LEN the bytes to the
 * section's end; NULL if VADDR is in none (or the section has no data). */
const uint8_t *elfcode__at(Elf *elf, uint64_t vaddr, size_t *len);

#endif
