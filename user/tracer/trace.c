#include "tracer/trace.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "elf/allocators.h"
#include "lib/clock.h"
#include "heap.skel.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "sys/proc.h"
#include "sys/procmaps.h"
#include "symbols/stackwalk.h"
#include "tracer/livetab.h"
#include "tracer/mapwalk.h"

_Static_assert(sizeof(struct seep_pc_slot) == 32, "seep_pc_slot layout");
_Static_assert(sizeof(struct seep_pc_rule) == 16, "seep_pc_rule layout");

struct probe {
	pid_t pid;
	uint64_t dev, ino, offset;
};

struct trace {
	struct heap_bpf *skel;
	bool sessions;
	bool shared;             /* probes shared by every process mapping a file */
	int *session_fds;        /* uprobe session links (raw bpf links) */
	size_t nsession_fds;
	struct ring_buffer *events;
	uint64_t consume_until_ns;  /* CLOCK_MONOTONIC end of the current consume */
	trace_event_fn event_fn;
	void *event_ctx;
	trace_exec_fn exec_fn;
	void *exec_ctx;
	struct bpf_link *exec_link;  /* tp_btf/sched_process_exec */
	struct bpf_link *exit_link;  /* tp_btf/sched_process_exit */
	bool watch_full_said;
	struct bpf_link **links;
	size_t nlinks, links_cap;
	struct probe *probes;
	size_t nprobes, probes_cap;
	int ncpus;
	struct livetab live;     /* the live table, mapped */
};

static int _libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level l = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;
	char buf[512];
	size_t n;

	if ((int)l > LOG_WARN + log__verbosity())
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log__msg(l, "libbpf: %s", buf);
	return 0;
}

int trace__check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)))
		return 0;
	pr_err("permission denied: tracing needs root or CAP_SYS_ADMIN (uprobes need it on this kernel)");
	return -EPERM;
}

int trace__check_btf(void)
{
	const char *path = getenv("SEEP_SYSFS_BTF");

	if (!path)
		path = "/sys/kernel/btf/vmlinux";
	if (access(path, R_OK) == 0)
		return 0;
	pr_err("kernel has no BTF ('%s' missing): seep needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
	       path);
	return -EOPNOTSUPP;
}

/* Uprobe sessions (kernel 6.12+) are not wrapped by Debian's libbpf 1.1:
 * the program is loaded with this expected attach type and linked by a raw
 * BPF_LINK_CREATE carrying the uprobe_multi attributes. */
#define ATTACH_UPROBE_SESSION 57

union link_create_attr {
	struct {
		__u32 prog_fd;
		__u32 target_fd;
		__u32 attach_type;
		__u32 flags;
		struct {
			__u64 path;
			__u64 offsets;
			__u64 ref_ctr_offsets;
			__u64 cookies;
			__u32 cnt;
			__u32 flags;
			__u32 pid;
		} uprobe_multi;
	};
	char size[128];
};

static bool _kernel_has_sessions(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool yes;

	if (!btf)
		return false;
	yes = btf__find_by_name_kind(btf, "bpf_session_is_return", BTF_KIND_FUNC) >= 0;
	btf__free(btf);
	return yes;
}

/* -ln((i + 0.5) / N): quantiles of the unit exponential distribution. */
static void _fill_exp_table(volatile __u32 *table)
{
	for (int i = 0; i < SEEP_EXP_TABLE; i++)
		table[i] = (__u32)(-log((i + 0.5) / SEEP_EXP_TABLE) * SEEP_EXP_SCALE + 0.5);
}

