/* unwind: a copy of this process's own stack, taken at a known call depth
 * (outer -> middle -> inner), unwinds through those functions in order;
 * a short copy or a small MAX stops the walk and says it was truncated. */
#include <criterion/criterion.h>
#include <elfutils/libdwfl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "symbols/stackwalk.h"
#include "symbols/unwind.h"
#include "sys/procmaps.h"

#define COPY_MAX (512 * 1024)   /* more than the stack of a test in use */

/* What the BPF side hands over: registers and the stack above sp. Global,
 * so that taking it writes nothing into the stack being copied. */
static struct {
	struct unwind_regs regs;
	uint8_t stack[COPY_MAX];
	size_t len;
} cap;

/* Copies LEN bytes of the live stack at SRC, as the BPF side does: a raw
 * read across frames, which AddressSanitizer (SANITIZE=1) would take for an
 * overflow of one of them; so not instrumented, and byte by byte (an
 * intercepted memcpy is checked all the same). */
__attribute__((no_sanitize_address)) static void raw_copy(void *dst, uintptr_t src, size_t len)
{
	unsigned char *d = dst;
	const volatile unsigned char *s = (const volatile unsigned char *)src;

	for (size_t i = 0; i < len; i++)
		d[i] = s[i];
}

/* Copies up to COPY_MAX bytes of the stack from SP, not past the end of the
 * mapping that holds it. */
static size_t copy_stack(uint64_t sp)
{
	struct procmaps maps;
	const struct procmap *m;
	size_t len;

	cr_assert_eq(procmaps__read(getpid(), &maps), 0);
	m = procmaps__find(&maps, sp);
	cr_assert_not_null(m, "sp 0x%llx in no mapping", (unsigned long long)sp);
	len = m->end - sp < COPY_MAX ? m->end - sp : COPY_MAX;
	procmaps__release(&maps);
	raw_copy(cap.stack, (uintptr_t)sp, len);
	return len;
}

/* The call chain: not inlined, not cloned, no tail calls (each does work
 * after its call), external names for the symbol table. */
int seep_unwind_inner(int x);
int seep_unwind_middle(int x);
int seep_unwind_outer(int x);

__attribute__((noinline, noclone)) int seep_unwind_inner(int x)
{
	uint64_t ip, sp, bp;

	/* the pc of the next instruction, and sp/bp as they are there */
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	cap.regs = (struct unwind_regs){ .ip = ip, .sp = sp, .bp = bp };
	cap.len = copy_stack(sp);
	return x + (int)(cap.len & 1);
}

__attribute__((noinline, noclone)) int seep_unwind_middle(int x)
{
	return seep_unwind_inner(x + 1) * 3;
}

__attribute__((noinline, noclone)) int seep_unwind_outer(int x)
{
	return seep_unwind_middle(x + 1) * 5;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* This process's modules, the way elfutils reports a live process. */
static Dwfl *self_dwfl(void)
{
	Dwfl *dwfl = dwfl_begin(&callbacks);

	cr_assert_not_null(dwfl);
	dwfl_report_begin(dwfl);
	cr_assert_eq(dwfl_linux_proc_report(dwfl, getpid()), 0);
	cr_assert_eq(dwfl_report_end(dwfl, NULL, NULL), 0);
	return dwfl;
}

/* The function at frame I's address (return addresses: the call before). */
static const char *name(Dwfl *dwfl, const uint64_t *ips, size_t i)
{
	Dwarf_Addr pc = i ? ips[i] - 1 : ips[i];
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
	const char *n = mod ? dwfl_module_addrname(mod, pc) : NULL;

	return n ? n : "?";
}

static ssize_t find(Dwfl *dwfl, const uint64_t *ips, size_t n, const char *fn)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name(dwfl, ips, i), fn))
			return (ssize_t)i;
	return -1;
}

Test(unwind, walks_a_copied_stack_through_known_frames)
{
	Dwfl *dwfl;
	struct unwinder *u;
	uint64_t ips[64];
	bool truncated = false;
	size_t n;

	cr_assert_eq(seep_unwind_outer(1), (3 + (int)(cap.len & 1)) * 15);
	dwfl = self_dwfl();
	u = unwinder__new(dwfl, getpid());
	cr_assert_not_null(u, "cannot attach: %s", dwfl_errmsg(-1));
	n = unwinder__run(u, gettid(), &cap.regs, cap.stack, cap.len, NULL, ips, 64, &truncated);
	cr_assert_geq(n, 4, "only %zu frames", n);
	cr_assert_eq(ips[0], cap.regs.ip, "frame 0 is the registers' ip");
	cr_assert_str_eq(name(dwfl, ips, 0), "seep_unwind_inner");
	cr_assert_str_eq(name(dwfl, ips, 1), "seep_unwind_middle");
	cr_assert_str_eq(name(dwfl, ips, 2), "seep_unwind_outer");
	/* the whole stack was copied: the walk ends at the outermost frame */
	cr_assert_eq(find(dwfl, ips, n, "_start"), (ssize_t)n - 1, "the walk goes on to _start");
	cr_assert_not(truncated, "%zu frames, to the end of the stack", n);
	unwinder__free(u);
	dwfl_end(dwfl);
}

