#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/proc.h"

/* A pid no process has: a child that was reaped. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	cr_assert_gt(pid, 0);
	waitpid(pid, NULL, 0);
	return pid;
}

Test(proc, comm_of_own_process)
{
	char comm[PROC_COMM_LEN];

	cr_assert_eq(proc__read_comm(getpid(), comm, sizeof(comm)), 0);
	/* this binary is test_proc; the kernel keeps 15 characters */
	cr_expect_str_eq(comm, "test_proc");
	cr_expect_null(strchr(comm, '\n'));
}

Test(proc, comm_truncated_to_buffer)
{
	char comm[5];

	cr_assert_eq(proc__read_comm(getpid(), comm, sizeof(comm)), 0);
	cr_expect_str_eq(comm, "test");
}

Test(proc, comm_of_missing_process)
{
	char comm[PROC_COMM_LEN] = "x";

	cr_expect_eq(proc__read_comm(gone_pid(), comm, sizeof(comm)), -ESRCH);
	cr_expect_str_eq(comm, "?");
}

Test(proc, stat_of_own_process)
{
	struct proc_stat st, again;
	volatile unsigned long spin = 0;
	struct timespec t0, t;

	/* burn a little CPU so utime cannot stay at zero by chance */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			spin += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
	cr_assert_eq(proc__read_stat(getpid(), &st), 0);
	cr_expect_eq(st.state, 'R', "reading its own stat, the process runs");
	cr_expect_eq(st.ppid, getppid());
	cr_expect_gt(st.start_ticks, 0);
	cr_expect_gt(st.utime_ticks + st.stime_ticks, 0, "50 ms of CPU spent");
	cr_assert_eq(proc__read_stat(getpid(), &again), 0);
	cr_expect_eq(again.start_ticks, st.start_ticks, "the start time does not move");
	cr_expect_geq(again.utime_ticks, st.utime_ticks);
}

Test(proc, stat_of_missing_process)
{
	struct proc_stat st;

	cr_expect_eq(proc__read_stat(gone_pid(), &st), -ESRCH);
}

Test(proc, parse_stat_comm_with_parentheses_and_spaces)
{
	const char *text = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 "
			   "25 7 0 0 20 0 1 0 987654 1000 10\n";
	struct proc_stat st;

	cr_assert_eq(proc__parse_stat(text, &st), 0);
	cr_expect_eq(st.state, 'S');
	cr_expect_eq(st.ppid, 17);
	cr_expect_eq(st.utime_ticks, 25);
	cr_expect_eq(st.stime_ticks, 7);
	cr_expect_eq(st.start_ticks, 987654);
}

Test(proc, parse_stat_rejects_short_or_broken_text)
{
	struct proc_stat st;

	cr_expect_eq(proc__parse_stat("4242 (a) S 1 2 3", &st), -EINVAL, "ends before field 22");
	cr_expect_eq(proc__parse_stat("4242 no parenthesis S 1", &st), -EINVAL);
	cr_expect_eq(proc__parse_stat("", &st), -EINVAL);
}

Test(proc, auxv_of_own_process)
{
	uint64_t entry = 0, pagesz = 0, none;

	cr_assert_eq(proc__read_auxv(getpid(), AT_ENTRY, &entry), 0);
	cr_expect_eq(entry, getauxval(AT_ENTRY));
	cr_assert_eq(proc__read_auxv(getpid(), AT_PAGESZ, &pagesz), 0);
	cr_expect_eq(pagesz, (uint64_t)sysconf(_SC_PAGESIZE));
	cr_expect_eq(proc__read_auxv(getpid(), 0x7fffffff, &none), -ENOENT, "no such entry");
	cr_expect_eq(proc__read_auxv(gone_pid(), AT_ENTRY, &none), -ESRCH);
}

Test(proc, parse_stat_every_field_seep_uses)
{
	struct proc_stat st;
	const char *text = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 3 0"
			   " 987654 12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1"
			   " 0 0 0 0 0\n";

	cr_assert_eq(proc__parse_stat(text, &st), 0);
	cr_expect_eq(st.pid, 4242);
	cr_expect_str_eq(st.comm, "a (b) c");
	cr_expect_eq(st.state, 'S');
	cr_expect_eq(st.ppid, 1);
	cr_expect_eq(st.utime_ticks, 17);
	cr_expect_eq(st.stime_ticks, 5);
	cr_expect_eq(st.num_threads, 3);
	cr_expect_eq(st.start_ticks, 987654);
	cr_expect_eq(proc__parse_stat("garbage", &st), -EINVAL);
	cr_expect_eq(proc__parse_stat("1 (x) S 1 2", &st), -EINVAL);
}

