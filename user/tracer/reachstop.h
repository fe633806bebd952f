/* reachstop — holding a process still under ptrace to read what its
 * pointers can start from: registers, live stacks, writable segments.
 *
 * Two ways in. A command seep started (`seep trace -c` with --reach) stays
 * traced from its entry point to its end (reachstop__keep): every thread
 * (PTRACE_O_TRACECLONE), stopping at its exit (PTRACE_O_TRACEEXIT), before
 * its address space goes away; signals are passed on, execs followed.
 * reachstop__pump() services those stops without blocking: a thread that
 * ends alone (pthread_exit) is let go at once; when the process ends as a
 * whole (exit_group, a fatal signal, SIGKILL: every thread at its exit
 * stop) it calls the scan callback with every thread held, then detaches
 * them all and the process finishes exiting. A running process
 * (`-p PID --reach`) is seized (reachstop__seize: PTRACE_SEIZE and
 * PTRACE_INTERRUPT of every thread, again until no new thread appears),
 * read, and let go (reachstop__free: PTRACE_DETACH, a signal that arrived
 * during the stop is delivered).
 *
 * The roots (reachstop__image): each held thread's general registers
 * (struct user_regs_struct, fs_base included: its TLS), the live part of
 * its stack (from sp less the x86-64 red zone's 128 bytes to the end of
 * the mapping holding sp: what lies below is dead and not read; a glibc
 * thread's TLS and descriptor sit above sp in the same mapping; a thread
 * held at its exit inside libc's exit path, exit() -> _exit(), called by
 * libc because main returned, from the frame of exit()'s caller: exit's
 * frames reuse the memory of main's returned frames and hold their stale
 * words; when the program called exit() itself, its frames are live and
 * exit's hold their callee-saved registers: nothing is cut), and every
 * other readable, writable mapping (data, bss, anonymous maps) except the
 * kernel's ([vvar], [vdso]) and, when EXACT (every block of the heap is
 * tracked: a command followed from its entry point), the heap itself
 * ([heap] and anonymous maps holding a tracked block): there, free chunks'
 * stale contents would hide leaks. Without EXACT (attached to a running
 * process) the heap's untracked bytes are roots: blocks allocated before
 * attach are not known, and whatever they point to counts as reachable.
 *
 * Functions return 0 or -errno; messages are logged. Single-threaded: the
 * thread that called keep/seize is the tracer and must make every call.
 * Ownership: a reachstop owns its thread list; an image owns its buffers
 * (reachstop__image_release). reachstop__free() accepts NULL.
 */
#ifndef SEEP_REACHSTOP_H
#define SEEP_REACHSTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot/reach.h"

struct reachstop;

/* PID: a child of this thread in a ptrace stop (PTRACE_TRACEME; launch.h's
 * entry stop). Sets the options above and lets it run. */
int reachstop__keep(pid_t pid, struct reachstop **out);
/* Seizes and stops every thread of PID. -ESRCH, -EPERM, -errno. */
int reachstop__seize(pid_t pid, struct reachstop **out);
/* Lets every held thread go (a signal that came during the stop is
 * delivered): the pause ends. A running thread cannot be detached under
 * PTRACE_TRACEME (see reachstop__drain): it stays traced until seep ends. */
void reachstop__detach(struct reachstop *rs);
/* Detaches, then frees. */
void reachstop__free(struct reachstop *rs);

/* Called with every thread of the process held at its exit. */
typedef int (*reachstop_fn)(struct reachstop *rs, void *ctx);

/* Services the stops that are waiting; FN (may be NULL) at the exit of
 * the process as a whole. Returns 1 while threads are traced, 0 once none
 * is (the process ended and was let go), or FN's -errno. */
int reachstop__pump(struct reachstop *rs, reachstop_fn fn, void *ctx);
/* Pumps (no scan) until nothing is traced or TIMEOUT_MS passed: 0, or
 * -ETIMEDOUT. For stopping a kept command: signal it, then drain. */
int reachstop__drain(struct reachstop *rs, unsigned timeout_ms);

pid_t reachstop__pid(const struct reachstop *rs);
/* Threads held now. */
size_t reachstop__threads(const struct reachstop *rs);
/* How long the process was held: from its first thread's stop to the
 * last detach (0 until then). */
uint64_t reachstop__pause_ns(const struct reachstop *rs);

struct reachstop_image {
	struct reach_region *roots;
	size_t nroots, cap;
	uint64_t bytes;          /* root bytes read */
	uint64_t stack_bytes;    /* of which the live parts of stacks */
	size_t threads;          /* threads whose registers were read */
	size_t exit_trimmed;     /* stacks read from exit()'s caller up */
	uint64_t *sps;           /* the held threads' stack pointers: a tracked */
	size_t nsps, sps_cap;    /*   block holding one is a stack (mmap'd by */
};                               /*   pthread_create), not a heap block */

/* Reads the roots of the held process. BLOCKS (N, sorted by address:
 * reach__scan sorts them) tell the heap's maps apart when EXACT; SYM (the
 * process's symbolizer, or NULL: no exit path trimmed) unwinds threads
 * held at their exit. */
struct symbolizer;
int reachstop__image(struct reachstop *rs, const struct reach_block *blocks, size_t n,
		     bool exact, struct symbolizer *sym, struct reachstop_image *img);
void reachstop__image_release(struct reachstop_image *img);

/* reach_read_fn over the held process (CTX: the reachstop). */
int reachstop__read(void *ctx, uint64_t addr, void *buf, size_t len);

#endif
