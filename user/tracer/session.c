#include "tracer/session.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include "elf/allocators.h"
#include "lib/clock.h"
#include "elf/framepointer.h"
#include "snapshot/heap.h"
#include "tracer/launch.h"
#include "lib/log.h"
#include "sys/procmaps.h"
#include "snapshot/sampling.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/symcache.h"

/* Time given to unwinding waiting stack copies per wake-up, and before a
 * report: a process that allocates faster than seep unwinds does not hold
 * seep past its deadlines (what waits is counted if the ring overflows). */
#define CONSUME_BUDGET_NS 100000000ULL
#define REPORT_CONSUME_BUDGET_NS 2000000000ULL

struct target {
	pid_t pid;
	int pidfd;
	char comm[17];
	struct symbolizer *sym;
	struct stacks *stacks;   /* stacks unwound in user space (DWARF mode) */
	enum seep_unwind mode;
	struct heap heap;
	bool done;
};

struct session {
	struct session_config cfg;
	struct trace *trace;
	struct symcache *symcache;   /* symbols by build ID, for every target */
	struct target targets[SESSION_MAX_TARGETS];
	size_t ntargets;
	uint64_t start_ns;
	uint64_t last_sweep_ns;
	bool events_left;            /* the last consume ran out of time: do not sleep */
	uint64_t young_after_ns;     /* during a report pass: --min-age's cutoff */
	pid_t child;             /* the command we started, else 0 */
	uint64_t ips[SESSION_MAX_DEPTH + 1];  /* scratch for unwinding */
};

uint64_t session__now_ns(void)
{
	return clock__mono_ns();
}

uint64_t session__start_ns(const struct session *s)
{
	return s->start_ns;
}

pid_t session__command_pid(const struct session *s)
{
	return s->child;
}

size_t session__running(const struct session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->ntargets; i++)
		n += !s->targets[i].done;
	return n;
}

static struct target *_find(struct session *s, pid_t pid);

/* A stack copy: unwind it, intern the stack, remember which block it is. */
static int _on_stack_event(const struct seep_stack_event *ev, const void *stack, void *ctx)
{
	struct session *s = ctx;
	struct target *t = _find(s, (pid_t)ev->tgid);
	struct unwind_regs regs = { .ip = ev->ip, .sp = ev->sp, .bp = ev->bp };
	bool truncated = false;
	uint32_t id;
	size_t n;

	if (!t || t->done || !t->stacks)
		return 0;
	s->ips[0] = ev->entry_ip;
	n = symbolizer__unwind(t->sym, (pid_t)ev->tid, &regs, stack, ev->stack_len, s->ips + 1,
			       s->cfg.max_depth - 1, &truncated);
	struct sample_weight w = sampling__weight(ev->size, s->cfg.trace.sample_bytes);

	if (stacks__intern(t->stacks, s->ips, n + 1, truncated, &id) ||
	    stacks__bind(t->stacks, ev->seq, id))
		return -ENOMEM;
	stacks__count(t->stacks, id, w.bytes, w.count);
	return 0;
}

/* UNWIND_AUTO: frame pointers only if every executable module keeps them. */
static enum seep_unwind _choose_unwind(const struct session *s, pid_t pid)
{
	enum seep_unwind mode = SEEP_UNWIND_FP;
	struct procmaps maps;

	if (s->cfg.unwind == UNWIND_FP)
		return SEEP_UNWIND_FP;
	if (s->cfg.unwind == UNWIND_DWARF || procmaps__read(pid, &maps))
		return SEEP_UNWIND_DWARF;
	for (size_t i = 0; i < maps.n && mode == SEEP_UNWIND_FP; i++) {
		const struct procmap *m = &maps.v[i];
		char path[4096];

		if (!procmap__is_file(m) || m->perms[2] != 'x' ||
		    procmaps__open_path(pid, m, path, sizeof(path)))
			continue;
		if (framepointer__module(path) != 1) {
			pr_info("pid %d: '%s' has no frame pointers: unwinding from DWARF", (int)pid,
				m->path);
			mode = SEEP_UNWIND_DWARF;
		}
	}
	procmaps__release(&maps);
	return mode;
}

