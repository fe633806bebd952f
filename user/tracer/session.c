#include "tracer/session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/cmdline.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/heap.h"
#include "snapshot/heapreport.h"
#include "snapshot/sampling.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/symcache.h"
#include "sys/proc.h"
#include "snapshot/reach.h"
#include "tracer/launch.h"
#include "tracer/reachstop.h"
#include "tracer/targets.h"

/* Time given to unwinding waiting stack copies per wake-up, and before a
 * report: a process that allocates faster than seep unwinds does not hold
 * seep past its deadlines (what waits is counted if the ring overflows). */
#define CONSUME_BUDGET_NS 100000000ULL
#define REPORT_CONSUME_BUDGET_NS 2000000000ULL
/* How often the modules of every process are re-read (dlopen). */
#define REFRESH_INTERVAL_NS 1000000000ULL
/* After an exec, when the new image's modules are hooked: by then the
 * dynamic loader has mapped its libraries. */
#define EXEC_REHOOK_NS 50000000ULL
/* Bindings of freed blocks are swept when this many piled up, at most
 * once per SWEEP_INTERVAL_NS. */
#define SWEEP_BINDINGS 65536
#define SWEEP_INTERVAL_NS 5000000000ULL
/* Distinct DWARF stacks kept per process without --max-stacks: the
 * kernel's stack map's default size. */
#define DEFAULT_MAX_STACKS 32768
/* How often a command kept for its exit scan has its ptrace stops served
 * (signals passed on, new threads followed, its exit seen). */
#define REACH_POLL_NS 5000000ULL

/* A reachability scan of one process: its lost blocks (addresses, sorted)
 * and what the report says of it; the lost blocks' sites during a report. */
struct _reach_result {
	pid_t pid;
	uint64_t *lost;
	size_t nlost;
	struct report_reach info;
	struct heap heap;        /* lost blocks by site, refilled by each collect */
};

struct session {
	struct session_config cfg;
	struct trace *trace;
	struct symcache *symcache;   /* symbols by build ID, for every target */
	struct targets targets;
	uint64_t start_ns;
	uint64_t last_sweep_ns, last_refresh_ns;
	bool events_left;            /* the last consume ran out of time: do not sleep */
	uint64_t young_after_ns;     /* during a report pass: --min-age's cutoff */
	pid_t child;                 /* the command we started, until reaped, else 0 */
	pid_t command;               /* the command we started (its pid), else 0 */
	pid_t group;                 /* its process group (its pid) until stopped, else 0 */
	int child_status;            /* its wait status once reaped, else -1 */
	bool child_stopped;          /* seep stopped it (the end of tracing) */
	struct evloop *loop;         /* the loop watching the session, or NULL */
	struct evloop *own_loop;     /* session__wait's loop */
	struct evloop_timer step_timer;
	session_report_fn exit_fn;   /* final reports of exited processes */
	void *exit_ctx;
	struct reachstop *rs;        /* --reach: the command, kept for its exit */
	struct evloop_timer reach_timer;
	struct _reach_result *reach; /* scans made */
	size_t nreach, reach_cap;
	uint64_t ips[SESSION_MAX_DEPTH + 1];  /* scratch for unwinding copies */
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
	return targets__len(&s->targets);
}

/* A stack copy from the ring buffer: its process unwinds and keeps it. */
static int _on_stack_event(const struct seep_stack_event *ev, const void *stack, void *ctx)
{
	struct session *s = ctx;
	struct target *t = targets__find(&s->targets, (pid_t)ev->tgid);

	if (!t)
		return 0;   /* a process dropped since the copy was sent */
	return target__add_stack_copy(t, s->cfg.trace.no_stack_walk ? NULL : s->trace, ev, stack,
				      s->cfg.trace.sample_bytes, s->ips,
				      s->cfg.max_depth);
}

/* PID called exec(), seen by the BPF side (which dropped the old image's
 * blocks: BLOCKS, BYTES if known, else UINT64_MAX) when EXECS were seen.
 * The new image is followed: new symbols, stacks and name; its modules
 * are hooked a moment later. */
static int _follow_exec(struct session *s, struct target *t, uint64_t execs, uint64_t blocks,
			uint64_t bytes)
{
	char old[sizeof(t->label)];
	int err;

	if (execs <= t->execs)
		return 0;   /* followed already */
	memcpy(old, t->label, sizeof(old));
	err = target__exec(t, s->symcache);
	if (err) {
		pr_warn("pid %d (%s) called exec(): cannot read its new image: %s", (int)t->pid, old,
			strerror(-err));
		return err == -ENOMEM ? err : 0;
	}
	t->execs = execs;
	if (blocks != UINT64_MAX)
		pr_warn("pid %d (%s) called exec(), now '%s': a new heap; the old image's %llu live "
			"blocks (%llu bytes) are dropped", (int)t->pid, old, t->label,
			(unsigned long long)blocks, (unsigned long long)bytes);
	else
		pr_warn("pid %d (%s) called exec(), now '%s': a new heap; the old image's live "
			"blocks are dropped", (int)t->pid, old, t->label);
	if ((err = trace__forget_stacks(s->trace, t->pid)))   /* the BPF side did; in case */
		pr_debug("pid %d: cannot forget its stack walk: %s", (int)t->pid, strerror(-err));
	t->rehook_at_ns = session__now_ns() + EXEC_REHOOK_NS;
	return 0;
}

