#include "symbols/stackwalk.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* x86-64 DWARF register numbers. */
enum { DWARF_RBP = 6, DWARF_RSP = 7 };

/* A register rule as an offset from the CFA: 0 with *AT set, or -1 if the
 * rule is of another form. *SAME: kept (same_value); *UNDEF: undefined. */
static int _cfa_offset(Dwarf_Frame *frame, int reg, int64_t *at, bool *same, bool *undef)
{
	Dwarf_Op mem[3], *ops = NULL;
	size_t nops = 0;

	*same = *undef = false;
	*at = 0;
	if (dwarf_frame_register(frame, reg, mem, &ops, &nops))
		return -1;
	if (nops == 0) {
		*same = ops == NULL;
		*undef = ops != NULL;
		return 0;
	}
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return -1;
	if (nops == 1)
		return 0;
	if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*at = (int64_t)ops[1].number;
		return 0;
	}
	return -1;
}

/* The CFI frame at LOOKUP, as libdwfl picks it (.eh_frame, then
 * .debug_frame). The caller frees it. */
static Dwarf_Frame *_cfi_frame(Dwfl *dwfl, uint64_t lookup)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, lookup);
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr bias = 0;
	Dwarf_CFI *cfi;

	if (!mod)
		return NULL;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, lookup - bias, &frame))
		return frame;
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, lookup - bias, &frame))
		return frame;
	return NULL;
}

/* The rule at LOOKUP: 0, or -1 if it is not one BPF applies. */
static int _rule(Dwfl *dwfl, uint64_t lookup, struct seep_pc_rule *r)
{
	Dwarf_Frame *frame = _cfi_frame(dwfl, lookup);
	Dwarf_Op *ops = NULL;
	size_t nops = 0;
	bool signal = false, same, undef;
	int64_t at;
	int ra, err = -1;

	memset(r, 0, sizeof(*r));
	if (!frame)
		return -1;
	ra = dwarf_frame_info(frame, NULL, NULL, &signal);
	if (ra < 0 || signal)
		goto cleanup;
	if (_cfa_offset(frame, ra, &at, &same, &undef))
		goto cleanup;
	if (undef) {
		r->outermost = 1;
		err = 0;
		goto cleanup;
	}
	if (same || at != -8)
		goto cleanup;
	if (dwarf_frame_cfa(frame, &ops, &nops) || nops != 1)
		goto cleanup;
	if (ops[0].atom == DW_OP_bregx && (ops[0].number == DWARF_RSP || ops[0].number == DWARF_RBP)) {
		r->cfa_reg = (uint8_t)ops[0].number;
		at = (int64_t)ops[0].number2;
	} else if (ops[0].atom == DW_OP_breg0 + DWARF_RSP || ops[0].atom == DW_OP_breg0 + DWARF_RBP) {
		r->cfa_reg = (uint8_t)(ops[0].atom - DW_OP_breg0);
		at = (int64_t)ops[0].number;
	} else {
		goto cleanup;
	}
	if (at < INT32_MIN || at > INT32_MAX)
		goto cleanup;
	r->cfa_off = (int32_t)at;
	if (_cfa_offset(frame, DWARF_RBP, &at, &same, &undef) || undef ||
	    at < INT32_MIN || at > INT32_MAX)
		goto cleanup;
	r->rbp_saved = !same;
	r->rbp_off = (int32_t)at;
	err = 0;
cleanup:
	free(frame);
	return err;
}

struct copy {
	uint64_t sp;
	const uint8_t *stack;
	size_t len;
	const struct unwind_top *top;
};

static int _word(const struct copy *c, uint64_t addr, uint64_t *out)
{
	const struct unwind_top *t = c->top;

	if (t && addr >= t->addr && addr - t->addr <= t->len && t->len - (addr - t->addr) >= 8) {
		memcpy(out, (const uint8_t *)t->data + (addr - t->addr), 8);
		return 0;
	}
	if (addr < c->sp || addr - c->sp > c->len || c->len - (addr - c->sp) < 8)
		return -1;
	memcpy(out, c->stack + (addr - c->sp), 8);
	return 0;
}

/* The walk BPF makes (bpf/heap.bpf.c, walk_step), over the copy: true if
 * it passes exactly through PCS[0..N) and ends after the last. */
static bool _replay(const struct copy *c, const struct unwind_regs *regs, const uint64_t *pcs,
		    size_t n, const struct stackwalk_rule *rules)
{
	uint64_t pc = regs->ip, sp = regs->sp, bp = regs->bp;

	for (size_t i = 0; i < n; i++) {
		const struct seep_pc_rule *r = &rules[i].rule;
		uint64_t cfa, ra;

		if (pc != pcs[i])
			return false;
		if (r->outermost)
			return i + 1 == n;
		cfa = (r->cfa_reg == DWARF_RBP ? bp : sp) + (int64_t)r->cfa_off;
		if (_word(c, cfa - 8, &ra) ||
		    (r->rbp_saved && _word(c, cfa + (int64_t)r->rbp_off, &bp)))
			return false;
		sp = cfa;
		pc = ra;
		if (!ra)
			return i + 1 == n;
	}
	return false;   /* the walk would go on where libdwfl stopped */
}

size_t stackwalk__learn(Dwfl *dwfl, const struct unwind_regs *regs, const void *stack,
			size_t len, const struct unwind_top *top, const uint64_t *pcs, size_t n,
			struct stackwalk_rule *rules)
{
	struct copy c = { regs->sp, stack, len, top };

	if (!dwfl || !n || pcs[0] != regs->ip)
		return 0;
	for (size_t i = 0; i < n; i++) {
		rules[i].pc = i ? pcs[i] - 1 : pcs[i];
		if (_rule(dwfl, rules[i].pc, &rules[i].rule))
			return 0;
	}
	return _replay(&c, regs, pcs, n, rules) ? n : 0;
}

uint64_t stackwalk__hash(uint64_t entry_ip, const uint64_t *pcs, size_t n)
{
	uint64_t h = seep_stack_hash(SEEP_STACK_HASH_SEED, entry_ip);

	for (size_t i = 0; i < n; i++)
		h = seep_stack_hash(h, pcs[i]);
	return h;
}
