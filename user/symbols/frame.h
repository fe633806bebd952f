/* frame — one symbolized frame of a stack: what the symbolizer writes and
 * every report, snapshot and diff of stacks reads.
 *
 * Plain data. Ownership: the strings belong to whoever holds the frame
 * (report__release() frees those of a report's stacks).
 */
#ifndef SEEP_FRAME_H
#define SEEP_FRAME_H

#include <stdint.h>

struct stack_frame {
	char *function;          /* demangled; NULL if unknown */
	char *module;            /* path of the mapped file, or "[anon]"-style label */
	uint64_t offset;         /* address relative to the module's load bias */
	char *file;              /* source file, NULL without debug info */
	int line;                /* 0 without debug info */
	uint64_t addr;           /* raw address in the process (a return address above frame 0) */
	uint64_t map_start, map_end;  /* the module's address range in the process; 0 if none */
	char *build_id;          /* GNU build ID of the module, hex; NULL if none */
};

#endif