int session__new(const struct session_config *cfg, struct session **out)
{
	struct session *s;
	int err;

	if ((err = trace__check_privileges()) || (err = trace__check_btf()))
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.max_depth)
		s->cfg.max_depth = 128;
	if (s->cfg.max_depth > SESSION_MAX_DEPTH)
		s->cfg.max_depth = SESSION_MAX_DEPTH;
	s->symcache = symcache__new();
	err = s->symcache ? trace__new(&cfg->trace, &s->trace) : -ENOMEM;
	if (!err)
		err = trace__set_event_handler(s->trace, _on_stack_event, s);
	if (err) {
		trace__free(s->trace);
		symcache__free(s->symcache);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

static void _reap_child(struct session *s, bool terminate)
{
	int st;

	if (!s->child)
		return;
	if (terminate && waitpid(s->child, &st, WNOHANG) == 0) {
		kill(s->child, SIGTERM);
		for (int i = 0; i < 50 && waitpid(s->child, &st, WNOHANG) == 0; i++)
			usleep(20000);
		if (waitpid(s->child, &st, WNOHANG) == 0) {
			kill(s->child, SIGKILL);
			waitpid(s->child, &st, 0);
		}
		pr_info("stopped command (pid %d)", (int)s->child);
	} else if (!terminate && waitpid(s->child, &st, 0) == s->child) {
		if (WIFEXITED(st))
			pr_info("command exited with status %d", WEXITSTATUS(st));
		else if (WIFSIGNALED(st))
			pr_info("command killed by signal %d", WTERMSIG(st));
	}
	s->child = 0;
}

void session__free(struct session *s)
{
	if (!s)
		return;
	_reap_child(s, true);
	for (size_t i = 0; i < s->ntargets; i++) {
		symbolizer__free(s->targets[i].sym);
		stacks__free(s->targets[i].stacks);
		heap__release(&s->targets[i].heap);
		close(s->targets[i].pidfd);
	}
	trace__free(s->trace);
	symcache__free(s->symcache);
	free(s);
}

static void _read_comm(pid_t pid, char comm[17])
{
	char path[64];
	FILE *f;

	snprintf(comm, 17, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, 17, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static struct target *_find(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (s->targets[i].pid == pid)
			return &s->targets[i];
	return NULL;
}

/* Opens a pidfd (it pins the process: a reused pid cannot fool us later),
 * attaches, and prepares the symbolizer. */
int session__add_pid(struct session *s, pid_t pid)
{
	struct target *t;
	int err;

	if (_find(s, pid))
		return 0;
	if (s->ntargets == SESSION_MAX_TARGETS) {
		pr_err("cannot trace pid %d: at most %d processes", (int)pid, SESSION_MAX_TARGETS);
		return -E2BIG;
	}
	t = &s->targets[s->ntargets];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		err = -errno;
		pr_err("pid %d: %s", (int)pid, err == -ESRCH ? "no such process" : strerror(-err));
		return err;
	}
	_read_comm(pid, t->comm);
	/* Symbols first: the modules must be open before the first stack copy. */
	t->sym = symbolizer__new(pid, s->symcache);
	if (!t->sym) {
		err = -errno;
		if (err == -ENOENT || err == -ESRCH)
			pr_err("pid %d: no such process", (int)pid);
		else
			pr_err("pid %d: cannot read its modules for symbols: %s", (int)pid,
			       strerror(-err));
		goto fail;
	}
	t->mode = _choose_unwind(s, pid);
	t->stacks = stacks__new();
	if (!t->stacks) {
		err = -ENOMEM;
		goto fail;
	}
	err = trace__add_pid(s->trace, pid, t->mode);
	if (err < 0)
		goto fail;
	heap__init(&t->heap, s->cfg.trace.sample_bytes);
	pr_info("pid %d (%s): hooked %d allocator functions%s, %s stacks", (int)pid, t->comm, err,
		s->cfg.trace.shared_probes ? " (probes shared per file: new files only)" : "",
		t->mode == SEEP_UNWIND_DWARF ? "DWARF" : "frame-pointer");
	s->ntargets++;
	if (!s->start_ns)
		s->start_ns = session__now_ns();
	return 0;
fail:
	symbolizer__free(t->sym);
	stacks__free(t->stacks);
	close(t->pidfd);
	return err;
}

/* NAME=value with NAME a shell variable name */
static bool _is_assignment(const char *w)
{
	size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789");

	return n > 0 && w[n] == '=' && !(w[0] >= '0' && w[0] <= '9');
}

int session__start_command(struct session *s, const char *cmdline)
{
	wordexp_t we;
	pid_t pid;
	int err;

	char *env[64];
	size_t nenv = 0;

	err = wordexp(cmdline, &we, WRDE_NOCMD);
	if (err || we.we_wordc == 0) {
		pr_err("cannot parse command '%s'", cmdline);
		if (!err)
			wordfree(&we);
		return -EINVAL;
	}
	/* Leading NAME=value words set the environment, as in a shell
	 * (LD_PRELOAD=libjemalloc.so.2 ./server). */
	while (nenv < we.we_wordc - 1 && nenv < 63 && _is_assignment(we.we_wordv[nenv])) {
		env[nenv] = we.we_wordv[nenv];
		nenv++;
	}
	env[nenv] = NULL;
	if (nenv == we.we_wordc) {
		pr_err("no command in '%s'", cmdline);
		wordfree(&we);
		return -EINVAL;
	}
	err = launch__start(we.we_wordv + nenv, env, &pid);
	wordfree(&we);
	if (err)
		return err;
	s->child = pid;
	err = session__add_pid(s, pid);
	launch__release(pid);
	return err;
}

static int _collect_block(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct session *s = ctx;
	struct target *t = _find(s, (pid_t)k->tgid);
	struct seep_stack_key site = v->site;
	uint32_t id;

	if (!t || t->done || v->ts_ns > s->young_after_ns)
		return 0;
	if (site.stack_id == SEEP_STACK_DWARF) {
		/* caller holds the copy's sequence number: find its stack */
		if (stacks__lookup(t->stacks, site.caller, &id) == 0) {
			site.caller = id;
		} else {
			site.stack_id = SEEP_STACK_LOST;
			site.caller = 0;
		}
	}
	return heap__add_block(&t->heap, &site, v->kind, v->size, v->ts_ns);
}

/* Cumulative totals of the DWARF sites come from the user-space store. */
static void _dwarf_totals(struct target *t)
{
	for (size_t i = 0; i < t->heap.n; i++) {
		struct heap_site *h = &t->heap.sites[i];

		if (h->key.stack_id == SEEP_STACK_DWARF)
			stacks__totals(t->stacks, (uint32_t)h->key.caller, &h->alloc_bytes,
				       &h->alloc_count);
	}
}

static int _collect_site(const struct seep_stack_key *k, const struct seep_stack_totals *v,
			 void *ctx)
{
	struct target *t = _find(ctx, (pid_t)k->tgid);
	struct sample_weight w;

	if (!t || t->done || !v->alloc_count)
		return 0;
	/* The kernel sums what it recorded; a site's allocations mostly share
	 * one size, so the mean size's weight stands for each of them. */
	w = sampling__weight(v->alloc_bytes / v->alloc_count, t->heap.sample_bytes);
	heap__add_totals(&t->heap, k, (double)v->alloc_count * w.bytes,
			 (double)v->alloc_count * w.count);
	return 0;
}

/* Frames of a site, innermost first: the allocator's entry, then return
 * addresses. DWARF sites come unwound from the store; frame-pointer sites
 * are the kernel's walk with the caller (read at the stack pointer) spliced
 * in after the entry. */
static int _site_frames(struct session *s, struct target *t, const struct heap_site *site,
			struct report_stack *rs)
{
	uint64_t *ips = s->ips;
	size_t n, total;
	int err;

	if (site->key.stack_id == SEEP_STACK_DWARF) {
		const uint64_t *st = stacks__get(t->stacks, (uint32_t)site->key.caller, &n,
						 &rs->truncated);

		n = st ? n : 0;
		memcpy(ips, st, n * sizeof(*ips));
		total = n;
	} else {
		n = trace__stack(s->trace, site->key.stack_id, ips + 1, SEEP_MAX_STACK_DEPTH);
		rs->truncated = n == SEEP_MAX_STACK_DEPTH;
		if (n) {
			ips[0] = ips[1];         /* allocator entry */
			ips[1] = site->key.caller;
			total = n + 1;
		} else {
			ips[0] = site->key.caller;
			total = ips[0] ? 1 : 0;
		}
	}
	rs->frames = calloc(total + 1, sizeof(*rs->frames));
	if (!rs->frames)
		return -ENOMEM;
	if (!n) {  /* the stack was lost: say so in place of the allocator frame */
		rs->frames[rs->nframes].module = strdup("[stack lost]");
		rs->nframes++;
	}
	for (size_t i = 0; i < total; i++) {
		if (!ips[i])
			continue;
		err = symbolizer__frame(t->sym, ips[i], n ? i > 0 : true, &rs->frames[rs->nframes]);
		if (err)
			return err;
		rs->nframes++;
	}
	if (n && (!rs->frames[0].function || !strncmp(rs->frames[0].function, "__", 2))) {
		/* name the allocator by what it is, not by an internal alias
		 * (glibc's __libc_malloc) or nothing (a stripped allocator) */
		free(rs->frames[0].function);
		rs->frames[0].function = strdup(allocators__kind_name(site->kind));
	}
	return 0;
}

static int _build_report(struct session *s, struct target *t, bool final, bool exited,
			 struct report *r)
{
	uint64_t now = session__now_ns();
	size_t n = t->heap.n;
	int err;

	memset(r, 0, sizeof(*r));
	r->pid = t->pid;
	memcpy(r->comm, t->comm, sizeof(r->comm));
	r->time = clock__wall_s();
	r->elapsed_s = (now - s->start_ns) / 1e9;
	r->final = final;
	r->exited = exited;
	r->sample_bytes = t->heap.sample_bytes > 1 ? t->heap.sample_bytes : 1;
	r->total_bytes = (uint64_t)llround(t->heap.total_bytes);
	r->total_count = (uint64_t)llround(t->heap.total_count);
	r->total_samples = t->heap.total_samples;
	r->stacks_total = n;
	err = trace__read_stats(s->trace, r->stats);
	if (err)
		return err;
	if (s->cfg.top && n > s->cfg.top)
		n = s->cfg.top;
	r->stacks = calloc(n ? n : 1, sizeof(*r->stacks));
	if (!r->stacks)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct heap_site *site = &t->heap.sites[i];
		struct report_stack *rs = &r->stacks[i];

		rs->bytes = (uint64_t)llround(site->bytes);
		rs->count = (uint64_t)llround(site->count);
		rs->bytes_stddev = sqrt(site->var_bytes);
		rs->samples = site->samples;
		rs->oldest_age_s = now > site->oldest_ns ? (now - site->oldest_ns) / 1e9 : 0;
		rs->alloc_bytes = (uint64_t)llround(site->alloc_bytes);
		rs->alloc_count = (uint64_t)llround(site->alloc_count);
		r->nstacks++;
		err = _site_frames(s, t, site, rs);
		if (err)
			return err;
	}
	return 0;
}

/* Drops the sequence bindings of blocks since freed; call right after a
 * full pass over the live blocks (which marked the live ones). */
static void _sweep(struct session *s)
{
	for (size_t i = 0; i < s->ntargets; i++)
		if (!s->targets[i].done)
			stacks__sweep(s->targets[i].stacks);
	s->last_sweep_ns = session__now_ns();
}

static int _mark_live(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct target *t = _find(ctx, (pid_t)k->tgid);
	uint32_t id;

	if (t && !t->done && v->site.stack_id == SEEP_STACK_DWARF)
		stacks__lookup(t->stacks, v->site.caller, &id);
	return 0;
}

/* Unwinds waiting stack copies for at most BUDGET_NS; notes whether some
 * are left (session__wait then does not sleep). 0 or -errno. */
static int _consume(struct session *s, uint64_t budget_ns)
{
	int err = trace__consume_events(s->trace, budget_ns);

	s->events_left = err > 0;
	return err < 0 ? err : 0;
}

/* Between reports, bindings of freed blocks pile up: sweep every few
 * seconds once there are many. */
static int _maybe_sweep(struct session *s)
{
	size_t bindings = 0;
	int err;

	for (size_t i = 0; i < s->ntargets; i++)
		if (!s->targets[i].done)
			bindings += stacks__bindings(s->targets[i].stacks);
	if (bindings < 65536 || session__now_ns() - s->last_sweep_ns < 5000000000ULL)
		return 0;
	err = _consume(s, CONSUME_BUDGET_NS);
	if (!err)
		err = trace__for_each_live(s->trace, _mark_live, s);
	if (!err)
		_sweep(s);
	return err;
}

/* Reports each target in WHICH (NULL: every running target) to FN. */
static int _report(struct session *s, struct target *which, bool final, bool exited,
		   session_report_fn fn, void *ctx)
{
	int err;

	for (size_t i = 0; i < s->ntargets; i++) {
		heap__release(&s->targets[i].heap);
		heap__init(&s->targets[i].heap, s->cfg.trace.sample_bytes);
	}
	/* blocks allocated after this are younger than --min-age: left out */
	s->young_after_ns = s->cfg.min_age_s > 0
				    ? session__now_ns() - (uint64_t)(s->cfg.min_age_s * 1e9)
				    : UINT64_MAX;
	/* the stack copies sent so far, as many as a report's budget allows */
	err = _consume(s, REPORT_CONSUME_BUDGET_NS);
	if (!err)
		err = trace__for_each_live(s->trace, _collect_block, s);
	if (!err)
		err = trace__for_each_site(s->trace, _collect_site, s);
	if (err)
		return err;
	_sweep(s);
	for (size_t i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];
		struct report r;

		if (t->done || (which && t != which))
			continue;
		_dwarf_totals(t);
		heap__sort(&t->heap);
		err = _build_report(s, t, final, exited, &r);
		if (!err)
			err = fn(&r, ctx);
		report__release(&r);
		if (err)
			return err;
	}
	return 0;
}

