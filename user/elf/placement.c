/* placement — see placement.h. */
#include "elf/placement.h"

#include <stdbool.h>
#include <string.h>

#include <Zydis/Zydis.h>

/* Instructions looked at from the entry before giving up. */
#define WALK_MAX 32

/* The registers whose values the entry program reads for KIND (its
 * arguments, see alloc_args in bpf/heap.bpf.c), and %rsp. */
static int _protected(enum seep_kind kind, ZydisRegister reg)
{
	static const ZydisRegister args[] = {
		ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RCX,
	};
	size_t n;

	switch (kind) {
	case SEEP_KIND_CALLOC:
	case SEEP_KIND_REALLOC:
	case SEEP_KIND_MEMALIGN:
	case SEEP_KIND_ALIGNED_ALLOC:
	case SEEP_KIND_MUNMAP:
		n = 2;
		break;
	case SEEP_KIND_REALLOCARRAY:
	case SEEP_KIND_POSIX_MEMALIGN:
	case SEEP_KIND_MREMAP:
		n = 3;
		break;
	case SEEP_KIND_MMAP:
		n = 4;
		break;
	default:  /* malloc, valloc, pvalloc, new, free, delete */
		n = 1;
		break;
	}
	if (reg == ZYDIS_REGISTER_RSP)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (reg == args[i])
			return 1;
	return 0;
}

/* The nops the kernel's x86 uprobes emulate (its table of nops, by length). */
static bool _is_kernel_nop(const uint8_t *p, size_t len)
{
	static const uint8_t nops[9][8] = {
		{ 0 },
		{ 0x90 },
		{ 0x66, 0x90 },
		{ 0x0f, 0x1f, 0x00 },
		{ 0x0f, 0x1f, 0x40, 0x00 },
		{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
		{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	};

	return len >= 1 && len <= 8 && !memcmp(p, nops[len], len);
}

/* True if the kernel emulates the uprobed instruction P of length LEN
 * (arch/x86/kernel/uprobes.c: push of a register, with at most REX.B;
 * nops; jmp, call and jcc with a relative target, without 0x66). */
static bool _is_emulated(const ZydisDecodedInstruction *in, const uint8_t *p)
{
	const uint8_t *op = p + in->raw.prefix_count;

	if (_is_kernel_nop(p, in->length))
		return true;
	if (in->length == 1 && p[0] >= 0x50 && p[0] <= 0x57)
		return true;
	if (in->length == 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57)
		return true;
	if (in->attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE)
		return false;
	if (op[0] == 0xeb || op[0] == 0xe9 || op[0] == 0xe8 || (op[0] >= 0x70 && op[0] <= 0x7f))
		return true;
	return op[0] == 0x0f && op + 1 < p + in->length && op[1] >= 0x80 && op[1] <= 0x8f;
}

static bool _changes_flow(const ZydisDecodedInstruction *in)
{
	switch (in->meta.category) {
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSTEM:
		return true;
	default:
		return false;
	}
}

static bool _writes_protected(enum seep_kind kind, const ZydisDecodedInstruction *in,
			      const ZydisDecodedOperand *ops)
{
	for (ZyanU8 i = 0; i < in->operand_count; i++) {
		ZydisRegister r;

		if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    !(ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, ops[i].reg.value);
		if (_protected(kind, r))
			return true;
	}
	return false;
}

/* `test %rdi,%rdi` then `je`: free(NULL)'s early return. */
static bool _is_null_check(const uint8_t *code, size_t at, size_t prev, size_t prev_len,
			   const ZydisDecodedInstruction *in)
{
	static const uint8_t test_rdi[] = { 0x48, 0x85, 0xff };

	return prev_len == sizeof(test_rdi) && !memcmp(code + prev, test_rdi, sizeof(test_rdi)) &&
	       in->mnemonic == ZYDIS_MNEMONIC_JZ && prev + prev_len == at;
}

/* True if no direct branch of CODE[0..LEN) lands in (0, AT]. Undecodable
 * code counts as a branch there. */
static bool _no_branch_into(const ZydisDecoder *dec, const uint8_t *code, size_t len, size_t at)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	for (size_t off = 0; off < len; off += in.length) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(dec, code + off, len - off, &in, ops)))
			return false;
		if (!(in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) || !_changes_flow(&in))
			continue;
		for (ZyanU8 i = 0; i < in.operand_count_visible; i++) {
			int64_t target;

			if (ops[i].type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !ops[i].imm.is_relative)
				continue;
			target = (int64_t)(off + in.length) + ops[i].imm.value.s;
			if (target > 0 && (uint64_t)target <= at)
				return false;
		}
	}
	return true;
}

size_t placement__probe_skip(enum seep_kind kind, const uint8_t *code, size_t len)
{
	const bool entry_only = kind == SEEP_KIND_FREE || kind == SEEP_KIND_DELETE;
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	size_t off = 0, prev = 0, prev_len = 0, found = 0;

	if (!code || !ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
						     ZYDIS_STACK_WIDTH_64)))
		return 0;
	for (int n = 0; n < WALK_MAX && off < len; n++, off += in.length) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, len - off, &in, ops)))
			break;
		if (_is_emulated(&in, code + off)) {
			if (!(entry_only && _is_null_check(code, off, prev, prev_len, &in))) {
				found = off;
				break;
			}
			found = off;  /* the je itself, if nothing better follows */
		} else if (_changes_flow(&in) || _writes_protected(kind, &in, ops)) {
			break;
		}
		prev = off;
		prev_len = in.length;
	}
	if (found && !_no_branch_into(&dec, code, len, found))
		return 0;
	return found;
}