int trace__new(const struct trace_config *cfg, struct trace **out)
{
	struct trace *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	libbpf_set_print(_libbpf_print);
	t->ncpus = libbpf_num_possible_cpus();
	t->skel = heap_bpf__open();
	if (!t->skel) {
		err = -errno;
		pr_err("cannot open the BPF program: %s", strerror(-err));
		goto fail;
	}
	/* the live table: its buckets are allocated whole (~146 bytes of
	 * kernel memory per block it is sized for), its spill map as used */
	{
		uint32_t max_live = cfg->max_live ? cfg->max_live
			: cfg->sample_bytes <= 1 ? TRACE_MAX_LIVE_EXACT : TRACE_MAX_LIVE_SAMPLED;
		uint32_t nbuckets = livetab__buckets_for(max_live);

		bpf_map__set_max_entries(t->skel->maps.live, nbuckets);
		t->skel->rodata->cfg_live_buckets = nbuckets;
		bpf_map__set_max_entries(t->skel->maps.live_spill, max_live);
	}
	if (cfg->max_sites)
		bpf_map__set_max_entries(t->skel->maps.stack_totals, cfg->max_sites);
	if (cfg->max_stacks)
		bpf_map__set_max_entries(t->skel->maps.stacks, cfg->max_stacks);
	if (cfg->stack_bytes)
		t->skel->rodata->cfg_stack_bytes = cfg->stack_bytes;
	if (cfg->ring_bytes) {
		long page = sysconf(_SC_PAGESIZE);

		if (cfg->ring_bytes < page || (cfg->ring_bytes & (cfg->ring_bytes - 1))) {
			err = -EINVAL;
			pr_err("cannot size the stack ring to %u bytes: not a power of two of at "
			       "least a page", cfg->ring_bytes);
			goto fail;
		}
		bpf_map__set_max_entries(t->skel->maps.stack_events, cfg->ring_bytes);
		t->skel->rodata->cfg_ring_bytes = cfg->ring_bytes;
	}
	t->skel->rodata->cfg_sample_bytes = cfg->sample_bytes;
	_fill_exp_table(t->skel->rodata->cfg_exp);
	/* pid namespaces: the BPF side keys processes by their pids in ours */
	{
		uint64_t ns_dev, ns_ino;

		if ((err = proc__pid_namespace(&ns_dev, &ns_ino))) {
			pr_err("cannot read the pid namespace of seep: %s", strerror(-err));
			goto fail;
		}
		t->skel->rodata->cfg_pidns_dev = ns_dev;
		t->skel->rodata->cfg_pidns_ino = ns_ino;
	}
	t->sessions = !cfg->no_sessions && _kernel_has_sessions();
	t->shared = cfg->shared_probes;
	if (t->sessions)
		bpf_program__set_expected_attach_type(t->skel->progs.alloc_session_prog,
						      ATTACH_UPROBE_SESSION);
	else
		bpf_program__set_autoload(t->skel->progs.alloc_session_prog, false);
	err = heap_bpf__load(t->skel);
	if (err) {
		pr_err("cannot load the BPF program: %s%s", strerror(-err),
		       err == -EPERM ? " (need root or CAP_SYS_ADMIN)" : "");
		goto fail;
	}
	if ((err = livetab__map(&t->live, t->skel->maps.live, t->skel->maps.live_spill,
				(uint64_t *)&t->skel->bss->live_spilled)))
		goto fail;
	t->exec_link = bpf_program__attach(t->skel->progs.process_exec);
	if (!t->exec_link) {
		err = -errno;
		pr_err("cannot attach the exec tracepoint 'sched_process_exec': %s", strerror(-err));
		goto fail;
	}
	t->exit_link = bpf_program__attach(t->skel->progs.thread_exit);
	if (!t->exit_link) {
		err = -errno;
		pr_err("cannot attach the exit tracepoint 'sched_process_exit': %s", strerror(-err));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	trace__free(t);
	return err;
}

void trace__unhook(struct trace *t)
{
	/* the session links first: they hold the allocator's hot entries, and
	 * each detach below waits for a grace period after removing its
	 * breakpoints */
	for (size_t i = 0; i < t->nsession_fds; i++)
		close(t->session_fds[i]);
	t->nsession_fds = 0;
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
}

void trace__free(struct trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	for (size_t i = 0; i < t->nsession_fds; i++)
		close(t->session_fds[i]);
	free(t->session_fds);
	bpf_link__destroy(t->exec_link);
	bpf_link__destroy(t->exit_link);
	ring_buffer__free(t->events);
	free(t->links);
	free(t->probes);
	livetab__unmap(&t->live);
	heap_bpf__destroy(t->skel);
	free(t);
}

static int _push_link(struct trace *t, struct bpf_link *l)
{
	if (t->nlinks == t->links_cap) {
		size_t cap = t->links_cap ? t->links_cap * 2 : 64;
		struct bpf_link **v = realloc(t->links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->links = v;
		t->links_cap = cap;
	}
	t->links[t->nlinks++] = l;
	return 0;
}

static int _seen_probe(struct trace *t, const struct probe *p)
{
	for (size_t i = 0; i < t->nprobes; i++) {
		const struct probe *q = &t->probes[i];

		if (q->pid == p->pid && q->dev == p->dev && q->ino == p->ino && q->offset == p->offset)
			return 1;
	}
	if (t->nprobes == t->probes_cap) {
		size_t cap = t->probes_cap ? t->probes_cap * 2 : 64;
		struct probe *v = realloc(t->probes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->probes = v;
		t->probes_cap = cap;
	}
	t->probes[t->nprobes++] = *p;
	return 0;
}

static int _attach_one(struct trace *t, struct bpf_program *prog, pid_t pid,
		       const char *path, uint64_t offset, int retprobe, __u64 cookie,
		       const char *what)
{
	struct bpf_uprobe_opts opts;
	struct bpf_link *l;
	int err;

	memset(&opts, 0, sizeof(opts));  /* what LIBBPF_OPTS does; cppcheck can read this */
	opts.sz = sizeof(opts);
	opts.retprobe = retprobe;
	opts.bpf_cookie = cookie;
	l = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);

	if (!l) {
		err = -errno;
		pr_err("cannot attach %s '%s' in '%s': %s%s", retprobe ? "uretprobe" : "uprobe",
		       what, path, strerror(-err), err == -EPERM ? " (need CAP_SYS_ADMIN)" : "");
		return err;
	}
	return _push_link(t, l);
}

/* The attach cookie of F in this tracer (allocators__cookie, plus the
 * shared bit when probes are shared). */
static __u64 _cookie(const struct trace *t, const struct alloc_funcs *funcs,
		     const struct alloc_func *f, enum seep_unwind mode)
{
	return allocators__cookie(funcs, f, mode) | (t->shared ? SEEP_COOKIE_SHARED : 0);
}

static bool _is_alloc(enum seep_kind kind)
{
	return kind != SEEP_KIND_FREE && kind != SEEP_KIND_MUNMAP && kind != SEEP_KIND_DELETE;
}

/* One uprobe session link for the allocating functions F[0..N) of PATH in
 * PID (0: every process); each offset with its cookie. */
static int _attach_session(struct trace *t, pid_t pid, const char *path,
			   const struct alloc_funcs *funcs, const struct alloc_func *const *f,
			   size_t n, enum seep_unwind mode)
{
	unsigned long offsets[ALLOC_FUNCS_MAX];
	__u64 cookies[ALLOC_FUNCS_MAX];
	union link_create_attr attr;
	int fd, err;

	for (size_t i = 0; i < n; i++) {
		offsets[i] = f[i]->probe_offset;
		cookies[i] = _cookie(t, funcs, f[i], mode);
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = bpf_program__fd(t->skel->progs.alloc_session_prog);
	attr.attach_type = ATTACH_UPROBE_SESSION;
	attr.uprobe_multi.path = (__u64)(uintptr_t)path;
	attr.uprobe_multi.offsets = (__u64)(uintptr_t)offsets;
	attr.uprobe_multi.cookies = (__u64)(uintptr_t)cookies;
	attr.uprobe_multi.cnt = (__u32)n;
	attr.uprobe_multi.pid = (__u32)pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		err = -errno;
		pr_err("cannot attach uprobe session in '%s': %s%s", path, strerror(-err),
		       err == -EPERM ? " (need CAP_SYS_ADMIN)" : "");
		return err;
	}
	if (t->nsession_fds % 16 == 0) {
		int *v = realloc(t->session_fds, (t->nsession_fds + 16) * sizeof(*v));

		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		t->session_fds = v;
	}
	t->session_fds[t->nsession_fds++] = fd;
	return 0;
}

static int _attach_file(struct trace *t, pid_t pid, enum seep_unwind mode,
			const struct procmap *m, int *hooked, int *heap_found)
{
	const struct alloc_func *session[ALLOC_FUNCS_MAX];
	const pid_t probe_pid = t->shared ? -1 : pid;  /* libbpf: -1 is every process */
	size_t nsession = 0;
	struct alloc_funcs funcs;
	char path[4096];
	int err;

	if (procmaps__open_path(pid, m, path, sizeof(path)))
		return 0;
	err = allocators__find(path, &funcs);
	if (err) {
		pr_debug("skipping '%s': %s", m->path, strerror(-err));
		return 0;
	}
	if (allocators__has_heap(&funcs))
		*heap_found = 1;
	for (size_t i = 0; i < funcs.n; i++) {
		const struct alloc_func *f = &funcs.f[i];
		const char *name = f->name;
		struct probe p = { t->shared ? 0 : pid,
				   ((uint64_t)m->dev_major << 32) | m->dev_minor, m->inode, f->offset };

		if ((err = _seen_probe(t, &p)) != 0) {
			if (err < 0)
				return err;
			continue;
		}
		if (_is_alloc(f->kind) && t->sessions) {
			session[nsession++] = f;
		} else if (_is_alloc(f->kind)) {
			/* Return probe first: a call that enters once the entry
			 * probe is in place must find its return hooked, or its
			 * frame would wait for a return that never comes. Both at
			 * the entry probe's address: the kernel then rewrites the
			 * return address after the entry program has read it. */
			err = _attach_one(t, t->skel->progs.alloc_exit_prog, probe_pid, path,
					  f->probe_offset, 1, 0, name);
			if (!err)
				err = _attach_one(t, t->skel->progs.alloc_enter_prog, probe_pid, path,
						  f->probe_offset, 0, _cookie(t, &funcs, f, mode), name);
		} else {
			err = _attach_one(t, f->kind == SEEP_KIND_MUNMAP ? t->skel->progs.munmap_enter
									 : t->skel->progs.free_enter,
					  probe_pid, path, f->probe_offset, 0,
					  _cookie(t, &funcs, f, mode), name);
		}
		if (err)
			return err;
		pr_debug("pid %d: hooked %s at %s+0x%llx (entry probe +%llu)", (int)pid, name,
			 m->path, (unsigned long long)f->offset,
			 (unsigned long long)(f->probe_offset - f->offset));
		(*hooked)++;
	}
	return nsession ? _attach_session(t, t->shared ? 0 : pid, path, &funcs, session, nsession,
					  mode)
			: 0;
}

/* Shared probes: PID goes into the BPF targets map with its start time
 * (counted from its first call through a probe already in place). Sets
 * *ADDED if this call added it (it may be there from an earlier call). */
static int _add_shared_target(struct trace *t, pid_t pid, enum seep_unwind mode, bool *added)
{
	struct seep_target tv = { .mode = (__u8)mode };
	__u32 tgid = (__u32)pid;
	struct proc_stat st;
	int err;

	if ((err = proc__read_stat(pid, &st))) {
		pr_err("cannot read the start time of pid %d: %s", (int)pid, strerror(-err));
		return err;
	}
	tv.start_ticks = st.start_ticks;
	if (!bpf_map_update_elem(bpf_map__fd(t->skel->maps.targets), &tgid, &tv, BPF_NOEXIST)) {
		*added = true;
	} else if (errno != EEXIST) {
		err = errno == E2BIG ? -ENOSPC : -errno;
		pr_err("cannot trace pid %d with shared probes: %s", (int)pid,
		       err == -ENOSPC ? "too many processes" : strerror(-err));
		return err;
	}
	return 0;
}

/* The first executable file of MAPS that seep may not read, or NULL: then
 * "no allocator" is a permission, not what the process maps. */
static const char *_denied_file(pid_t pid, const struct procmaps *maps)
{
	char path[4096];

	for (size_t i = 0; i < maps->n; i++) {
		int fd;

		if (!procmap__is_file(&maps->v[i]) || maps->v[i].perms[2] != 'x' ||
		    procmaps__open_path(pid, &maps->v[i], path, sizeof(path)))
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
			close(fd);
		else if (errno == EACCES || errno == EPERM)
			return maps->v[i].path;
	}
	return NULL;
}

/* Watches PID's exec() (kept if it is watched already); true if this
 * call added it. A full map only costs following exec: said once. */
static bool _watch(struct trace *t, pid_t pid)
{
	__u32 tgid = (__u32)pid;
	__u64 zero = 0;

	if (!bpf_map_update_elem(bpf_map__fd(t->skel->maps.watched), &tgid, &zero, BPF_NOEXIST))
		return true;
	if (errno == EEXIST)
		return false;
	if (!t->watch_full_said)
		pr_warn("pid %d: cannot watch for exec(): %s; an exec of it is not followed",
			(int)pid, errno == E2BIG ? "too many processes" : strerror(errno));
	t->watch_full_said = true;
	return false;
}

int trace__execs(struct trace *t, pid_t pid, uint64_t *n)
{
	__u32 tgid = (__u32)pid;
	__u64 v;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.watched), &tgid, &v))
		return -errno;
	*n = v;
	return 0;
}

