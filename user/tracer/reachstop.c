/* reachstop — a process held under ptrace for a reachability scan; see
 * reachstop.h. */
#include "tracer/reachstop.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "symbols/symbolize.h"
#include "sys/procmaps.h"

#define RED_ZONE 128             /* x86-64 SysV: below sp, still the leaf's */
#define READ_CHUNK (1u << 20)    /* a region is read at most this much at a time */
#define GROUP_EXIT_WAIT_NS 2000000000ULL   /* for every thread to reach its exit stop */
#define EXIT_PATH_FRAMES 16      /* frames unwound to find where libc's exit path ends */

enum thread_state {
	T_RUN,                   /* running, traced */
	T_NEW,                   /* announced by a clone event; its first stop not seen */
	T_HELD,                  /* held in a ptrace stop (its exit, or an interrupt) */
};

struct thread {
	pid_t tid;
	enum thread_state state;
	int pending_sig;         /* a signal to deliver on detach (seize mode) */
	bool at_exit;            /* held at its exit stop (else an interrupt) */
	struct user_regs_struct regs;
};

struct reachstop {
	pid_t pid;
	bool seized;             /* PTRACE_SEIZE (else PTRACE_TRACEME, kept) */
	struct thread *t;
	size_t n, cap;
	uint64_t held_ns;        /* when the first thread was held; 0: none */
	uint64_t pause_ns;
};

pid_t reachstop__pid(const struct reachstop *rs)
{
	return rs->pid;
}

uint64_t reachstop__pause_ns(const struct reachstop *rs)
{
	return rs->pause_ns;
}

size_t reachstop__threads(const struct reachstop *rs)
{
	size_t held = 0;

	for (size_t i = 0; i < rs->n; i++)
		held += rs->t[i].state == T_HELD;
	return held;
}

static struct thread *_find(struct reachstop *rs, pid_t tid)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->t[i].tid == tid)
			return &rs->t[i];
	return NULL;
}

static int _add(struct reachstop *rs, pid_t tid, enum thread_state state)
{
	struct thread *t = _find(rs, tid);

	if (t)
		return 0;
	if (!(t = VEC_PUSH(rs->t, rs->n, rs->cap)))
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = state;
	rs->n++;
	return 0;
}

static void _remove(struct reachstop *rs, pid_t tid)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->t[i].tid == tid) {
			rs->t[i] = rs->t[--rs->n];
			return;
		}
	}
}

static void _hold(struct reachstop *rs, struct thread *t)
{
	t->state = T_HELD;
	if (!rs->held_ns)
		rs->held_ns = clock__mono_ns();
}

void reachstop__detach(struct reachstop *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct thread *t = &rs->t[i];

		if (t->state == T_HELD &&
		    ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->pending_sig) < 0 && errno != ESRCH)
			pr_warn("cannot detach from thread %d of pid %d: %s", (int)t->tid, (int)rs->pid,
				strerror(errno));
	}
	rs->n = 0;
	if (rs->held_ns)
		rs->pause_ns = clock__mono_ns() - rs->held_ns;
	rs->held_ns = 0;
}

int reachstop__keep(pid_t pid, struct reachstop **out)
{
	long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT | PTRACE_O_TRACECLONE |
		    PTRACE_O_TRACEEXEC;
	struct reachstop *rs = calloc(1, sizeof(*rs));
	int err;

	if (!rs)
		return -ENOMEM;
	rs->pid = pid;
	if ((err = _add(rs, pid, T_RUN)))
		goto fail;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)opts) < 0 ||
	    ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		err = -errno;
		pr_err("cannot keep pid %d traced for its exit: %s", (int)pid, strerror(-err));
		goto fail;
	}
	*out = rs;
	return 0;
fail:
	free(rs->t);
	free(rs);
	return err;
}

/* Whether thread TID looks like it is ending with its process: SIGKILL
 * pending (what exit_group sends the others), or in a ptrace stop we have
 * not read yet (its exit stop), or gone. */
