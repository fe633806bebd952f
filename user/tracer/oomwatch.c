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
#include "oom.skel.h"
#include "seep_oom.h"

_Static_assert(sizeof(struct seep_oom_event) == 32, "seep_oom_event layout");

struct oomwatch {
	struct oom_bpf *skel;
	struct ring_buffer *ring;
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
	n = ring_buffer__consume(w->ring);
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
	w->fn = fn;
	w->ctx = ctx;
	w->skel = oom_bpf__open_and_load();
	if (!w->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot load 'oom.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	if ((ret = oom_bpf__attach(w->skel))) {
		snprintf(err, errlen, "cannot attach 'tp_btf/mark_victim': %s", strerror(-ret));
		goto fail;
	}
	w->ring = ring_buffer__new(bpf_map__fd(w->skel->maps.events), _on_event, w, NULL);
	if (!w->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring 'events': %s", strerror(-ret));
		goto fail;
	}
	w->ring_fd = ring_buffer__epoll_fd(w->ring);
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
	ring_buffer__free(w->ring);
	oom_bpf__destroy(w->skel);
	free(w);
}

int oomwatch__stats(struct oomwatch *w, uint64_t *victims, uint64_t *dropped)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(w->skel->maps.stats);
	uint64_t *v;
	uint32_t key;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*victims = *dropped = 0;
	for (key = 0; key < SEEP_OOM_NSTATS && !err; key++) {
		if (bpf_map_lookup_elem(fd, &key, v)) {
			err = -errno;
			break;
		}
		for (int i = 0; i < ncpu; i++)
			*(key == SEEP_OOM_EVENTS ? victims : dropped) += v[i];
	}
	free(v);
	return err;
}
