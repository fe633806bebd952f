#include "session.h"

#include <errno.h>
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

#include "allocators.h"
#include "heap.h"
#include "launch.h"
#include "log.h"
#include "symbolize.h"

struct target {
	pid_t pid;
	int pidfd;
	char comm[17];
	struct symbolizer *sym;
	struct heap heap;
	bool done;
};

struct session {
	struct session_config cfg;
	struct trace *trace;
	struct target targets[SESSION_MAX_TARGETS];
	size_t ntargets;
	uint64_t start_ns;
	pid_t child;             /* the command we started, else 0 */
};

uint64_t session__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double _wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
	err = trace__new(&cfg->trace, &s->trace);
	if (err) {
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
		heap__release(&s->targets[i].heap);
		close(s->targets[i].pidfd);
	}
	trace__free(s->trace);
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
	err = trace__add_pid(s->trace, pid);
	if (err < 0)
		goto fail;
	t->sym = symbolizer__new(pid);
	if (!t->sym) {
		err = -errno;
		pr_err("pid %d: cannot read its modules for symbols: %s", (int)pid, strerror(-err));
		goto fail;
	}
	heap__init(&t->heap);
	pr_info("pid %d (%s): hooked %d allocator functions", (int)pid, t->comm, err);
	s->ntargets++;
	if (!s->start_ns)
		s->start_ns = session__now_ns();
	return 0;
fail:
	close(t->pidfd);
	return err;
}

int session__start_command(struct session *s, const char *cmdline)
{
	wordexp_t we;
	pid_t pid;
	int err;

	err = wordexp(cmdline, &we, WRDE_NOCMD);
	if (err || we.we_wordc == 0) {
		pr_err("cannot parse command '%s'", cmdline);
		if (!err)
			wordfree(&we);
		return -EINVAL;
	}
	err = launch__start(we.we_wordv, &pid);
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
	uint64_t now = session__now_ns(), min_age = (uint64_t)(s->cfg.min_age_s * 1e9);

	if (!t || t->done || (min_age && now - v->ts_ns < min_age))
		return 0;
	return heap__add_block(&t->heap, &v->site, v->kind, v->size, v->ts_ns);
}

static int _collect_site(const struct seep_stack_key *k, const struct seep_stack_totals *v,
			 void *ctx)
{
	struct target *t = _find(ctx, (pid_t)k->tgid);

	if (t && !t->done)
		heap__add_totals(&t->heap, k, v->alloc_bytes, v->alloc_count);
	return 0;
}

/* Frames of a site: the allocator's entry, the caller (read at the stack
 * pointer), then the rest of the frame-pointer walk. */
static int _site_frames(struct session *s, struct target *t, const struct heap_site *site,
			struct report_stack *rs)
{
	uint64_t ips[SEEP_MAX_STACK_DEPTH + 1];
	size_t n = trace__stack(s->trace, site->key.stack_id, ips + 1, SEEP_MAX_STACK_DEPTH);
	size_t total;
	int err;

	rs->truncated = n == SEEP_MAX_STACK_DEPTH;
	if (n) {
		ips[0] = ips[1];         /* allocator entry */
		ips[1] = site->key.caller;
		total = n + 1;
	} else {
		ips[0] = site->key.caller;
		total = 1;
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
	if (n) {  /* name the allocator as hooked, not by an alias (__libc_malloc) */
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
	r->time = _wall_time();
	r->elapsed_s = (now - s->start_ns) / 1e9;
	r->final = final;
	r->exited = exited;
	r->total_bytes = t->heap.total_bytes;
	r->total_count = t->heap.total_count;
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

		rs->bytes = site->bytes;
		rs->count = site->count;
		rs->oldest_age_s = now > site->oldest_ns ? (now - site->oldest_ns) / 1e9 : 0;
		rs->alloc_bytes = site->alloc_bytes;
		rs->alloc_count = site->alloc_count;
		r->nstacks++;
		err = _site_frames(s, t, site, rs);
		if (err)
			return err;
	}
	return 0;
}

/* Reports each target in WHICH (NULL: every running target) to FN. */
static int _report(struct session *s, struct target *which, bool final, bool exited,
		   session_report_fn fn, void *ctx)
{
	int err;

	for (size_t i = 0; i < s->ntargets; i++) {
		heap__release(&s->targets[i].heap);
		heap__init(&s->targets[i].heap);
	}
	err = trace__for_each_live(s->trace, _collect_block, s);
	if (!err)
		err = trace__for_each_site(s->trace, _collect_site, s);
	if (err)
		return err;
	for (size_t i = 0; i < s->ntargets; i++) {
		struct target *t = &s->targets[i];
		struct report r;

		if (t->done || (which && t != which))
			continue;
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
	struct pollfd fds[SESSION_MAX_TARGETS];
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
	/* Wake up at least every second to follow new modules (dlopen). */
	timeout = 1000;
	if (deadline <= now)
		timeout = 0;
	else if (deadline - now < 1000000000ULL)
		timeout = (int)((deadline - now + 999999) / 1000000);
	if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < nfds; i++) {
		struct target *t = map[i];

		if (!(fds[i].revents & POLLIN)) {
			running++;
			if (symbolizer__refresh(t->sym) > 0)
				trace__add_pid(s->trace, t->pid);
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
