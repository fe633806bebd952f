/* spool — remote_write requests on disk; see spool.h. */
#include "fleet/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/vec.h"

static const unsigned char magic[4] = { 'S', 'R', 'W', '1' };

struct rec {
	uint64_t seq;
	uint64_t bytes;
};

struct spool {
	char dir[4096];
	uint64_t max_bytes;
	struct rec *r;		/* oldest first, from head */
	size_t head, n, cap;
	uint64_t next_seq;
	struct spool_stats st;
};

static void _put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t _get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void _path(const struct spool *sp, uint64_t seq, const char *ext, char *out, size_t len)
{
	snprintf(out, len, "%s/%016llx.%s", sp->dir, (unsigned long long)seq, ext);
}

static int _cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int spool__open(const char *dir, uint64_t max_bytes, struct spool **out, char *err,
		size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	DIR *d = NULL;
	struct dirent *e;
	int rc = 0;

	*out = NULL;
	if (!sp)
		return -ENOMEM;
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->max_bytes = max_bytes;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create spool '%s': %s", dir, strerror(-rc));
		goto cleanup;
	}
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "cannot open spool '%s': %s", dir, strerror(-rc));
		goto cleanup;
	}
	while ((e = readdir(d))) {
		unsigned long long seq;
		char ext[8], path[4200];
		struct stat s;
		struct rec *r;

		if (sscanf(e->d_name, "%16llx.%7s", &seq, ext) != 2 ||
		    strlen(e->d_name) != 17 + strlen(ext))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!strcmp(ext, "tmp")) {	/* a write that never finished */
			unlink(path);
			sp->st.torn++;
			continue;
		}
		if (strcmp(ext, "rw") || stat(path, &s))
			continue;
		r = VEC_PUSH(sp->r, sp->n, sp->cap);
		if (!r) {
			rc = -ENOMEM;
			goto cleanup;
		}
		*r = (struct rec){ seq, (uint64_t)s.st_size };
		sp->n++;
		sp->st.bytes += (uint64_t)s.st_size;
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	if (sp->n)
		qsort(sp->r, sp->n, sizeof(*sp->r), _cmp_rec);
	sp->st.records = sp->n;
	*out = sp;
	sp = NULL;
cleanup:
	if (d)
		closedir(d);
	spool__free(sp);
	return rc;
}

void spool__free(struct spool *sp)
{
	if (!sp)
		return;
	free(sp->r);
	free(sp);
}

/* Removes the oldest record; DROPPED: count it (and its samples) as lost. */
static void _remove_oldest(struct spool *sp, bool dropped)
{
	char path[4200];
	struct rec *r = &sp->r[sp->head];

	_path(sp, r->seq, "rw", path, sizeof(path));
	if (dropped) {
		unsigned char h[SPOOL_HEADER];
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) && !memcmp(h, magic, 4))
				sp->st.dropped_samples += _get32(h + 12);
			close(fd);
		}
		sp->st.dropped_records++;
	}
	unlink(path);
	sp->st.bytes -= r->bytes;
	sp->head++;
	sp->n--;
	sp->st.records = sp->n;
	if (!sp->n)
		sp->head = 0;
}

static int _write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int spool__append(struct spool *sp, const void *buf, size_t len, uint32_t nsamples)
{
	unsigned char h[SPOOL_HEADER];
	char tmp[4200], path[4200];
	uint64_t total = SPOOL_HEADER + len;
	struct rec *r;
	int fd, err;

	if (len > UINT32_MAX)
		return -E2BIG;
	if (total > sp->max_bytes) {	/* would never fit: lost at once */
		sp->st.dropped_records++;
		sp->st.dropped_samples += nsamples;
		return -ENOSPC;
	}
	while (sp->n && sp->st.bytes + total > sp->max_bytes)
		_remove_oldest(sp, true);
	/* the array's dead head is reclaimed before it grows */
	if (sp->head && sp->n + sp->head == sp->cap) {
		memmove(sp->r, sp->r + sp->head, sp->n * sizeof(*sp->r));
		sp->head = 0;
	}
	memcpy(h, magic, 4);
	_put32(h + 4, (uint32_t)len);
	_put32(h + 8, (uint32_t)crc32(0L, buf, (uInt)len));
	_put32(h + 12, nsamples);
	_path(sp, sp->next_seq, "tmp", tmp, sizeof(tmp));
	_path(sp, sp->next_seq, "rw", path, sizeof(path));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = _write_all(fd, h, sizeof(h));
	if (!err)
		err = _write_all(fd, buf, len);
	if (!err && fdatasync(fd))
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	{
		size_t end = sp->head + sp->n;

		if (VEC_RESERVE(sp->r, sp->cap, end + 1)) {
			unlink(path);
			return -ENOMEM;
		}
		r = &sp->r[end];
	}
	*r = (struct rec){ sp->next_seq++, total };
	sp->n++;
	sp->st.records = sp->n;
	sp->st.bytes += total;
	sp->st.appended++;
	return 0;
}

/* Reads the record at the head: 0, or -EBADMSG when it is torn. */
static int _read(struct spool *sp, void **buf, size_t *len, uint32_t *nsamples)
{
	char path[4200];
	unsigned char h[SPOOL_HEADER];
	struct rec *r = &sp->r[sp->head];
	uint32_t plen;
	char *p = NULL;
	int fd, err = -EBADMSG;
	ssize_t got;

	_path(sp, r->seq, "rw", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EBADMSG;
	if (read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h, magic, 4))
		goto cleanup;
	plen = _get32(h + 4);
	*nsamples = _get32(h + 12);
	if ((uint64_t)plen + SPOOL_HEADER != r->bytes)
		goto cleanup;
	p = malloc(plen ? plen : 1);
	if (!p) {
		err = -ENOMEM;
		goto cleanup;
	}
	got = read(fd, p, plen);
	if (got != (ssize_t)plen || crc32(0L, (const unsigned char *)p, plen) != _get32(h + 8))
		goto cleanup;
	*buf = p;
	*len = plen;
	p = NULL;
	err = 0;
cleanup:
	free(p);
	close(fd);
	return err;
}

int spool__peek(struct spool *sp, void **buf, size_t *len, uint32_t *nsamples)
{
	*buf = NULL;
	while (sp->n) {
		int err = _read(sp, buf, len, nsamples);

		if (err != -EBADMSG)
			return err;
		sp->st.torn++;
		_remove_oldest(sp, true);
	}
	return -ENOENT;
}

int spool__pop(struct spool *sp)
{
	if (!sp->n)
		return -ENOENT;
	_remove_oldest(sp, false);
	return 0;
}

void spool__stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
}
