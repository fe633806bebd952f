/* Back-pressure tests (root): when the stack ring has no room for a copy,
 * an allocation of a DWARF process keeps a stack walked by frame pointers
 * (counted in stacks_frame_pointer, the stack marked fp_fallback) rather
 * than losing it. A one-page ring that nobody reads while the target
 * runs forces it; the same target traced with the default ring is the
 * oracle: alloc_each is built with frame pointers, so both must give the
 * same frames up to main, with the same counts and bytes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "tracer/session.h"

#define MAX_SITES 64
#define SIG_LEN 512

/* A report's sites by their frames' function names up to main. */
struct sites {
	char sig[MAX_SITES][SIG_LEN];
	uint64_t bytes[MAX_SITES], count[MAX_SITES];
	size_t n;
	size_t fp_stacks;        /* stacks marked fp_fallback */
	size_t lost;             /* stacks with a "[stack lost]" frame */
	bool reached_main;       /* every stack reached main */
	uint64_t stats[SEEP_STAT__MAX];
	int reports;
};

static int on_report(const struct report *r, void *ctx)
{
	struct sites *s = ctx;

	s->reports++;
	memcpy(s->stats, r->stats, sizeof(s->stats));
	s->reached_main = true;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *st = &r->stacks[i];
		char sig[SIG_LEN] = "";
		size_t used = 0, at;
		bool main_seen = false;

		s->fp_stacks += st->fp_fallback;
		for (size_t j = 0; j < st->nframes && !main_seen; j++) {
			const struct stack_frame *f = &st->frames[j];
			const char *name = f->function ? f->function : f->module ? f->module : "?";

			if (f->module && !strcmp(f->module, "[stack lost]"))
				s->lost++;
			used += (size_t)snprintf(sig + used, used < SIG_LEN ? SIG_LEN - used : 0, "%s<",
						 name);
			main_seen = f->function && !strcmp(f->function, "main");
		}
		cr_assert_lt(used, SIG_LEN);
		s->reached_main &= main_seen;
		for (at = 0; at < s->n && strcmp(s->sig[at], sig); at++)
			;
		if (at == s->n) {   /* a DWARF site and its fp twin merge here */
			cr_assert_lt(s->n, MAX_SITES);
			strcpy(s->sig[s->n++], sig);
		}
		s->bytes[at] += st->bytes;
		s->count[at] += st->count;
	}
	return 0;
}

/* Waits (at most 5 s) until PID runs NAME with the C library mapped (the
 * fork's maps are the test's until the exec). */
static void wait_exec(pid_t pid, const char *name)
{
	char path[64], exe[PATH_MAX], line[512];

	for (int i = 0; i < 500; i++) {
		ssize_t n;
		FILE *f;
		bool found = false;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
		f = strstr(exe, name) ? fopen(path, "r") : NULL;
		while (f && !found && fgets(line, sizeof(line), f))
			found = strstr(line, "/libc.so") != NULL;
		if (f)
			fclose(f);
		if (found)
			return;
		usleep(10000);
	}
	cr_assert_fail("pid %d never ran '%s' with libc", (int)pid, name);
}

/* Traces alloc_each in exact DWARF mode, every stack copied (no walk of
 * known stacks), with a stack ring of RING bytes (0: the default), and
 * reads one report once it has exited. */
static void trace_alloc_each(uint32_t ring, struct sites *out)
{
	char *argv[] = { TARGET("alloc_each"), NULL };
	struct session_config cfg = { .unwind = UNWIND_DWARF };
	struct session *s;
	pid_t pid;
	int go;

	cfg.trace.sample_bytes = 1;
	cfg.trace.no_stack_walk = true;
	cfg.trace.ring_bytes = ring;
	memset(out, 0, sizeof(*out));
	cr_assert_eq(session__new(&cfg, &s), 0, "cannot load the tracer (run as root)");
	pid = target_start(argv, &go);
	cr_assert_gt(pid, 0);
	wait_exec(pid, "alloc_each");
	cr_assert_eq(session__add_pid(s, pid), 0);
	target_go(go);
	cr_assert_eq(target_wait(pid), 0, "alloc_each failed");
	/* nothing read the ring while it ran: the report reads it now */
	cr_assert_eq(session__report(s, true, on_report, out), 0);
	cr_assert_eq(out->reports, 1);
	session__free(s);
}

Test(backpressure_bpf, full_ring_keeps_frame_pointer_stacks, .timeout = 120)
{
	static struct sites oracle, pressed;

	trace_alloc_each(0, &oracle);
	trace_alloc_each(4096, &pressed);

	/* the oracle: every stack copied and unwound, none degraded */
	cr_assert_gt(oracle.n, 5, "sites of alloc_each: %zu", oracle.n);
	cr_expect_eq(oracle.fp_stacks, 0);
	cr_expect_eq(oracle.stats[SEEP_STAT_DEGRADED_FP], 0);
	cr_expect_eq(oracle.stats[SEEP_STAT_DROP_RINGBUF_FULL], 0);
	cr_expect(oracle.reached_main);

	/* one page holds one copy: the rest went by frame pointers, none lost */
	cr_expect_gt(pressed.stats[SEEP_STAT_DEGRADED_FP], 10, "degraded: %llu",
		     (unsigned long long)pressed.stats[SEEP_STAT_DEGRADED_FP]);
	cr_expect_lt(pressed.stats[SEEP_STAT_STACK_EVENTS], 4, "copies: %llu",
		     (unsigned long long)pressed.stats[SEEP_STAT_STACK_EVENTS]);
	cr_expect_eq(pressed.stats[SEEP_STAT_DROP_RINGBUF_FULL], 0);
	cr_expect_eq(pressed.stats[SEEP_STAT_DROP_STACK_LOST], 0);
	cr_expect_eq(pressed.stats[SEEP_STAT_ALLOCS], oracle.stats[SEEP_STAT_ALLOCS]);
	cr_expect_eq(pressed.lost, 0, "no stack lost");
	cr_expect_gt(pressed.fp_stacks, 0, "frame-pointer stacks are marked");
	cr_expect(pressed.reached_main, "every frame-pointer stack reaches main");

	/* the same sites, frames, counts and bytes as the oracle's */
	cr_expect_eq(pressed.n, oracle.n);
	for (size_t i = 0; i < oracle.n; i++) {
		size_t j;

		for (j = 0; j < pressed.n && strcmp(pressed.sig[j], oracle.sig[i]); j++)
			;
		cr_expect_lt(j, pressed.n, "site '%s' missing under back-pressure", oracle.sig[i]);
		if (j == pressed.n)
			continue;
		cr_expect_eq(pressed.count[j], oracle.count[i], "count of '%s'", oracle.sig[i]);
		cr_expect_eq(pressed.bytes[j], oracle.bytes[i], "bytes of '%s'", oracle.sig[i]);
	}
}

Test(backpressure_bpf, ring_size_must_be_a_power_of_two_pages)
{
	struct session_config cfg = { .unwind = UNWIND_DWARF };
	struct session *s = NULL;

	cfg.trace.ring_bytes = 3 * 4096;
	cr_expect_eq(session__new(&cfg, &s), -EINVAL);
	cr_expect_null(s);
	cfg.trace.ring_bytes = 1024;
	cr_expect_eq(session__new(&cfg, &s), -EINVAL);
}