/* A copy that ends inside inner's frame: the walk needs memory above it,
 * stops, and says the stack went on. */
Test(unwind, short_copy_is_truncated)
{
	Dwfl *dwfl;
	struct unwinder *u;
	uint64_t ips[64];
	bool truncated = false;
	size_t n;

	seep_unwind_outer(1);
	dwfl = self_dwfl();
	u = unwinder__new(dwfl, getpid());
	cr_assert_not_null(u);
	n = unwinder__run(u, gettid(), &cap.regs, cap.stack, 8, NULL, ips, 64, &truncated);
	cr_assert_geq(n, 1);
	cr_assert_leq(n, 2, "%zu frames from 8 bytes of stack", n);
	cr_assert_eq(ips[0], cap.regs.ip);
	cr_assert(truncated);
	cr_assert_eq(find(dwfl, ips, n, "seep_unwind_outer"), -1);
	unwinder__free(u);
	dwfl_end(dwfl);
}

/* MAX frames: the walk stops there, truncated; MAX 0: nothing. */
Test(unwind, max_frames)
{
	Dwfl *dwfl;
	struct unwinder *u;
	uint64_t ips[2];
	bool truncated = false;

	seep_unwind_outer(1);
	dwfl = self_dwfl();
	u = unwinder__new(dwfl, getpid());
	cr_assert_not_null(u);
	cr_assert_eq(unwinder__run(u, gettid(), &cap.regs, cap.stack, cap.len, NULL, ips, 2, &truncated),
		     2);
	cr_assert(truncated);
	cr_assert_str_eq(name(dwfl, ips, 1), "seep_unwind_middle");
	cr_assert_eq(unwinder__run(u, gettid(), &cap.regs, cap.stack, cap.len, NULL, ips, 0, &truncated),
		     0);
	unwinder__free(u);
	unwinder__free(NULL);
	dwfl_end(dwfl);
}

/* The BPF walk's rules, learned from the unwound copy, replay to exactly
 * libdwfl's frames; a copy cut short (the walk would read past it) or
 * frames that are not the copy's give no rules. */
Test(unwind, walk_rules_replay_the_unwind)
{
	struct stackwalk_rule rules[64];
	Dwfl *dwfl;
	struct unwinder *u;
	uint64_t ips[64], other[64];
	bool truncated = false;
	size_t n;

	cr_assert_eq(seep_unwind_outer(1), (3 + (int)(cap.len & 1)) * 15);
	dwfl = self_dwfl();
	u = unwinder__new(dwfl, getpid());
	cr_assert_not_null(u);
	n = unwinder__run(u, gettid(), &cap.regs, cap.stack, cap.len, NULL, ips, 64, &truncated);
	cr_assert_not(truncated);
	cr_assert_eq(stackwalk__learn(dwfl, &cap.regs, cap.stack, cap.len, NULL, ips, n, rules), n);
	cr_assert_eq(rules[0].pc, ips[0], "the innermost frame's own pc");
	cr_assert_eq(rules[1].pc, ips[1] - 1, "a return address minus one");
	cr_assert(rules[n - 1].rule.outermost, "the walk ends at the outermost frame");
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_not(rules[i].rule.outermost);
	/* frames of another stack do not replay over this copy */
	memcpy(other, ips, n * sizeof(*ips));
	other[2] += 1;
	cr_assert_eq(stackwalk__learn(dwfl, &cap.regs, cap.stack, cap.len, NULL, other, n, rules), 0);
	/* nor does a walk that stops before libdwfl did */
	cr_assert_eq(stackwalk__learn(dwfl, &cap.regs, cap.stack, cap.len, NULL, ips, n - 1, rules), 0);
	/* a copy too short for the walk */
	cr_assert_eq(stackwalk__learn(dwfl, &cap.regs, cap.stack, 16, NULL, ips, n, rules), 0);
	/* the hash BPF computes: order and entry matter */
	cr_assert_neq(stackwalk__hash(1, ips, n), stackwalk__hash(2, ips, n));
	cr_assert_neq(stackwalk__hash(1, ips, n), stackwalk__hash(1, ips + 1, n - 1));
	cr_assert_eq(stackwalk__hash(1, ips, n), stackwalk__hash(1, ips, n));
	unwinder__free(u);
	dwfl_end(dwfl);
}
