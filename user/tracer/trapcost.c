/* trapcost — the cost of one uprobe hit on this host; see trapcost.h. */
#include "tracer/trapcost.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys/procmaps.h"

#define ROUNDS 5

/* The probed function: push/mov/pop/ret, the prologue the kernel emulates
 * (no single-step), as at glibc malloc's entry. */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl seep_trapcost_target\n"
	".type seep_trapcost_target, @function\n"
	"seep_trapcost_target:\n"
	"\tpush %rbp\n"
	"\tmov %rsp, %rbp\n"
	"\tpop %rbp\n"
	"\tret\n"
	".size seep_trapcost_target, .-seep_trapcost_target\n");
void seep_trapcost_target(void);
#else
__attribute__((noinline, used)) void seep_trapcost_target(void);
__attribute__((noinline, used)) void seep_trapcost_target(void)
{
	__asm__ volatile("" ::: "memory");
}
#endif

static uint64_t _thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t _calls(void (*volatile fn)(void), uint32_t n)
{
	uint64_t t0 = _thread_ns();

	for (uint32_t i = 0; i < n; i++)
		fn();
	return _thread_ns() - t0;
}

/* An unsigned from a sysfs file of the uprobe PMU. */
static int _sysfs_read(const char *path, const char *fmt, int *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, fmt, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The file and offset at which the probed function lives. */
static int _where(char *path, size_t len, uint64_t *off)
{
	struct procmaps maps = { 0 };
	const struct procmap *m;
	uint64_t addr = (uint64_t)(uintptr_t)&seep_trapcost_target;
	int err = procmaps__read(getpid(), &maps);

	if (err)
		return err;
	m = procmaps__find(&maps, addr);
	if (!m || !procmap__is_file(m) || !m->path) {
		err = -ENOENT;
	} else {
		snprintf(path, len, "%s", m->path);
		*off = addr - m->start + m->offset;
	}
	procmaps__release(&maps);
	return err;
}

static int _prog(void)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_KPROBE, "seep_trapcost", "GPL", insns, 2, NULL);
}

static int _probe(int type, int ret_bit, bool ret, const char *path, uint64_t off, int prog)
{
	struct perf_event_attr a = { 0 };
	int fd, err;

	a.size = sizeof(a);
	a.type = (uint32_t)type;
	a.config = ret ? 1ULL << ret_bit : 0;
	a.config1 = (uint64_t)(uintptr_t)path;	/* uprobe_path */
	a.config2 = off;			/* probe_offset */
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int _run_stats(int prog, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

static int _cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int trapcost__measure(uint32_t calls, double *ns, char *err, size_t errlen)
{
	char path[4096];
	uint64_t off = 0, rt0 = 0, rt1 = 0, c0 = 0, c1 = 0, plain[ROUNDS], probed;
	double per[ROUNDS];
	int type = -1, bit = 0, prog = -1, stats = -1, ent = -1, ret = -1, rc;

	if (!calls)
		calls = TRAPCOST_CALLS;
	if ((rc = _sysfs_read("/sys/bus/event_source/devices/uprobe/type", "%d", &type))) {
		snprintf(err, errlen, "no uprobe PMU in '/sys/bus/event_source/devices/uprobe': %s",
			 strerror(-rc));
		return rc == -ENOENT ? -ENOENT : rc;
	}
	if (_sysfs_read("/sys/bus/event_source/devices/uprobe/format/retprobe", "config:%d", &bit))
		bit = 0;
	if ((rc = _where(path, sizeof(path), &off))) {
		snprintf(err, errlen, "cannot find seep's own code in /proc/self/maps: %s",
			 strerror(-rc));
		return rc;
	}
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0 || (prog = _prog()) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot load the calibration program: %s", strerror(-rc));
		goto cleanup;
	}
	/* the plain rounds first, then the probed ones: one attach and one
	 * detach (a uprobe's removal waits for an RCU grace period) */
	for (int r = 0; r < ROUNDS; r++)
		plain[r] = _calls(seep_trapcost_target, calls);
	if ((ent = _probe(type, bit, false, path, off, prog)) < 0 ||
	    (ret = _probe(type, bit, true, path, off, prog)) < 0) {
		rc = ent < 0 ? ent : ret;
		snprintf(err, errlen, "cannot attach a uprobe to '%s'+0x%llx: %s", path,
			 (unsigned long long)off, strerror(-rc));
		goto cleanup;
	}
	for (int r = 0; r < ROUNDS; r++) {
		if ((rc = _run_stats(prog, &rt0, &c0)))
			goto stats_failed;
		probed = _calls(seep_trapcost_target, calls);
		if ((rc = _run_stats(prog, &rt1, &c1)))
			goto stats_failed;
		if (c1 - c0 < calls) {
			rc = -EIO;
			snprintf(err, errlen, "the calibration probes ran %llu times for %u calls",
				 (unsigned long long)(c1 - c0), calls);
			goto cleanup;
		}
		per[r] = ((double)probed - (double)plain[r] - (double)(rt1 - rt0)) /
			 (double)(c1 - c0);
		if (per[r] < 0)
			per[r] = 0;
	}
	qsort(per, ROUNDS, sizeof(per[0]), _cmp);
	*ns = per[ROUNDS / 2];
	rc = 0;
	goto cleanup;
stats_failed:
	snprintf(err, errlen, "cannot read the calibration program's run time: %s", strerror(-rc));
cleanup:
	if (ent >= 0)
		close(ent);
	if (ret >= 0)
		close(ret);
	if (prog >= 0)
		close(prog);
	if (stats >= 0)
		close(stats);
	return rc;
}

struct trapcost {
	pthread_t thread;
	uint32_t calls;
	_Atomic int state;	/* -EAGAIN running; then 0 or -errno */
	double ns;
	char err[256];
};

static void *_thread(void *arg)
{
	struct trapcost *t = arg;
	int rc = trapcost__measure(t->calls, &t->ns, t->err, sizeof(t->err));

	atomic_store_explicit(&t->state, rc == -EAGAIN ? -EIO : rc, memory_order_release);
	return NULL;
}

int trapcost__start(uint32_t calls, struct trapcost **out)
{
	struct trapcost *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int err;

	if (!t)
		return -ENOMEM;
	t->calls = calls;
	atomic_init(&t->state, -EAGAIN);
	/* the thread takes no signal: they stay the caller's (a signalfd) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t->thread, NULL, _thread, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(t);
		return -err;
	}
	*out = t;
	return 0;
}

int trapcost__get(struct trapcost *t, double *ns, char *err, size_t errlen)
{
	int s = atomic_load_explicit(&t->state, memory_order_acquire);

	if (s == 0)
		*ns = t->ns;
	else if (s != -EAGAIN && err && errlen)
		snprintf(err, errlen, "%s", t->err);
	return s;
}

void trapcost__free(struct trapcost *t)
{
	if (!t)
		return;
	pthread_join(t->thread, NULL);
	free(t);
}
