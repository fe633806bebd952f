/* Growth-stack BPF tests (root, the real kernel): load the growth probes
 * (bpf/growth.bpf.c), follow a frame-pointer-less target that grows its
 * memory by mmap (large mallocs), page faults (touching them) and brk
 * (small mallocs), unwind the stack copies in user space, and check that
 * each kind of growth is attributed to the function that made it, with
 * the sampled estimate near the true bytes; a process not followed sends
 * nothing; the programs' run-time statistics are read and reported. */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/proc.h"
#include "telemetry/growth.h"
#include "testlib.h"
#include "tracer/growthprobe.h"

#define MIB (1024.0 * 1024.0)

struct run_ctx {
	struct growth *g;
	int pid_seen, other_seen;
	pid_t pid, other;
};

static void on_growth(const struct seep_tel_growth *ev, const void *stack, void *ctx)
{
	struct run_ctx *r = ctx;

	if ((pid_t)ev->pid == r->other)
		r->other_seen++;
	if ((pid_t)ev->pid != r->pid)
		return;
	r->pid_seen++;
	growth__add_copy(r->g, ev, stack);
}

/* Starts nofp_growth, followed by P unless WATCH is false; returns its pid
 * once it grew everything, the ring drained into R meanwhile. */
static pid_t run_growth(struct growthprobe *p, struct run_ctx *r, bool watch, int blocks,
			int small)
{
	char fd[16], c = 0, nb[16], ns[16];
	char *argv[] = { TARGET("nofp_growth"), nb, ns, NULL };
	int ready[2], go;
	struct proc_stat st;
	pid_t pid;

	snprintf(nb, sizeof(nb), "%d", blocks);
	snprintf(ns, sizeof(ns), "%d", small);
	cr_assert_eq(pipe(ready), 0);
	snprintf(fd, sizeof(fd), "%d", ready[1]);
	setenv("SEEP_READY_FD", fd, 1);
	pid = target_start(argv, &go);
	unsetenv("SEEP_READY_FD");
	cr_assert_gt(pid, 0);
	close(ready[1]);
	if (watch) {
		cr_assert_eq(proc__read_stat(pid, &st), 0);
		cr_assert_eq(growthprobe__watch(p, (uint32_t)pid, st.start_ticks), 0);
		r->pid = pid;
	} else {
		r->other = pid;
	}
	target_go(go);
	for (;;) {
		struct pollfd pf = { .fd = ready[0], .events = POLLIN };
		int n = poll(&pf, 1, 1);

		growthprobe__poll(p, on_growth, r);
		if (n > 0) {
			cr_assert_eq(read(ready[0], &c, 1), 1, "nofp_growth did not get ready");
			break;
		}
	}
	close(ready[0]);
	/* drain: a call hands over at most GROWTHPROBE_POLL_MAX events, and the
	 * brk events of the target's last phase are the ring's last */
	while (growthprobe__poll(p, on_growth, r) == GROWTHPROBE_POLL_MAX)
		;
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The index of the first frame named FN in S, or -1. */
static int frame_of(const struct growth_stack_view *s, const char *fn)
{
	for (size_t i = 0; i < s->nframes; i++)
		if (s->frames[i].function && !strcmp(s->frames[i].function, fn))
			return (int)i;
	return -1;
}

/* Bytes of KIND on the stacks that pass through FN, and on all stacks. */
static double kind_bytes(const struct growth_view *v, unsigned kind, const char *fn, double *all)
{
	double b = 0;

	*all = 0;
	for (size_t i = 0; i < v->nstacks; i++) {
		*all += v->stacks[i].bytes[kind];
		if (frame_of(&v->stacks[i], fn) >= 0)
			b += v->stacks[i].bytes[kind];
	}
	return b;
}

static void print_costs(struct growthprobe *p, const char *what)
{
	struct telemetry_cost c[GROWTHPROBE_NPROGS];
	uint64_t st[SEEP_TEL_NSTATS];
	int on = 0;

	cr_assert_eq(growthprobe__costs(p, c, &on), 0);
	cr_assert_eq(growthprobe__stats(p, st), 0);
	for (int i = 0; i < GROWTHPROBE_NPROGS; i++) {
		cr_assert(c[i].attached);
		cr_assert_gt(c[i].run_cnt, 0, "%s never ran", c[i].name);
		fprintf(stderr, "growth cost (%s): %s: %llu runs, %.0f ns/run, %llu recursion misses\n",
			what, c[i].name, (unsigned long long)c[i].run_cnt,
			on ? (double)c[i].run_time_ns / (double)c[i].run_cnt : -1.0,
			(unsigned long long)c[i].recursion_misses);
	}
	fprintf(stderr, "growth stats (%s): events %llu bytes %llu samples %llu ring_full %llu "
		"not_anon %llu vma_busy %llu brk_no_base %llu\n", what,
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_EVENTS],
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_BYTES],
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_SAMPLES],
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_RING_FULL],
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_NOT_ANON],
		(unsigned long long)st[SEEP_TEL_STAT_GROWTH_VMA_BUSY],
		(unsigned long long)st[SEEP_TEL_STAT_BRK_NO_BASE]);
	cr_assert_eq(st[SEEP_TEL_STAT_GROWTH_RING_FULL], 0);
}

/* SAMPLE_BYTES: the mean between samples; BLOCKS of 1 MiB, SMALL blocks
 * of 256 bytes. (Every event, SAMPLE_BYTES 1, fills the 8 MiB ring in a
 * few milliseconds of faults: not a mode to run.) */