int trace__add_pid(struct trace *t, pid_t pid, enum seep_unwind mode)
{
	struct procmaps maps;
	int err, hooked = 0, heap_found = 0;
	bool targeted = false;   /* added to the targets map by this call */
	bool watching = false;   /* added to the watched map by this call */
	__u32 tgid = (__u32)pid;

	err = procmaps__read(pid, &maps);
	if (err) {
		if (err == -ENOENT || err == -ESRCH)
			err = -ESRCH;
		pr_err("cannot read the mappings of pid %d: %s", (int)pid,
		       err == -ESRCH ? "no such process" : strerror(-err));
		return err;
	}
	if (t->shared && (err = _add_shared_target(t, pid, mode, &targeted)))
		goto cleanup;
	watching = _watch(t, pid);
	for (size_t i = 0; i < maps.n; i++) {
		const struct procmap *m = &maps.v[i];
		int seen = 0;

		if (!procmap__is_file(m) || m->perms[2] != 'x')
			continue;
		for (size_t j = 0; j < i; j++)
			seen |= maps.v[j].inode == m->inode && maps.v[j].dev_minor == m->dev_minor &&
				maps.v[j].dev_major == m->dev_major && maps.v[j].perms[2] == 'x';
		if (seen)
			continue;
		err = _attach_file(t, pid, mode, m, &hooked, &heap_found);
		if (err)
			goto cleanup;
	}
	if (!heap_found) {
		const char *denied = _denied_file(pid, &maps);

		if (denied)
			pr_err("no allocator found in pid %d: cannot read its mapped file '%s': %s",
			       (int)pid, denied, strerror(EACCES));
		else
			pr_err("no allocator found in pid %d: none of its mapped files defines malloc or free "
			       "(a static, stripped binary?)", (int)pid);
		err = -ENOENT;
		goto cleanup;
	}
	err = hooked;
cleanup:
	if (err < 0 && targeted)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.targets), &tgid);
	if (err < 0 && watching)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.watched), &tgid);
	procmaps__release(&maps);
	return err;
}

