/* Unit tests: the cgroup v2 memory-event and pressure triggers
 * (daemon/memevents.h) against a cgroupfs-shaped temporary directory.
 *
 * Why a directory and not the kernel's files: this machine's memory
 * controller is on cgroup v1 (no v2 hierarchy has it, so no cgroup here
 * has memory.events or memory.pressure), and even on v2 a test cannot make
 * the kernel raise "max" or "oom_kill" or stall a cgroup on demand. The
 * directory has what a v2 hierarchy shows (cgroup.controllers naming
 * memory, per cgroup memory.events and memory.pressure) and a mounts file
 * pointing at it; its files are regular files, which epoll refuses, so
 * memevents__check() stands in for the kernel's notifications, reading the
 * same files the same way. What is tested: every counter of memory.events
 * that rises is its event, once, for its cgroup; an unchanged file is no
 * event; the PSI trigger is written to memory.pressure; a "some" total that
 * rises by the trigger's stall per window is a pressure event, less is
 * not; cgroups not named again are dropped; a v2 root without the memory
 * controller is refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/memevents.h"
#include "lib/evloop.h"
#include "scratch.h"

static char root[128], mounts[192];
static struct evloop *loop;
static struct memevents *mev;
static char seen[16][64];
static size_t nseen;

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write '%s'", path);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void on_event(const char *cgroup, const char *event, void *ctx)
{
	(void)ctx;
	if (nseen < 16)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s %s", cgroup, event);
}

static const char *events(unsigned max, unsigned oom, unsigned kill)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "low 0\nhigh 0\nmax %u\noom %u\noom_kill %u\noom_group_kill 0\n",
		 max, oom, kill);
	return buf;
}

static const char *pressure(unsigned long long some_total)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "some avg10=0.00 avg60=0.00 avg300=0.00 total=%llu\n"
		 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", some_total);
	return buf;
}

static void setup(void)
{
	char path[256], err[256];

	cr_assert_eq(scratch__mkdir(root, sizeof(root), "memevents"), 0);
	snprintf(path, sizeof(path), "%s/app", root);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/db", root);
	cr_assert_eq(mkdir(path, 0700), 0);
	put("cgroup.controllers", "cpuset cpu io memory pids\n");
	put("app/memory.events", events(0, 0, 0));
	put("app/memory.pressure", pressure(1000));
	put("db/memory.events", events(3, 0, 0));
	snprintf(mounts, sizeof(mounts), "%s/mounts", root);
	snprintf(path, sizeof(path), "cgroup2 %s cgroup2 rw,nosuid,nodev,noexec 0 0\n", root);
	put("mounts", path);
	cr_assert_eq(evloop__new(&loop), 0);
	cr_assert_eq(memevents__new(mounts, loop, 0.9, on_event, NULL, &mev, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(memevents__version(mev), 2);
	nseen = 0;
}

static void teardown(void)
{
	memevents__free(mev);
	evloop__free(loop);
	scratch__rmrf(root);
}

static void watch_both(void)
{
	memevents__begin(mev);
	cr_assert_eq(memevents__watch(mev, "/app", 64 << 20), 0);
	cr_assert_eq(memevents__watch(mev, "/db", 128 << 20), 0);
	memevents__end(mev);
	cr_assert_eq(memevents__count(mev), 2);
}

TestSuite(memevents, .init = setup, .fini = teardown);

Test(memevents, each_counter_that_rises_is_its_event_once)
{
	watch_both();
	memevents__check(mev);
	cr_assert_eq(nseen, 0, "no counter rose (db's max was 3 from the start): %s", seen[0]);
	put("app/memory.events", events(1, 0, 0));
	memevents__check(mev);
	cr_assert_eq(nseen, 1);
	cr_assert_str_eq(seen[0], "/app limit");
	memevents__check(mev);
	cr_assert_eq(nseen, 1, "the same counts again are no event");
	put("app/memory.events", events(1, 1, 2));
	put("db/memory.events", events(4, 0, 0));
	memevents__check(mev);
	cr_assert_eq(nseen, 4);
	cr_assert_str_eq(seen[1], "/app oom");
	cr_assert_str_eq(seen[2], "/app oom_kill");
	cr_assert_str_eq(seen[3], "/db limit");
}

Test(memevents, pressure_trigger_written_and_its_stall_is_an_event)
{
	cr_assert_eq(memevents__set_psi(mev, "some 150000 2000000"), 0);
	watch_both();
	cr_assert(strstr(get("app/memory.pressure"), "some 150000 2000000"),
		  "the trigger was not written: %s", get("app/memory.pressure"));
	/* db has no memory.pressure: watched without it */
	put("app/memory.pressure", pressure(1000 + 50000));
	memevents__check(mev);
	cr_assert_eq(nseen, 0, "50 ms of stall is under the trigger's 150 ms");
	put("app/memory.pressure", pressure(1000 + 50000 + 200000));
	memevents__check(mev);
	cr_assert_eq(nseen, 1);
	cr_assert_str_eq(seen[0], "/app pressure");
	memevents__check(mev);
	cr_assert_eq(nseen, 1, "no new stall, no event");
}

Test(memevents, bad_psi_trigger_is_refused)
{
	cr_assert_eq(memevents__set_psi(mev, "some"), -EINVAL);
	cr_assert_eq(memevents__set_psi(mev, "half 1 2"), -EINVAL);
	cr_assert_eq(memevents__set_psi(mev, "some 1 0"), -EINVAL);
	cr_assert_eq(memevents__set_psi(mev, ""), 0);
}

Test(memevents, cgroups_not_named_again_are_dropped)
{
	watch_both();
	memevents__begin(mev);
	cr_assert_eq(memevents__watch(mev, "/db", 128 << 20), 0);
	memevents__end(mev);
	cr_assert_eq(memevents__count(mev), 1);
	put("app/memory.events", events(9, 9, 9));
	memevents__check(mev);
	cr_assert_eq(nseen, 0, "a dropped cgroup has no events: %s", seen[0]);
}

Test(memevents, a_v2_root_without_the_memory_controller_is_refused)
{
	struct memevents *m = NULL;
	char err[256];

	put("cgroup.controllers", "cpuset cpu io pids\n");
	cr_assert_eq(memevents__new(mounts, loop, 0.9, on_event, NULL, &m, err, sizeof(err)),
		     -ENOENT);
	cr_assert_null(m);
	cr_assert(strstr(err, "memory controller"), "message: %s", err);
}