static bool _ending(pid_t pid, pid_t tid)
{
	char path[64], line[256], state = 0;
	unsigned long long mask;
	bool pending = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (!(f = fopen(path, "re")))
		return true;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SigPnd: %llx", &mask) == 1 || sscanf(line, "ShdPnd: %llx", &mask) == 1)
			pending |= (mask >> (SIGKILL - 1)) & 1;
		else if (sscanf(line, "State: %c", &state) == 1 && (state == 't' || state == 'X'))
			pending = true;
	}
	fclose(f);
	return pending;
}

/* T stopped at its exit with exit code CODE: the process's end, or the end
 * of this thread alone? */
static bool _group_exit(struct reachstop *rs, const struct thread *t, unsigned long code)
{
	bool others = false;

	if (code & 0x7f)   /* killed by a signal: fatal signals end every thread */
		return true;
	for (size_t i = 0; i < rs->n; i++) {
		const struct thread *o = &rs->t[i];

		others |= o != t;
		if (o != t && (o->state == T_HELD || _ending(rs->pid, o->tid)))
			return true;
	}
	return !others;   /* the last thread ends the process */
}

/* Handles one wait status ST of thread T. Sets *EXITING when T is held at
 * the exit of the whole process. */
static int _on_stop(struct reachstop *rs, struct thread *t, int st, bool *exiting)
{
	int event = st >> 16, sig = WSTOPSIG(st);
	unsigned long msg = 0;
	siginfo_t si;
	pid_t tid = t->tid;

	switch (event) {
	case PTRACE_EVENT_EXIT:
		ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
		if (_group_exit(rs, t, msg)) {
			_hold(rs, t);
			t->at_exit = true;
			*exiting = true;
			return 0;
		}
		/* this thread alone: let it go (a joiner waits for it) */
		if (ptrace(PTRACE_DETACH, tid, 0, 0) < 0 && errno != ESRCH)
			return -errno;
		_remove(rs, tid);
		return 0;
	case PTRACE_EVENT_CLONE:
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0 && msg) {
			int err = _add(rs, (pid_t)msg, T_NEW);

			if (err)
				return err;
		}
		break;
	case PTRACE_EVENT_EXEC:
		/* the other threads are gone; the one that called exec has the
		 * process's pid now */
		rs->n = 0;
		if (_add(rs, rs->pid, T_RUN))
			return -ENOMEM;
		tid = rs->pid;
		break;
	case 0:
		if (t->state == T_NEW && sig == SIGSTOP) {
			t->state = T_RUN;
			sig = 0;   /* a new thread's first stop */
		} else if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0) {
			sig = 0;   /* a group stop: not restartable with a signal here */
		}
		if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
			return -errno;
		return 0;
	default:
		break;
	}
	if (ptrace(PTRACE_CONT, tid, 0, 0) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

/* Reads one waiting status of thread I without reaping the process's
 * leader: 1 (handled), 0 (nothing waits), -errno. */
static int _poll_one(struct reachstop *rs, size_t i, bool *exiting)
{
	struct thread *t = &rs->t[i];
	siginfo_t si;
	int st;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)t->tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0) {
		if (errno == ECHILD) {   /* not ours any more */
			_remove(rs, t->tid);
			return 1;
		}
		return -errno;
	}
	if (!si.si_pid)
		return 0;
	if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
		/* gone without an exit stop we saw: the leader's status is
		 * its parent's to read, a thread's is reaped here */
		if (t->tid != rs->pid)
			waitpid(t->tid, &st, WNOHANG | __WALL);
		_remove(rs, t->tid);
		return 1;
	}
	if (waitpid(t->tid, &st, WNOHANG | __WALL) <= 0)
		return 0;
	if (!WIFSTOPPED(st))
		return 0;
	st = _on_stop(rs, t, st, exiting);
	return st < 0 ? st : 1;
}

/* One pass over the threads that are not held. */
static int _pass(struct reachstop *rs, bool *exiting)
{
	int err, any = 0;

	for (size_t i = 0; i < rs->n; i++) {
		if (rs->t[i].state == T_HELD)
			continue;
		if ((err = _poll_one(rs, i, exiting)) < 0)
			return err;
		any |= err;
	}
	return any;
}

static bool _all_held(const struct reachstop *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->t[i].state != T_HELD)
			return false;
	return true;
}

