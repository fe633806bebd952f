/* Unit tests: /proc/PID/stat (comm with spaces and parentheses, start
 * time), status (anon/file/shmem/swap, kernel threads), cgroup (v1 and v2
 * lines), the systemd unit of a cgroup path, meminfo, and a cgroup tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "sys/cgroup.h"
#include "sys/meminfo.h"
#include "sys/proc.h"
#include "sys/procstatus.h"

Test(procstatus, status_memory)
{
	struct procmem m;

	cr_assert_eq(procstatus__parse_mem("Name:\tx\nVmRSS:\t  300 kB\nRssAnon:\t  100 kB\n"
					 "RssFile:\t  150 kB\nRssShmem:\t   50 kB\nVmSwap:\t 7 kB\n",
					 &m), 0);
	cr_expect_eq(m.anon, 100 * 1024);
	cr_expect_eq(m.file, 150 * 1024);
	cr_expect_eq(m.shmem, 50 * 1024);
	cr_expect_eq(m.swap, 7 * 1024);
	cr_expect(!m.kernel);
	cr_assert_eq(procstatus__parse_mem("Name:\tkthreadd\nState:\tS\nThreads:\t1\n", &m), 0);
	cr_expect(m.kernel);
	cr_expect_eq(m.anon + m.file + m.shmem + m.swap, 0);
	cr_expect_eq(procstatus__parse_mem("nothing", &m), -EINVAL);
}

Test(procstatus, cgroup_lines)
{
	const char *text = "9:name=systemd:/\n5:cpu,memory:/system.slice/cron.service\n"
			   "4:memoryx:/wrong\n0::/user.slice/user-0.slice/session-1.scope\n";
	char buf[256], unit[128];

	cr_assert_eq(procstatus__parse_cgroup(text, 1, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/system.slice/cron.service");
	cr_assert_eq(procstatus__parse_cgroup(text, 0, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/user.slice/user-0.slice/session-1.scope");
	cr_expect_eq(procstatus__parse_cgroup("4:memoryx:/a\n", 1, buf, sizeof(buf)), -ENOENT);
	procstatus__unit_of_cgroup("/system.slice/cron.service", unit, sizeof(unit));
	cr_expect_str_eq(unit, "cron.service");
	procstatus__unit_of_cgroup("/system.slice/docker-1.scope/app.service/x", unit, sizeof(unit));
	cr_expect_str_eq(unit, "app.service");
	procstatus__unit_of_cgroup("/process_api/abc", unit, sizeof(unit));
	cr_expect_str_eq(unit, "");
	procstatus__unit_of_cgroup("/.service", unit, sizeof(unit));
	cr_expect_str_eq(unit, "");
}

Test(procstatus, live_self)
{
	struct proc_stat st;
	struct procmem m;

	cr_assert_eq(proc__read_stat_at("/proc", getpid(), &st), 0);
	cr_expect_eq(st.pid, getpid());
	cr_expect_gt(st.start_ticks, 0);
	cr_assert_eq(procstatus__read_mem("/proc", getpid(), &m), 0);
	cr_expect_gt(m.anon + m.file, 0);
	cr_expect_lt(procstatus__read_mem("/proc", 0x7ffffff0, &m), 0);
}

Test(meminfo, fixture_and_missing_fields)
{
	char dir[64], path[128];
	struct meminfo mi;

	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "meminfo"), 0);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "a", "MemTotal:  1000 kB\nMemFree:"
				  "  10 kB\nMemAvailable:  600 kB\nSwapTotal: 0 kB\n"), 0);
	cr_assert_eq(meminfo__read(path, &mi), 0);
	cr_expect_eq(mi.total, 1000 * 1024);
	cr_expect_eq(mi.available, 600 * 1024);
	cr_expect_eq(mi.free, 10 * 1024);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "b", "MemTotal:  1000 kB\n"), 0);
	cr_expect_eq(meminfo__read(path, &mi), -EINVAL);
	scratch__rmrf(dir);
}

static int visit(const char *cg, int depth, void *ctx)
{
	char *seen = ctx;

	(void)depth;
	strcat(seen, cg);
	strcat(seen, ";");
	return 0;
}

Test(cgroup, v1_tree_from_mounts)
{
	char dir[64], path[256], mounts[4096], seen[1024] = "";
	struct cgroup_memory m;
	struct cgroup_usage u;

	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "cgroup"), 0);
	snprintf(mounts, sizeof(mounts), "cgroup %s/mem cgroup rw,nosuid,memory 0 0\n", dir);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "mounts", mounts), 0);
	snprintf(path, sizeof(path), "%s/mem", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/mem/a", dir);
	mkdir(path, 0700);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "mem/memory.usage_in_bytes", "4096\n"), 0);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "mem/memory.limit_in_bytes",
				  "9223372036854771712\n"), 0);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "mem/a/memory.usage_in_bytes", "8192\n"), 0);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "mem/a/memory.limit_in_bytes", "65536\n"), 0);
	snprintf(path, sizeof(path), "%s/mounts", dir);
	cr_assert_eq(cgroup__find_memory(path, &m), 0);
	cr_expect_eq(m.version, 1);
	cr_assert_eq(cgroup__read(&m, "/", &u), 0);
	cr_expect_eq(u.usage, 4096);
	cr_expect_eq(u.limit, UINT64_MAX, "v1's page-rounded LONG_MAX is no limit");
	cr_assert_eq(cgroup__read(&m, "/a", &u), 0);
	cr_expect_eq(u.usage, 8192);
	cr_expect_eq(u.limit, 65536);
	cr_assert_eq(cgroup__walk(&m, 3, visit, seen), 0);
	cr_expect_str_eq(seen, "/;/a;");
	cr_expect_lt(cgroup__read(&m, "/gone", &u), 0);
	scratch__rmrf(dir);
}
