/* stackmode — how the stacks of a traced process are taken.
 *
 * Frame pointers (walked by the kernel at each sampled allocation: cheap,
 * but only as deep as every module keeps them) or DWARF (a copy of the
 * stack unwound in user space from CFI: works on distribution builds, costs
 * a copy per sample). UNWIND_AUTO picks frame pointers only if every
 * executable file the process maps keeps them (framepointer.h), judged
 * from its mappings when it is added. Logs, at info level, which module
 * made it choose DWARF.
 */
#ifndef SEEP_STACKMODE_H
#define SEEP_STACKMODE_H

#include <sys/types.h>

#include "seep_heap.h"

enum session_unwind {
	UNWIND_AUTO = 0,         /* frame pointers if every module keeps them, else DWARF */
	UNWIND_FP,               /* frame-pointer walk in the kernel */
	UNWIND_DWARF,            /* stack copies unwound from DWARF CFI in user space */
};

/* The mode for PID as WANT says (DWARF when its mappings cannot be read). */
enum seep_unwind stackmode__choose(enum session_unwind want, pid_t pid);

#endif