/* The process is ending: waits for every thread to reach its exit stop. */
static int _gather(struct reachstop *rs)
{
	uint64_t until = clock__mono_ns() + GROUP_EXIT_WAIT_NS;
	bool exiting;
	int err;

	while (!_all_held(rs)) {
		if ((err = _pass(rs, &exiting)) < 0)
			return err;
		if (_all_held(rs))
			break;
		if (clock__mono_ns() > until) {
			pr_warn("pid %d: %zu threads did not reach their exit; scanning without their "
				"registers", (int)rs->pid, rs->n - reachstop__threads(rs));
			break;
		}
		if (!err)
			usleep(200);
	}
	return 0;
}

int reachstop__pump(struct reachstop *rs, reachstop_fn fn, void *ctx)
{
	bool exiting = false;
	int err;

	if (!rs->n)
		return 0;
	do {
		if ((err = _pass(rs, &exiting)) < 0)
			return err;
	} while (err > 0 && !exiting);
	if (exiting) {
		if ((err = _gather(rs)) == 0 && fn)
			err = fn(rs, ctx);
		reachstop__detach(rs);
		return err;
	}
	return rs->n > 0;
}

int reachstop__drain(struct reachstop *rs, unsigned timeout_ms)
{
	uint64_t until = clock__mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int err;

	while ((err = reachstop__pump(rs, NULL, NULL)) > 0) {
		if (clock__mono_ns() > until)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return err;
}

/* --- seizing a running process ------------------------------------------ */

/* Seizes and interrupts the threads of PID not yet held. Returns how many
 * were new, or -errno. */
static int _seize_new(struct reachstop *rs)
{
	char path[64];
	struct dirent *de;
	int added = 0, err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)rs->pid);
	if (!(d = opendir(path)))
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || _find(rs, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
			if (errno == ESRCH)
				continue;   /* it just ended */
			err = -errno;
			break;
		}
		if ((err = _add(rs, tid, T_RUN))) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			break;
		}
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH) {
			err = -errno;
			break;
		}
		added++;
	}
	closedir(d);
	return err ? err : added;
}

/* Waits for thread T's interrupt stop; a signal stop before it is kept to
 * deliver at detach. */
static int _wait_interrupted(struct reachstop *rs, struct thread *t)
{
	int st;

	for (;;) {
		if (waitpid(t->tid, &st, __WALL) < 0)
			return errno == ECHILD ? -ESRCH : -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ESRCH;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == PTRACE_EVENT_STOP) {
			_hold(rs, t);
			return 0;
		}
		if ((st >> 16) == 0) {   /* a signal on its way: delivered later */
			t->pending_sig = WSTOPSIG(st);
			_hold(rs, t);
			return 0;
		}
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return -errno;
	}
}

int reachstop__seize(pid_t pid, struct reachstop **out)
{
	struct reachstop *rs = calloc(1, sizeof(*rs));
	int err, added;

	if (!rs)
		return -ENOMEM;
	rs->pid = pid;
	rs->seized = true;
	/* threads may start while others are being stopped: until none is new */
	while ((added = _seize_new(rs)) > 0) {
		for (size_t i = 0; i < rs->n; i++) {
			struct thread *t = &rs->t[i];

			if (t->state == T_HELD)
				continue;
			if ((err = _wait_interrupted(rs, t)) == -ESRCH) {
				_remove(rs, t->tid);
				i--;
			} else if (err) {
				goto fail;
			}
		}
	}
	if ((err = added) < 0 || (err = rs->n ? 0 : -ESRCH))
		goto fail;
	*out = rs;
	return 0;
fail:
	pr_err("cannot stop pid %d to scan its memory: %s", (int)pid, strerror(-err));
	reachstop__free(rs);
	return err;
}

void reachstop__free(struct reachstop *rs)
{
	if (!rs)
		return;
	reachstop__detach(rs);
	free(rs->t);
	free(rs);
}

/* --- reading the image ---------------------------------------------------- */

int reachstop__read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct reachstop *rs = ctx;
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t got = process_vm_readv(rs->pid, &local, 1, &remote, 1, 0);

	if (got < 0)
		return -errno;
	return (size_t)got == len ? 0 : -EFAULT;
}

