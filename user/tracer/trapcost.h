/* trapcost — what one uprobe hit costs on this host, beyond its BPF
 * program: the trap the BPF run-time statistics do not see.
 *
 * Measured, not assumed (a hit's trap is most of a heap probe's cost, and
 * it varies with the CPU, the kernel and its mitigations): a function of
 * seep's own (a frame-pointer prologue, an instruction the kernel emulates,
 * as glibc's malloc entry is) is called CALLS times in the calling thread
 * without probes, then with a uprobe and a uretprobe on it (perf events
 * of the uprobe PMU carrying an empty BPF program, bound to that thread);
 * the thread CPU time the probes added, less the program's own run time
 * (BPF_STATS_RUN_TIME, enabled for the measure), over the program's run
 * count, is the cost of one hit. Five rounds of each (the plain ones
 * first: one attach, one detach), the median. About CALLS x 2 x 0.5 us of
 * CPU a probed round; the detach waits for the kernel's grace period.
 * Root (CAP_SYS_ADMIN).
 *
 * trapcost__start() does it on a thread of its own (every signal blocked
 * in it), so that the caller's loop does not wait: trapcost__get() says
 * whether the value is there yet.
 * trapcost__free() joins the thread (waiting out a measure in progress).
 * Functions return 0 or -errno.
 */
#ifndef SEEP_TRAPCOST_H
#define SEEP_TRAPCOST_H

#include <stddef.h>
#include <stdint.h>

#define TRAPCOST_CALLS 20000

struct trapcost;

/* Measures in the calling thread (blocks for the measure): *NS per hit,
 * or -errno with ERR saying why (-ENOENT: no uprobe PMU, -EPERM). */
int trapcost__measure(uint32_t calls, double *ns, char *err, size_t errlen);

/* Starts the measure on a thread. */
int trapcost__start(uint32_t calls, struct trapcost **out);
/* 0 and *NS once measured; -EAGAIN while it runs; the measure's -errno
 * (ERR says why) if it failed. Never blocks. */
int trapcost__get(struct trapcost *t, double *ns, char *err, size_t errlen);
void trapcost__free(struct trapcost *t);

#endif
