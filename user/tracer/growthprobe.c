/* growthprobe — the growth-stack BPF programs; see growthprobe.h. */
#include "tracer/growthprobe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "growth.skel.h"

#include "lib/log.h"
#include "lib/vec.h"
#include "tracer/progset.h"
#include "seep_heap.h"

_Static_assert(sizeof(struct seep_tel_growth) == 112, "seep_tel_growth layout");
_Static_assert(sizeof(struct seep_tel_watch) == 8, "seep_tel_watch layout");

#define DEFAULT_SAMPLE_BYTES (512 * 1024)
#define DEFAULT_RING_WATCHED (1u << 20)	/* about 60 stack copies of 16 KiB */
#define DEFAULT_RING_ALL (4u << 20)
#define MAX_RING (8u << 20)

struct growthprobe {
	struct growth_bpf *skel;
	struct progset ps;	/* the ring `growth`, run-time statistics */
	struct growthprobe_opts opts;
	uint64_t sample_bytes;
	growthprobe_fn *fn;	/* during growthprobe__poll */
	void *ctx;
	unsigned left;		/* events this poll may still hand out */
};

static int _on_event(void *ctx, void *data, size_t len)
{
	struct growthprobe *p = ctx;
	const struct seep_tel_growth *ev = data;
	size_t room;

	if (len < sizeof(*ev))
		return 0;
	room = len - sizeof(*ev);
	if (ev->stack_len > ev->top_off || ev->top_off > room || ev->top_len > room - ev->top_off)
		return 0;	/* not a record the BPF side writes */
	p->fn(ev, ev + 1, p->ctx);
	/* this record is consumed; a negative return stops before the next */
	return --p->left ? 0 : -EAGAIN;
}

/* The ring's size: a power of two of pages; every page of it is resident
 * (mapped twice by the reader), so it is sized for the mode and the
 * sampling: a few followed suspects sampled every 512 KiB need 1 MiB (every
 * process, 4 MiB); finer sampling sends proportionally more, up to 8 MiB. */
static uint32_t _ring_bytes(const struct growthprobe_opts *o, uint64_t sample_bytes)
{
	uint64_t want = o->mode == SEEP_TEL_GROWTH_ALL ? DEFAULT_RING_ALL : DEFAULT_RING_WATCHED;
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), r = page;

	if (sample_bytes < DEFAULT_SAMPLE_BYTES)
		want = want * DEFAULT_SAMPLE_BYTES / (sample_bytes ? sample_bytes : 1);
	if (want > MAX_RING)
		want = MAX_RING;
	if (o->ring_bytes)
		want = o->ring_bytes;
	while (r < want && r < (1u << 30))
		r <<= 1;
	return r;
}

/* The object with P's options and SAMPLE_BYTES, loaded and attached. */
static int _load(struct growthprobe *p, uint64_t sample_bytes, char *err, size_t errlen)
{
	const struct growthprobe_opts *o = &p->opts;
	int ret;

	p->skel = growth_bpf__open();
	if (!p->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open 'growth.bpf.o': %s", strerror(-ret));
		return ret;
	}
	p->sample_bytes = sample_bytes;
	p->skel->rodata->cfg_growth_mode = o->mode == SEEP_TEL_GROWTH_ALL ? SEEP_TEL_GROWTH_ALL
									 : SEEP_TEL_GROWTH_WATCHED;
	p->skel->rodata->cfg_growth_sample_bytes = p->sample_bytes;
	if (o->stack_bytes)
		p->skel->rodata->cfg_stack_bytes = o->stack_bytes < SEEP_TEL_STACK_COPY
							   ? o->stack_bytes : SEEP_TEL_STACK_COPY;
	for (int i = 0; i < SEEP_EXP_TABLE; i++)
		p->skel->rodata->cfg_exp[i] =
			(__u32)(-log((i + 0.5) / SEEP_EXP_TABLE) * SEEP_EXP_SCALE + 0.5);
	if (o->max_watch)
		bpf_map__set_max_entries(p->skel->maps.growth_pids, o->max_watch);
	bpf_map__set_max_entries(p->skel->maps.growth, _ring_bytes(o, sample_bytes));
	ret = progset__load_attach(p->skel->skeleton, "growth.bpf.o",
				   "'tp_btf/sys_exit' and 'tp_btf/page_fault_user'", err, errlen);
	if (!ret)
		ret = progset__init(&p->ps, p->skel->maps.growth, _on_event, p, err, errlen);
	return ret;
}

static void _unload(struct growthprobe *p)
{
	progset__release(&p->ps);
	growth_bpf__destroy(p->skel);	/* detaches every link, closes every fd */
	p->skel = NULL;
}

