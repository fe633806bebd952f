/* elfcode — the bytes of code at a virtual address of an ELF file.
 *
 * For the modules that decode function prologues (allocators: probe
 * placement; framepointer: does a module keep frame pointers). Pure libelf.
 * The returned bytes belong to the Elf handle: valid until elf_end().
 */
#ifndef SEEP_ELFCODE_H
#define SEEP_ELFCODE_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

/* Code at VADDR in an executable section of ELF, with *LEN the bytes to the
 * section's end; NULL if VADDR is in none (or the section has no data). */
const uint8_t *elfcode__at(Elf *elf, uint64_t vaddr, size_t *len);

#endif
