/* procstat — one process's identity and memory, from /proc/PID/{stat,status,cgroup}.
 *
 * A process is told apart from a later one reusing its pid by its start
 * time (/proc/PID/stat field 22, clock ticks since boot): (pid, start)
 * names one process for the life of the host.
 * Every reader takes the proc root ("/proc" on a live host, a fixture
 * directory in tests). Memory is in bytes. Returns 0 or -errno: -ENOENT /
 * -ESRCH when the process is gone, -EINVAL when a file does not parse.
 */
#ifndef SEEP_PROCSTAT_H
#define SEEP_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct procstat {
	int pid;
	int ppid;
	char state;
	char comm[17];		/* the kernel's comm (TASK_COMM_LEN), NUL-terminated */
	uint64_t utime, stime;	/* fields 14, 15: CPU time in clock ticks */
	uint64_t start;		/* field 22: start time in clock ticks since boot */
	uint64_t num_threads;	/* field 20 */
};

struct procmem {
	uint64_t anon;		/* RssAnon */
	uint64_t file;		/* RssFile */
	uint64_t shmem;		/* RssShmem */
	uint64_t swap;		/* VmSwap */
	int kernel;		/* no mm (kernel thread): every field 0 */
};

int procstat__read(const char *proc, int pid, struct procstat *out);
/* Parses the text of a stat file (comm may hold spaces and parentheses). */
int procstat__parse(const char *text, struct procstat *out);
int procstat__read_mem(const char *proc, int pid, struct procmem *out);
int procstat__parse_mem(const char *text, struct procmem *out);

/* The cgroup of PID that holds the memory controller: the v1 line naming
 * "memory" when V1, else the v2 line ("0::/path"). BUF gets the path
 * ("/" for the root). */
int procstat__read_cgroup(const char *proc, int pid, int v1, char *buf, size_t len);
int procstat__parse_cgroup(const char *text, int v1, char *buf, size_t len);

/* The systemd unit a cgroup path belongs to: the last element ending in
 * ".service" or ".scope" ("/system.slice/cron.service" -> "cron.service");
 * BUF gets "" when there is none. */
void procstat__unit_of_cgroup(const char *cgroup, char *buf, size_t len);

/* Clock ticks per second (sysconf(_SC_CLK_TCK), 100 on Linux). */
long procstat__ticks_per_s(void);

#endif
