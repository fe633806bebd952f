/* sysfile — small kernel-generated files in one read; see sysfile.h. */
#include "sys/sysfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t sysfile__read(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return err ? err : got;
}

int sysfile__read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	ssize_t n = sysfile__read(path, buf, sizeof(buf));
	unsigned long long v;

	if (n < 0)
		return (int)n;
	if (!strncmp(buf, "max", 3)) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfile__field_u64(const char *text, const char *key, uint64_t mult, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		unsigned long long v;

		if (strncmp(p, key, klen) || (p[klen] != ':' && p[klen] != ' '))
			continue;
		p += klen + 1;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EINVAL;
		*out = (uint64_t)v * mult;
		return 0;
	}
	return -ENOENT;
}