int growthprobe__open(const struct growthprobe_opts *opts, struct growthprobe **out, char *err,
		      size_t errlen)
{
	struct growthprobe *p = calloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->ps.stats_fd = -1;
	if (opts)
		p->opts = *opts;
	ret = _load(p, p->opts.sample_bytes ? p->opts.sample_bytes : DEFAULT_SAMPLE_BYTES, err,
		    errlen);
	if (ret) {
		growthprobe__free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void growthprobe__free(struct growthprobe *p)
{
	if (!p)
		return;
	_unload(p);
	free(p);
}

int growthprobe__watch(struct growthprobe *p, uint32_t tgid, uint64_t start_ticks)
{
	struct seep_tel_watch w = { .start_ticks = start_ticks };
	__u32 key = tgid;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.growth_pids), &key, &w, BPF_ANY))
		return -errno;
	return 0;
}

int growthprobe__unwatch(struct growthprobe *p, uint32_t tgid)
{
	__u32 key = tgid;

	if (bpf_map_delete_elem(bpf_map__fd(p->skel->maps.growth_pids), &key) && errno != ENOENT)
		return -errno;
	return 0;
}

int growthprobe__poll(struct growthprobe *p, growthprobe_fn *fn, void *ctx)
{
	int n;

	p->fn = fn;
	p->ctx = ctx;
	p->left = GROWTHPROBE_POLL_MAX;
	n = ring_buffer__consume(p->ps.ring);
	p->fn = NULL;
	if (n == -EAGAIN)
		return GROWTHPROBE_POLL_MAX;	/* more wait: the fd stays readable */
	return n;
}

int growthprobe__fd(const struct growthprobe *p)
{
	return ring_buffer__epoll_fd(p->ps.ring);
}

uint64_t growthprobe__sample_bytes(const struct growthprobe *p)
{
	return p->sample_bytes;
}

int growthprobe__stats(struct growthprobe *p, uint64_t out[SEEP_TEL_NSTATS])
{
	return progset__stats(&p->ps, p->skel->maps.stats, out, SEEP_TEL_NSTATS);
}

int growthprobe__costs(struct growthprobe *p, struct telemetry_cost out[GROWTHPROBE_NPROGS],
		       int *stats_on)
{
	struct bpf_program *progs[GROWTHPROBE_NPROGS] = {
		p->skel->progs.sys_exit_growth, p->skel->progs.page_fault_user_growth,
	};
	struct bpf_link *links[GROWTHPROBE_NPROGS] = {
		p->skel->links.sys_exit_growth, p->skel->links.page_fault_user_growth,
	};

	*stats_on = p->ps.stats_fd >= 0;
	return progset__costs(progs, links, GROWTHPROBE_NPROGS, out);
}

int growthprobe__detach(struct growthprobe *p)
{
	int a = progset__detach(&p->skel->links.sys_exit_growth);
	int b = progset__detach(&p->skel->links.page_fault_user_growth);

	return a ? a : b;
}

int growthprobe__attach(struct growthprobe *p)
{
	int err = progset__attach(p->skel->progs.sys_exit_growth, &p->skel->links.sys_exit_growth);

	if (!err)
		err = progset__attach(p->skel->progs.page_fault_user_growth,
				      &p->skel->links.page_fault_user_growth);
	if (err)
		growthprobe__detach(p);	/* both or none */
	return err;
}

int growthprobe__attached(const struct growthprobe *p)
{
	return p->skel->links.sys_exit_growth != NULL;
}

int growthprobe__resample(struct growthprobe *p, uint64_t sample_bytes, char *err, size_t errlen)
{
	struct seep_tel_watch w;
	__u32 key, next, *prev = NULL;
	struct {
		__u32 tgid;
		struct seep_tel_watch w;
	} *keep = NULL;
	size_t n = 0, cap = 0;
	int fd, ret = 0;
	bool attached = growthprobe__attached(p);

	if (sample_bytes == p->sample_bytes)
		return 0;
	/* the processes followed, to follow again */
	fd = bpf_map__fd(p->skel->maps.growth_pids);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &w))
			continue;
		if (VEC_RESERVE(keep, cap, n + 1)) {
			ret = -ENOMEM;
			snprintf(err, errlen, "cannot keep the processes followed: %s",
				 strerror(-ret));
			goto cleanup;
		}
		keep[n].tgid = key;
		keep[n++].w = w;
	}
	_unload(p);
	ret = _load(p, sample_bytes, err, errlen);
	if (ret) {
		_unload(p);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		key = keep[i].tgid;
		if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.growth_pids), &key, &keep[i].w,
					BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "cannot follow pid %u again: %s", key, strerror(-ret));
			goto cleanup;
		}
	}
	if (!attached)
		ret = growthprobe__detach(p);
cleanup:
	free(keep);
	return ret;
}