static int _on_exec_event(const struct seep_exec_event *ev, void *ctx)
{
	struct session *s = ctx;
	struct target *t = targets__find(&s->targets, (pid_t)ev->tgid);

	return t ? _follow_exec(s, t, ev->execs, ev->blocks, ev->bytes) : 0;
}

static int _on_reach_timer(struct evloop_timer *timer, void *ctx);

int session__new(const struct session_config *cfg, struct session **out)
{
	struct session *s;
	int err;

	if ((err = trace__check_privileges()) || (err = trace__check_btf()))
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	evloop__timer_init(&s->reach_timer, _on_reach_timer, s);
	s->cfg = *cfg;
	if (!s->cfg.max_depth)
		s->cfg.max_depth = 128;
	if (s->cfg.max_depth > SESSION_MAX_DEPTH)
		s->cfg.max_depth = SESSION_MAX_DEPTH;
	targets__init(&s->targets);
	s->child_status = -1;
	s->symcache = symcache__new();
	err = s->symcache ? trace__new(&cfg->trace, &s->trace) : -ENOMEM;
	if (!err)
		err = trace__set_event_handler(s->trace, _on_stack_event, s);
	if (!err)
		trace__set_exec_handler(s->trace, _on_exec_event, s);
	if (err) {
		session__free(s);
		return err;
	}
	s->last_refresh_ns = session__now_ns();
	*out = s;
	return 0;
}

/* --- reachability ------------------------------------------------------ */

static struct _reach_result *_reach_find(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->nreach; i++)
		if (s->reach[i].pid == pid)
			return &s->reach[i];
	return NULL;
}

