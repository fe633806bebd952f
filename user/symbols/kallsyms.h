/* kallsyms — kernel addresses to function and module, from /proc/kallsyms.
 *
 * Loads a kallsyms file once, sorted by address; a lookup is a binary
 * search for the last symbol at or below the address, which must be a
 * text symbol (types t, T, w, W; the data symbols are kept only to end
 * the text ones before them). The module is the file's "[name]" column
 * ("bpf" for BPF programs), "[kernel]" for the kernel image; a module's
 * range runs from its lowest symbol to its highest, and a frame's offset
 * is relative to the start of that range, so that offsets survive KASLR.
 * Of several symbols at one address a text one wins, then the first in
 * the file. Addresses below the first symbol, in data, or more than 64 KiB
 * past the very last symbol are unknown. Pure C; no BPF.
 * Invariants: the table is sorted by address, one symbol per address;
 * every symbol's module is "[kernel]" or a module name without brackets.
 * Ownership: the table owns its strings (valid until kallsyms__free);
 * kallsyms__frame() writes new strings the caller frees.
 */
#ifndef SEEP_KALLSYMS_H
#define SEEP_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/frame.h"

#define KALLSYMS_KERNEL "[kernel]"

struct kallsyms;

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module;      /* KALLSYMS_KERNEL or the module's name */
};

/* Loads PATH (NULL: /proc/kallsyms). Returns 0, -ENOENT/-EACCES (cannot
 * read it), -EPERM (every address is 0: kptr_restrict hides them from
 * this user), -ENODATA (no text symbol), -ENOMEM. */
int kallsyms__load(const char *path, struct kallsyms **out);
void kallsyms__free(struct kallsyms *k);

/* Text symbols loaded. */
size_t kallsyms__count(const struct kallsyms *k);
/* The symbol ADDR is in, or NULL if it is unknown. */
const struct ksym *kallsyms__find(const struct kallsyms *k, uint64_t addr);
/* The address of the symbol NAME (first found in the kernel image, then in
 * modules), 0 if there is none. Linear: for tests and start-up only. */
uint64_t kallsyms__addr(const struct kallsyms *k, const char *name);

/* Fills OUT for kernel address ADDR: function and module (an unknown
 * address gets function NULL and module KALLSYMS_KERNEL), offset from the
 * module's start, its range, the raw address; no file, line or build ID.
 * RETURN_ADDR: ADDR is a return address and the call before it is looked
 * up (ADDR - 1), as for a frame above the innermost. Returns 0 or -ENOMEM
 * (OUT is then zeroed). */
int kallsyms__frame(const struct kallsyms *k, uint64_t addr, bool return_addr,
		    struct stack_frame *out);

#endif
