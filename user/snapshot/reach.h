/* reach — which tracked heap blocks nothing points to any more: a
 * conservative mark over a process's memory image.
 *
 * What LeakSanitizer and valgrind call "definitely lost", computed from
 * what a tracer can read of a stopped process: the tracked blocks (every
 * allocation since attach that is still live: address and size), the
 * roots (registers, the live part of each thread's stack, the writable
 * segments: data, bss, and the untracked parts of the heap), and the
 * blocks' contents (read on demand through a callback, as
 * process_vm_readv does).
 *
 * Conservative: every aligned 8-byte word of a root or of a reached
 * block that falls inside a tracked block (its first byte up to its last:
 * interior pointers count, as LSan's default does) reaches that block,
 * unless it equals the block's not_ptr.
 * A root region's bytes that lie inside a tracked block are not roots
 * (the heap segment holds the blocks themselves): only what is reached is
 * scanned. Unreached blocks are lost; a cycle of lost blocks is lost.
 *
 * Time: O((R + S) log B) for R root bytes and S scanned block bytes over B
 * blocks (sorted once); memory: the blocks' marks and a worklist.
 * Invariants: blocks do not overlap (-EINVAL otherwise) and have size > 0
 * (a zero-sized block is reached only by a pointer equal to its address).
 * Ownership: the caller's arrays; reach__scan sorts BLOCKS by address in
 * place (id keeps the caller's identity) and sets their `reached`.
 * Returns 0 or -errno (-EINVAL, -ENOMEM); a block whose contents cannot be
 * read counts as holding no pointers (stats.unreadable).
 */
#ifndef SEEP_REACH_H
#define SEEP_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reach_block {
	uint64_t addr, size;
	uint64_t id;             /* the caller's */
	/* An address inside the block that is the allocator's, not a
	 * pointer to the block (0: none): glibc's malloc lends a chunk the
	 * next chunk's first 8 bytes, so the arena's pointers to that next
	 * chunk (its top, its bins) fall inside the block's last bytes. */
	uint64_t not_ptr;
	bool reached;
};

/* LEN bytes of the process's memory that start at address ADDR. */
struct reach_region {
	uint64_t addr;
	const void *data;
	size_t len;
};

/* Reads LEN bytes at ADDR of the process into BUF: 0 or -errno. */
typedef int (*reach_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct reach_stats {
	uint64_t root_bytes;     /* root bytes scanned (outside tracked blocks) */
	uint64_t block_bytes;    /* bytes of reached blocks scanned */
	size_t reached, lost;    /* blocks */
	uint64_t lost_bytes;
	size_t unreadable;       /* reached blocks whose contents could not be read */
};

int reach__scan(struct reach_block *blocks, size_t n, const struct reach_region *roots,
		size_t nroots, reach_read_fn read, void *ctx, struct reach_stats *stats);

#endif