/* Field 9, the PF_* flags: a kernel thread carries PF_KTHREAD. */
Test(proc, parse_stat_flags_tell_kernel_threads)
{
	const char *kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n";
	const char *user = "4242 (a) S 17 4242 4242 0 -1 4194560 100 0 0 0 25 7 0 0 20 0 1 0 9 1 1\n";
	struct proc_stat st;

	cr_assert_eq(proc__parse_stat(kthread, &st), 0);
	cr_expect(st.flags & PROC_PF_KTHREAD);
	cr_assert_eq(proc__parse_stat(user, &st), 0);
	cr_expect_not(st.flags & PROC_PF_KTHREAD);
	cr_assert_eq(proc__read_stat(getpid(), &st), 0);
	cr_expect_not(st.flags & PROC_PF_KTHREAD, "this test is a user process");
}

/* A child is found from any thread's children file; none: -ENOENT. */
Test(proc, first_child_found_and_none)
{
	pid_t child, found = 0;
	int fds[2];
	char c;

	cr_assert_eq(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[0]);
	cr_assert_eq(proc__first_child(getpid(), &found), 0);
	cr_expect_eq(found, child);
	cr_expect_eq(proc__first_child(child, &found), -ENOENT, "the child has none");
	close(fds[1]);
	waitpid(child, NULL, 0);
	cr_expect_eq(proc__first_child(gone_pid(), &found), -ESRCH);
}

/* In the initial pid namespace there is nothing to translate: zeros. */
Test(proc, pid_namespace_initial_is_zero)
{
	uint64_t dev = 1, ino = 1;
	struct stat st;

	cr_assert_eq(proc__pid_namespace(&dev, &ino), 0);
	cr_assert_eq(stat("/proc/self/ns/pid", &st), 0);
	if (st.st_ino == 0xeffffffc) {
		cr_expect_eq(dev, 0);
		cr_expect_eq(ino, 0);
	} else {
		cr_expect_eq(ino, st.st_ino);
	}
}

/* Burns about MS milliseconds of CPU in the calling thread. */
static void burn_ms(int ms)
{
	struct timespec a, b;
	volatile uint64_t x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

Test(proc, cpu_ns_of_own_process_follows_its_cpu)
{
	uint64_t a = 0, b = 0;
	struct timespec t;

	cr_assert_eq(proc__cpu_ns(getpid(), &a), 0);
	burn_ms(60);
	cr_assert_eq(proc__cpu_ns(getpid(), &b), 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	/* 60 ms burnt, seen within a clock tick (10 ms at 100 Hz) either way */
	cr_expect_geq(b - a, 50ULL * 1000 * 1000, "%llu ns", (unsigned long long)(b - a));
	cr_expect_leq(b, (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec + 20000000ULL,
		      "more CPU than the process used");
}

static void *idle_thread(void *arg)
{
	int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

Test(proc, cpu_ns_of_a_threaded_process_is_nanosecond_exact)
{
	/* two threads: /proc/PID/schedstat is one thread's and the stat
	 * ticks are 10 ms apart; 3 ms burnt must be seen as 3 ms */
	pthread_t th;
	int stop = 0;
	uint64_t a, b, before, after;

	cr_assert_eq(pthread_create(&th, NULL, idle_thread, &stop), 0);
	before = process_cpu_ns();
	cr_assert_eq(proc__cpu_ns(getpid(), &a), 0);
	burn_ms(3);
	cr_assert_eq(proc__cpu_ns(getpid(), &b), 0);
	after = process_cpu_ns();
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	cr_expect_geq(b - a, 3ULL * 1000 * 1000, "%llu ns for 3 ms", (unsigned long long)(b - a));
	cr_expect_leq(b - a, after - before, "%llu ns, more than the process's %llu",
		      (unsigned long long)(b - a), (unsigned long long)(after - before));
}

Test(proc, cpu_ns_of_missing_process)
{
	uint64_t ns;

	cr_expect_eq(proc__cpu_ns(gone_pid(), &ns), -ESRCH);
}
