/* placement — where in an allocator function to put its entry uprobe.
 *
 * A uprobe on an instruction the x86 kernel emulates (push of a register,
 * nop, direct jmp, call and conditional jump) costs ~0.8 us a hit here; one
 * it must single-step out of line (anything else: cmp, mov, test, sub)
 * ~11 us. Many allocators start with such instructions -- Debian's jemalloc
 * malloc with `cmp $0x1000,%rdi; ja`, its free with ten movs and ands
 * before a jne -- so the probe goes, when that keeps its meaning, to the
 * first emulated instruction on the straight path from the entry:
 *
 *  - every instruction before it leaves the registers the probe reads for
 *    KIND (its arguments: %rdi for malloc and free, ...) and %rsp alone, so
 *    the probe sees the call's arguments and, at %rsp, its return address
 *    (a return probe hooks that slot);
 *  - nothing before it changes control flow except, for free and delete,
 *    the NULL check `test %rdi,%rdi; je`: free(NULL) does nothing, so the
 *    probe may sit past it, on the path of real frees;
 *  - no direct branch of the function lands between the entry (excluded)
 *    and the probe (included): every hit is one call.
 *
 * When unsure (an instruction Zydis cannot decode, a register written, a
 * branch target in the skipped range) the probe stays at the entry. x86-64
 * only; Zydis (Debian's libzydis) decodes.
 */
#ifndef SEEP_PLACEMENT_H
#define SEEP_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "seep_heap.h"

/* How many bytes past the entry of a KIND function whose code is
 * CODE[0..LEN) (the whole function, as far as known) its entry probe goes. */
size_t placement__probe_skip(enum seep_kind kind, const uint8_t *code, size_t len);

#endif
