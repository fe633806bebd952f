#include "symbols/unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* x86-64 DWARF register numbers. */
enum { DWARF_RBP = 6, DWARF_RSP = 7 };

struct unwinder {
	Dwfl *dwfl;
	/* the sample being unwound */
	pid_t tid;
	const struct unwind_regs *regs;
	const uint8_t *stack;
	size_t len;
	struct unwind_top top;   /* len 0: none */
	uint64_t *ips;
	size_t n, max;
	bool ran_out;            /* a read fell outside the copy */
};

static pid_t _next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->tid;
}

static bool _get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

static bool _memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;
	uint64_t sp = u->regs->sp;

	(void)dwfl;
	if (u->top.len && addr >= u->top.addr && addr - u->top.addr <= u->top.len &&
	    u->top.len - (addr - u->top.addr) >= sizeof(*result)) {
		memcpy(result, (const uint8_t *)u->top.data + (addr - u->top.addr), sizeof(*result));
		return true;
	}
	if (addr < sp || addr - sp > u->len || u->len - (addr - sp) < sizeof(*result)) {
		u->ran_out = addr >= sp;  /* above the copy: the stack went on */
		return false;
	}
	memcpy(result, u->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool _set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Word bp_sp[2] = { u->regs->bp, u->regs->sp };

	dwfl_thread_state_register_pc(thread, u->regs->ip);
	return dwfl_thread_state_registers(thread, DWARF_RBP, 2, bp_sp);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = _next_thread,
	.get_thread = _get_thread,
	.memory_read = _memory_read,
	.set_initial_registers = _set_initial_registers,
};

struct unwinder *unwinder__new(Dwfl *dwfl, pid_t pid)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->dwfl = dwfl;
	if (!dwfl_attach_state(dwfl, NULL, pid, &callbacks, u)) {
		free(u);
		errno = ENOEXEC;
		return NULL;
	}
	return u;
}

void unwinder__free(struct unwinder *u)
{
	free(u);  /* the Dwfl owns the attached state */
}

static int _frame(Dwfl_Frame *state, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	if (u->n == u->max)
		return DWARF_CB_ABORT;
	u->ips[u->n++] = pc;
	return DWARF_CB_OK;
}

size_t unwinder__run(struct unwinder *u, pid_t tid, const struct unwind_regs *regs,
		     const void *stack, size_t len, const struct unwind_top *top, uint64_t *ips,
		     size_t max, bool *truncated)
{
	static const struct unwind_top none;

	u->top = top ? *top : none;
	u->tid = tid > 0 ? tid : 1;
	u->regs = regs;
	u->stack = stack;
	u->len = len;
	u->ips = ips;
	u->n = 0;
	u->max = max;
	u->ran_out = false;
	if (!max)
		return 0;
	dwfl_getthread_frames(u->dwfl, u->tid, _frame, u);
	if (u->n == 0)  /* not even the first frame: keep the caller */
		ips[u->n++] = regs->ip;
	*truncated = u->n == max || u->ran_out;
	return u->n;
}
