/* memevents — memory events of limited cgroups; see memevents.h. */
#include "daemon/memevents.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "sys/cgroup.h"
#include "sys/sysfile.h"

enum { EV_MAX, EV_OOM, EV_OOM_KILL, EV_N, EV_PRESSURE = EV_N };

static const char *const ev_names[EV_N + 1] = { "limit", "oom", "oom_kill", "pressure" };
static const char *const v2_keys[EV_N] = { "max", "oom", "oom_kill" };

struct mw;

/* One descriptor on the loop: v1 an eventfd, v2 memory.events. */
struct mfd {
	struct mw *w;
	int fd;
	int kind;		/* v1: EV_MAX (threshold) or EV_OOM; v2: unused */
};

struct mw {
	struct memevents *owner;
	char path[256];
	uint64_t limit;
	bool seen;
	struct mfd fds[3];
	size_t nfds;
	uint64_t counts[EV_N];	/* v2: memory.events; v1: [EV_OOM_KILL] */
	bool events_polled;	/* v2 memory.events not pollable: compared each check */
	bool psi_polled;	/* v2 memory.pressure not pollable: its total compared */
	bool psi_on;		/* memory.pressure watched (either way) */
	uint64_t psi_total;	/* "some" total stall, µs, at the last check */
	double psi_t;		/* monotonic seconds of that check */
};

struct memevents {
	struct cgroup_memory cgm;
	struct evloop *loop;
	double share;
	char psi[64];		/* the v2 cgroup PSI trigger, "" for none */
	uint64_t psi_stall_us, psi_window_us;
	memevents_fn *fn;
	void *ctx;
	struct mw **w;
	size_t n, cap;
};

static void _path(const struct memevents *m, const char *cg, const char *file, char *out,
		  size_t len)
{
	snprintf(out, len, "%s%s/%s", m->cgm.root, strcmp(cg, "/") ? cg : "", file);
}

/* v2 memory.events, or the oom_kill line of v1 memory.oom_control, into C. */
static int _read_counts(const struct memevents *m, const char *cg, uint64_t c[EV_N])
{
	char path[PATH_MAX + 300], key[64];
	unsigned long long v;
	FILE *f;

	_path(m, cg, m->cgm.version == 2 ? "memory.events" : "memory.oom_control", path,
	      sizeof(path));
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		for (int i = 0; i < EV_N; i++)
			if (m->cgm.version == 2 ? !strcmp(key, v2_keys[i])
						: i == EV_OOM_KILL && !strcmp(key, "oom_kill"))
				c[i] = v;
	fclose(f);
	return 0;
}

/* v2: memory.events read again; every counter that rose is an event. */
static void _compare(struct mw *w)
{
	struct memevents *m = w->owner;
	uint64_t now[EV_N];

	memcpy(now, w->counts, sizeof(now));
	if (_read_counts(m, w->path, now))
		return;
	for (int i = 0; i < EV_N; i++)
		if (now[i] > w->counts[i])
			m->fn(w->path, ev_names[i], m->ctx);
	memcpy(w->counts, now, sizeof(now));
}

/* The "some" line's total= of the cgroup's memory.pressure, µs. */
static int _psi_total(const struct memevents *m, const char *cg, uint64_t *total)
{
	char path[PATH_MAX + 300], buf[512], *p;

	_path(m, cg, "memory.pressure", path, sizeof(path));
	if (sysfile__read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	if ((p = strchr(buf, '\n')))
		*p = '\0';	/* the "some" line only */
	if (strncmp(buf, "some ", 5) || !(p = strstr(buf, "total=")))
		return -EINVAL;
	*total = strtoull(p + 6, NULL, 10);
	return 0;
}

static void _mw_free(struct mw *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nfds; i++) {
		evloop__remove_fd(w->owner->loop, w->fds[i].fd);
		close(w->fds[i].fd);
	}
	free(w);
}

