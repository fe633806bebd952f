/* procstatus — one process's memory and cgroup, from /proc/PID/status and
 * /proc/PID/cgroup (its identity, /proc/PID/stat, is read by proc.h).
 *
 * Every reader takes the proc root ("/proc" on a live host, a fixture
 * directory in tests). Memory is in bytes. Returns 0 or -errno: -ENOENT /
 * -ESRCH when the process is gone, -EINVAL when a file does not parse.
 */
#ifndef SEEP_PROCSTATUS_H
#define SEEP_PROCSTATUS_H

#include <stddef.h>
#include <stdint.h>

struct procmem {
	uint64_t anon;		/* RssAnon */
	uint64_t file;		/* RssFile */
	uint64_t shmem;		/* RssShmem */
	uint64_t swap;		/* VmSwap */
	int kernel;		/* no mm (kernel thread): every field 0 */
};

int procstatus__read_mem(const char *proc, int pid, struct procmem *out);
int procstatus__parse_mem(const char *text, struct procmem *out);

/* The cgroup of PID that holds the memory controller: the v1 line naming
 * "memory" when V1, else the v2 line ("0::/path"). BUF gets the path
 * ("/" for the root). */
int procstatus__read_cgroup(const char *proc, int pid, int v1, char *buf, size_t len);
int procstatus__parse_cgroup(const char *text, int v1, char *buf, size_t len);

/* The systemd unit a cgroup path belongs to: the last element ending in
 * ".service" or ".scope" ("/system.slice/cron.service" -> "cron.service");
 * BUF gets "" when there is none. */
void procstatus__unit_of_cgroup(const char *cgroup, char *buf, size_t len);

/* Clock ticks per second (sysconf(_SC_CLK_TCK), 100 on Linux). */
long procstatus__ticks_per_s(void);

#endif
