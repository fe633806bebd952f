/* journal — audit lines in the systemd journal; see journal.h. */
#include "mitigate/journal.h"

#include <systemd/sd-journal.h>
#include <unistd.h>

bool journal__present(void)
{
	return access("/run/systemd/journal/socket", F_OK) == 0;
}

int journal__send(const char *message, int priority, const char *action, const char *outcome,
		  const char *target, int pid)
{
	return sd_journal_send("MESSAGE=%s", message, "PRIORITY=%d", priority,
			       "SEEP_MITIGATION_ACTION=%s", action, "SEEP_MITIGATION_OUTCOME=%s",
			       outcome, "SEEP_MITIGATION_TARGET=%s", target, "SEEP_PID=%d", pid,
			       NULL);
}
