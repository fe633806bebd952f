/* procstatus — /proc/PID/status and /proc/PID/cgroup; see procstatus.h. */
#include "sys/procstatus.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/sysfile.h"

static int _path(char *buf, size_t len, const char *proc, int pid, const char *file)
{
	return (size_t)snprintf(buf, len, "%s/%d/%s", proc, pid, file) >= len ? -ENAMETOOLONG : 0;
}

int procstatus__parse_mem(const char *text, struct procmem *out)
{
	memset(out, 0, sizeof(*out));
	if (!strstr(text, "\nName:") && strncmp(text, "Name:", 5))
		return -EINVAL;
	/* a kernel thread has no VmRSS and no Rss* lines */
	if (sysfile__field_u64(text, "RssAnon", 1024, &out->anon) == -ENOENT) {
		out->kernel = 1;
		return 0;
	}
	if (sysfile__field_u64(text, "RssFile", 1024, &out->file) ||
	    sysfile__field_u64(text, "RssShmem", 1024, &out->shmem))
		return -EINVAL;
	sysfile__field_u64(text, "VmSwap", 1024, &out->swap);
	return 0;
}

int procstatus__read_mem(const char *proc, int pid, struct procmem *out)
{
	char path[PATH_MAX], buf[4096];
	ssize_t n;
	int err = _path(path, sizeof(path), proc, pid, "status");

	if (err)
		return err;
	n = sysfile__read(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return procstatus__parse_mem(buf, out);
}

int procstatus__parse_cgroup(const char *text, int v1, char *buf, size_t len)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *c1 = strchr(p, ':'), *c2, *end;
		int match = 0;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		if (v1) {
			/* "N:ctrl,ctrl:/path": the list must name memory */
			for (const char *q = c1 + 1; q < c2;) {
				const char *comma = memchr(q, ',', (size_t)(c2 - q));
				const char *e = comma ? comma : c2;

				if ((size_t)(e - q) == 6 && !strncmp(q, "memory", 6))
					match = 1;
				q = e + 1;
			}
		} else {
			match = c2 == c1 + 1 && !strncmp(p, "0:", 2);
		}
		if (!match)
			continue;
		end = strchr(c2, '\n');
		if (!end)
			end = c2 + strlen(c2);
		if ((size_t)(end - c2 - 1) >= len)
			return -ENAMETOOLONG;
		memcpy(buf, c2 + 1, (size_t)(end - c2 - 1));
		buf[end - c2 - 1] = '\0';
		return 0;
	}
	return -ENOENT;
}

int procstatus__read_cgroup(const char *proc, int pid, int v1, char *buf, size_t len)
{
	char path[PATH_MAX], text[4096];
	ssize_t n;
	int err = _path(path, sizeof(path), proc, pid, "cgroup");

	if (err)
		return err;
	n = sysfile__read(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return procstatus__parse_cgroup(text, v1, buf, len);
}

static int _ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && !strncmp(s + n - k, suffix, k);
}

void procstatus__unit_of_cgroup(const char *cgroup, char *buf, size_t len)
{
	const char *best = NULL, *p = cgroup;
	size_t best_len = 0;

	if (len)
		buf[0] = '\0';
	while (p && *p) {
		const char *slash;
		size_t n;

		while (*p == '/')
			p++;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (_ends_with(p, n, ".service") || _ends_with(p, n, ".scope")) {
			best = p;
			best_len = n;
		}
		p = slash;
	}
	if (best && best_len < len) {
		memcpy(buf, best, best_len);
		buf[best_len] = '\0';
	}
}

long procstatus__ticks_per_s(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? t : 100;
}
