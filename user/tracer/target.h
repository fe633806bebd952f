/* target — one traced process, as a session keeps it.
 *
 * A target pins its process with a pidfd (a reused pid cannot pass for
 * it; the pidfd polls readable when the process exits), keeps its command
 * name, its symbolizer (opened before the first probe so that the modules
 * are known when the first stack arrives), how its stacks are taken, and
 * two models rebuilt or fed as tracing goes: the heap of its live blocks
 * (refilled for each report) and, in DWARF mode, the store of stacks
 * unwound in user space (symbols/stacks.h), which the kernel's blocks
 * refer to by the sequence number of their stack copy.
 * Ownership: target__close() frees everything (NULL-safe); the symcache
 * given to target__open() must outlive the target.
 */
#ifndef SEEP_TARGET_H
#define SEEP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "seep_heap.h"
#include "snapshot/heap.h"
#include "sys/proc.h"

struct symbolizer;
struct symcache;
struct stacks;

struct target {
	pid_t pid;
	int pidfd;
	char comm[PROC_COMM_LEN + 1];
	char label[4 * PROC_COMM_LEN + 1];  /* comm escaped, for messages on a terminal */
	struct symbolizer *sym;
	struct stacks *stacks;   /* stacks unwound in user space (DWARF mode) */
	enum seep_unwind mode;
	struct heap heap;
	unsigned rehook_failures;  /* new modules whose allocators could not be hooked */
	uint64_t execs;          /* exec() calls followed (a new image each) */
	size_t max_stacks;       /* bound of the DWARF stack store (0: none) */
	uint64_t stacks_full;    /* copies unwound whose stack the full store refused */
	uint64_t last_seq;       /* the highest copy sequence number handled */
	uint64_t stacks_queued;  /* this report pass: blocks whose copy still waits in the ring */
	uint64_t rehook_at_ns;   /* after an exec: when to hook the new image's modules, else 0 */
	bool forked_said;        /* its first child (not traced) has been reported */
};

/* Pins PID, reads its name and modules. Logs what failed ("pid N: no such
 * process", ...) and returns -ESRCH, -ENOMEM or -errno. MODE is decided
 * by the caller afterwards (stackmode.h). */
int target__open(pid_t pid, struct symcache *cache, uint64_t sample_bytes, struct target **out);
void target__close(struct target *t);
/* Sets LABEL from COMM (after COMM changed). */
void target__set_label(struct target *t);
/* Re-reads the name (prctl, exec change it): true if it changed. */
bool target__refresh_comm(struct target *t);

/* The process called exec(): a new image, a new heap. Opens a new
 * symbolizer over the new image's modules and a new stack store (the old
 * image's stacks and bindings go), re-reads the name, counts the exec.
 * The old symbolizer is kept if the new one cannot be opened (the process
 * is gone: its pidfd says so). 0 or -errno. */
int target__exec(struct target *t, struct symcache *cache);

/* Bounds the store of stacks unwound in user space to MAX (--max-stacks;
 * 0: none): a copy of a new stack past it is counted in stacks_full and
 * its block shown as "[stack lost]". */
void target__set_max_stacks(struct target *t, size_t max);

/* Empties the heap model for a new report pass. */
void target__reset_heap(struct target *t);

/* A DWARF stack copy (see trace.h): unwinds it with up to MAX frames into
 * the scratch IPS (room for MAX), interns the stack, counts the allocation
 * (as sampling weighs SIZE) and binds the copy's sequence number to it.
 * A whole stack whose walk rules check out (symbols/stackwalk.h) is taught
 * to TRACE's BPF walk (NULL: not), so later allocations from it need no
 * copy. 0 or -ENOMEM (a full store is counted, not an error). */
struct trace;
int target__add_stack_copy(struct target *t, struct trace *trace,
			   const struct seep_stack_event *ev, const void *stack,
			   uint64_t sample_bytes, uint64_t *ips, size_t max);
/* Allocations from DWARF stack ID counted by the kernel (stacks it walked
 * itself: sites of SEEP_STACK_UNWOUND), as totals since attach. */
void target__set_kernel_totals(struct target *t, uint32_t id, double bytes, double count);
/* A live block's SITE as the heap model keys it: a DWARF site's caller
 * holds its copy's sequence number, replaced by the stack's id (or the
 * site marked lost if the stack was never unwound); a site the kernel
 * walked (SEEP_STACK_UNWOUND) holds the id already and is keyed as a DWARF
 * site with it, so both kinds of one stack are one site. Marks the binding
 * as still in use (see target__sweep). */
struct seep_stack_key target__resolve_site(struct target *t, const struct seep_stack_key *site);
/* Marks the binding of a live block's stack copy as still in use. */
void target__mark_live(struct target *t, const struct seep_stack_key *site);
/* The frames of DWARF stack ID (a site's caller after
 * target__resolve_site), at most MAX into IPS: how many (0: unknown). */
size_t target__dwarf_stack(const struct target *t, uint32_t id, uint64_t *ips, size_t max,
			   bool *truncated);
/* Cumulative totals of the DWARF sites, from the user-space store. */
void target__dwarf_totals(struct target *t);
/* Drops the bindings of blocks not marked since the last sweep; returns
 * how many bindings remain. */
size_t target__sweep(struct target *t);
size_t target__bindings(const struct target *t);

#endif
