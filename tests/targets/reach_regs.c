/* Reachability target: at exit, one block's only pointer is in a register
 * (r12, set just before the exit_group call), another's is nowhere (its
 * address kept only XOR-masked in a global: lost, the line marked LEAK).
 * main ends with a raw exit_group, so no libc exit path runs after it. */
#include <stdint.h>
#include <stdlib.h>

#include "target.h"

#define MASK 0x5a5a5a5a5a5a5a5aULL

static volatile uintptr_t in_reg, hidden;

static void __attribute__((noinline)) alloc_both(void)
{
	in_reg = (uintptr_t)malloc(72) ^ MASK;
	hidden = (uintptr_t)malloc(24) ^ MASK; /* LEAK */
}

int main(void)
{
	target_wait_attached();
	alloc_both();
	__asm__ volatile("mov %0, %%r12\n\t"
			 "xor %1, %%r12\n\t"
			 "movq $0, %%rax\n\t"
			 "mov %%rax, %2\n\t"          /* the global's copy is gone */
			 "mov $231, %%eax\n\t"        /* exit_group(0) */
			 "xor %%edi, %%edi\n\t"
			 "syscall"
			 : : "r"(in_reg), "r"((uintptr_t)MASK), "m"(in_reg) : "r12", "rax", "rdi", "memory");
	return 1;
}
