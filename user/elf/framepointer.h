/* framepointer — does an ELF module keep frame pointers?
 *
 * `--unwind auto` walks a process's stacks with frame pointers in the
 * kernel only when every executable module of it keeps them; otherwise it
 * copies stacks for DWARF unwinding. A module keeps frame pointers when
 * its functions begin with `push %rbp; mov %rsp,%rbp` (after an optional
 * endbr64): checked on up to 256 function symbols of at least 16 bytes,
 * and a module passes when 3 in 4 of them do. Pure libelf; x86-64.
 */
#ifndef SEEP_FRAMEPOINTER_H
#define SEEP_FRAMEPOINTER_H

/* 1 if PATH keeps frame pointers, 0 if not (or no function symbols to tell
 * by), -errno if it cannot be read. */
int framepointer__module(const char *path);

#endif
