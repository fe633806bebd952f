/* A static program with no C library and no allocator: seep must say
 * "no allocator found". Built with -static -nostdlib (see the Makefile). */
void _start(void)
{
	for (;;)
		__asm__ volatile("mov $34, %%eax\n\tsyscall" ::: "rax", "rcx", "r11", "memory"); /* pause */
}
