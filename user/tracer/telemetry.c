/* telemetry — tier-0 BPF programs; see telemetry.h. */
#include "tracer/telemetry.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "telemetry.skel.h"

#include "lib/log.h"
#include "tracer/progset.h"

_Static_assert(sizeof(struct seep_tel_proc) == 56, "seep_tel_proc layout");
_Static_assert(sizeof(struct seep_tel_event) == 80, "seep_tel_event layout");

struct telemetry {
	struct telemetry_bpf *skel;
	struct progset ps;	/* the ring `events`, run-time statistics */
	telemetry_event_fn *fn;	/* during telemetry__poll */
	void *ctx;
};

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
	t->ps.stats_fd = -1;
	progset__log_libbpf();
	t->skel = telemetry_bpf__open();
	if (!t->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open 'telemetry.bpf.o': %s", strerror(-ret));
		goto fail;
	}
	if (opts && opts->max_procs)
		bpf_map__set_max_entries(t->skel->maps.procs, opts->max_procs);
	ret = progset__load_attach(t->skel->skeleton, "telemetry.bpf.o",
				   "'tp_btf/rss_stat' and 'sched_process_*'", err, errlen);
	if (!ret)
		ret = progset__init(&t->ps, t->skel->maps.events, _on_event, t, err, errlen);
	if (ret)
		goto fail;
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
	progset__release(&t->ps);
	telemetry_bpf__destroy(t->skel);	/* detaches every link, closes every fd */
	free(t);
}

int telemetry__poll(struct telemetry *t, telemetry_event_fn *fn, void *ctx)
{
	int n;

	t->fn = fn;
	t->ctx = ctx;
	n = ring_buffer__consume(t->ps.ring);
	t->fn = NULL;
	return n;
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
	return progset__stats(&t->ps, t->skel->maps.stats, out, SEEP_TEL_NSTATS);
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

	*stats_on = t->ps.stats_fd >= 0;
	return progset__costs(progs, links, TELEMETRY_NPROGS, out);
}

int telemetry__detach_rss(struct telemetry *t)
{
	return progset__detach(&t->skel->links.rss_stat_enter);
}

int telemetry__attach_rss(struct telemetry *t)
{
	int fd = bpf_map__fd(t->skel->maps.procs);
	__u32 key;

	if (t->skel->links.rss_stat_enter)
		return 0;
	/* the counts kept from before the detach are stale (and exits may have
	 * gone unseen): a process is read from /proc until its next change */
	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			break;
	return progset__attach(t->skel->progs.rss_stat_enter, &t->skel->links.rss_stat_enter);
}

int telemetry__rss_attached(const struct telemetry *t)
{
	return t->skel->links.rss_stat_enter != NULL;
}

int telemetry__detach_lifecycle(struct telemetry *t)
{
	int a = progset__detach(&t->skel->links.sched_process_fork_enter);
	int b = progset__detach(&t->skel->links.sched_process_exec_enter);
	int c = progset__detach(&t->skel->links.sched_process_exit_enter);

	return a ? a : b ? b : c;
}

int telemetry__attach_lifecycle(struct telemetry *t)
{
	int err = progset__attach(t->skel->progs.sched_process_fork_enter,
				  &t->skel->links.sched_process_fork_enter);

	if (!err)
		err = progset__attach(t->skel->progs.sched_process_exec_enter,
				      &t->skel->links.sched_process_exec_enter);
	if (!err)
		err = progset__attach(t->skel->progs.sched_process_exit_enter,
				      &t->skel->links.sched_process_exit_enter);
	if (err)
		telemetry__detach_lifecycle(t);	/* all three or none */
	return err;
}

int telemetry__lifecycle_attached(const struct telemetry *t)
{
	return t->skel->links.sched_process_exit_enter != NULL;
}
