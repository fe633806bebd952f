#include "sys/proc.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Opens ROOT/PID/NAME read-only; -ESRCH for a process that is gone. */
static int _open(const char *root, pid_t pid, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%d/%s", root, (int)pid, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

/* Reads up to LEN - 1 bytes of ROOT/PID/NAME into BUF, NUL-terminated. */
static int _read_text(const char *root, pid_t pid, const char *name, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t got;
	int fd = _open(root, pid, name), err = 0;

	if (fd < 0)
		return fd;
	while (n < len - 1) {
		got = read(fd, buf + n, len - 1 - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = errno == ESRCH ? -ESRCH : -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	return err;
}

int proc__read_comm(pid_t pid, char *comm, size_t len)
{
	char buf[64];
	int err;

	if (len < 2)
		return -EINVAL;
	err = _read_text("/proc", pid, "comm", buf, sizeof(buf));
	if (err) {
		snprintf(comm, len, "?");
		return err;
	}
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(comm, len, "%s", buf);
	return 0;
}

int proc__parse_stat(const char *text, struct proc_stat *st)
{
	const char *open = strchr(text, '('), *p = strrchr(text, ')');
	uint64_t v[22] = { 0 };  /* fields 4..22 at their own numbers */
	size_t clen;
	char state;
	int off, pid;

	if (!open || !p || p < open || sscanf(text, "%d", &pid) != 1 ||
	    sscanf(p + 1, " %c%n", &state, &off) != 1)
		return -EINVAL;
	st->pid = (pid_t)pid;
	clen = (size_t)(p - open - 1);
	if (clen >= sizeof(st->comm))
		clen = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, clen);
	st->comm[clen] = '\0';
	p += 1 + off;
	for (int field = 4; field <= 22; field++) {
		/* fields 4..22 are integers; some (nice, priority) may be negative */
		int64_t x;

		if (sscanf(p, " %" SCNd64 "%n", &x, &off) != 1)
			return -EINVAL;
		v[field - 1] = (uint64_t)x;
		p += off;
	}
	st->state = state;
	st->ppid = (pid_t)v[3];
	st->flags = v[8];
	st->utime_ticks = v[13];
	st->stime_ticks = v[14];
	st->num_threads = v[19];
	st->start_ticks = v[21];
	return 0;
}

int proc__read_stat(pid_t pid, struct proc_stat *st)
{
	return proc__read_stat_at("/proc", pid, st);
}

int proc__read_stat_at(const char *root, pid_t pid, struct proc_stat *st)
{
	char buf[1024];
	int err = _read_text(root, pid, "stat", buf, sizeof(buf));

	return err ? err : proc__parse_stat(buf, st);
}

int proc__cpu_ns(pid_t pid, uint64_t *ns)
{
	struct proc_stat st;
	long hz = sysconf(_SC_CLK_TCK);
	char buf[128];
	unsigned long long run;
	struct timespec ts;
	clockid_t clk;
	int err;

	if (clock_getcpuclockid(pid, &clk) == 0 && clock_gettime(clk, &ts) == 0) {
		*ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		return 0;
	}
	if ((err = proc__read_stat(pid, &st)))
		return err;
	if (st.num_threads == 1 && _read_text("/proc", pid, "schedstat", buf, sizeof(buf)) == 0 &&
	    sscanf(buf, "%llu", &run) == 1) {
		*ns = run;
		return 0;
	}
	if (hz <= 0)
		return -EINVAL;
	*ns = (st.utime_ticks + st.stime_ticks) * (1000000000ULL / (uint64_t)hz);
	return 0;
}

int proc__read_auxv(pid_t pid, uint64_t type, uint64_t *value)
{
	uint64_t av[2];
	int fd = _open("/proc", pid, "auxv"), err = -ENOENT;
	ssize_t got;

	if (fd < 0)
		return fd;
	while ((got = read(fd, av, sizeof(av))) == (ssize_t)sizeof(av) && av[0] != 0) {
		if (av[0] == type) {
			*value = av[1];
			err = 0;
			break;
		}
	}
	if (got < 0)
		err = -errno;
	close(fd);
	return err;
}

int proc__first_child(pid_t pid, pid_t *child)
{
	char path[96], buf[32];
	struct dirent *d;
	int err = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while (err == -ENOENT && (d = readdir(dir))) {
		int c;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "task/%.16s/children", d->d_name);
		/* a thread gone meanwhile, or no children: the next one */
		if (_read_text("/proc", pid, path, buf, sizeof(buf)) == 0 && sscanf(buf, "%d", &c) == 1) {
			*child = (pid_t)c;
			err = 0;
		}
	}
	closedir(dir);
	return err;
}

/* The inode of the initial pid namespace (the kernel's PROC_PID_INIT_INO). */
#define PID_INIT_INO 0xeffffffcULL

int proc__pid_namespace(uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (stat("/proc/self/ns/pid", &st) < 0)
		return -errno;
	if ((uint64_t)st.st_ino != PID_INIT_INO) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	}
	return 0;
}
