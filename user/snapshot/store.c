#include "snapshot/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define INDEX_NAME "index.json"
#define SNAP_FMT "snap-%06zu.pb.gz"

struct store {
	char *dir;
	json_t *index;           /* the index as written last */
	size_t n;                /* snapshots written */
};

static const char *_cause(int err)
{
	static __thread char buf[128];

	if (err == -ENOSPC)
		return "No space left on device (disk full)";
	snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

static long _write_delay_us(void)
{
	const char *s = getenv("SEEP_STORE_WRITE_DELAY_US");

	return s ? atol(s) : 0;
}

static int _write_all(int fd, const uint8_t *p, size_t len)
{
	long delay = _write_delay_us();
	size_t chunk = delay > 0 ? 256 : len;

	while (len) {
		ssize_t n = write(fd, p, len < chunk ? len : chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		if (delay > 0 && len)
			usleep((useconds_t)delay);
	}
	return 0;
}

/* Splits PATH into its directory (opened) and base name. */
static int _open_parent(const char *path, char *base, size_t base_len)
{
	char copy[PATH_MAX], copy2[PATH_MAX];
	int dfd;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	memcpy(copy2, copy, sizeof(copy));
	snprintf(base, base_len, "%s", basename(copy));
	dfd = open(dirname(copy2), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? -errno : dfd;
}

/* Refuses to start a write the disk cannot hold. */
static int _check_space(int fd, size_t len)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv))
		return 0;   /* unknown: the write itself will tell */
	return (uint64_t)sv.f_bavail * sv.f_frsize < len ? -ENOSPC : 0;
}

/* Writes and syncs BUF into a new file in DFD: unnamed if the file system
 * can, else TMPNAME. Returns the fd. */
static int _write_temp(int dfd, const char *tmpname, const void *buf, size_t len, bool *named)
{
	int fd, err;

	*named = false;
	fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		*named = true;
		unlinkat(dfd, tmpname, 0);
		fd = openat(dfd, tmpname, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, STORE_FILE_MODE);
	}
	if (fd < 0)
		return -errno;
	if ((err = _check_space(fd, len)) || (err = _write_all(fd, buf, len)))
		goto fail;
	if (fsync(fd)) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	if (*named)
		unlinkat(dfd, tmpname, 0);
	return err;
}

/* Gives the unnamed file FD the name NAME in DFD; -EEXIST if taken. */
static int _link_tmpfile(int fd, int dfd, const char *name)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) ? -errno : 0;
}

