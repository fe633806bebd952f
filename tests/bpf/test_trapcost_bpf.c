/* Trap-cost calibration (root, the real kernel): tracer/trapcost.h measures
 * one uprobe hit's cost beyond its BPF program on this host, in the
 * calling thread and on a thread of its own; the values are in the range
 * of the ARCHITECTURE's measured ~0.8 us for an emulated prologue, the
 * probes are gone afterwards (the function runs at its plain speed), and
 * the thread's result is the measure's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "tracer/trapcost.h"

void seep_trapcost_target(void);

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double per_call_ns(void)
{
	void (*volatile fn)(void) = seep_trapcost_target;
	double t0 = thread_ns();

	for (int i = 0; i < 100000; i++)
		fn();
	return (thread_ns() - t0) / 100000;
}

Test(trapcost, measured_in_the_calling_thread)
{
	char err[256] = "";
	double ns = -1;

	cr_assert_eq(trapcost__measure(0, &ns, err, sizeof(err)), 0, "%s", err);
	cr_log_info("%.0f ns per hit", ns);
	/* a trap is more than a function call and much less than a syscall storm */
	cr_expect_gt(ns, 50, "%.0f ns per hit", ns);
	cr_expect_lt(ns, 50000, "%.0f ns per hit", ns);
	cr_expect_lt(per_call_ns(), 40, "the calibration probes are still attached");
}

Test(trapcost, measured_on_a_thread_without_blocking)
{
	struct trapcost *t = NULL;
	char err[256] = "";
	double ns = -1;
	int rc = -EAGAIN, polls = 0;

	cr_assert_eq(trapcost__start(2000, &t), 0);
	/* the first call returns at once: the thread has barely started */
	while ((rc = trapcost__get(t, &ns, err, sizeof(err))) == -EAGAIN && polls < 10000) {
		polls++;
		usleep(1000);
	}
	cr_expect_gt(polls, 0, "the measure was there before it could have run");
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect_gt(ns, 50, "%.0f ns per hit", ns);
	cr_expect_lt(ns, 50000, "%.0f ns per hit", ns);
	trapcost__free(t);
	trapcost__free(NULL);
}