int session__report(struct session *s, bool final, session_report_fn fn, void *ctx)
{
	return _report(s, NULL, final, false, fn, ctx);
}

int session__wait(struct session *s, uint64_t deadline, session_report_fn fn, void *ctx)
{
	struct pollfd fds[SESSION_MAX_TARGETS + 1];
	struct target *map[SESSION_MAX_TARGETS];
	uint64_t now = session__now_ns();
	int nfds = 0, timeout, running = 0, err;

	for (size_t i = 0; i < s->ntargets; i++) {
		if (s->targets[i].done)
			continue;
		fds[nfds].fd = s->targets[i].pidfd;
		fds[nfds].events = POLLIN;
		map[nfds++] = &s->targets[i];
	}
	fds[nfds].fd = trace__events_fd(s->trace);  /* stack copies to unwind */
	fds[nfds].events = POLLIN;
	fds[nfds].revents = 0;
	/* Wake up at least every second to follow new modules (dlopen). */
	timeout = 1000;
	if (deadline <= now || s->events_left)
		timeout = 0;
	else if (deadline - now < 1000000000ULL)
		timeout = (int)((deadline - now + 999999) / 1000000);
	if (poll(fds, nfds + 1, timeout) < 0 && errno != EINTR)
		return -errno;
	if ((err = _consume(s, CONSUME_BUDGET_NS)) || (err = _maybe_sweep(s)))
		return err;
	for (int i = 0; i < nfds; i++) {
		struct target *t = map[i];

		if (!(fds[i].revents & POLLIN)) {
			running++;
			if (symbolizer__refresh(t->sym) > 0)
				trace__add_pid(s->trace, t->pid, t->mode);
			continue;
		}
		err = _report(s, t, true, true, fn, ctx);
		if (err)
			return err;
		pr_warn("pid %d (%s) exited; its final report is above", (int)t->pid, t->comm);
		t->done = true;
		trace__forget_pid(s->trace, t->pid);
		if (t->pid == s->child)
			_reap_child(s, false);
	}
	return running;
}