int store__write_file(const char *path, const void *buf, size_t len, bool replace)
{
	char base[NAME_MAX + 1], tmp[NAME_MAX + 16];
	bool named;
	int dfd, fd = -1, err;

	dfd = _open_parent(path, base, sizeof(base));
	if (dfd < 0) {
		err = dfd;
		goto cleanup;
	}
	snprintf(tmp, sizeof(tmp), ".%.200s.tmp", base);
	fd = _write_temp(dfd, tmp, buf, len, &named);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	if (!replace && named) {
		/* link() refuses an existing name, unlike rename() */
		err = linkat(dfd, tmp, dfd, base, 0) ? -errno : 0;
		unlinkat(dfd, tmp, 0);
	} else if (!replace) {
		err = _link_tmpfile(fd, dfd, base);
	} else {
		if (!named) {
			unlinkat(dfd, tmp, 0);   /* a complete leftover of a killed writer */
			err = _link_tmpfile(fd, dfd, tmp);
			if (err)
				goto cleanup;
		}
		err = renameat(dfd, tmp, dfd, base) ? -errno : 0;
		if (err)
			unlinkat(dfd, tmp, 0);
	}
	if (!err && fsync(dfd))
		err = -errno;
cleanup:
	if (err)
		pr_err("cannot write '%s': %s", path, err == -EEXIST ? "file exists" : _cause(err));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

int store__check_writable(const char *path)
{
	char base[NAME_MAX + 1], tmp[NAME_MAX + 16];
	struct stat st;
	bool named;
	int dfd, fd = -1, err = 0;

	dfd = _open_parent(path, base, sizeof(base));
	if (dfd < 0) {
		err = dfd;
		goto cleanup;
	}
	if (!fstatat(dfd, base, &st, 0) && S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	snprintf(tmp, sizeof(tmp), ".%.200s.tmp", base);
	fd = _write_temp(dfd, tmp, "", 0, &named);
	if (fd < 0)
		err = fd;
	else if (named)
		unlinkat(dfd, tmp, 0);
cleanup:
	if (err)
		pr_err("cannot write '%s': %s", path, _cause(err));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

/* ---- series -------------------------------------------------------------- */

static int _write_index(struct store *st)
{
	char path[PATH_MAX];
	char *text = json_dumps(st->index, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	int err;

	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/" INDEX_NAME, st->dir);
	err = store__write_file(path, text, strlen(text), true);
	free(text);
	return err;
}

/* Whether WORD (up to END) begins like NAME=: a shell assignment. */
static bool _is_assignment(const char *w, const char *end)
{
	const char *p = w;

	if (p == end || !(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return false;
	while (p < end && (*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9')))
		p++;
	return p < end && *p == '=';
}

/* The end of the shell word at P: the first blank outside quotes. */
static const char *_word_end(const char *p)
{
	char quote = 0;

	for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
		if (quote == '\'' ? *p == '\'' : quote == '"' ? *p == '"' : false)
			quote = 0;
		else if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		else if (*p == '\\' && quote != '\'' && p[1])
			p++;
	}
	return p;
}

char *store__redact_command(const char *cmd)
{
	size_t len = strlen(cmd), n = 0;
	char *out = malloc(2 * len + 1);   /* "A=1" -> "A=...": at most twice as long */
	const char *p = cmd;

	if (!out)
		return NULL;
	for (;;) {
		const char *w = p, *end, *eq;

		while (*w == ' ' || *w == '\t' || *w == '\n')
			w++;
		end = _word_end(w);
		if (!_is_assignment(w, end))
			break;
		/* the blanks before, NAME=, and "..." for a value */
		eq = strchr(w, '=') + 1;
		memcpy(out + n, p, (size_t)(eq - p));
		n += (size_t)(eq - p);
		if (end > eq) {
			memcpy(out + n, "...", 3);
			n += 3;
		}
		p = end;
	}
	memcpy(out + n, p, strlen(p) + 1);
	return out;
}

/* 0 if DIR is new or empty (created if missing); -EEXIST if it holds files. */
static int _claim_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (!mkdir(dir, 0755))
		return 0;
	if (errno != EEXIST)
		return -errno;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			err = -EEXIST;
			break;
		}
	closedir(d);
	return err;
}

int store__create(const char *dir, const struct series_info *info, struct store **out)
{
	char path[PATH_MAX];
	struct store *st;
	char *text, *command;
	int err;

	if (strlen(dir) > PATH_MAX - 32) {
		pr_err("cannot create series '%s': %s", dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	err = _claim_dir(dir);
	if (err == -EEXIST) {
		pr_err("cannot create series '%s': %s; choose another directory or remove it", dir,
		       store__is_series(dir) ? "it already holds a series" : "the directory is not empty");
		return err;
	}
	if (err) {
		pr_err("cannot create series '%s': %s", dir, strerror(-err));
		return err;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir))) {
		free(st);
		return -ENOMEM;
	}
	command = info->command ? store__redact_command(info->command) : NULL;
	if (info->command && !command) {
		store__free(st);
		return -ENOMEM;
	}
	st->index = json_pack("{s:s, s:i, s:i, s:s, s:o, s:f, s:f, s:[]}", "format", "seep-series",
			      "version", 1, "pid", info->pid, "comm", info->comm ? info->comm : "",
			      "command", command ? json_string(command) : json_null(),
			      "every_s", info->every_s, "started", clock__wall_s(), "snapshots");
	free(command);
	text = st->index ? json_dumps(st->index, JSON_INDENT(1)) : NULL;
	if (!text) {
		store__free(st);
		return -ENOMEM;
	}
	/* the first index is linked without replacing: two recorders cannot
	 * both claim an empty directory */
	snprintf(path, sizeof(path), "%s/" INDEX_NAME, dir);
	err = store__write_file(path, text, strlen(text), false);
	free(text);
	if (err) {
		store__free(st);
		return err;
	}
	*out = st;
	return 0;
}

void store__free(struct store *st)
{
	if (!st)
		return;
	json_decref(st->index);
	free(st->dir);
	free(st);
}

size_t store__count(const struct store *st)
{
	return st->n;
}

int store__add(struct store *st, const struct report *r, const void *buf, size_t len)
{
	char name[64], path[PATH_MAX];
	json_t *entry;
	int err;

	snprintf(name, sizeof(name), SNAP_FMT, st->n + 1);
	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	err = store__write_file(path, buf, len, false);
	if (err)
		return err;
	st->n++;
	entry = json_pack("{s:s, s:f, s:f, s:I, s:I, s:I, s:I}", "file", name,
			  "time", round(r->time * 1000) / 1000,
			  "elapsed_s", round(r->elapsed_s * 1000) / 1000,
			  "total_bytes", (json_int_t)r->total_bytes,
			  "total_count", (json_int_t)r->total_count,
			  "stacks", (json_int_t)r->stacks_total, "size", (json_int_t)len);
	if (!entry || json_array_append_new(json_object_get(st->index, "snapshots"), entry))
		return -ENOMEM;
	/* the process is known for sure once its first report is in */
	json_object_set_new(st->index, "pid", json_integer(r->pid));
	json_object_set_new(st->index, "comm", json_string(r->comm));
	return _write_index(st);
}

bool store__is_series(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" INDEX_NAME, dir);
	return access(path, F_OK) == 0;
}

static int _is_snapshot(const struct dirent *e)
{
	size_t seq;
	char tail[16];

	return sscanf(e->d_name, "snap-%zu.pb.%15s", &seq, tail) == 2 && !strcmp(tail, "gz") &&
	       e->d_name[0] != '.';
}

/* Is NAME (a plain file name) among the NAMES found on disk (sorted)? */
static bool _listed(struct dirent **names, int count, const char *name)
{
	int lo = 0, hi = count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2, c = strcmp(names[mid]->d_name, name);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Reads DIR's index.json and checks it against the snapshot files found
 * (NAMES, in name order): -EINVAL (logged) if it is not a series index;
 * *MISSING = the snapshots it names that are not there (warned). */
static int _check_index(const char *dir, struct dirent **names, int count, size_t *missing)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *index, *snaps, *e;
	const char *format, *first = NULL;
	size_t i;
	int err = 0;

	*missing = 0;
	snprintf(path, sizeof(path), "%s/" INDEX_NAME, dir);
	index = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!index) {
		pr_err("cannot read series '%s': " INDEX_NAME " is corrupt: %.80s (line %d)", dir,
		       jerr.text, jerr.line);
		return -EINVAL;
	}
	format = json_string_value(json_object_get(index, "format"));
	snaps = json_object_get(index, "snapshots");
	if (!format || strcmp(format, "seep-series") || !json_is_array(snaps)) {
		pr_err("cannot read series '%s': " INDEX_NAME " is not a seep series index", dir);
		err = -EINVAL;
		goto cleanup;
	}
	json_array_foreach(snaps, i, e) {
		const char *file = json_string_value(json_object_get(e, "file"));

		if (!file || strchr(file, '/') || !file[0]) {
			pr_err("cannot read series '%s': " INDEX_NAME " is corrupt: snapshot %zu has no plain file name",
			       dir, i + 1);
			err = -EINVAL;
			goto cleanup;
		}
		if (!_listed(names, count, file)) {
			if (!*missing)
				first = file;
			(*missing)++;
		}
	}
	if (*missing)
		pr_warn("series '%s': %zu of the %zu snapshots " INDEX_NAME " lists are missing (the first: '%s'); the series has gaps",
			dir, *missing, json_array_size(snaps), first);
cleanup:
	json_decref(index);
	return err;
}

int store__list_checked(const char *dir, char ***paths, size_t *n, size_t *missing)
{
	struct dirent **names = NULL;
	size_t lost = 0;
	int count, err = 0;

	*paths = NULL;
	*n = 0;
	if (missing)
		*missing = 0;
	if (!store__is_series(dir)) {
		pr_err("'%s' is not a snapshot series (no " INDEX_NAME ")", dir);
		return -ENOENT;
	}
	count = scandir(dir, &names, _is_snapshot, alphasort);
	if (count < 0) {
		err = -errno;
		pr_err("cannot read series '%s': %s", dir, strerror(-err));
		return err;
	}
	err = _check_index(dir, names, count, &lost);
	if (missing)
		*missing = lost;
	*paths = err ? NULL : calloc(count ? (size_t)count : 1, sizeof(char *));
	for (int i = 0; i < count; i++) {
		if (err)
			;
		else if (*paths && asprintf(&(*paths)[*n], "%s/%s", dir, names[i]->d_name) >= 0)
			(*n)++;
		else
			err = -ENOMEM;
		free(names[i]);
	}
	free(names);
	if (err) {
		store__list_free(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	return err;
}

int store__list(const char *dir, char ***paths, size_t *n)
{
	return store__list_checked(dir, paths, n, NULL);
}

void store__list_free(char **paths, size_t n)
{
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}