struct _cb {
	trace_site_fn site;
	void *ctx;
	int ncpus;
};

/* A site's per-CPU counts (struct seep_stack_totals_cpu, one per CPU)
 * summed. */
static int _site_tramp(const void *k, const void *v, void *ctx)
{
	const struct seep_stack_totals_cpu *pc = v;
	struct _cb *cb = ctx;
	struct seep_stack_totals sum = { 0 };

	for (int c = 0; c < cb->ncpus; c++) {
		sum.alloc_bytes += pc[c].alloc_bytes + pc[c].shared_bytes;
		sum.alloc_count += pc[c].alloc_count + pc[c].shared_count;
	}
	return cb->site(k, &sum, cb->ctx);
}

int trace__for_each_live(struct trace *t, trace_live_fn fn, void *ctx)
{
	return livetab__each(&t->live, fn, ctx);
}

int trace__for_each_site(struct trace *t, trace_site_fn fn, void *ctx)
{
	struct _cb cb = { .site = fn, .ctx = ctx, .ncpus = t->ncpus };

	return mapwalk__each(t->skel->maps.stack_totals, sizeof(struct seep_stack_key),
			     sizeof(struct seep_stack_totals_cpu) * (size_t)t->ncpus, _site_tramp,
			     &cb);
}

static int _on_event(void *ctx, void *data, size_t size)
{
	struct trace *t = ctx;
	const struct seep_stack_event *ev = data;
	int err = 0;

	if (size == sizeof(struct seep_exec_event)) {
		if (t->exec_fn)
			err = t->exec_fn(data, t->exec_ctx);
	} else if (size >= sizeof(*ev) && size - sizeof(*ev) >= ev->stack_len &&
	    (!ev->top_len || (ev->top_off >= ev->stack_len &&
			      size - sizeof(*ev) - ev->top_off >= ev->top_len &&
			      size - sizeof(*ev) >= ev->top_off)))
		err = t->event_fn(ev, ev + 1, t->event_ctx);
	/* this record is consumed either way; -EAGAIN stops the loop here */
	return err ? err : clock__mono_ns() >= t->consume_until_ns ? -EAGAIN : 0;
}

