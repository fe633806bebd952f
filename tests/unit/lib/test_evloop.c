#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/evloop.h"

struct pipe_end {
	int fd[2];
	int calls;
	int fail;                /* returned by the callback */
	struct evloop *loop;
	struct pipe_end *victim; /* removed by this one's callback */
};

static int on_read(int fd, uint32_t events, void *ctx)
{
	struct pipe_end *p = ctx;
	char buf[16];

	cr_expect(events & EPOLLIN);
	cr_expect_eq(fd, p->fd[0]);
	p->calls++;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (p->victim)
		cr_expect_eq(evloop__remove_fd(p->loop, p->victim->fd[0]), 0);
	return p->fail;
}

static void pipe_open(struct pipe_end *p, struct evloop *l)
{
	*p = (struct pipe_end){ .loop = l };
	cr_assert_eq(pipe2(p->fd, O_NONBLOCK | O_CLOEXEC), 0);
}

static void pipe_close(struct pipe_end *p)
{
	close(p->fd[0]);
	close(p->fd[1]);
}

Test(evloop, ready_fd_runs_its_callback)
{
	struct evloop *l;
	struct pipe_end a, b;

	cr_assert_eq(evloop__new(&l), 0);
	pipe_open(&a, l);
	pipe_open(&b, l);
	cr_assert_eq(evloop__add_fd(l, a.fd[0], EPOLLIN, on_read, &a), 0);
	cr_assert_eq(evloop__add_fd(l, b.fd[0], EPOLLIN, on_read, &b), 0);
	cr_expect_eq(evloop__add_fd(l, a.fd[0], EPOLLIN, on_read, &a), -EEXIST);
	cr_expect_eq(evloop__fds(l), 2);
	cr_assert_eq(write(b.fd[1], "x", 1), 1);
	cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_expect_eq(a.calls, 0);
	cr_expect_eq(b.calls, 1);
	/* nothing ready: the deadline ends the wait */
	uint64_t t0 = clock__mono_ns();
	cr_assert_eq(evloop__run_once(l, t0 + 20000000), 0);
	cr_expect_geq(clock__mono_ns() - t0, 20000000ULL);
	cr_expect_eq(a.calls + b.calls, 1);
	cr_expect_eq(evloop__remove_fd(l, a.fd[0]), 0);
	cr_expect_eq(evloop__remove_fd(l, a.fd[0]), -ENOENT);
	cr_expect_eq(evloop__fds(l), 1);
	cr_assert_eq(write(a.fd[1], "x", 1), 1);
	cr_assert_eq(evloop__run_once(l, clock__mono_ns()), 0);
	cr_expect_eq(a.calls, 0, "removed: not called");
	pipe_close(&a);
	pipe_close(&b);
	evloop__free(l);
	evloop__free(NULL);
}

Test(evloop, fd_removed_by_an_earlier_callback_is_not_called)
{
	struct evloop *l;
	struct pipe_end a, b;

	cr_assert_eq(evloop__new(&l), 0);
	pipe_open(&a, l);
	pipe_open(&b, l);
	a.victim = &b;
	b.victim = &a;
	cr_assert_eq(evloop__add_fd(l, a.fd[0], EPOLLIN, on_read, &a), 0);
	cr_assert_eq(evloop__add_fd(l, b.fd[0], EPOLLIN, on_read, &b), 0);
	cr_assert_eq(write(a.fd[1], "x", 1), 1);
	cr_assert_eq(write(b.fd[1], "x", 1), 1);
	cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_expect_eq(a.calls + b.calls, 1, "whichever ran first removed the other");
	cr_expect_eq(evloop__fds(l), 1);
	pipe_close(&a);
	pipe_close(&b);
	evloop__free(l);
}

Test(evloop, callback_error_is_returned)
{
	struct evloop *l;
	struct pipe_end a;

	cr_assert_eq(evloop__new(&l), 0);
	pipe_open(&a, l);
	a.fail = -EIO;
	cr_assert_eq(evloop__add_fd(l, a.fd[0], EPOLLIN, on_read, &a), 0);
	cr_assert_eq(write(a.fd[1], "x", 1), 1);
	cr_expect_eq(evloop__run_once(l, UINT64_MAX), -EIO);
	cr_expect_eq(evloop__add_fd(l, -1, EPOLLIN, on_read, &a), -EBADF);
	pipe_close(&a);
	evloop__free(l);
}

