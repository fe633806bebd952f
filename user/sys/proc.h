/* proc — the small per-process files of /proc, one reader for each.
 *
 * /proc/PID/comm (the command name), /proc/PID/stat (state, parent, CPU
 * times, threads, start time), /proc/PID/schedstat (CPU time, ns) and /proc/PID/auxv (the auxiliary vector the kernel
 * gave the program). /proc/PID/maps has its own module (procmaps.h), /proc/PID/status and
 * /proc/PID/cgroup theirs (procstatus.h).
 * Readers return 0 or -errno: -ESRCH when the process does not exist (or
 * no longer does), -EINVAL for text that does not parse. Nothing is kept
 * between calls; the functions are safe to call from several threads.
 */
#ifndef SEEP_PROC_H
#define SEEP_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's TASK_COMM_LEN: 15 characters and the NUL. */
#define PROC_COMM_LEN 16

/* PID's command name, without the newline, into COMM (PROC_COMM_LEN
 * bytes at least). On failure COMM holds "?". */
int proc__read_comm(pid_t pid, char *comm, size_t len);

/* The fields of /proc/PID/stat seep uses (proc(5) numbering). */
struct proc_stat {
	pid_t pid;               /* field 1 */
	char comm[PROC_COMM_LEN]; /* field 2, without its parentheses (truncated) */
	char state;              /* field 3: R, S, D, Z, T, ... */
	pid_t ppid;              /* field 4 */
	uint64_t flags;          /* field 9: the kernel's PF_* flags */
	uint64_t utime_ticks;    /* field 14, clock ticks (sysconf(_SC_CLK_TCK)) */
	uint64_t stime_ticks;    /* field 15 */
	uint64_t num_threads;    /* field 20 */
	uint64_t start_ticks;    /* field 22: start time, ticks since boot: (pid,
	                          * start) names one process for the host's life */
};

int proc__read_stat(pid_t pid, struct proc_stat *st);
/* The same under another proc root (ROOT/PID/stat: "/proc", or a fixture
 * directory in tests). */
int proc__read_stat_at(const char *root, pid_t pid, struct proc_stat *st);
/* PF_KTHREAD: a kernel thread (no user memory, nothing to trace). */
#define PROC_PF_KTHREAD 0x00200000ULL
/* The parser behind proc__read_stat, over the file's text. The command
 * name (field 2) may hold spaces and parentheses: fields are counted from
 * the last ')'. */
int proc__parse_stat(const char *text, struct proc_stat *st);

/* PID's CPU time (user + system), ns, every thread's, the dead ones'
 * included: the process's CPU clock (clock_getcpuclockid: the scheduler's
 * own nanoseconds, summed over the thread group by the kernel); where that
 * clock cannot be read, a single-threaded process's /proc/PID/schedstat,
 * else the ticks of /proc/PID/stat (a clock tick's resolution). 0 or
 * -errno (-ESRCH: no such process). */
int proc__cpu_ns(pid_t pid, uint64_t *ns);

/* The value of auxiliary vector entry TYPE (AT_ENTRY, AT_PHDR, ...) of
 * PID: -ENOENT if the vector has no such entry. */
int proc__read_auxv(pid_t pid, uint64_t type, uint64_t *value);

/* A child process of PID (any thread's: /proc/PID/task/TID/children):
 * 0 and *CHILD, -ENOENT if it has none, -ESRCH, -errno. */
int proc__first_child(pid_t pid, pid_t *child);

/* The pid namespace the caller runs in, as the kernel names it: the
 * device and inode of /proc/self/ns/pid. Both 0 in the initial namespace
 * (pids are the kernel's own there). 0 or -errno. */
int proc__pid_namespace(uint64_t *dev, uint64_t *ino);

#endif
