/* unwind — user stacks from a register set and a copy of the stack.
 *
 * The BPF side copies, at an allocator's return, the registers that anchor
 * an unwind (ip = the return address in the caller, sp, bp) and the stack
 * above sp. This module walks it with elfutils' libdwfl over the process's
 * modules: DWARF CFI (.eh_frame / .debug_frame) where a module has it,
 * frame pointers where it does not (elfutils' x86-64 fallback), frame by
 * frame. Memory outside the copy is never read: when the walk needs it, the
 * stack is marked truncated. Pure user space; no BPF.
 */
#ifndef SEEP_UNWIND_H
#define SEEP_UNWIND_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct unwind_regs {
	uint64_t ip, sp, bp;
};

/* The top of a stack too deep for one copy: LEN bytes copied from ADDR
 * (above the copy from sp; what lies between was not copied). A frame
 * with a large local array then still unwinds to main: the walk reads
 * the array's far side from here. */
struct unwind_top {
	const void *data;
	size_t len;
	uint64_t addr;
};

struct unwinder;

/* Attaches an unwinder to DWFL (which must have PID's modules reported);
 * one per Dwfl. Returns NULL with errno set. */
struct unwinder *unwinder__new(Dwfl *dwfl, pid_t pid);
void unwinder__free(struct unwinder *u);

/* Unwinds from REGS over STACK (LEN bytes copied from REGS->sp) and TOP
 * (NULL if the copy reached the stack's top) into IPS:
 * IPS[0] is REGS->ip, then the return addresses above it. Returns the
 * number of frames; *TRUNCATED is set when the walk stopped at MAX frames
 * or at the end of the copy (or in the gap below TOP) rather than at the
 * stack's outermost frame. */
size_t unwinder__run(struct unwinder *u, pid_t tid, const struct unwind_regs *regs,
		     const void *stack, size_t len, const struct unwind_top *top, uint64_t *ips,
		     size_t max, bool *truncated);

#endif
