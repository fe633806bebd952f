/* symbolize — addresses of a traced process to function, module, file:line.
 *
 * Built on elfutils' libdwfl: modules come from the process's mappings;
 * symbols from ELF symbol tables; file:line from DWARF where the binary or
 * its separate debug file (/usr/lib/debug/.build-id) has it. C++ names are
 * demangled. The module list is captured while the process lives and kept
 * (with the ELF files open) so a process that has exited can still be
 * symbolized for its final report. Pure user space; no BPF.
 * Ownership: strings written into a report_frame are the caller's to free.
 */
#ifndef SEEP_SYMBOLIZE_H
#define SEEP_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "report.h"

struct symbolizer;

/* Returns NULL with errno set if PID's mappings cannot be read. */
struct symbolizer *symbolizer__new(pid_t pid);
void symbolizer__free(struct symbolizer *s);
/* Re-reads the mappings if the process is alive and they changed
 * (dlopen): returns 1 then, 0 if nothing changed (or the process exited:
 * the last good view is kept), -ENOMEM. */
int symbolizer__refresh(struct symbolizer *s);
/* Fills OUT for ADDR. RETURN_ADDR: ADDR is a return address, and the call
 * instruction before it is what is looked up. Returns 0 or -ENOMEM. */
int symbolizer__frame(struct symbolizer *s, uint64_t addr, bool return_addr,
		      struct report_frame *out);

/* Demangles a C++ name; returns a new string (a copy if not mangled). */
char *symbolize__demangle(const char *name);

#endif