int trace__set_event_handler(struct trace *t, trace_event_fn fn, void *ctx)
{
	t->event_fn = fn;
	t->event_ctx = ctx;
	if (t->events)
		return 0;
	t->events = ring_buffer__new(bpf_map__fd(t->skel->maps.stack_events), _on_event, t, NULL);
	if (!t->events) {
		int err = -errno;

		pr_err("cannot open the stack ring buffer: %s", strerror(-err));
		return err;
	}
	return 0;
}

void trace__set_exec_handler(struct trace *t, trace_exec_fn fn, void *ctx)
{
	t->exec_fn = fn;
	t->exec_ctx = ctx;
}

int trace__events_fd(const struct trace *t)
{
	return t->events ? ring_buffer__epoll_fd(t->events) : -1;
}

int trace__consume_events(struct trace *t, uint64_t budget_ns)
{
	int n;

	if (!t->events)
		return 0;
	t->consume_until_ns = clock__mono_ns() + budget_ns;
	n = ring_buffer__consume(t->events);
	return n == -EAGAIN ? 1 : n < 0 ? n : 0;
}

size_t trace__stack(struct trace *t, int32_t stack_id, uint64_t *ips, size_t max)
{
	uint64_t buf[SEEP_MAX_STACK_DEPTH] = { 0 };
	uint32_t id = (uint32_t)stack_id;
	size_t n = 0;

	if (stack_id < 0 ||
	    bpf_map__lookup_elem(t->skel->maps.stacks, &id, sizeof(id), buf,
				 bpf_map__value_size(t->skel->maps.stacks), 0))
		return 0;
	while (n < max && n < SEEP_MAX_STACK_DEPTH && buf[n]) {
		ips[n] = buf[n];
		n++;
	}
	return n;
}

