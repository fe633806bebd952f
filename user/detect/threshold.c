/* threshold — threshold and limit specs to a value; see threshold.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "detect/threshold.h"

struct suffix {
	const char *name;
	double mult;
};

static const struct suffix suffixes[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1024.0 }, { "kib", 1024.0 }, { "kb", 1e3 },
	{ "m", 1048576.0 }, { "mib", 1048576.0 }, { "mb", 1e6 },
	{ "g", 1073741824.0 }, { "gib", 1073741824.0 }, { "gb", 1e9 },
	{ "t", 1099511627776.0 }, { "tib", 1099511627776.0 }, { "tb", 1e12 },
};

int threshold__parse_bytes(const char *str, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(str, &end);
	if (end == str || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (!strcasecmp(end, suffixes[i].name)) {
			*out = v * suffixes[i].mult;
			return 0;
		}
	return -EINVAL;
}

static int read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = ferror(f) ? -EIO : -EINVAL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return err;
}

static int meminfo_total(const char *path, double *out, char *err, size_t errlen)
{
	char line[256];
	FILE *f = fopen(path, "r");
	unsigned long long kb;
	int e;

	if (!f) {
		e = -errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-e));
		return e;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
			fclose(f);
			*out = (double)kb * 1024.0;
			return 0;
		}
	fclose(f);
	snprintf(err, errlen, "no MemTotal in '%s'", path);
	return -EINVAL;
}

int threshold__limit(const char *spec, const char *meminfo, double *out,
		     char *err, size_t errlen)
{
	char path[4096], buf[64];
	struct stat st;
	int e;

	if (!strcmp(spec, "host"))
		return meminfo_total(meminfo ? meminfo : "/proc/meminfo", out, err, errlen);
	if (!threshold__parse_bytes(spec, out)) {
		if (*out <= 0) {
			snprintf(err, errlen, "limit '%s' must be positive", spec);
			return -EINVAL;
		}
		return 0;
	}
	if (stat(spec, &st)) {
		e = -errno;
		snprintf(err, errlen, "invalid limit '%s': not a size, 'host' or a readable path (%s)",
			 spec, strerror(-e));
		return e == -ENOENT ? -EINVAL : e;
	}
	snprintf(path, sizeof(path), S_ISDIR(st.st_mode) ? "%s/memory.max" : "%s", spec);
	e = read_first_line(path, buf, sizeof(buf));
	if (e) {
		snprintf(err, errlen, "cannot read limit from '%s': %s", path,
			 e == -EINVAL ? "empty file" : strerror(-e));
		return e;
	}
	if (!strcmp(buf, "max")) {
		snprintf(err, errlen, "'%s' is 'max': the cgroup has no memory limit", path);
		return -EINVAL;
	}
	if (threshold__parse_bytes(buf, out) || *out <= 0) {
		snprintf(err, errlen, "'%s' holds '%s', not a byte count", path, buf);
		return -EINVAL;
	}
	return 0;
}

int threshold__resolve(const char *spec, const char *limit, double *out,
		       char *err, size_t errlen)
{
	double lim = 0, v;
	size_t len;
	int e;

	if (limit) {
		e = threshold__limit(limit, NULL, &lim, err, errlen);
		if (e)
			return e;
	}
	if (!spec)
		spec = "100%";
	len = strlen(spec);
	if (len && spec[len - 1] == '%') {
		char num[64];
		char *end;

		if (len >= sizeof(num))
			goto bad;
		memcpy(num, spec, len - 1);
		num[len - 1] = 0;
		errno = 0;
		v = strtod(num, &end);
		if (end == num || *end || errno || !isfinite(v) || v <= 0)
			goto bad;
		*out = limit ? v / 100.0 * lim : v;
		return 0;
	}
	if (threshold__parse_bytes(spec, &v) || v <= 0)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "invalid threshold '%s': want a percent (95%%), a size (8GiB) or a number",
		 spec);
	return -EINVAL;
}