static int _on_fd(int fd, uint32_t events, void *ctx)
{
	struct mfd *f = ctx;
	struct mw *w = f->w;
	struct memevents *m = w->owner;
	uint64_t now[EV_N], v;

	memcpy(now, w->counts, sizeof(now));
	if (m->cgm.version == 1) {
		struct cgroup_usage u;

		if (read(fd, &v, sizeof(v)) != sizeof(v))
			return 0;
		if (events & EPOLLHUP)
			return 0;
		if (f->kind == EV_MAX) {
			/* the threshold fires both ways: only upwards counts */
			if (!cgroup__read(&m->cgm, w->path, &u) &&
			    (double)u.usage >= m->share * (double)w->limit)
				m->fn(w->path, ev_names[EV_MAX], m->ctx);
			return 0;
		}
		m->fn(w->path, ev_names[EV_OOM], m->ctx);
		if (!_read_counts(m, w->path, now) && now[EV_OOM_KILL] > w->counts[EV_OOM_KILL])
			m->fn(w->path, ev_names[EV_OOM_KILL], m->ctx);
		memcpy(w->counts, now, sizeof(now));
		return 0;
	}
	if (f->kind == EV_PRESSURE) {
		if (events & EPOLLPRI)
			m->fn(w->path, ev_names[EV_PRESSURE], m->ctx);
		return 0;
	}
	if (!(events & (EPOLLPRI | EPOLLERR)))
		return 0;
	_compare(w);
	return 0;
}

static int _add(struct mw *w, int fd, uint32_t events, int kind)
{
	struct mfd *f = &w->fds[w->nfds];
	int err;

	f->w = w;
	f->fd = fd;
	f->kind = kind;
	if ((err = evloop__add_fd(w->owner->loop, fd, events, _on_fd, f))) {
		close(fd);
		return err;
	}
	w->nfds++;
	return 0;
}

/* v1: an eventfd registered on cgroup.event_control for FILE (ARG: the
 * threshold, or NULL). */
