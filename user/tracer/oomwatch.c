/* oomwatch — the OOM killer's victims; see oomwatch.h. */
#include "tracer/oomwatch.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/evloop.h"
#include "lib/log.h"
#include "tracer/progset.h"
#include "oom.skel.h"
#include "seep_oom.h"

_Static_assert(sizeof(struct seep_oom_event) == 32, "seep_oom_event layout");

struct oomwatch {
	struct oom_bpf *skel;
	struct progset ps;	/* the ring `events` */
	struct evloop *loop;
	int ring_fd;
	oomwatch_fn *fn;
	void *ctx;
};

static int _on_event(void *ctx, void *data, size_t len)
{
	struct oomwatch *w = ctx;
	const struct seep_oom_event *e = data;
	long page = sysconf(_SC_PAGESIZE);

	if (len < sizeof(*e))
		return 0;
	w->fn((int)e->pid, e->rss_pages > 0 ? (uint64_t)e->rss_pages * (uint64_t)page : 0, w->ctx);
	return 0;
}

static int _on_ready(int fd, uint32_t events, void *ctx)
{
	struct oomwatch *w = ctx;
	int n;

	(void)fd;
	(void)events;
	n = ring_buffer__consume(w->ps.ring);
	if (n < 0)
		pr_warn("cannot read the ring of 'mark_victim': %s", strerror(-n));
	return 0;
}

int oomwatch__new(struct evloop *loop, oomwatch_fn *fn, void *ctx, struct oomwatch **out,
		  char *err, size_t errlen)
{
	struct oomwatch *w = calloc(1, sizeof(*w));
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->ring_fd = -1;
	w->ps.stats_fd = -1;
	w->fn = fn;
	w->ctx = ctx;
	progset__log_libbpf();
	w->skel = oom_bpf__open();
	if (!w->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open 'oom.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	ret = progset__load_attach(w->skel->skeleton, "oom.bpf.o", "'tp_btf/mark_victim'", err,
				   errlen);
	if (!ret)
		ret = progset__init(&w->ps, w->skel->maps.events, _on_event, w, err, errlen);
	if (ret)
		goto fail;
	w->ring_fd = ring_buffer__epoll_fd(w->ps.ring);
	if ((ret = evloop__add_fd(loop, w->ring_fd, EPOLLIN, _on_ready, w))) {
		w->ring_fd = -1;
		snprintf(err, errlen, "cannot wait on the ring 'events': %s", strerror(-ret));
		goto fail;
	}
	w->loop = loop;
	*out = w;
	return 0;
fail:
	oomwatch__free(w);
	return ret;
}

void oomwatch__free(struct oomwatch *w)
{
	if (!w)
		return;
	if (w->loop && w->ring_fd >= 0)
		evloop__remove_fd(w->loop, w->ring_fd);
	progset__release(&w->ps);
	oom_bpf__destroy(w->skel);
	free(w);
}

int oomwatch__stats(struct oomwatch *w, uint64_t *victims, uint64_t *dropped)
{
	uint64_t st[SEEP_OOM_NSTATS];
	int err = progset__stats(&w->ps, w->skel->maps.stats, st, SEEP_OOM_NSTATS);

	*victims = *dropped = 0;
	if (err)
		return err;
	for (uint32_t key = 0; key < SEEP_OOM_NSTATS; key++)
		*(key == SEEP_OOM_EVENTS ? victims : dropped) += st[key];
	return 0;
}
