/* cgroup — memory usage per control group; see cgroup.h. */
#include "sys/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/sysfile.h"

/* v1 reports "unlimited" as LONG_MAX rounded down to a page */
#define V1_UNLIMITED (0x7fffffffffffffffULL & ~0xfffULL)

static int _has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

int cgroup__find_memory(const char *mounts, struct cgroup_memory *out)
{
	char line[4096], v2[PATH_MAX] = "";
	FILE *f = fopen(mounts, "re");

	memset(out, 0, sizeof(*out));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[PATH_MAX], type[64], opts[1024];

		if (sscanf(line, "%255s %4095s %63s %1023s", dev, dir, type, opts) != 4)
			continue;
		if (!strcmp(type, "cgroup") && _has_option(opts, "memory")) {
			snprintf(out->root, sizeof(out->root), "%s", dir);
			out->version = 1;
			break;
		}
		if (!strcmp(type, "cgroup2") && !v2[0])
			snprintf(v2, sizeof(v2), "%s", dir);
	}
	fclose(f);
	if (out->version)
		return 0;
	if (v2[0]) {
		char path[PATH_MAX + 32], ctl[512];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2);
		if (sysfile__read(path, ctl, sizeof(ctl)) > 0) {
			for (char *tok = strtok(ctl, " \n"); tok; tok = strtok(NULL, " \n"))
				if (!strcmp(tok, "memory")) {
					snprintf(out->root, sizeof(out->root), "%s", v2);
					out->version = 2;
					return 0;
				}
		}
	}
	return -ENOENT;
}

static int _file(const struct cgroup_memory *m, const char *cg, const char *name, char *buf,
		 size_t len)
{
	const char *sep = cg[0] == '/' ? "" : "/";

	if (!strcmp(cg, "/"))
		cg = "", sep = "";
	return (size_t)snprintf(buf, len, "%s%s%s/%s", m->root, sep, cg, name) >= len ?
	       -ENAMETOOLONG : 0;
}

int cgroup__read(const struct cgroup_memory *m, const char *cgroup, struct cgroup_usage *out)
{
	char path[PATH_MAX * 2];
	int err;

	memset(out, 0, sizeof(*out));
	err = _file(m, cgroup, m->version == 1 ? "memory.usage_in_bytes" : "memory.current",
		    path, sizeof(path));
	if (!err)
		err = sysfile__read_u64(path, &out->usage);
	if (err)
		return err;
	out->limit = UINT64_MAX;
	if (!_file(m, cgroup, m->version == 1 ? "memory.limit_in_bytes" : "memory.max", path,
		   sizeof(path)) && !sysfile__read_u64(path, &out->limit) &&
	    m->version == 1 && out->limit >= V1_UNLIMITED)
		out->limit = UINT64_MAX;
	return 0;
}

static int _walk(const struct cgroup_memory *m, char *rel, size_t cap, int depth, int max_depth,
		 cgroup_visit_fn *fn, void *ctx)
{
	char dir[PATH_MAX * 2];
	size_t len = strlen(rel);
	struct dirent *de;
	DIR *d;
	int ret = fn(len ? rel : "/", depth, ctx);

	if (ret || depth >= max_depth)
		return ret;
	snprintf(dir, sizeof(dir), "%s%s", m->root, rel);
	d = opendir(dir);
	if (!d)
		return 0;	/* removed meanwhile: nothing below it */
	while (!ret && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (len + 1 + strlen(de->d_name) + 1 > cap)
			continue;
		rel[len] = '/';
		strcpy(rel + len + 1, de->d_name);
		ret = _walk(m, rel, cap, depth + 1, max_depth, fn, ctx);
		rel[len] = '\0';
	}
	closedir(d);
	return ret;
}

int cgroup__walk(const struct cgroup_memory *m, int max_depth, cgroup_visit_fn *fn, void *ctx)
{
	char rel[PATH_MAX] = "";

	return _walk(m, rel, sizeof(rel), 0, max_depth, fn, ctx);
}