/* Adds a root of LEN bytes at ADDR holding DATA (owned by the image from
 * now on; freed here on failure). */
static int _push_root(struct reachstop_image *img, uint64_t addr, void *data, size_t len)
{
	struct reach_region *r = VEC_PUSH(img->roots, img->nroots, img->cap);

	if (!r) {
		free(data);
		return -ENOMEM;
	}
	r->addr = addr;
	r->data = data;
	r->len = len;
	img->nroots++;
	img->bytes += len;
	return 0;
}

/* Reads [START, END) of the process as a root; pages that cannot be read
 * (a mapping that changed, an I/O mapping) read as zeros. */
static int _read_root(struct reachstop *rs, struct reachstop_image *img, uint64_t start,
		      uint64_t end)
{
	size_t len = (size_t)(end - start);
	uint8_t *data;

	if (end <= start)
		return 0;
	if (!(data = malloc(len)))
		return -ENOMEM;
	for (size_t off = 0; off < len; off += READ_CHUNK) {
		size_t part = len - off < READ_CHUNK ? len - off : READ_CHUNK;

		if (!reachstop__read(rs, start + off, data + off, part))
			continue;
		for (size_t p = 0; p < part; p += 4096) {   /* page by page, then */
			size_t pl = part - p < 4096 ? part - p : 4096;

			if (reachstop__read(rs, start + off + p, data + off + p, pl))
				memset(data + off + p, 0, pl);
		}
	}
	return _push_root(img, start, data, len);
}

/* Whether a tracked block starts in [START, END) (BLOCKS sorted). */
static bool _holds_block(const struct reach_block *b, size_t n, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && b[lo].addr < end;
}

/* libc's exit path: exit() runs the atexit handlers and stdio's flush,
 * then _exit() makes the exit_group call the thread stopped in. */
static bool _exit_fn(const char *f)
{
	static const char *const names[] = { "exit", "__GI_exit", "__run_exit_handlers",
					      "_exit", "__GI__exit", "_Exit", NULL };

	for (size_t i = 0; f && names[i]; i++)
		if (!strcmp(f, names[i]))
			return true;
	return false;
}

/* libc's caller of main, which calls exit() when main returns. */
static bool _main_returned(const char *f)
{
	return f && (!strcmp(f, "__libc_start_call_main") || !strcmp(f, "__libc_start_main"));
}

static bool _frame_in_exit(struct symbolizer *sym, uint64_t ip, bool return_addr)
{
	return _exit_fn(symbolizer__symbol(sym, return_addr ? ip - 1 : ip));
}

/* A thread at its exit stop inside libc's exit path (STACK: LEN bytes
 * read from REGS's sp), called by libc once main returned: where the
 * frame of exit()'s caller begins (the slot of the return address into
 * it), or 0. What lies below is exit's own frames, which reuse the memory
 * of main's returned frames: their stale words are not roots. */
static uint64_t _past_exit_path(struct symbolizer *sym, pid_t tid,
				const struct user_regs_struct *regs, const uint8_t *stack, size_t len)
{
	struct unwind_regs ur = { .ip = regs->rip, .sp = regs->rsp, .bp = regs->rbp };
	uint64_t ips[EXIT_PATH_FRAMES], ret;
	bool truncated;
	size_t n = symbolizer__unwind(sym, tid, &ur, stack, len, NULL, ips, EXIT_PATH_FRAMES,
				      &truncated), k = 0;

	while (k < n && _frame_in_exit(sym, ips[k], k > 0))
		k++;
	if (!k || k >= n)
		return 0;   /* not in the exit path, or nothing above it */
	ret = ips[k];   /* the return address into exit()'s caller */
	/* only when main returned: a function of the program that called
	 * exit() is live, and exit's frames hold its callee-saved registers */
	if (!_main_returned(symbolizer__symbol(sym, ret - 1)))
		return 0;
	for (size_t off = 0; off + 8 <= len; off += 8) {
		uint64_t w;

		memcpy(&w, stack + off, 8);
		if (w == ret)
			return regs->rsp + off;
	}
	return 0;
}

