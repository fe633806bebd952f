/* telemetry — tier-0 BPF programs; see telemetry.h. */
#include "tracer/telemetry.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "telemetry.skel.h"

#include "lib/log.h"

_Static_assert(sizeof(struct seep_tel_proc) == 56, "seep_tel_proc layout");
_Static_assert(sizeof(struct seep_tel_event) == 80, "seep_tel_event layout");

struct telemetry {
	struct telemetry_bpf *skel;
	struct ring_buffer *ring;
	int stats_fd;		/* bpf_enable_stats(BPF_STATS_RUN_TIME), or -1 */
	int ncpus;
	telemetry_event_fn *fn;	/* during telemetry__poll */
	void *ctx;
};

static int _libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log__verbosity() < 2)
		return 0;
	if (level == LIBBPF_INFO && log__verbosity() < 1)
		return 0;
	log__vmsg(level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

static int _on_event(void *ctx, void *data, size_t len)
{
	struct telemetry *t = ctx;

	if (len >= sizeof(struct seep_tel_event))
		t->fn(data, t->ctx);
	return 0;
}

int telemetry__open(const struct telemetry_opts *opts, struct telemetry **out, char *err,
		    size_t errlen)
{
	struct telemetry *t = calloc(1, sizeof(*t));
	int ret;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->stats_fd = -1;
	libbpf_set_print(_libbpf_print);
	t->ncpus = libbpf_num_possible_cpus();
	t->skel = telemetry_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open 'telemetry.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	if (opts && opts->max_procs)
		bpf_map__set_max_entries(t->skel->maps.procs, opts->max_procs);
	ret = telemetry_bpf__load(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load 'telemetry.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	ret = telemetry_bpf__attach(t->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach 'tp_btf/rss_stat' and 'sched_process_*': %s",
			 strerror(-ret));
		goto fail;
	}
	t->ring = ring_buffer__new(bpf_map__fd(t->skel->maps.events), _on_event, t, NULL);
	if (!t->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring 'events': %s", strerror(-ret));
		goto fail;
	}
	t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (t->stats_fd < 0)
		pr_warn("cannot enable BPF run-time statistics: %s", strerror(errno));
	*out = t;
	return 0;
fail:
	telemetry__free(t);
	return ret;
}

void telemetry__free(struct telemetry *t)
{
	if (!t)
		return;
	ring_buffer__free(t->ring);
	telemetry_bpf__destroy(t->skel);	/* detaches every link, closes every fd */
	if (t->stats_fd >= 0)
		close(t->stats_fd);
	free(t);
}

int telemetry__poll(struct telemetry *t, telemetry_event_fn *fn, void *ctx)
{
	int n;

	t->fn = fn;
	t->ctx = ctx;
	n = ring_buffer__consume(t->ring);
	t->fn = NULL;
	return n < 0 ? n : n;
}

int telemetry__walk(struct telemetry *t, telemetry_proc_fn *fn, void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.procs);
	__u32 key, next, *prev = NULL;
	struct seep_tel_proc v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* removed by an exit meanwhile */
		fn(key, &v, ctx);
	}
	return 0;
}

void telemetry__forget(struct telemetry *t, uint32_t tgid)
{
	__u32 key = tgid;

	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.procs), &key);
}

int telemetry__stats(struct telemetry *t, uint64_t out[SEEP_TEL_NSTATS])
{
	int fd = bpf_map__fd(t->skel->maps.stats), err = 0;
	__u64 *v = calloc((size_t)t->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < SEEP_TEL_NSTATS; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < t->ncpus; c++)
			out[i] += v[c];
	}
	free(v);
	return err;
}

int telemetry__costs(struct telemetry *t, struct telemetry_cost out[TELEMETRY_NPROGS],
		     int *stats_on)
{
	struct bpf_program *progs[TELEMETRY_NPROGS] = {
		t->skel->progs.rss_stat_enter, t->skel->progs.sched_process_fork_enter,
		t->skel->progs.sched_process_exec_enter, t->skel->progs.sched_process_exit_enter,
	};
	struct bpf_link *links[TELEMETRY_NPROGS] = {
		t->skel->links.rss_stat_enter, t->skel->links.sched_process_fork_enter,
		t->skel->links.sched_process_exec_enter, t->skel->links.sched_process_exit_enter,
	};

	*stats_on = t->stats_fd >= 0;
	for (int i = 0; i < TELEMETRY_NPROGS; i++) {
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

int telemetry__detach_rss(struct telemetry *t)
{
	int err;

	if (!t->skel->links.rss_stat_enter)
		return 0;
	err = bpf_link__destroy(t->skel->links.rss_stat_enter);
	t->skel->links.rss_stat_enter = NULL;
	return err;
}

int telemetry__attach_rss(struct telemetry *t)
{
	struct bpf_link *l;

	if (t->skel->links.rss_stat_enter)
		return 0;
	l = bpf_program__attach(t->skel->progs.rss_stat_enter);
	if (!l)
		return -errno;
	t->skel->links.rss_stat_enter = l;
	return 0;
}

int telemetry__rss_attached(const struct telemetry *t)
{
	return t->skel->links.rss_stat_enter != NULL;
}
