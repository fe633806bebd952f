#include "lib/evloop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

#define EVENTS_PER_WAIT 64

/* A watched descriptor. Slots are reused; GEN tells a reused slot from the
 * registration an event in flight was meant for. */
struct _watch {
	int fd;                  /* -1: free slot */
	uint32_t gen;
	evloop_fd_fn *fn;
	void *ctx;
};

struct evloop {
	int epfd;
	struct hashmap by_fd;    /* fd -> index in watches */
	struct _watch *watches;
	size_t nwatches, watches_cap, nfds;
	uint32_t *free_slots;    /* indexes of free watches */
	size_t nfree, free_cap;
	struct evloop_timer **timers;   /* armed, unordered */
	size_t ntimers, timers_cap;
	uint64_t pass;
	bool stopped;
};

static uint64_t _fd_hash(int fd)
{
	return hash__bytes(&fd, sizeof(fd));
}

static bool _fd_eq(uint32_t id, const void *key, void *ctx)
{
	const struct evloop *l = ctx;

	return l->watches[id].fd == *(const int *)key;
}

int evloop__new(struct evloop **out)
{
	struct evloop *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	hashmap__init(&l->by_fd);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = -errno;
		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void evloop__free(struct evloop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->ntimers; i++)
		l->timers[i]->slot = 0;
	close(l->epfd);
	hashmap__release(&l->by_fd);
	free(l->watches);
	free(l->free_slots);
	free(l->timers);
	free(l);
}

/* A free watch slot: a reused one or a new one at the end. */
static int _take_slot(struct evloop *l, uint32_t *id)
{
	struct _watch *w;

	if (l->nfree) {
		*id = l->free_slots[--l->nfree];
		return 0;
	}
	if (l->nwatches >= UINT32_MAX - 1)
		return -EOVERFLOW;
	/* the slot must be returnable to the free list without failing */
	if (VEC_RESERVE(l->free_slots, l->free_cap, l->nwatches + 1))
		return -ENOMEM;
	w = VEC_PUSH(l->watches, l->nwatches, l->watches_cap);
	if (!w)
		return -ENOMEM;
	w->gen = 0;
	*id = (uint32_t)l->nwatches++;
	return 0;
}

int evloop__add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_fn *fn, void *ctx)
{
	uint64_t h = _fd_hash(fd);
	struct epoll_event ev = { .events = events };
	struct _watch *w;
	uint32_t id;
	int err;

	if (fd < 0)
		return -EBADF;
	if (hashmap__find(&l->by_fd, h, &fd, _fd_eq, l) >= 0)
		return -EEXIST;
	if ((err = _take_slot(l, &id)))
		return err;
	w = &l->watches[id];
	w->fd = fd;
	w->gen++;
	w->fn = fn;
	w->ctx = ctx;
	ev.data.u64 = (uint64_t)w->gen << 32 | id;
	err = hashmap__add(&l->by_fd, h, id);
	if (!err && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		hashmap__remove(&l->by_fd, h, &fd, _fd_eq, l);
	}
	if (err) {
		w->fd = -1;
		l->free_slots[l->nfree++] = id;
		return err;
	}
	l->nfds++;
	return 0;
}

int evloop__remove_fd(struct evloop *l, int fd)
{
	int64_t id = hashmap__remove(&l->by_fd, _fd_hash(fd), &fd, _fd_eq, l);

	if (id < 0)
		return -ENOENT;
	/* a descriptor closed already has left the epoll set by itself */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->watches[id].fd = -1;
	l->free_slots[l->nfree++] = (uint32_t)id;
	l->nfds--;
	return 0;
}

size_t evloop__fds(const struct evloop *l)
{
	return l->nfds;
}

void evloop__timer_init(struct evloop_timer *t, evloop_timer_fn *fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->ctx = ctx;
}

int evloop__arm(struct evloop *l, struct evloop_timer *t, uint64_t deadline_ns)
{
	if (!t->slot) {
		struct evloop_timer **slot = VEC_PUSH(l->timers, l->ntimers, l->timers_cap);

		if (!slot)
			return -ENOMEM;
		*slot = t;
		t->slot = ++l->ntimers;
	}
	t->deadline_ns = deadline_ns;
	t->pass = l->pass;
	return 0;
}

void evloop__disarm(struct evloop *l, struct evloop_timer *t)
{
	size_t i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	l->timers[i] = l->timers[--l->ntimers];
	l->timers[i]->slot = i + 1;
	t->slot = 0;
}

uint64_t evloop__next_deadline(const struct evloop *l)
{
	uint64_t d = UINT64_MAX;

	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i]->deadline_ns < d)
			d = l->timers[i]->deadline_ns;
	return d;
}

/* epoll_wait's timeout for DEADLINE_NS: milliseconds rounded up, -1 for
 * none. */
static int _timeout_ms(uint64_t deadline_ns, uint64_t now)
{
	uint64_t ms;

	if (deadline_ns == UINT64_MAX)
		return -1;
	if (deadline_ns <= now)
		return 0;
	ms = (deadline_ns - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int _dispatch_fds(struct evloop *l, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t id = (uint32_t)ev[i].data.u64, gen = (uint32_t)(ev[i].data.u64 >> 32);
		const struct _watch *w = &l->watches[id];
		int err;

		if (w->fd < 0 || w->gen != gen)
			continue;   /* removed by an earlier callback of this pass */
		err = w->fn(w->fd, ev[i].events, w->ctx);
		if (err)
			return err;
	}
	return 0;
}

/* Fires the timers due at NOW that were armed before this pass. */
static int _fire_timers(struct evloop *l, uint64_t now)
{
	for (;;) {
		struct evloop_timer *due = NULL;
		int err;

		for (size_t i = 0; i < l->ntimers && !due; i++)
			if (l->timers[i]->deadline_ns <= now && l->timers[i]->pass < l->pass)
				due = l->timers[i];
		if (!due)
			return 0;
		evloop__disarm(l, due);
		err = due->fn(due, due->ctx);
		if (err)
			return err;
	}
}

int evloop__run_once(struct evloop *l, uint64_t deadline_ns)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	uint64_t next = evloop__next_deadline(l);
	int n, err;

	if (next < deadline_ns)
		deadline_ns = next;
	n = epoll_wait(l->epfd, ev, EVENTS_PER_WAIT, _timeout_ms(deadline_ns, clock__mono_ns()));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->pass++;
	err = _dispatch_fds(l, ev, n);
	return err ? err : _fire_timers(l, clock__mono_ns());
}

int evloop__run(struct evloop *l)
{
	int err = 0;

	l->stopped = false;
	while (!l->stopped && !err)
		err = evloop__run_once(l, UINT64_MAX);
	return err;
}

void evloop__stop(struct evloop *l)
{
	l->stopped = true;
}
