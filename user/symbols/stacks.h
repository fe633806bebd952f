/* stacks — user-space store of unwound stacks for one process.
 *
 * Stacks unwound from copies (DWARF mode) are interned: identical frame
 * lists get one id, which keeps the cumulative totals of allocations made
 * from it. Each copied stack carries the sequence number its live block
 * keeps in the kernel; the store maps sequence numbers to stack ids until
 * a sweep drops the ones no live block referred to since the last sweep.
 * Pure C; no BPF. Built on lib/hashmap and lib/vec.
 *
 * Invariants: stack ids are dense (0, 1, 2, ... in order of first
 * interning) and stable; the same frames with the same truncated flag get
 * the same id, a truncated stack and a complete one with the same frames
 * are two stacks. A binding lives until the second sweep after it was last
 * bound or looked up. Sequence number 0 is never bound.
 * Ownership: the store owns the frames; stacks__get's pointer is valid
 * until the next stacks__intern() or stacks__free() (which accepts NULL).
 * The store can be bounded (stacks__set_max): a new stack past the bound
 * is refused (-ENOSPC), stacks already interned are still found.
 * Errors: 0 or -errno (-ENOMEM, -EOVERFLOW, -EINVAL, -ENOENT, -ENOSPC).
 */
#ifndef SEEP_STACKS_H
#define SEEP_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stacks;

struct stacks *stacks__new(void);
void stacks__free(struct stacks *st);

/* Keeps at most MAX distinct stacks (0: no bound, the default). */
void stacks__set_max(struct stacks *st, size_t max);
/* The number of distinct stacks interned. */
size_t stacks__len(const struct stacks *st);

/* Interns IPS[0..N) and returns its id in *ID (-ENOSPC: a new stack and
 * the store holds its bound already). */
int stacks__intern(struct stacks *st, const uint64_t *ips, size_t n, bool truncated, uint32_t *id);
/* The frames of stack ID (NULL if unknown). */
const uint64_t *stacks__get(const struct stacks *st, uint32_t id, size_t *n, bool *truncated);
/* Counts an allocation from stack ID standing for BYTES and COUNT
 * (estimates when sampling); reads the totals back. */
void stacks__count(struct stacks *st, uint32_t id, double bytes, double count);
void stacks__totals(const struct stacks *st, uint32_t id, double *bytes, double *count);
/* Sets the allocations from stack ID counted elsewhere (in the kernel, for
 * stacks it walked itself): stacks__totals adds them in. */
void stacks__set_kernel_totals(struct stacks *st, uint32_t id, double bytes, double count);

/* Binds sequence number SEQ to stack ID. */
int stacks__bind(struct stacks *st, uint64_t seq, uint32_t id);
/* Looks SEQ up (and marks it as still referred to). Returns 0 or -ENOENT. */
int stacks__lookup(struct stacks *st, uint64_t seq, uint32_t *id);
/* Drops the bindings not looked up (or bound) since the previous sweep. */
void stacks__sweep(struct stacks *st);
size_t stacks__bindings(const struct stacks *st);

#endif