static int _v1_event(struct mw *w, const char *file, const char *arg, int kind)
{
	struct memevents *m = w->owner;
	char path[PATH_MAX + 300], line[128];
	int efd = -1, cfd = -1, ctl = -1, err = 0;

	if ((efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -errno;
	_path(m, w->path, file, path, sizeof(path));
	if ((cfd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = -errno;
		goto cleanup;
	}
	_path(m, w->path, "cgroup.event_control", path, sizeof(path));
	if ((ctl = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		err = -errno;
		goto cleanup;
	}
	snprintf(line, sizeof(line), "%d %d%s%s", efd, cfd, arg ? " " : "", arg ? arg : "");
	if (write(ctl, line, strlen(line)) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = _add(w, efd, EPOLLIN, kind);
	efd = -1;	/* _add owns it, or closed it */
cleanup:
	if (efd >= 0)
		close(efd);
	if (cfd >= 0)
		close(cfd);
	if (ctl >= 0)
		close(ctl);
	return err;
}

/* v2: the PSI trigger written to the cgroup's memory.pressure and polled
 * for POLLPRI; where the file takes the trigger but cannot be polled, the
 * "some" total is compared every check instead. A cgroup without the
 * file (no PSI) is watched without it. */
static void _psi_open(struct mw *w)
{
	struct memevents *m = w->owner;
	char path[PATH_MAX + 300];
	int fd, err;

	_path(m, w->path, "memory.pressure", path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return;
	if (write(fd, m->psi, strlen(m->psi) + 1) < 0) {
		pr_info("cgroup '%s': no pressure trigger: cannot set '%s': %s", w->path, m->psi,
			strerror(errno));
		close(fd);
		return;
	}
	err = _add(w, fd, EPOLLPRI, EV_PRESSURE);	/* closes FD on failure */
	if (err == -EPERM)
		w->psi_polled = true, err = 0;
	if (err)
		return;
	w->psi_on = true;
	if (_psi_total(m, w->path, &w->psi_total))
		w->psi_total = 0;
	w->psi_t = clock__mono_s();
}

static int _mw_open(struct memevents *m, const char *cg, uint64_t limit, struct mw **out)
{
	struct mw *w = calloc(1, sizeof(*w));
	char path[PATH_MAX + 300], thr[32];
	int err, fd;

	if (!w)
		return -ENOMEM;
	w->owner = m;
	snprintf(w->path, sizeof(w->path), "%s", cg);
	w->limit = limit;
	_read_counts(m, cg, w->counts);	/* a missing file shows below */
	if (m->cgm.version == 2) {
		_path(m, cg, "memory.events", path, sizeof(path));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			err = -errno;
			goto fail;
		}
		/* a file that cannot be polled (not kernfs): compared every check */
		if ((err = _add(w, fd, EPOLLPRI, EV_MAX)) == -EPERM)
			w->events_polled = true, err = 0;
		if (err)
			goto fail;
		if (m->psi[0])
			_psi_open(w);
	} else {
		snprintf(thr, sizeof(thr), "%" PRIu64, (uint64_t)(m->share * (double)limit));
		if ((err = _v1_event(w, "memory.usage_in_bytes", thr, EV_MAX)) ||
		    (err = _v1_event(w, "memory.oom_control", NULL, EV_OOM)))
			goto fail;
	}
	*out = w;
	return 0;
fail:
	_mw_free(w);
	return err;
}

int memevents__new(const char *mounts, struct evloop *loop, double share, memevents_fn *fn,
		   void *ctx, struct memevents **out, char *err, size_t errlen)
{
	struct memevents *m = calloc(1, sizeof(*m));
	char path[PATH_MAX + 64];
	int ret;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	if ((ret = cgroup__find_memory(mounts, &m->cgm))) {
		snprintf(err, errlen, "no cgroup hierarchy with the memory controller");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", m->cgm.root,
		 m->cgm.version == 2 ? "cgroup.controllers" : "cgroup.event_control");
	if (access(path, F_OK)) {
		ret = m->cgm.version == 2 ? -ENOENT : -EOPNOTSUPP;
		snprintf(err, errlen, "cannot use '%s': %s", path, strerror(errno));
		goto fail;
	}
	m->loop = loop;
	m->share = share;
	m->fn = fn;
	m->ctx = ctx;
	*out = m;
	return 0;
fail:
	free(m);
	return ret;
}

void memevents__free(struct memevents *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		_mw_free(m->w[i]);
	free(m->w);
	free(m);
}

int memevents__version(const struct memevents *m)
{
	return m->cgm.version;
}

size_t memevents__count(const struct memevents *m)
{
	return m->n;
}

void memevents__begin(struct memevents *m)
{
	for (size_t i = 0; i < m->n; i++)
		m->w[i]->seen = false;
}

int memevents__watch(struct memevents *m, const char *cg, uint64_t limit)
{
	struct mw *w = NULL;
	int err;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->w[i]->path, cg))
			continue;
		if (m->w[i]->limit == limit) {
			m->w[i]->seen = true;
			return 0;
		}
		_mw_free(m->w[i]);	/* a new limit: watched anew */
		m->w[i] = m->w[--m->n];
		break;
	}
	if (VEC_RESERVE(m->w, m->cap, m->n + 1))
		return -ENOMEM;
	if ((err = _mw_open(m, cg, limit, &w))) {
		pr_warn("cannot watch the memory events of cgroup '%s': %s", cg, strerror(-err));
		/* kept without descriptors: not tried again while its limit stays */
		if (!(w = calloc(1, sizeof(*w))))
			return -ENOMEM;
		w->owner = m;
		snprintf(w->path, sizeof(w->path), "%s", cg);
		w->limit = limit;
	}
	w->seen = true;
	m->w[m->n++] = w;
	if (!err)
		pr_info("cgroup '%s': watching its memory events (limit %" PRIu64 " bytes)", cg,
			limit);
	return err;
}

int memevents__set_psi(struct memevents *m, const char *trigger)
{
	unsigned long long stall, window;
	char kind[8];

	if (!trigger || !*trigger) {
		m->psi[0] = '\0';
		return 0;
	}
	if (sscanf(trigger, "%7s %llu %llu", kind, &stall, &window) != 3 ||
	    (strcmp(kind, "some") && strcmp(kind, "full")) || !window ||
	    strlen(trigger) >= sizeof(m->psi))
		return -EINVAL;
	snprintf(m->psi, sizeof(m->psi), "%s", trigger);
	m->psi_stall_us = stall;
	m->psi_window_us = window;
	return 0;
}

void memevents__check(struct memevents *m)
{
	double now = clock__mono_s();

	if (m->cgm.version != 2)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct mw *w = m->w[i];
		uint64_t total;
		double windows;

		if (w->nfds || w->events_polled)
			_compare(w);	/* a notification may have been missed */
		if (!w->psi_polled || _psi_total(m, w->path, &total))
			continue;
		/* the stall the trigger allows per window, over the time since */
		windows = (now - w->psi_t) * 1e6 / (double)m->psi_window_us;
		if (total > w->psi_total &&
		    (double)(total - w->psi_total) >= (double)m->psi_stall_us * fmax(windows, 1))
			m->fn(w->path, ev_names[EV_PRESSURE], m->ctx);
		w->psi_total = total;
		w->psi_t = now;
	}
}

void memevents__end(struct memevents *m)
{
	for (size_t i = 0; i < m->n;) {
		if (m->w[i]->seen) {
			i++;
			continue;
		}
		_mw_free(m->w[i]);
		m->w[i] = m->w[--m->n];
	}
}
