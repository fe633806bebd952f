#include "sys/procmaps.h"

#include "lib/vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char deleted_suffix[] = " (deleted)";

void procmaps__release(struct procmaps *maps)
{
	if (!maps)
		return;
	for (size_t i = 0; i < maps->n; i++)
		free(maps->v[i].path);
	free(maps->v);
	maps->v = NULL;
	maps->n = 0;
}

static int _parse_line(char *line, struct procmap *m)
{
	int pos = 0;
	size_t len;
	char *path;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
		   &m->start, &m->end, m->perms, &m->offset, &m->dev_major, &m->dev_minor,
		   &m->inode, &pos) < 7)
		return -EINVAL;
	path = line + pos;
	len = strcspn(path, "\n");
	path[len] = '\0';
	if (!len)
		return 0;
	if (len > sizeof(deleted_suffix) - 1 &&
	    !strcmp(path + len - (sizeof(deleted_suffix) - 1), deleted_suffix)) {
		m->deleted = true;
		path[len - (sizeof(deleted_suffix) - 1)] = '\0';
	}
	m->path = strdup(path);
	return m->path ? 0 : -ENOMEM;
}

int procmaps__parse(FILE *in, struct procmaps *maps)
{
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	struct procmap *m;
	int err = 0;

	maps->v = NULL;
	maps->n = 0;
	while (getline(&line, &cap, in) > 0) {
		if (!(m = VEC_PUSH(maps->v, maps->n, alloc))) {
			err = -ENOMEM;
			goto cleanup;
		}
		err = _parse_line(line, m);
		if (err)
			goto cleanup;
		maps->n++;
	}
cleanup:
	free(line);
	if (err)
		procmaps__release(maps);
	return err;
}

int procmaps__read(pid_t pid, struct procmaps *maps)
{
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = procmaps__parse(f, maps);
	fclose(f);
	if (!err && maps->n == 0)  /* a zombie has no mappings */
		err = -ESRCH;
	return err;
}

const struct procmap *procmaps__find(const struct procmaps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct procmap *m = &maps->v[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

bool procmap__is_file(const struct procmap *m)
{
	return m->path && m->path[0] == '/' && m->inode != 0;
}

int procmaps__open_path(pid_t pid, const struct procmap *m, char *buf, size_t len)
{
	int n;

	if (m->deleted)
		n = snprintf(buf, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			     (int)pid, m->start, m->end);
	else
		n = snprintf(buf, len, "/proc/%d/root%s", (int)pid, m->path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
