/* symbolize — addresses of a traced process to function, module, file:line.
 *
 * Built on elfutils' libdwfl: modules come from the process's mappings,
 * opened through /proc/PID/root or /proc/PID/map_files (containers,
 * deleted binaries); copied stacks are unwound over the same modules;
 * symbols from ELF symbol tables; file:line from DWARF where the binary or
 * its separate debug file (/usr/lib/debug/.build-id) has it. C++ names are
 * demangled; results are cached by build ID (symcache). The module list is
 * captured while the process lives and kept
 * (with the ELF files open) so a process that has exited can still be
 * symbolized for its final report. Pure user space; no BPF.
 * Ownership: strings written into a stack_frame are the caller's to free.
 */
#ifndef SEEP_SYMBOLIZE_H
#define SEEP_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbols/frame.h"
#include "symbols/unwind.h"

struct symbolizer;

struct symcache;

/* Returns NULL with errno set if PID's mappings cannot be read. CACHE (may
 * be NULL) keeps results by build ID across processes and reports; it must
 * outlive the symbolizer. */
struct symbolizer *symbolizer__new(pid_t pid, struct symcache *cache);
void symbolizer__free(struct symbolizer *s);
/* Re-reads the mappings if the process is alive and they changed
 * (dlopen): returns 1 then, 0 if nothing changed (or the process exited:
 * the last good view is kept), -ENOMEM. */
int symbolizer__refresh(struct symbolizer *s);
/* Fills OUT for ADDR. RETURN_ADDR: ADDR is a return address, and the call
 * instruction before it is what is looked up. Returns 0 or -ENOMEM. */
int symbolizer__frame(struct symbolizer *s, uint64_t addr, bool return_addr,
		      struct stack_frame *out);

/* Unwinds a copied stack (see unwind.h) over the process's modules. */
size_t symbolizer__unwind(struct symbolizer *s, pid_t tid, const struct unwind_regs *regs,
			  const void *stack, size_t len, uint64_t *ips, size_t max, bool *truncated);

#endif