int trace__read_stats(struct trace *t, uint64_t stats[SEEP_STAT__MAX])
{
	uint64_t *percpu = calloc(t->ncpus, sizeof(uint64_t));
	struct seep_cpu_own *own = calloc(t->ncpus, sizeof(*own));
	uint32_t zero = 0;

	if (!percpu || !own) {
		free(percpu);
		free(own);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < SEEP_STAT__MAX; i++) {
		stats[i] = 0;
		if (bpf_map__lookup_elem(t->skel->maps.stats, &i, sizeof(i), percpu,
					 sizeof(uint64_t) * t->ncpus, 0))
			continue;
		for (int c = 0; c < t->ncpus; c++)
			stats[i] += percpu[c];
	}
	/* the counts each CPU's owner keeps (cpu_own) */
	if (!bpf_map__lookup_elem(t->skel->maps.cpu_own, &zero, sizeof(zero), own,
				  sizeof(*own) * t->ncpus, 0))
		for (int c = 0; c < t->ncpus; c++)
			for (uint32_t i = 0; i < SEEP_STAT__MAX; i++)
				stats[i] += own[c].stats[i];
	free(percpu);
	free(own);
	return 0;
}

int trace__hold_owners(struct trace *t, bool held)
{
	struct seep_cpu_own *own = calloc(t->ncpus, sizeof(*own));
	uint32_t zero = 0;
	int err = 0;

	if (!own)
		return -ENOMEM;
	/* the counters stay: only `held` changes */
	if (bpf_map__lookup_elem(t->skel->maps.cpu_own, &zero, sizeof(zero), own,
				 sizeof(*own) * t->ncpus, 0)) {
		err = -errno;
	} else {
		for (int c = 0; c < t->ncpus; c++)
			own[c].held = held;
		if (bpf_map__update_elem(t->skel->maps.cpu_own, &zero, sizeof(zero), own,
					 sizeof(*own) * t->ncpus, BPF_ANY))
			err = -errno;
	}
	free(own);
	return err;
}

int trace__run_time(struct trace *t, uint64_t *run_time_ns, uint64_t *run_cnt)
{
	struct bpf_program *prog;

	*run_time_ns = *run_cnt = 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		*run_time_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
	return 0;
}

struct _purge {
	int fd;
	__u32 tgid;
};

/* Deletes KEY from P's map: 0, or -errno (a key gone already is fine: the
 * BPF side deletes blocks as they are freed). */
static int _purge_key(const struct _purge *p, const void *key)
{
	return bpf_map_delete_elem(p->fd, key) && errno != ENOENT ? -errno : 0;
}

static int _purge_site(const struct seep_stack_key *k, const struct seep_stack_totals *v,
		       void *ctx)
{
	(void)v;
	return k->tgid == ((struct _purge *)ctx)->tgid ? _purge_key(ctx, k) : 0;
}