static int _push_sp(struct reachstop_image *img, uint64_t sp)
{
	uint64_t *slot = VEC_PUSH(img->sps, img->nsps, img->sps_cap);

	if (!slot)
		return -ENOMEM;
	*slot = sp;
	img->nsps++;
	return 0;
}

static bool _kernel_map(const struct procmap *m)
{
	return m->path && (!strcmp(m->path, "[vvar]") || !strcmp(m->path, "[vvar_vclock]") ||
			   !strcmp(m->path, "[vdso]") || !strcmp(m->path, "[vsyscall]"));
}

int reachstop__image(struct reachstop *rs, const struct reach_block *blocks, size_t n,
		     bool exact, struct symbolizer *sym, struct reachstop_image *img)
{
	struct procmaps maps = { 0 };
	bool *is_stack = NULL;
	int err;

	memset(img, 0, sizeof(*img));
	if ((err = procmaps__read(rs->pid, &maps))) {
		pr_err("cannot read the mappings of pid %d: %s", (int)rs->pid, strerror(-err));
		return err;
	}
	if (maps.n && !(is_stack = calloc(maps.n, sizeof(*is_stack)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* registers and the live part of each held thread's stack */
	for (size_t i = 0; i < rs->n; i++) {
		struct thread *t = &rs->t[i];
		const struct procmap *m;
		uint64_t sp, from;
		void *regs;

		if (t->state != T_HELD)
			continue;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) < 0) {
			pr_debug("pid %d: cannot read the registers of thread %d: %s", (int)rs->pid,
				 (int)t->tid, strerror(errno));
			continue;
		}
		if (!(regs = malloc(sizeof(t->regs)))) {
			err = -ENOMEM;
			goto cleanup;
		}
		memcpy(regs, &t->regs, sizeof(t->regs));
		/* not at an address of the process: no block lies in [0, len) */
		if ((err = _push_root(img, 0, regs, sizeof(t->regs))))
			goto cleanup;
		img->threads++;
		sp = t->regs.rsp;
		if (!(m = procmaps__find(&maps, sp)))
			continue;
		is_stack[m - maps.v] = true;
		/* at an interrupt, a leaf function's red zone is live; at an
		 * exit stop the thread is in the exit_group call */
		from = t->at_exit ? sp & ~7ULL
		       : sp - RED_ZONE > m->start && sp >= RED_ZONE ? (sp - RED_ZONE) & ~7ULL
								   : m->start;
		if ((err = _push_sp(img, sp)))
			goto cleanup;
		if ((err = _read_root(rs, img, from, m->end)))
			goto cleanup;
		if (t->at_exit && sym && sp >= from && sp < m->end) {
			struct reach_region *r = &img->roots[img->nroots - 1];
			uint64_t live = _past_exit_path(sym, t->tid, &t->regs,
							(const uint8_t *)r->data + (sp - from),
							(size_t)(m->end - sp));

			if (live > from && live < m->end) {   /* the region starts there */
				memmove((void *)r->data, (const uint8_t *)r->data + (live - from),
					(size_t)(m->end - live));
				img->bytes -= live - from;
				r->len = (size_t)(m->end - live);
				r->addr = from = live;
				img->exit_trimmed++;
			}
		}
		img->stack_bytes += m->end - from;
	}
	/* the writable segments */
	for (size_t i = 0; i < maps.n; i++) {
		const struct procmap *m = &maps.v[i];

		if (is_stack[i] || m->perms[0] != 'r' || m->perms[1] != 'w' || _kernel_map(m))
			continue;
		if (m->path && !strcmp(m->path, "[stack]"))
			continue;   /* the main thread's: its live part is read above */
		if (exact && ((m->path && !strcmp(m->path, "[heap]")) ||
			      (!m->path && _holds_block(blocks, n, m->start, m->end))))
			continue;
		if ((err = _read_root(rs, img, m->start, m->end)))
			goto cleanup;
	}
cleanup:
	free(is_stack);
	procmaps__release(&maps);
	if (err)
		reachstop__image_release(img);
	return err;
}

void reachstop__image_release(struct reachstop_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->nroots; i++)
		free((void *)img->roots[i].data);
	free(img->roots);
	free(img->sps);
	memset(img, 0, sizeof(*img));
}
