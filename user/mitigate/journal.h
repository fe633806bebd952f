/* journal — mitigation's audit lines in the systemd journal, when there is
 * one (its socket exists), with structured fields: SEEP_MITIGATION_ACTION,
 * SEEP_MITIGATION_OUTCOME, SEEP_MITIGATION_TARGET, SEEP_PID. Kept apart
 * from lib/log.h (sd-journal.h brings syslog.h's LOG_* names).
 * journal__send() returns 0 or -errno (the caller then logs to stderr).
 */
#ifndef SEEP_MITIGATE_JOURNAL_H
#define SEEP_MITIGATE_JOURNAL_H

#include <stdbool.h>

bool journal__present(void);
/* PRIORITY: syslog's, 4 warning .. 6 info. */
int journal__send(const char *message, int priority, const char *action, const char *outcome,
		  const char *target, int pid);

#endif