static bool _reach_lost(const struct _reach_result *res, uint64_t addr)
{
	size_t lo = 0, hi = res->nlost;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (res->lost[mid] == addr)
			return true;
		if (res->lost[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void _reach_release(struct session *s)
{
	for (size_t i = 0; i < s->nreach; i++) {
		free(s->reach[i].lost);
		heap__release(&s->reach[i].heap);
	}
	free(s->reach);
	s->reach = NULL;
	s->nreach = s->reach_cap = 0;
}

/* The tracked blocks of one process, as the scan takes them. */
struct _reach_blocks {
	pid_t pid;
	struct reach_block *b;
	uint64_t *ts;            /* allocation time, by block id */
	size_t n, cap, ts_cap;
};

/* glibc's malloc: a chunk (16-byte aligned, its header 16 bytes before the
 * address malloc returned) of max(32, size + 8 rounded up to 16) bytes;
 * the next chunk's header, where the arena points when that chunk is free
 * or the top, falls inside the block when its last 8 bytes are borrowed. */
static uint64_t _next_chunk(uint32_t kind, uint64_t addr, uint64_t size)
{
	uint64_t chunk, next;

	if (kind != SEEP_KIND_MALLOC && kind != SEEP_KIND_CALLOC && kind != SEEP_KIND_REALLOC &&
	    kind != SEEP_KIND_REALLOCARRAY)
		return 0;
	chunk = (size + 8 + 15) & ~15ULL;
	if (chunk < 32)
		chunk = 32;
	next = addr - 16 + chunk;
	return next > addr && next < addr + size ? next : 0;
}

static int _reach_block(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct _reach_blocks *l = ctx;
	struct reach_block *b;
	uint64_t *ts;

	if ((pid_t)k->tgid != l->pid)
		return 0;
	if (!(ts = VEC_PUSH(l->ts, l->n, l->ts_cap)) || !(b = VEC_PUSH(l->b, l->n, l->cap)))
		return -ENOMEM;
	*ts = v->ts_ns;
	*b = (struct reach_block){ .addr = k->addr, .size = v->size, .id = l->n,
				   .not_ptr = _next_chunk(v->kind, k->addr, v->size) };
	l->n++;
	return 0;
}

static int _reach_by_addr(const void *a, const void *b)
{
	const struct reach_block *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sorts the blocks and drops the older of two that overlap: a block whose
 * free was missed (an untraced path) and whose memory was handed out again. */
static size_t _reach_dedup(struct _reach_blocks *l)
{
	size_t kept = 0;

	if (l->n)
		qsort(l->b, l->n, sizeof(*l->b), _reach_by_addr);
	for (size_t i = 0; i < l->n; i++) {
		struct reach_block *prev = kept ? &l->b[kept - 1] : NULL;

		if (prev && prev->addr + prev->size > l->b[i].addr) {
			if (l->ts[l->b[i].id] > l->ts[prev->id])
				*prev = l->b[i];
			continue;
		}
		l->b[kept++] = l->b[i];
	}
	return l->n - kept;
}

/* Takes out of L the blocks that hold a thread's stack pointer; returns
 * how many, their bytes in *BYTES. L stays sorted. */
static size_t _reach_drop_stacks(struct _reach_blocks *l, const struct reachstop_image *img,
				 uint64_t *bytes)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < l->n; i++) {
		bool stack = false;

		for (size_t j = 0; j < img->nsps && !stack; j++)
			stack = img->sps[j] >= l->b[i].addr && img->sps[j] < l->b[i].addr + l->b[i].size;
		if (stack) {
			*bytes += l->b[i].size;
			dropped++;
			continue;
		}
		l->b[kept++] = l->b[i];
	}
	l->n = kept;
	return dropped;
}

/* Scans the process RS holds: its lost blocks are kept for its reports. */
static int _reach_scan(struct session *s, struct reachstop *rs, bool exact)
{
	struct _reach_blocks l = { .pid = reachstop__pid(rs) };
	struct reachstop_image img = { 0 };
	struct target *t = targets__find(&s->targets, l.pid);
	struct _reach_result *res;
	struct reach_stats st;
	uint64_t total = 0, stack_bytes = 0;
	size_t stale, stacks;
	int err;

	if (!t)
		return -ESRCH;
	if ((err = trace__for_each_live(s->trace, _reach_block, &l)))
		goto cleanup;
	stale = _reach_dedup(&l);
	l.n -= stale;
	if ((err = reachstop__image(rs, l.b, l.n, exact, t->sym, &img)))
		goto cleanup;
	/* a thread's stack mapped as a tracked block: its live part is a root
	 * already; the block is reachable and not scanned (its dead part
	 * holds stale words) */
	stacks = _reach_drop_stacks(&l, &img, &stack_bytes);
	if ((err = reach__scan(l.b, l.n, img.roots, img.nroots, reachstop__read, rs, &st)))
		goto cleanup;
	st.reached += stacks;
	if (!(res = _reach_find(s, l.pid))) {
		if (!(res = VEC_PUSH(s->reach, s->nreach, s->reach_cap))) {
			err = -ENOMEM;
			goto cleanup;
		}
		memset(res, 0, sizeof(*res));
		res->pid = l.pid;
		heap__init(&res->heap, t->heap.sample_bytes);
		s->nreach++;
	}
	free(res->lost);
	res->nlost = 0;
	if (!(res->lost = malloc((st.lost ? st.lost : 1) * sizeof(*res->lost)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	total = stack_bytes;
	for (size_t i = 0; i < l.n; i++) {   /* sorted by address: so is lost */
		total += l.b[i].size;
		if (!l.b[i].reached)
			res->lost[res->nlost++] = l.b[i].addr;
	}
	res->info = (struct report_reach){
		.done = true, .exact = exact,
		.scanned_bytes = st.root_bytes + st.block_bytes, .root_bytes = st.root_bytes,
		.stack_bytes = img.stack_bytes, .threads = img.threads,
		.lost_bytes = st.lost_bytes, .lost_blocks = st.lost,
		.reachable_bytes = total - st.lost_bytes, .reachable_blocks = st.reached,
	};
	pr_info("pid %d (%s): reachability: %zu of %zu tracked blocks lost (%llu bytes), %zu "
		"threads, %llu bytes read%s", (int)l.pid, t->label, st.lost, l.n,
		(unsigned long long)st.lost_bytes, img.threads,
		(unsigned long long)res->info.scanned_bytes,
		st.unreadable ? "; some blocks could not be read" : "");
	if (stale)
		pr_debug("pid %d: %zu tracked blocks overlapped newer ones (missed frees)",
			 (int)l.pid, stale);
cleanup:
	if (err)
		pr_err("cannot scan the memory of pid %d for lost blocks: %s", (int)l.pid,
		       strerror(-err));
	reachstop__image_release(&img);
	free(l.b);
	free(l.ts);
	return err;
}

/* The kept command ends: every thread is held at its exit. A failed scan
 * is said; the command is let go all the same. */
static int _reach_at_exit(struct reachstop *rs, void *ctx)
{
	struct session *s = ctx;
	int err = _reach_scan(s, rs, true);

	return err == -ENOMEM ? err : 0;
}

static int _on_reach_timer(struct evloop_timer *timer, void *ctx)
{
	struct session *s = ctx;
	struct _reach_result *res;
	int err;

	(void)timer;
	if (!s->rs)
		return 0;
	if ((err = reachstop__pump(s->rs, _reach_at_exit, s)) > 0)
		return s->loop ? evloop__arm(s->loop, &s->reach_timer,
					     session__now_ns() + REACH_POLL_NS) : 0;
	if ((res = _reach_find(s, reachstop__pid(s->rs))))
		res->info.pause_ns = reachstop__pause_ns(s->rs);
	reachstop__free(s->rs);
	s->rs = NULL;
	return err;
}

/* A process of -p, running: held while its memory is scanned. */
static void _reach_running(struct session *s, struct target *t)
{
	struct _reach_result *res;
	struct reachstop *rs;

	if (t->pid == s->command)
		return;   /* kept: scanned at its exit */
	if (reachstop__seize(t->pid, &rs))
		return;   /* logged */
	_reach_scan(s, rs, false);   /* logged */
	reachstop__detach(rs);
	if ((res = _reach_find(s, t->pid)))
		res->info.pause_ns = reachstop__pause_ns(rs);
	reachstop__free(rs);
}

/* A kept command that seep stops (the end of tracing): asked to end, it
 * is let go at its exit without a scan; killed if it does not end. */
static void _reach_stop_kept(struct session *s)
{
	if (!s->rs)
		return;
	if (s->group)
		kill(-s->group, SIGTERM);
	if (reachstop__drain(s->rs, 1000) == -ETIMEDOUT && s->group) {
		kill(-s->group, SIGKILL);
		reachstop__drain(s->rs, 3000);
	}
	reachstop__free(s->rs);
	s->rs = NULL;
}

/* The command we started ended with wait status ST. */
static void _child_ended(struct session *s, int st)
{
	if (WIFEXITED(st))
		pr_info("command (pid %d) exited with status %d", (int)s->child, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		pr_warn("command (pid %d) killed by SIG%s", (int)s->child,
			sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
	s->child_status = st;
	s->child = 0;
}

/* Reaps what has ended in the command's process group (children of seep:
 * the command, and orphans when seep is a namespace's init). */
static void _reap_group(struct session *s)
{
	pid_t pid;
	int st;

	while (s->group && (pid = waitpid(-s->group, &st, WNOHANG)) > 0)
		if (pid == s->child)
			_child_ended(s, st);
}

/* The command exited (its pidfd said so): reaps it, and says so if
 * processes it started outlive it (they are not traced). */
static void _reap_child(struct session *s)
{
	int st;

	if (s->child && waitpid(s->child, &st, 0) == s->child)
		_child_ended(s, st);
	s->child = 0;
	_reap_group(s);
	if (s->group && kill(-s->group, 0) == 0)
		pr_warn("command exited, processes it started still run in its process group "
			"(children are not traced); seep stops them when it ends");
}

/* Stops the command and whatever is left in its process group: SIGTERM,
 * then SIGKILL after a second. */
static void _stop_command(struct session *s)
{
	bool running;

	if (s->rs) {   /* kept under ptrace: its stops are reachstop's to read */
		running = s->child != 0;
		_reach_stop_kept(s);
	} else {
		_reap_group(s);
		running = s->child != 0;
	}
	if (!s->group || kill(-s->group, SIGTERM) < 0) {
		s->group = 0;
		return;
	}
	for (int i = 0; i < 50 && kill(-s->group, 0) == 0; i++) {
		usleep(20000);
		_reap_group(s);
	}
	if (kill(-s->group, 0) == 0)
		kill(-s->group, SIGKILL);
	if (s->child) {
		int st;

		if (waitpid(s->child, &st, 0) == s->child)
			s->child_status = st;
		s->child = 0;
	}
	_reap_group(s);
	if (running) {
		s->child_stopped = true;
		pr_info("stopped command (pid %d)", (int)s->group);
	}
	s->group = 0;
}

int session__command_status(const struct session *s, int *status)
{
	if (s->child_status < 0 || s->child_stopped)
		return -ENOENT;
	*status = s->child_status;
	return 0;
}

void session__free(struct session *s)
{
	if (!s)
		return;
	session__detach(s);
	evloop__free(s->own_loop);
	_stop_command(s);
	targets__release(&s->targets);
	trace__free(s->trace);
	symcache__free(s->symcache);
	_reach_release(s);
	free(s);
}

/* --- the event loop's callbacks ------------------------------------------ */

static int _drop_target(struct session *s, struct target *t);
static int _report(struct session *s, struct target *which, bool final, bool exited,
		   session_report_fn fn, void *ctx);

/* Unwinds waiting stack copies for at most BUDGET_NS; notes whether some
 * are left (the step timer then fires at once). 0 or -errno. */
static int _consume(struct session *s, uint64_t budget_ns)
{
	int err = trace__consume_events(s->trace, budget_ns);

	s->events_left = err > 0;
	return err < 0 ? err : 0;
}

static int _rearm_step(struct session *s)
{
	return s->loop ? evloop__arm(s->loop, &s->step_timer, session__next_deadline(s)) : 0;
}

static int _on_events(int fd, uint32_t events, void *ctx)
{
	struct session *s = ctx;
	int err;

	(void)fd;
	(void)events;
	err = _consume(s, CONSUME_BUDGET_NS);
	return err ? err : _rearm_step(s);
}

/* A pidfd polls readable: its process exited. Final report, then drop. */
static int _on_exit(int fd, uint32_t events, void *ctx)
{
	struct session *s = ctx;
	struct target *t = NULL;
	int err;

	(void)events;
	for (size_t i = 0; i < targets__len(&s->targets) && !t; i++)
		if (targets__at(&s->targets, i)->pidfd == fd)
			t = targets__at(&s->targets, i);
	if (!t)
		return 0;
	target__refresh_comm(t);   /* a zombie's name is still there */
	if (s->child && t->pid == s->child)
		_reap_child(s);   /* its exit status goes into its final report */
	if (s->exit_fn) {
		err = _report(s, t, true, true, s->exit_fn, s->exit_ctx);
		if (err)
			return err;
		pr_warn("pid %d (%s) exited; its final report is above", (int)t->pid, t->label);
	} else {
		pr_warn("pid %d (%s) exited", (int)t->pid, t->label);
	}
	return _drop_target(s, t);
}

static int _on_step_timer(struct evloop_timer *timer, void *ctx)
{
	struct session *s = ctx;
	int err = session__step(s);

	(void)timer;
	return err ? err : _rearm_step(s);
}

int session__attach(struct session *s, struct evloop *loop, session_report_fn on_exit, void *ctx)
{
	int fd = trace__events_fd(s->trace), err = 0;

	if (s->loop)
		return -EBUSY;
	evloop__timer_init(&s->step_timer, _on_step_timer, s);
	s->loop = loop;
	s->exit_fn = on_exit;
	s->exit_ctx = ctx;
	if (fd >= 0)   /* -1: no DWARF ring buffer */
		err = evloop__add_fd(loop, fd, EPOLLIN, _on_events, s);
	for (size_t i = 0; i < targets__len(&s->targets) && !err; i++)
		err = evloop__add_fd(loop, targets__at(&s->targets, i)->pidfd, EPOLLIN, _on_exit, s);
	if (!err)
		err = _rearm_step(s);
	if (!err && s->rs)
		err = evloop__arm(loop, &s->reach_timer, session__now_ns());
	if (err)
		session__detach(s);
	return err;
}

void session__detach(struct session *s)
{
	int fd;

	if (!s->loop)
		return;
	/* -ENOENT for what a failed attach had not registered yet: fine */
	fd = trace__events_fd(s->trace);
	if (fd >= 0)
		evloop__remove_fd(s->loop, fd);
	for (size_t i = 0; i < targets__len(&s->targets); i++)
		evloop__remove_fd(s->loop, targets__at(&s->targets, i)->pidfd);
	evloop__disarm(s->loop, &s->step_timer);
	evloop__disarm(s->loop, &s->reach_timer);
	s->loop = NULL;
}

/* --- targets ---------------------------------------------------------- */

/* Unregisters T from the loop, the tracer and the registry; frees it. */
static int _drop_target(struct session *s, struct target *t)
{
	int err;

	if (s->loop)
		evloop__remove_fd(s->loop, t->pidfd);
	err = trace__forget_pid(s->trace, t->pid);
	if (err)
		pr_err("pid %d: cannot drop its blocks from the tracer's maps: %s", (int)t->pid,
		       strerror(-err));
	if (t->rehook_failures)
		pr_warn("pid %d (%s): %u of its new modules could not be hooked: allocations "
			"there were not counted", (int)t->pid, t->label, t->rehook_failures);
	if (s->child && t->pid == s->child)
		_reap_child(s);
	targets__remove(&s->targets, t->pid);
	target__close(t);
	return err;
}

/* Opens a pidfd (it pins the process: a reused pid cannot fool us later),
 * prepares the symbolizer, chooses how stacks are taken, attaches. */
int session__add_pid(struct session *s, pid_t pid)
{
	struct target *t;
	int hooked, err;

	if (targets__find(&s->targets, pid))
		return 0;
	err = target__open(pid, s->symcache, s->cfg.trace.sample_bytes, &t);
	if (err)
		return err;
	t->mode = stackmode__choose(s->cfg.unwind, pid);
	target__set_max_stacks(t, s->cfg.trace.max_stacks ? s->cfg.trace.max_stacks
							    : DEFAULT_MAX_STACKS);
	/* registered first: nothing to undo in the tracer if this fails */
	err = targets__add(&s->targets, t);
	if (err) {
		pr_err("cannot trace pid %d: %s", (int)pid, strerror(-err));
		target__close(t);
		return err;
	}
	hooked = trace__add_pid(s->trace, pid, t->mode);
	if (hooked < 0) {
		targets__remove(&s->targets, pid);
		target__close(t);
		return hooked;
	}
	if (s->loop && (err = evloop__add_fd(s->loop, t->pidfd, EPOLLIN, _on_exit, s))) {
		pr_err("cannot watch pid %d for its exit: %s", (int)pid, strerror(-err));
		_drop_target(s, t);
		return err;
	}
	pr_info("pid %d (%s): hooked %d allocator functions%s, %s stacks", (int)pid, t->label, hooked,
		s->cfg.trace.shared_probes ? " (probes shared per file: new files only)" : "",
		t->mode == SEEP_UNWIND_DWARF ? "DWARF" : "frame-pointer");
	if (!s->start_ns)
		s->start_ns = session__now_ns();
	return 0;
}

static const char *_getenv(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

int session__start_command(struct session *s, const char *cmdline)
{
	struct cmdline c;
	char why[128], c0[64];
	pid_t pid;
	int err, rel;

	err = cmdline__split(cmdline, _getenv, NULL, &c, why, sizeof(why));
	if (err) {
		pr_err("cannot parse command '%s': %s", cmdline, err == -EINVAL ? why : strerror(-err));
		return err;
	}
	err = cmdline__glob(&c);
	if (err)
		pr_err("cannot expand the patterns of command '%s': %s", cmdline, strerror(-err));
	else
		err = launch__start(c.argv, c.env, &pid);
	snprintf(c0, sizeof(c0), "%s", c.argc ? c.argv[0] : "?");
	cmdline__release(&c);
	if (err)
		return err;
	s->child = s->group = s->command = pid;
	err = session__add_pid(s, pid);
	/* released either way: a failed add leaves it to session__free to stop;
	 * with --reach, kept under ptrace for its exit */
	if (!err && s->cfg.reach) {
		rel = reachstop__keep(pid, &s->rs);
		if (!rel && s->loop)
			rel = evloop__arm(s->loop, &s->reach_timer, session__now_ns());
	} else {
		rel = launch__release(pid);
	}
	if (rel)
		pr_err("cannot let command '%s' (pid %d) run: %s", c0, (int)pid, strerror(-rel));
	return err ? err : rel;
}

/* --- the periodic step ---------------------------------------------------- */

static int _mark_live(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct target *t = targets__find(ctx, (pid_t)k->tgid);

	if (t)
		target__mark_live(t, &v->site);
	return 0;
}

/* Drops the sequence bindings of blocks since freed; call right after a
 * full pass over the live blocks (which marked the live ones). */
static void _sweep(struct session *s)
{
	for (size_t i = 0; i < targets__len(&s->targets); i++)
		target__sweep(targets__at(&s->targets, i));
	s->last_sweep_ns = session__now_ns();
}

/* Between reports, bindings of freed blocks pile up: sweep every few
 * seconds once there are many. */
static int _maybe_sweep(struct session *s)
{
	size_t bindings = 0;
	int err;

	for (size_t i = 0; i < targets__len(&s->targets); i++)
		bindings += target__bindings(targets__at(&s->targets, i));
	if (bindings < SWEEP_BINDINGS || session__now_ns() - s->last_sweep_ns < SWEEP_INTERVAL_NS)
		return 0;
	err = _consume(s, CONSUME_BUDGET_NS);
	if (!err)
		err = trace__for_each_live(s->trace, _mark_live, &s->targets);
	if (!err)
		_sweep(s);
	return err;
}

/* Re-reads T's modules; hooks the allocators of new ones (of every one
 * with FORCE: a new image). A failure to hook is counted (and said when T
 * is dropped): T goes on being traced. */
static int _refresh_target(struct session *s, struct target *t, bool force)
{
	uint64_t execs;
	int err, hooked;
	pid_t child;

	/* an exec whose event the full ring lost */
	if (!trace__execs(s->trace, t->pid, &execs) && execs > t->execs) {
		if ((err = _follow_exec(s, t, execs, UINT64_MAX, 0)))
			return err;
		return 0;   /* hooked at rehook_at_ns */
	}
	target__refresh_comm(t);
	/* fork is not followed: say so, once per process */
	if (!t->forked_said && proc__first_child(t->pid, &child) == 0 &&
	    !targets__find(&s->targets, child)) {
		t->forked_said = true;
		pr_warn("pid %d (%s) started child process %d: children are not traced "
			"(-p %d traces one)", (int)t->pid, t->label, (int)child, (int)child);
	}
	err = symbolizer__refresh(t->sym);

	if (err < 0 || (err == 0 && !force))
		return err;   /* unchanged (or gone: its pidfd says so), or -ENOMEM */
	/* new or replaced modules: the BPF walk's rules may not hold anymore */
	if ((err = trace__forget_stacks(s->trace, t->pid)))
		pr_debug("pid %d: cannot forget its stack walk: %s", (int)t->pid, strerror(-err));
	hooked = trace__add_pid(s->trace, t->pid, t->mode);
	if (hooked < 0 && hooked != -ESRCH) {   /* -ESRCH: exiting, its pidfd follows */
		t->rehook_failures++;
		pr_warn("pid %d (%s): cannot hook the allocators of its new modules: %s",
			(int)t->pid, t->label, strerror(-hooked));
	}
	return 0;
}

int session__step(struct session *s)
{
	uint64_t now = session__now_ns();
	int err;

	if ((err = _consume(s, CONSUME_BUDGET_NS)) || (err = _maybe_sweep(s)))
		return err;
	for (size_t i = 0; i < targets__len(&s->targets) && !err; i++) {
		struct target *t = targets__at(&s->targets, i);

		if (t->rehook_at_ns && now >= t->rehook_at_ns) {
			t->rehook_at_ns = 0;
			err = _refresh_target(s, t, true);
		}
	}
	if (err || now - s->last_refresh_ns < REFRESH_INTERVAL_NS)
		return err;
	s->last_refresh_ns = now;
	for (size_t i = 0; i < targets__len(&s->targets) && !err; i++)
		err = _refresh_target(s, targets__at(&s->targets, i), false);
	return err;
}

uint64_t session__next_deadline(const struct session *s)
{
	uint64_t next = s->last_refresh_ns + REFRESH_INTERVAL_NS;

	if (s->events_left)
		return session__now_ns();
	for (size_t i = 0; i < targets__len(&s->targets); i++) {
		uint64_t at = targets__at(&s->targets, i)->rehook_at_ns;

		if (at && at < next)
			next = at;
	}
	return next;
}

int session__wait(struct session *s, uint64_t deadline, session_report_fn fn, void *ctx)
{
	int err;

	if (!s->loop) {
		if (!s->own_loop && (err = evloop__new(&s->own_loop)))
			return err;
		if ((err = session__attach(s, s->own_loop, fn, ctx)))
			return err;
	} else if (s->loop != s->own_loop) {
		return -EBUSY;   /* another loop drives this session */
	}
	s->exit_fn = fn;
	s->exit_ctx = ctx;
	err = evloop__run_once(s->loop, deadline);
	return err ? err : (int)targets__len(&s->targets);
}

/* --- reports ------------------------------------------------------------ */

static int _collect_block(const struct seep_live_key *k, const struct seep_live *v, void *ctx)
{
	struct session *s = ctx;
	struct target *t = targets__find(&s->targets, (pid_t)k->tgid);
	struct seep_stack_key site;
	struct _reach_result *res;

	if (!t || v->ts_ns > s->young_after_ns)
		return 0;
	site = target__resolve_site(t, &v->site);
	res = s->nreach ? _reach_find(s, t->pid) : NULL;
	/* "[stack lost]" because its copy still waits in the ring (the
	 * report's budget ran out): a drop of this report */
	if (v->site.stack_id == SEEP_STACK_DWARF && site.stack_id == SEEP_STACK_LOST &&
	    s->events_left && v->site.caller > t->last_seq)
		t->stacks_queued++;
	if (res && _reach_lost(res, k->addr))
		return heap__add_block(&res->heap, &site, v->kind, v->size, v->ts_ns);
	return heap__add_block(&t->heap, &site, v->kind, v->size, v->ts_ns);
}

static int _collect_site(const struct seep_stack_key *k, const struct seep_stack_totals *v,
			 void *ctx)
{
	struct session *s = ctx;
	struct target *t = targets__find(&s->targets, (pid_t)k->tgid);
	struct sample_weight w;

	if (!t || !v->alloc_count)
		return 0;
	/* The kernel sums what it recorded; a site's allocations mostly share
	 * one size, so the mean size's weight stands for each of them. */
	w = sampling__weight(v->alloc_bytes / v->alloc_count, t->heap.sample_bytes);
	if (k->stack_id == SEEP_STACK_UNWOUND) {   /* a DWARF stack, counted in the kernel */
		target__set_kernel_totals(t, (uint32_t)k->caller, (double)v->alloc_count * w.bytes,
					  (double)v->alloc_count * w.count);
		return 0;
	}
	heap__add_totals(&t->heap, k, (double)v->alloc_count * w.bytes,
			 (double)v->alloc_count * w.count);
	for (size_t i = 0; i < s->nreach; i++)   /* a site's lost part: the same totals */
		if (s->reach[i].pid == t->pid)
			heap__add_totals(&s->reach[i].heap, k, (double)v->alloc_count * w.bytes,
					 (double)v->alloc_count * w.count);
	return 0;
}

/* Refills every target's heap model from the kernel's maps. */
static int _collect(struct session *s)
{
	int err;

	for (size_t i = 0; i < targets__len(&s->targets); i++)
		target__reset_heap(targets__at(&s->targets, i));
	for (size_t i = 0; i < s->nreach; i++) {
		uint64_t sample_bytes = s->reach[i].heap.sample_bytes;

		heap__release(&s->reach[i].heap);
		heap__init(&s->reach[i].heap, sample_bytes);
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
	if (!err)
		_sweep(s);
	return err;
}

/* Where a report's stacks and symbols come from: heapreport's source. */
struct _site_source {
	struct session *s;
	struct target *t;
};

/* Frames of a site, innermost first: the allocator's entry, then return
 * addresses. DWARF sites come unwound from the store; frame-pointer sites
 * are the kernel's walk with the caller (read at the stack pointer) spliced
 * in after the entry; a DWARF process's stack that back-pressure took by
 * its frame pointers at the return is marked so. Return addresses where calls were inlined then stand
 * for one frame per inline level (symbolizer__expand_inline). */
static int _site_stack(void *ctx, const struct heap_site *site, uint64_t *ips, size_t max,
		       struct heapreport_stack *out)
{
	const struct _site_source *src = ctx;
	size_t n;
	bool cut = false;

	if (site->key.stack_id == SEEP_STACK_DWARF) {
		out->n = target__dwarf_stack(src->t, (uint32_t)site->key.caller, ips, max,
					     &out->truncated);
		out->lost = out->n == 0;
	} else if (site->key.stack_id >= 0 && (site->key.stack_id & SEEP_STACK_FP_FALLBACK)) {
		/* back-pressure's frame-pointer walk, taken at the return: its
		 * first frame is the return address; the entry is the caller */
		if (max < SEEP_MAX_STACK_DEPTH + 1)
			return -EINVAL;
		n = trace__stack(src->s->trace, site->key.stack_id & ~SEEP_STACK_FP_FALLBACK,
				 ips + 1, SEEP_MAX_STACK_DEPTH);
		ips[0] = site->key.caller;
		out->n = n ? n + 1 : 0;
		out->lost = n == 0;
		out->truncated = n == SEEP_MAX_STACK_DEPTH;
		out->frame_pointer = n != 0;
	} else {
		if (max < SEEP_MAX_STACK_DEPTH + 1)
			return -EINVAL;
		n = trace__stack(src->s->trace, site->key.stack_id, ips + 1, SEEP_MAX_STACK_DEPTH);
		out->truncated = n == SEEP_MAX_STACK_DEPTH;
		if (n) {
			ips[0] = ips[1];         /* allocator entry */
			ips[1] = site->key.caller;
			out->n = n + 1;
		} else {
			out->lost = true;
			ips[0] = site->key.caller;
			out->n = ips[0] ? 1 : 0;
		}
	}
	out->n = symbolizer__expand_inline(src->t->sym, ips, out->n, max, out->lost ? 0 : 1, &cut);
	out->truncated |= cut;
	return 0;
}

static int _site_frame(void *ctx, uint64_t addr, bool return_addr, struct stack_frame *out)
{
	const struct _site_source *src = ctx;

	return symbolizer__frame(src->t->sym, addr, return_addr, out);
}

/* Puts the lost blocks' stacks (RES's heap) before the reachable ones of
 * R, with the scan's figures. On failure R is released. */
static int _reach_merge(struct target *t, struct _reach_result *res,
			const struct heapreport_meta *meta, const struct heapreport_source *src,
			struct report *r)
{
	struct report lost;
	int err;

	for (size_t i = 0; i < res->heap.n; i++) {   /* as target__dwarf_totals */
		struct heap_site *h = &res->heap.sites[i];

		if (h->key.stack_id == SEEP_STACK_DWARF)
			stacks__totals(t->stacks, (uint32_t)h->key.caller, &h->alloc_bytes,
				       &h->alloc_count);
	}
	heap__sort(&res->heap);
	if ((err = heapreport__build(&res->heap, meta, src, &lost))) {
		report__release(r);
		return err;
	}
	for (size_t i = 0; i < lost.nstacks; i++)
		lost.stacks[i].lost = true;
	if ((err = report__append_stacks(&lost, r))) {
		report__release(&lost);
		report__release(r);
		return err;
	}
	r->stacks = lost.stacks;
	r->nstacks = lost.nstacks;
	lost.stacks = NULL;
	lost.nstacks = 0;
	r->total_bytes += lost.total_bytes;
	r->total_count += lost.total_count;
	r->total_samples += lost.total_samples;
	r->stacks_total += lost.stacks_total;
	r->reach = res->info;
	r->reach.lost_stacks = 0;
	for (size_t i = 0; i < r->nstacks && r->stacks[i].lost; i++)
		r->reach.lost_stacks++;
	report__release(&lost);
	return 0;
}

/* Builds T's report from its heap model and hands it to FN. */
static int _report_target(struct session *s, struct target *t, bool final, bool exited,
			  session_report_fn fn, void *ctx)
{
	uint64_t stats[SEEP_STAT__MAX], now = session__now_ns();
	struct _site_source ss = { .s = s, .t = t };
	struct heapreport_source src = { .stack = _site_stack, .frame = _site_frame, .ctx = &ss };
	struct heapreport_meta meta = {
		.pid = t->pid, .comm = t->comm, .time = clock__wall_s(),
		.elapsed_s = (now - s->start_ns) / 1e9, .final = final, .exited = exited,
		.now_ns = now, .top = s->cfg.top, .stats = stats,
		.max_frames = s->cfg.max_depth > SEEP_MAX_STACK_DEPTH + 1 ? s->cfg.max_depth
									  : SEEP_MAX_STACK_DEPTH + 1,
	};
	struct _reach_result *res;
	struct report r;
	int err, st;

	if (t->pid == s->command && !session__command_status(s, &st)) {
		meta.has_exit_status = true;
		meta.exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		meta.exit_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
	target__dwarf_totals(t);
	heap__sort(&t->heap);
	err = trace__read_stats(s->trace, stats);
	/* user space's own: stacks the full store refused, copies not yet read */
	meta.stack_store_full = t->stacks_full;
	meta.stacks_queued = t->stacks_queued;
	meta.execs = t->execs;
	if (!err)
		err = heapreport__build(&t->heap, &meta, &src, &r);
	if (!err && (res = s->nreach ? _reach_find(s, t->pid) : NULL) && res->info.done)
		err = _reach_merge(t, res, &meta, &src, &r);
	if (err)
		return err;
	err = fn(&r, ctx);
	report__release(&r);
	return err;
}

/* Reports WHICH (NULL: every running target) to FN. */
static int _report(struct session *s, struct target *which, bool final, bool exited,
		   session_report_fn fn, void *ctx)
{
	int err;

	if (final && !exited && s->cfg.reach)
		for (size_t i = 0; i < targets__len(&s->targets); i++)
			if (!which || targets__at(&s->targets, i) == which)
				_reach_running(s, targets__at(&s->targets, i));
	err = _collect(s);

	if (err || which)
		return err ? err : _report_target(s, which, final, exited, fn, ctx);
	for (size_t i = 0; i < targets__len(&s->targets) && !err; i++)
		err = _report_target(s, targets__at(&s->targets, i), final, exited, fn, ctx);
	return err;
}

int session__report(struct session *s, bool final, session_report_fn fn, void *ctx)
{
	return _report(s, NULL, final, false, fn, ctx);
}

void session__unhook(struct session *s)
{
	trace__unhook(s->trace);
}

int session__bpf_run_time(struct session *s, uint64_t *run_time_ns, uint64_t *run_cnt)
{
	return trace__run_time(s->trace, run_time_ns, run_cnt);
}