int trace__learn_stack(struct trace *t, pid_t pid, const struct stackwalk_rule *rules, size_t n,
		       uint32_t nframes, uint64_t hash, uint32_t id)
{
	int rfd = bpf_map__fd(t->skel->maps.pc_rules), sfd = bpf_map__fd(t->skel->maps.stack_ids);
	struct seep_stack_hkey hk = { .tgid = (__u32)pid, .nframes = nframes, .hash = hash };

	int cfd = bpf_map__fd(t->skel->maps.pc_cache);

	for (size_t i = 0; i < n; i++) {
		struct seep_pc_key k = { .tgid = (__u32)pid, .pc = rules[i].pc };
		struct seep_pc_slot slot = { .pc = rules[i].pc, .tgid = (__u32)pid,
					     .rule = rules[i].rule };
		__u32 at = seep_pc_slot_of(slot.tgid, slot.pc);

		/* pc_rules first: a walk missing the slot finds the rule there */
		if (bpf_map_update_elem(rfd, &k, &rules[i].rule, BPF_ANY) ||
		    bpf_map_update_elem(cfd, &at, &slot, BPF_ANY))
			return -errno;
	}
	return bpf_map_update_elem(sfd, &hk, &id, BPF_ANY) ? -errno : 0;
}

struct _slots {
	int fd;
	__u32 tgid;
};

static int _clear_slot(const void *k, const void *v, void *ctx)
{
	const struct seep_pc_slot *slot = v;
	const struct _slots *c = ctx;
	struct seep_pc_slot empty = { 0 };

	if (!slot->pc || slot->tgid != c->tgid)
		return 0;
	return bpf_map_update_elem(c->fd, k, &empty, BPF_ANY) ? -errno : 0;
}

/* Deletes every key of MAP (KSZ bytes, the tgid first) that is TGID's:
 * found in one pass, then deleted (deleting while walking would make the
 * walk start over). */
static int _purge_tgid(struct bpf_map *map, size_t ksz, __u32 tgid)
{
	char key[32], next[32];
	char *found = NULL;      /* the keys to delete, back to back */
	size_t n = 0, cap = 0;
	int fd = bpf_map__fd(map), err = 0;
	void *prev = NULL;

	if (ksz > sizeof(key))
		return -EINVAL;
	while (!err && !bpf_map_get_next_key(fd, prev, next)) {
		__u32 owner;

		memcpy(key, next, ksz);
		memcpy(&owner, key, sizeof(owner));
		prev = key;
		if (owner != tgid)
			continue;
		if ((err = VEC_RESERVE(found, cap, (n + 1) * ksz)))
			break;
		memcpy(found + n++ * ksz, key, ksz);
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, found + i * ksz) && errno != ENOENT)
			err = -errno;
	free(found);
	return err;
}

int trace__forget_stacks(struct trace *t, pid_t pid)
{
	struct _slots slots = { .fd = bpf_map__fd(t->skel->maps.pc_cache), .tgid = (__u32)pid };
	int err = _purge_tgid(t->skel->maps.stack_ids, sizeof(struct seep_stack_hkey), (__u32)pid);

	/* the known stacks first: without them no walk is trusted */
	if (!err)
		err = mapwalk__each(t->skel->maps.pc_cache, sizeof(__u32),
				    sizeof(struct seep_pc_slot), _clear_slot, &slots);
	if (!err)
		err = _purge_tgid(t->skel->maps.pc_rules, sizeof(struct seep_pc_key), (__u32)pid);
	/* the BPF side's memos of earlier walks (bpf/heap.bpf.c) are not
	 * joined again */
	if (t->skel->bss)
		__atomic_fetch_add(&t->skel->bss->walk_gen, 1, __ATOMIC_SEQ_CST);
	return err;
}

int trace__forget_pid(struct trace *t, pid_t pid)
{
	struct _purge p = { .tgid = (__u32)pid };
	int err = trace__forget_stacks(t, pid);

	if (!err && t->shared) {  /* its pid may be reused by a process not to trace */
		p.fd = bpf_map__fd(t->skel->maps.targets);
		err = _purge_key(&p, &p.tgid);
	}
	p.fd = bpf_map__fd(t->skel->maps.watched);
	if (!err)
		err = _purge_key(&p, &p.tgid);
	if (!err)
		err = livetab__purge(&t->live, p.tgid);
	p.fd = bpf_map__fd(t->skel->maps.stack_totals);
	if (!err)
		err = trace__for_each_site(t, _purge_site, &p);
	return err;
}