static void check_growth(uint64_t sample_bytes, int BLOCKS, int SMALL)
{
	struct growthprobe_opts o = { .mode = SEEP_TEL_GROWTH_WATCHED, .sample_bytes = sample_bytes };
	struct growth_config gc = { .sample_bytes = sample_bytes };
	struct run_ctx r = { 0 };
	struct growthprobe *p = NULL;
	struct growth_view v;
	char err[256] = "";
	double all, b;
	pid_t pid, other;

	cr_assert_eq(growthprobe__open(&o, &p, err, sizeof(err)), 0, "%s (run as root)", err);
	cr_assert_eq(growth__new(&gc, NULL, &r.g), 0);
	other = run_growth(p, &r, false, BLOCKS, SMALL);
	pid = run_growth(p, &r, true, BLOCKS, SMALL);
	cr_assert_eq(r.other_seen, 0, "a process not followed sent %d events", r.other_seen);
	cr_assert_gt(r.pid_seen, 0);
	cr_assert_eq(growth__view(r.g, pid, 0, &v), 0);

	/* mmap: 64 blocks of 1 MiB (+ a page of malloc's header each) */
	b = kind_bytes(&v, SEEP_TEL_GROW_MMAP, "grow_mmap_blocks", &all);
	cr_expect_geq(b, 0.8 * BLOCKS * MIB, "mmap from grow_mmap_blocks: %.0f of %.0f", b, all);
	cr_expect_leq(b, 1.25 * BLOCKS * MIB, "mmap from grow_mmap_blocks: %.0f", b);
	/* faults: every page of the blocks, written by touch_pages itself */
	b = kind_bytes(&v, SEEP_TEL_GROW_FAULT, "touch_pages", &all);
	cr_expect_geq(b, 0.8 * BLOCKS * MIB, "faults in touch_pages: %.0f of %.0f", b, all);
	cr_expect_leq(b, 1.25 * BLOCKS * MIB, "faults in touch_pages: %.0f", b);
	for (size_t i = 0; i < v.nstacks; i++)
		if (frame_of(&v.stacks[i], "touch_pages") >= 0 &&
		    v.stacks[i].bytes[SEEP_TEL_GROW_FAULT] > 0) {
			cr_expect_eq(frame_of(&v.stacks[i], "touch_pages"), 0);
			cr_expect_geq(frame_of(&v.stacks[i], "main"), 1, "touch_pages not called from main");
		}
	/* brk: 40000 blocks of 256 bytes (272 with malloc's header) */
	b = kind_bytes(&v, SEEP_TEL_GROW_BRK, "grow_brk_heap", &all);
	cr_expect_geq(b, 0.6 * SMALL * 272, "brk from grow_brk_heap: %.0f of %.0f", b, all);
	cr_expect_leq(b, 1.6 * SMALL * 272, "brk from grow_brk_heap: %.0f", b);
	for (size_t i = 0; i < v.nstacks; i++) {
		int f = frame_of(&v.stacks[i], "grow_brk_heap");

		if (f >= 0 && v.stacks[i].bytes[SEEP_TEL_GROW_BRK] > 0)
			cr_expect_eq(frame_of(&v.stacks[i], "main"), f + 1,
				     "grow_brk_heap's caller is not main");
	}
	fprintf(stderr, "growth (sample %llu): %zu stacks, %llu samples; mmap %.1f MiB, fault "
		"%.1f MiB, brk %.2f MiB\n", (unsigned long long)sample_bytes, v.total_stacks,
		(unsigned long long)v.samples, v.bytes[SEEP_TEL_GROW_MMAP] / MIB,
		v.bytes[SEEP_TEL_GROW_FAULT] / MIB, v.bytes[SEEP_TEL_GROW_BRK] / MIB);
	print_costs(p, sample_bytes <= 16 * 1024 ? "fine" : "sampled");
	growth_view__release(&v);
	stop(pid);
	stop(other);
	growth__free(r.g);
	growthprobe__free(p);
}

Test(telemetry_bpf, growth_fine_sampling_names_the_growing_functions, .timeout = 60)
{
	check_growth(16 * 1024, 16, 10000);
}

Test(telemetry_bpf, growth_sampled_estimates_the_bytes, .timeout = 60)
{
	check_growth(64 * 1024, 64, 40000);
}

/* The JSON API over a real run: the named process is there with the
 * function in its first stack's frames. */
Test(telemetry_bpf, growth_json_names_the_process, .timeout = 60)
{
	struct growthprobe_opts o = { .sample_bytes = 256 * 1024 };
	struct growth_config gc = { .sample_bytes = 256 * 1024 };
	struct run_ctx r = { 0 };
	struct growthprobe *p = NULL;
	char err[256] = "", pidarg[16], *body = NULL;
	size_t len = 0;
	pid_t pid;

	cr_assert_eq(growthprobe__open(&o, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(growth__new(&gc, NULL, &r.g), 0);
	pid = run_growth(p, &r, true, 64, 40000);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	cr_assert_eq(growth__render_json(r.g, pidarg, "5", &body, &len), 0);
	cr_assert(strstr(body, "\"comm\":\"nofp_growth\""), "%s", body);
	cr_assert(strstr(body, "\"function\":\"touch_pages\""), "%s", body);
	free(body);
	cr_assert_eq(growth__render_json(r.g, NULL, NULL, &body, &len), 0);
	cr_assert(strstr(body, pidarg), "%s", body);
	free(body);
	stop(pid);
	growth__free(r.g);
	growthprobe__free(p);
}
