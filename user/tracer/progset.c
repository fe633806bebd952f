/* progset — the shared plumbing of the daemon's BPF objects; see progset.h. */
#include "tracer/progset.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

static int _libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log__verbosity() < 2)
		return 0;
	if (level == LIBBPF_INFO && log__verbosity() < 1)
		return 0;
	log__vmsg(level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

void progset__log_libbpf(void)
{
	libbpf_set_print(_libbpf_print);
}

int progset__load_attach(struct bpf_object_skeleton *s, const char *obj, const char *what,
			 char *err, size_t errlen)
{
	int ret = bpf_object__load_skeleton(s);

	if (ret) {
		snprintf(err, errlen, "cannot load '%s': %s", obj, strerror(-ret));
		return ret;
	}
	ret = bpf_object__attach_skeleton(s);
	if (ret)
		snprintf(err, errlen, "cannot attach %s: %s", what, strerror(-ret));
	return ret;
}

int progset__init(struct progset *ps, const struct bpf_map *ring, ring_buffer_sample_fn fn,
		  void *ctx, char *err, size_t errlen)
{
	int ret;

	ps->stats_fd = -1;
	ps->ncpus = libbpf_num_possible_cpus();
	if (ps->ncpus <= 0) {
		ret = ps->ncpus ? ps->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count the possible CPUs: %s", strerror(-ret));
		return ret;
	}
	ps->ring = ring_buffer__new(bpf_map__fd(ring), fn, ctx, NULL);
	if (!ps->ring) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring '%s': %s", bpf_map__name(ring),
			 strerror(-ret));
		return ret;
	}
	ps->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (ps->stats_fd < 0)
		pr_warn("cannot enable BPF run-time statistics: %s", strerror(errno));
	return 0;
}

void progset__release(struct progset *ps)
{
	if (!ps)
		return;
	ring_buffer__free(ps->ring);
	ps->ring = NULL;
	if (ps->stats_fd >= 0)
		close(ps->stats_fd);
	ps->stats_fd = -1;
}

int progset__stats(const struct progset *ps, const struct bpf_map *stats, uint64_t *out,
		   uint32_t n)
{
	int fd = bpf_map__fd(stats), err = 0;
	__u64 *v = calloc((size_t)ps->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ps->ncpus; c++)
			out[i] += v[c];
	}
	free(v);
	return err;
}

int progset__costs(struct bpf_program *const *progs, struct bpf_link *const *links, size_t n,
		   struct telemetry_cost *out)
{
	for (size_t i = 0; i < n; i++) {
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

int progset__attach(struct bpf_program *prog, struct bpf_link **link)
{
	struct bpf_link *l;

	if (*link)
		return 0;
	l = bpf_program__attach(prog);
	if (!l)
		return -errno;
	*link = l;
	return 0;
}

int progset__detach(struct bpf_link **link)
{
	int err;

	if (!*link)
		return 0;
	err = bpf_link__destroy(*link);
	*link = NULL;
	return err;
}
