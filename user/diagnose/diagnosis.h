/* diagnosis — a snapshot series judged: a verdict per stack and for the
 * process, ranked; what `seep diagnose` prints and the HTML report draws.
 *
 * diagnosis__run lines the series' stacks up (stackseries.h), decides a
 * verdict per stack with the default parameters and one for the process
 * (verdict.h), and ranks the stacks: leaks by rate first, then warm-ups
 * and bounded stacks by live bytes at the end, transients by their peak
 * last; ties in order of first appearance. A series of fewer than 3
 * snapshots gets no verdicts (VERDICTS false, no stacks ranked) when
 * ALLOW_FEW, else -EINVAL. Times must increase strictly (-EINVAL).
 *
 * Ownership: the diagnosis points at the reports given (they must outlive
 * it) and owns everything else; diagnosis__release frees it and accepts a
 * zeroed or released one. Errors: 0 or -errno, with a message in MSG
 * ("cannot diagnose series: ...").
 */
#ifndef SEEP_DIAGNOSIS_H
#define SEEP_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose/stackseries.h"
#include "diagnose/verdict.h"
#include "snapshot/report.h"

struct judged {
	const struct stack_series *row;
	struct verdict v;
};

struct diagnosis {
	size_t n;                /* snapshots */
	const struct report *const *snaps;   /* the caller's, [n] */
	struct stackseries *ss;
	struct judged *j;        /* ranked */
	size_t nj;
	double *t, *heap, *heap_var;   /* [n]: seconds since the first, live bytes */
	struct process_verdict pv;
	double leak_rate;        /* the leaks' rates summed */
	bool verdicts;           /* decided (a series of at least 3 snapshots) */
};

/* SNAPS[N] at T[N] seconds (elapsed, strictly increasing). */
int diagnosis__run(const struct report *const *snaps, const double *t, size_t n, bool allow_few,
		   struct diagnosis *out, char *msg, size_t len);
void diagnosis__release(struct diagnosis *d);

/* The allocating function: the first named frame above the allocator's
 * entry (frame 0), else the entry itself; NULL for an empty stack. */
const struct stack_frame *diagnosis__site(const struct report_stack *st);
/* Up to four named frames, innermost first, " <- " between them, into
 * BUF ("(no symbols)" when none). */
void diagnosis__label(const struct report_stack *st, char *buf, size_t len);

#endif
