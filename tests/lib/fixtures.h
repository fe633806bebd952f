/* fixtures — hand-built heap reports for the unit tests of the modules
 * that read reports (diff, folded, stacktab, store). */
#ifndef SEEP_FIXTURES_H
#define SEEP_FIXTURES_H

#include <stdint.h>

#include "snapshot/report.h"

/* Starts an empty report of PID/COMM at wall time TIME. */
void fx_report(struct report *r, int pid, const char *comm, double time);
/* Appends a stack of BYTES/COUNT whose frames, innermost first, are the
 * functions in the NULL-terminated FNS ("?" for a frame without a name);
 * BASE shifts every address (another run's ASLR). Totals follow. */
void fx_stack(struct report *r, uint64_t bytes, uint64_t count, uint64_t base,
	      const char *const *fns);

#endif
