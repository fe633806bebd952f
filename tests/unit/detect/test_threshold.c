/* Unit tests: thresholds in percent, bytes, or relative to a limit (bytes,
 * host memory, cgroup memory.max). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"
#include "detect/threshold.h"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "thr"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

static void put(const char *name, const char *text)
{
	char p[128];

	cr_assert_eq(scratch__put(p, sizeof(p), dir, name, text), 0);
}

TestSuite(threshold, .init = setup, .fini = teardown);

Test(threshold, byte_sizes)
{
	double v;

	cr_assert_eq(threshold__parse_bytes("8GiB", &v), 0);
	cr_assert_float_eq(v, 8589934592.0, 0.5);
	cr_assert_eq(threshold__parse_bytes("512M", &v), 0);
	cr_assert_float_eq(v, 536870912.0, 0.5);
	cr_assert_eq(threshold__parse_bytes("1.5KB", &v), 0);
	cr_assert_float_eq(v, 1500, 1e-9);
	cr_assert_eq(threshold__parse_bytes("4096", &v), 0);
	cr_assert_float_eq(v, 4096, 1e-9);
	cr_assert_eq(threshold__parse_bytes("12XB", &v), -EINVAL);
	cr_assert_eq(threshold__parse_bytes("-1G", &v), -EINVAL);
	cr_assert_eq(threshold__parse_bytes("", &v), -EINVAL);
}

Test(threshold, percent_and_plain)
{
	char err[256];
	double v;

	cr_assert_eq(threshold__resolve(NULL, NULL, &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 100, 1e-9);
	cr_assert_eq(threshold__resolve("95%", NULL, &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 95, 1e-9);
	cr_assert_eq(threshold__resolve("90", NULL, &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 90, 1e-9);
	cr_assert_eq(threshold__resolve("2GiB", NULL, &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 2147483648.0, 0.5);
	cr_assert_eq(threshold__resolve("lots", NULL, &v, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'lots'"), "%s", err);
	cr_assert_eq(threshold__resolve("0%", NULL, &v, err, sizeof(err)), -EINVAL);
}

Test(threshold, relative_to_a_byte_limit)
{
	char err[256];
	double v;

	cr_assert_eq(threshold__resolve("90%", "1GiB", &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(v, 0.9 * 1073741824.0, 0.5);
	/* without a percent sign the threshold stays absolute */
	cr_assert_eq(threshold__resolve("512M", "1GiB", &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 536870912.0, 0.5);
	cr_assert_eq(threshold__resolve(NULL, "1GiB", &v, err, sizeof(err)), 0);
	cr_assert_float_eq(v, 1073741824.0, 0.5);
}

Test(threshold, cgroup_memory_max)
{
	char p[128], err[256];
	double v;

	put("memory.max", "268435456\n");
	/* a cgroup directory: its memory.max */
	cr_assert_eq(threshold__limit(dir, NULL, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(v, 268435456.0, 0.5);
	snprintf(p, sizeof(p), "%s/memory.max", dir);
	cr_assert_eq(threshold__resolve("50%", p, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(v, 134217728.0, 0.5);
	put("memory.max", "max\n");
	cr_assert_eq(threshold__limit(p, NULL, &v, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "no memory limit"), "%s", err);
	put("memory.max", "lots\n");
	cr_assert_eq(threshold__limit(p, NULL, &v, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a byte count"), "%s", err);
	cr_assert_eq(threshold__limit("/nonexistent/cgroup", NULL, &v, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "/nonexistent/cgroup"), "%s", err);
}

Test(threshold, host_memory)
{
	char p[128], err[256];
	double v;

	put("meminfo", "MemFree:  100 kB\nMemTotal:       16384 kB\n");
	snprintf(p, sizeof(p), "%s/meminfo", dir);
	cr_assert_eq(threshold__limit("host", p, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(v, 16384.0 * 1024, 0.5);
	put("meminfo", "MemFree:  100 kB\n");
	cr_assert_eq(threshold__limit("host", p, &v, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "MemTotal"), "%s", err);
	/* the real one exists on Linux */
	cr_assert_eq(threshold__limit("host", NULL, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(v, 0);
}