Test(evloop, slots_are_reused)
{
	struct evloop *l;
	struct pipe_end p[40];

	cr_assert_eq(evloop__new(&l), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 40; i++) {
			pipe_open(&p[i], l);
			cr_assert_eq(evloop__add_fd(l, p[i].fd[0], EPOLLIN, on_read, &p[i]), 0);
		}
		for (int i = 0; i < 40; i += 3)
			cr_assert_eq(write(p[i].fd[1], "x", 1), 1);
		cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
		for (int i = 0; i < 40; i++) {
			cr_expect_eq(p[i].calls, i % 3 == 0, "pipe %d", i);
			cr_assert_eq(evloop__remove_fd(l, p[i].fd[0]), 0);
			pipe_close(&p[i]);
		}
		cr_expect_eq(evloop__fds(l), 0);
	}
	evloop__free(l);
}

struct ticker {
	struct evloop *loop;
	struct evloop_timer t;
	int fired;
	int rearm;               /* times to re-arm at once */
	uint64_t at;             /* when it fired last */
	int *order, *norder;
	int id;
};

static int on_tick(struct evloop_timer *t, void *ctx)
{
	struct ticker *k = ctx;

	cr_expect_eq(t, &k->t);
	cr_expect(!evloop__armed(t), "disarmed before its call");
	k->fired++;
	k->at = clock__mono_ns();
	if (k->order)
		k->order[(*k->norder)++] = k->id;
	if (k->rearm > 0) {
		k->rearm--;
		return evloop__arm(k->loop, t, 0);
	}
	return 0;
}

Test(evloop, timers_fire_at_their_deadline_in_order)
{
	struct evloop *l;
	struct ticker k[3];
	int order[8], norder = 0;
	uint64_t t0 = clock__mono_ns();
	const uint64_t after[3] = { 30000000, 10000000, 20000000 };

	cr_assert_eq(evloop__new(&l), 0);
	for (int i = 0; i < 3; i++) {
		k[i] = (struct ticker){ .loop = l, .order = order, .norder = &norder, .id = i };
		evloop__timer_init(&k[i].t, on_tick, &k[i]);
		cr_assert_eq(evloop__arm(l, &k[i].t, t0 + after[i]), 0);
	}
	cr_expect_eq(evloop__next_deadline(l), t0 + after[1]);
	while (norder < 3)
		cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_expect_eq(order[0], 1);
	cr_expect_eq(order[1], 2);
	cr_expect_eq(order[2], 0);
	for (int i = 0; i < 3; i++)
		cr_expect_geq(k[i].at, t0 + after[i], "timer %d not early", i);
	cr_expect_eq(evloop__next_deadline(l), UINT64_MAX);
	evloop__free(l);
}

Test(evloop, rearmed_timer_fires_next_pass_and_disarm_cancels)
{
	struct evloop *l;
	struct ticker k = { 0 }, off = { 0 };

	cr_assert_eq(evloop__new(&l), 0);
	k.loop = off.loop = l;
	k.rearm = 2;
	evloop__timer_init(&k.t, on_tick, &k);
	evloop__timer_init(&off.t, on_tick, &off);
	cr_assert_eq(evloop__arm(l, &k.t, 0), 0);
	cr_assert_eq(evloop__arm(l, &off.t, 0), 0);
	cr_assert_eq(evloop__arm(l, &off.t, 0), 0, "arming again moves it");
	evloop__disarm(l, &off.t);
	evloop__disarm(l, &off.t);
	cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_expect_eq(k.fired, 1, "re-armed at once: not again in the same pass");
	cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_assert_eq(evloop__run_once(l, UINT64_MAX), 0);
	cr_expect_eq(k.fired, 3);
	cr_expect(!evloop__armed(&k.t));
	cr_expect_eq(off.fired, 0, "disarmed");
	evloop__free(l);
}

static int stop_loop(struct evloop_timer *t, void *ctx)
{
	(void)t;
	evloop__stop(ctx);
	return 0;
}

static int fail_timer(struct evloop_timer *t, void *ctx)
{
	(void)t;
	(void)ctx;
	return -ETIMEDOUT;
}

Test(evloop, run_until_stopped_or_failed)
{
	struct evloop *l;
	struct evloop_timer stop, fail;

	cr_assert_eq(evloop__new(&l), 0);
	evloop__timer_init(&stop, stop_loop, l);
	cr_assert_eq(evloop__arm(l, &stop, clock__mono_ns() + 5000000), 0);
	cr_expect_eq(evloop__run(l), 0);
	evloop__timer_init(&fail, fail_timer, NULL);
	cr_assert_eq(evloop__arm(l, &fail, 0), 0);
	cr_expect_eq(evloop__run(l), -ETIMEDOUT);
	evloop__free(l);
}
