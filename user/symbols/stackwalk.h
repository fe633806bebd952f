/* stackwalk — the rules BPF walks known stacks with (seep_heap.h: struct
 * seep_pc_rule), learned from stacks unwound in user space.
 *
 * For the frames libdwfl unwound from a stack copy, looks up each frame's
 * CFI at the pc libdwfl used (a return address minus one; the innermost
 * frame's own pc) and keeps it when it has one of the forms BPF applies:
 * CFA = rsp or rbp + offset, return address at CFA - 8, rbp kept or saved
 * at CFA + offset; or no return address (the outermost frame). Then it
 * replays the walk over the same copy with those rules, and gives them
 * out only if the replay yields exactly libdwfl's frames and ends where
 * libdwfl ended: the fast path can never disagree with the unwinder on a
 * stack it was learned from. Pure user space; no BPF.
 */
#ifndef SEEP_STACKWALK_H
#define SEEP_STACKWALK_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

#include "seep_heap.h"
#include "symbols/unwind.h"

struct stackwalk_rule {
	uint64_t pc;             /* the address looked up */
	struct seep_pc_rule rule;
};

/* Learns the rules of the N frames PCS that libdwfl unwound over DWFL from
 * REGS, STACK (LEN bytes at REGS->sp) and TOP (NULL if none), PCS[0] being
 * REGS->ip, into RULES (room for N). Returns N if the walk with them gives
 * exactly PCS, 0 otherwise (a frame without such a rule, a signal frame, a
 * walk that reads outside the copy or ends elsewhere). */
size_t stackwalk__learn(Dwfl *dwfl, const struct unwind_regs *regs, const void *stack,
			size_t len, const struct unwind_top *top, const uint64_t *pcs, size_t n,
			struct stackwalk_rule *rules);

/* The hash BPF computes over a walked stack: the allocator's entry, then
 * the N frames' pcs (seep_stack_hash). */
uint64_t stackwalk__hash(uint64_t entry_ip, const uint64_t *pcs, size_t n);

#endif
