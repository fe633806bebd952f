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
#include "symbols/stackwalk.h"
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
/* Inline frames. An address where calls were inlined stands for several
 * frames, innermost first: the innermost inlined function with the line of
 * the address, then each function it was inlined into with the line of the
 * inlined call, the physical function last (addr2line -i). A stack's
 * addresses expanded to one entry per level carry the level in bits
 * 56-62 (user addresses are below 2^56; level 0, the innermost, is the
 * plain address). */
#define SYMBOLIZER_LEVEL_SHIFT 56
/* Most levels kept per address (deeper chains keep their innermost
 * levels and their physical function). */
#define SYMBOLIZER_MAX_INLINE 32
/* Longest stack symbolizer__expand_inline() expands (addresses). */
#define SYMBOLIZER_MAX_EXPAND 1024

/* Fills OUT for ADDR, which may carry an inline level (level 0 if not: the
 * innermost function at the address; a level past the chain gives the
 * physical function). RETURN_ADDR: ADDR is a return address, and the call
 * instruction before it is what is looked up. An address outside every
 * compile unit's ranges gets no file:line. Returns 0 or -ENOMEM. */
int symbolizer__frame(struct symbolizer *s, uint64_t addr, bool return_addr,
		      struct stack_frame *out);
/* The number of frames (>= 1) the return address ADDR stands for. */
size_t symbolizer__inline_depth(struct symbolizer *s, uint64_t addr, bool return_addr);
/* Expands IPS[FIRST..N) (return addresses) in place to one entry per inline
 * level, in room for MAX; IPS[0..FIRST) are kept as they are. Returns the
 * new count; sets *CUT if outer addresses were dropped to fit MAX. Stacks
 * longer than SYMBOLIZER_MAX_EXPAND are returned unexpanded. */
size_t symbolizer__expand_inline(struct symbolizer *s, uint64_t *ips, size_t n, size_t max,
				 size_t first, bool *cut);

/* Unwinds a copied stack (see unwind.h) over the process's modules. */
size_t symbolizer__unwind(struct symbolizer *s, pid_t tid, const struct unwind_regs *regs,
			  const void *stack, size_t len, const struct unwind_top *top, uint64_t *ips,
			  size_t max, bool *truncated);
/* The BPF walk rules of a stack this symbolizer unwound (stackwalk.h):
 * the number of rules written into RULES (room for N), 0 if none. */
size_t symbolizer__learn_walk(struct symbolizer *s, const struct unwind_regs *regs,
			      const void *stack, size_t len, const struct unwind_top *top,
			      const uint64_t *pcs, size_t n, struct stackwalk_rule *rules);

/* The ELF symbol holding PC (no DWARF read: cheap), or NULL. Valid until
 * the next refresh. */
const char *symbolizer__symbol(struct symbolizer *s, uint64_t pc);

#endif
