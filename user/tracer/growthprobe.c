/* growthprobe — the growth-stack BPF programs; see growthprobe.h. */
#include "tracer/growthprobe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "growth.skel.h"

#include "lib/log.h"
#include "seep_heap.h"

_Static_assert(sizeof(struct seep_tel_growth) == 112, "seep_tel_growth layout");
_Static_assert(sizeof(struct seep_tel_watch) == 8, "seep_tel_watch layout");

#define DEFAULT_SAMPLE_BYTES (512 * 1024)

struct growthprobe {
	struct growth_bpf *skel;
	struct ring_buffer *ring;
	int stats_fd;		/* bpf_enable_stats(BPF_STATS_RUN_TIME), or -1 */
	int ncpus;
	uint64_t sample_bytes;
	growthprobe_fn *fn;	/* during growthprobe__poll */
	void *ctx;
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
	return 0;
}

int growthprobe__open(const struct growthprobe_opts *opts, struct growthprobe **out, char *err,
		      size_t errlen)
{
	struct growthprobe *p = calloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->stats_fd = -1;
	p->ncpus = libbpf_num_possible_cpus();
	p->skel = growth_bpf__open();
	if (!p->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open 'growth.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	p->sample_bytes = opts && opts->sample_bytes ? opts->sample_bytes : DEFAULT_SAMPLE_BYTES;
	p->skel->rodata->cfg_growth_mode = opts && opts->mode == SEEP_TEL_GROWTH_ALL
						   ? SEEP_TEL_GROWTH_ALL : SEEP_TEL_GROWTH_WATCHED;
	p->skel->rodata->cfg_growth_sample_bytes = p->sample_bytes;
	if (opts && opts->stack_bytes)
		p->skel->rodata->cfg_stack_bytes = opts->stack_bytes < SEEP_TEL_STACK_COPY
							   ? opts->stack_bytes : SEEP_TEL_STACK_COPY;
	for (int i = 0; i < SEEP_EXP_TABLE; i++)
		p->skel->rodata->cfg_exp[i] =
			(__u32)(-log((i + 0.5) / SEEP_EXP_TABLE) * SEEP_EXP_SCALE + 0.5);
	if (opts && opts->max_watch)
		bpf_map__set_max_entries(p->skel->maps.growth_pids, opts->max_watch);
	ret = growth_bpf__load(p->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load 'growth.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	ret = growth_bpf__attach(p->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach 'tp_btf/sys_exit' and 'tp_btf/page_fault_user': %s",
			 strerror(-ret));
		goto fail;
	}
	p->ring = ring_buffer__new(bpf_map__fd(p->skel->maps.growth), _on_event, p, NULL);
	if (!p->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring 'growth': %s", strerror(-ret));
		goto fail;
	}
	p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->stats_fd < 0)
		pr_warn("cannot enable BPF run-time statistics: %s", strerror(errno));
	*out = p;
	return 0;
fail:
	growthprobe__free(p);
	return ret;
}

void growthprobe__free(struct growthprobe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->ring);
	growth_bpf__destroy(p->skel);	/* detaches every link, closes every fd */
	if (p->stats_fd >= 0)
		close(p->stats_fd);
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
	n = ring_buffer__consume(p->ring);
	p->fn = NULL;
	return n;
}

int growthprobe__fd(const struct growthprobe *p)
{
	return ring_buffer__epoll_fd(p->ring);
}

uint64_t growthprobe__sample_bytes(const struct growthprobe *p)
{
	return p->sample_bytes;
}

int growthprobe__stats(struct growthprobe *p, uint64_t out[SEEP_TEL_NSTATS])
{
	int fd = bpf_map__fd(p->skel->maps.stats), err = 0;
	__u64 *v = calloc((size_t)p->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < SEEP_TEL_NSTATS; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < p->ncpus; c++)
			out[i] += v[c];
	}
	free(v);
	return err;
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

	*stats_on = p->stats_fd >= 0;
	for (int i = 0; i < GROWTHPROBE_NPROGS; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", bpf_program__name(progs[i]));
		out[i].attached = links[i] != NULL;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len))
			return -errno;
		out[i].run_time_ns = info.run_time_ns;
		out[i].run_cnt = info.run_cnt;
		out[i].recursion_misses = info.recursion_misses;
	}
	return 0;
}

int growthprobe__detach(struct growthprobe *p)
{
	int err = 0;

	if (p->skel->links.sys_exit_growth)
		err = bpf_link__destroy(p->skel->links.sys_exit_growth);
	p->skel->links.sys_exit_growth = NULL;
	if (p->skel->links.page_fault_user_growth) {
		int e = bpf_link__destroy(p->skel->links.page_fault_user_growth);

		err = err ? err : e;
	}
	p->skel->links.page_fault_user_growth = NULL;
	return err;
}
