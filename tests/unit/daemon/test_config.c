/* Unit tests: the daemon's configuration (daemon/config.h), every key:
 * its default, a value from an INI file, a --set override over the file,
 * and a bad value refused with a message naming the key. Values are
 * compared through config__print(), the one writer of the effective
 * configuration, so the table below also pins the printed form. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

struct case_ {
	const char *section, *name;
	const char *dflt;	/* printed default */
	const char *file;	/* value in the file */
	const char *file_out;	/* printed after loading it */
	const char *set;	/* --set value over the file */
	const char *set_out;
	const char *bad;	/* refused */
};

static const struct case_ cases[] = {
	{ "daemon", "interval", "60s", "5m", "300s", "1.5", "1.5s", "0.01s" },
	{ "daemon", "store", "/var/lib/seep/seep.db", "/tmp/a.db", "/tmp/a.db", "/tmp/b.db",
	  "/tmp/b.db", NULL },
	{ "daemon", "listen", "127.0.0.1:9474", "[::1]:9475", "[::1]:9475", "", "", NULL },
	{ "daemon", "listen_public", "no", "yes", "yes", "false", "no", "maybe" },
	{ "daemon", "bpf", "yes", "no", "no", "1", "yes", "2" },
	{ "daemon", "scope_cgroup", "", "/kubepods/pod1", "/kubepods/pod1", "/fleet/h1", "/fleet/h1",
	  NULL },
	{ "retention", "max_age", "604800s", "1d", "86400s", "2h", "7200s", "10s" },
	{ "retention", "max_bytes", "268435456", "1GiB", "1073741824", "2MiB", "2097152", "1KiB" },
	{ "telemetry", "fold", "120s", "0", "0s", "30s", "30s", "-1s" },
	{ "telemetry", "max_procs", "16384", "1024", "1024", "64", "64", "63" },
	{ "telemetry", "cgroup_depth", "3", "0", "0", "16", "16", "17" },
	{ "telemetry", "growth_stacks", "suspects", "all", "all", "off", "off", NULL },
	{ "detect", "algos", "seep", "seep,lbr", "seep,lbr", "lbrcpd", "lbrcpd", NULL },
	{ "detect", "scale", "300s", "1h", "3600s", "1", "1s", "0.5" },
	{ "detect", "threshold", "host", "256MiB", "256MiB", "host", "host", NULL },
	{ "detect", "history", "2016", "100", "100", "16", "16", "15" },
	{ "detect", "min_samples", "24", "8", "8", "1000", "1000", "7" },
	{ "pivot", "window", "64", "8", "8", "100000", "100000", "1.5" },
	{ "pivot", "z", "3", "0.5", "0.5", "100", "100", "0.4" },
	{ "pivot", "base", "1048576", "4096", "4096", "1MiB", "1048576", "4095" },
	{ "metrics", "top", "50", "1", "1", "100000", "100000", "0" },
	{ "metrics", "max_cgroups", "200", "10", "10", "1", "1", "x" },
	{ "budget", "cpu", "0.01", "0.5", "0.5", "1", "1", "1.01" },
	{ "budget", "bpf_cpu", "0.01", "0.001", "0.001", "0.02", "0.02", "0" },
	{ "budget", "rss", "67108864", "32MiB", "33554432", "1MiB", "1048576", "1000" },
	{ "budget", "rss_cap", "100663296", "48MiB", "50331648", "0", "0", "2TiB" },
	{ "collect", "top_k", "3", "0", "0", "1000", "1000", "1001" },
	{ "collect", "max_active", "2", "1", "1", "64", "64", "65" },
	{ "collect", "dir", "", "/tmp/c", "/tmp/c", "", "", NULL },
	{ "collect", "every", "0s", "2s", "2s", "1d", "86400s", "2d" },
	{ "collect", "snapshots", "4", "2", "2", "10000", "10000", "1" },
	{ "collect", "steps", "3", "1", "1", "1000", "1000", "0" },
	{ "collect", "max_time", "1800s", "1h", "3600s", "1", "1s", "0.5" },
	{ "collect", "max_bytes", "67108864", "4096", "4096", "1GiB", "1073741824", "4095" },
	{ "collect", "sample_bytes", "524288", "1", "1", "1MiB", "1048576", "0" },
	{ "collect", "cpu", "0.05", "0.0001", "0.0001", "1000", "1000", "1001" },
	{ "collect", "trap_ns", "0", "877", "877", "0", "0", "-1" },
	{ "collect", "budget_check", "0.05s", "1s", "1s", "10ms", "0.01s", "0.0005s" },
	{ "collect", "comms", "", "a,b", "a,b", "x", "x", NULL },
	{ "trigger", "psi", "some 150000 2000000", "full 100000 2000000",
	  "full 100000 2000000", "", "", NULL },
	{ "trigger", "psi_cooldown", "600s", "1m", "60s", "0", "0s", "1m5" },
	{ "trigger", "cgroup", "yes", "no", "no", "1", "yes", "2" },
	{ "trigger", "cgroup_share", "0.9", "0.5", "0.5", "1", "1", "0.001" },
	{ "reference", "every", "21600s", "1h", "3600s", "0", "0s", "x" },
	{ "reference", "count", "4", "1", "1", "1000", "1000", "0" },
	{ "reference", "duration", "20s", "5s", "5s", "1h", "3600s", "2h" },
	{ "reference", "sample_bytes", "2097152", "1MiB", "1048576", "1", "1", "0" },
	{ "reference", "dir", "", "/tmp/r", "/tmp/r", "x", "x", NULL },
	/* fleet: series and snapshots out of the host */
	{ "daemon", "host", "", "web-1", "web-1", "h2", "h2", NULL },
	{ "metrics", "max_series", "2000", "0", "0", "10000000", "10000000", "x" },
	{ "remote_write", "url", "", "http://vm:8428/api/v1/write", "http://vm:8428/api/v1/write",
	  "http://x/w", "http://x/w", NULL },
	{ "remote_write", "interval", "0s", "30s", "30s", "1m", "60s", "x" },
	{ "remote_write", "timeout", "10s", "2s", "2s", "1m", "60s", "0" },
	{ "remote_write", "max_backoff", "30s", "5s", "5s", "1h", "3600s", "0.1s" },
	{ "remote_write", "spool_dir", "", "/tmp/sp", "/tmp/sp", "x", "x", NULL },
	{ "remote_write", "spool_max_bytes", "67108864", "1MiB", "1048576", "4096", "4096", "1KiB" },
	{ "remote_write", "labels", "", "dc=eu", "dc=eu", "a=1,b=2", "a=1,b=2", NULL },
	{ "profiles", "pyroscope", "", "http://p:4040", "http://p:4040", "http://q", "http://q", NULL },
	{ "profiles", "parca", "", "http://p:7070", "http://p:7070", "http://q", "http://q", NULL },
	{ "profiles", "app", "seep_heap", "web", "web", "x", "x", NULL },
	{ "profiles", "labels", "", "dc=eu", "dc=eu", "a=1", "a=1", NULL },
	{ "profiles", "timeout", "10s", "2s", "2s", "1m", "60s", "0" },
	{ "profiles", "retries", "3", "0", "0", "100", "100", "101" },
	{ "profiles", "backoff", "1s", "0.5s", "0.5s", "1m", "60s", "0" },
	{ "mitigation", "enabled", "no", "yes", "yes", "no", "no", "maybe" },
	{ "mitigation", "dry_run", "yes", "no", "no", "yes", "yes", "2" },
	{ "mitigation", "allow", "", "/app,*.service", "/app,*.service", "", "", NULL },
	{ "mitigation", "avoid", "", "postgres", "postgres", "x", "x", NULL },
	{ "mitigation", "window", "3600s", "10m", "600s", "1h", "3600s", "0.5s" },
	{ "mitigation", "host_cap", "1", "3", "3", "1000", "1000", "0" },
	{ "mitigation", "max_backoff", "16", "4", "4", "1", "1", "0" },
	{ "mitigation", "confidence", "0.8", "0.9", "0.9", "0", "0", "1.5" },
	{ "mitigation", "min_verdicts", "3", "5", "5", "1", "1", "0" },
	{ "mitigation", "time_to_limit", "604800s", "1d", "86400s", "2h", "7200s", "0s" },
	{ "mitigation", "brake_margin", "67108864", "16MiB", "16777216", "0", "0", "-1" },
	{ "mitigation", "restart_command", "", "systemctl restart x", "systemctl restart x", "",
	  "", NULL },
	{ "mitigation", "executor", "real", "record:/tmp/r", "record:/tmp/r", "real", "real", NULL },
	{ "mitigation", "cgroup_root", "", "/tmp/cg", "/tmp/cg", "", "", NULL },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The printed value of SECTION.NAME in C (a static buffer). */
static const char *printed(const struct daemon_config *c, const char *section, const char *name)
{
	static char val[512];
	char *text = NULL, *line, *save = NULL, cur[64] = "";
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *found = NULL;

	cr_assert(f);
	daemon_config__print(c, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(name);

		if (line[0] == '[') {
			snprintf(cur, sizeof(cur), "%.*s", (int)(strlen(line) - 2), line + 1);
			continue;
		}
		if (!strcmp(cur, section) && !strncmp(line, name, n) && !strncmp(line + n, " = ", 3)) {
			snprintf(val, sizeof(val), "%s", line + n + 3);
			found = val;
		}
	}
	free(text);
	cr_assert(found, "'%s.%s' is not printed", section, name);
	return found;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

/* Indexes, not the cases themselves: criterion copies parameters into
 * the test's process, where the strings' addresses need not hold. */
ParameterizedTestParameters(config, every_key)
{
	static size_t idx[NCASES];

	for (size_t i = 0; i < NCASES; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NCASES);
}

ParameterizedTest(size_t *i, config, every_key)
{
	const struct case_ *k = &cases[*i];
	struct daemon_config c;
	char path[] = "/tmp/seep-config-XXXXXX", text[512], set[512], err[512] = "";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	daemon_config__defaults(&c);
	cr_expect_str_eq(printed(&c, k->section, k->name), k->dflt, "default of %s.%s",
			 k->section, k->name);
	snprintf(text, sizeof(text), "# a comment\n[%s]\n%s = %s\n", k->section, k->name, k->file);
	write_file(path, text);
	cr_assert_eq(daemon_config__load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(printed(&c, k->section, k->name), k->file_out, "file value of %s.%s",
			 k->section, k->name);
	snprintf(set, sizeof(set), "%s.%s=%s", k->section, k->name, k->set);
	cr_assert_eq(daemon_config__set(&c, set, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(printed(&c, k->section, k->name), k->set_out, "override of %s.%s",
			 k->section, k->name);
	if (k->bad) {
		struct daemon_config before = c;
		char want[128];

		snprintf(set, sizeof(set), "%s.%s=%s", k->section, k->name, k->bad);
		cr_expect_eq(daemon_config__set(&c, set, err, sizeof(err)), -EINVAL,
			     "'%s' was taken", set);
		snprintf(want, sizeof(want), "'%s.%s'", k->section, k->name);
		cr_expect(strstr(err, want) && strstr(err, k->bad), "message: %s", err);
		cr_expect_eq(memcmp(&before, &c, sizeof(c)), 0, "a refused value changed the config");
		/* the same value in a file: refused with the line */
		snprintf(text, sizeof(text), "[%s]\n\n%s = %s\n", k->section, k->name, k->bad);
		write_file(path, text);
		cr_expect_eq(daemon_config__load(&c, path, err, sizeof(err)), -EINVAL);
		cr_expect(strstr(err, "line 3"), "message: %s", err);
	}
	unlink(path);
}

Test(config, the_table_covers_every_printed_key)
{
	struct daemon_config c;
	char *text = NULL;
	size_t len = 0, keys = 0;
	FILE *f = open_memstream(&text, &len);

	daemon_config__defaults(&c);
	daemon_config__print(&c, f);
	fclose(f);
	for (char *p = text; (p = strstr(p, " = ")); p += 3)
		keys++;
	free(text);
	cr_assert_eq(keys, NCASES, "config prints %zu keys, the test knows %zu", keys, NCASES);
}

Test(config, print_reads_back_to_the_same_config)
{
	struct daemon_config a, b;
	char path[] = "/tmp/seep-config-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	daemon_config__defaults(&a);
	cr_assert_eq(daemon_config__set(&a, "daemon.interval=2.5s", err, sizeof(err)), 0);
	cr_assert_eq(daemon_config__set(&a, "collect.comms=a,b", err, sizeof(err)), 0);
	daemon_config__print(&a, f);
	fclose(f);
	daemon_config__defaults(&b);
	cr_assert_eq(daemon_config__load(&b, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	unlink(path);
}

Test(config, unknown_keys_and_malformed_settings)
{
	struct daemon_config c;
	char err[256];

	daemon_config__defaults(&c);
	cr_assert_eq(daemon_config__set(&c, "daemon.nosuch=1", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown key 'daemon.nosuch'");
	cr_assert_eq(daemon_config__set(&c, "interval=1", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "section.key=value"), "%s", err);
	cr_assert_eq(daemon_config__set(&c, "daemon.interval", err, sizeof(err)), -EINVAL);
	cr_assert_eq(daemon_config__load(&c, "/nonexistent/seep.conf", err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "cannot read config '/nonexistent/seep.conf'"), "%s", err);
}

Test(config, a_string_too_long_is_refused)
{
	struct daemon_config c;
	char set[300], err[256];

	daemon_config__defaults(&c);
	snprintf(set, sizeof(set), "daemon.listen=%0200d", 1);
	cr_assert_eq(daemon_config__set(&c, set, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "value of 'daemon.listen' too long");
}

Test(config, durations_and_sizes)
{
	double d;
	uint64_t u;

	cr_assert_eq(daemon_config__parse_duration("250ms", &d), 0);
	cr_assert_float_eq(d, 0.25, 1e-12);
	cr_assert_eq(daemon_config__parse_duration("1.5h", &d), 0);
	cr_assert_float_eq(d, 5400, 1e-9);
	cr_assert_eq(daemon_config__parse_duration("7d", &d), 0);
	cr_assert_float_eq(d, 604800, 1e-9);
	cr_assert_eq(daemon_config__parse_duration("5 s", &d), -EINVAL);
	cr_assert_eq(daemon_config__parse_duration("-1", &d), -EINVAL);
	cr_assert_eq(daemon_config__parse_duration("inf", &d), -EINVAL);
	cr_assert_eq(daemon_config__parse_size("1.5KiB", &u), 0);
	cr_assert_eq(u, 1536);
	cr_assert_eq(daemon_config__parse_size("3G", &u), 0);
	cr_assert_eq(u, 3ULL << 30);
	cr_assert_eq(daemon_config__parse_size("100000000TiB", &u), -ERANGE);
	cr_assert_eq(daemon_config__parse_size("1kb", &u), -EINVAL);
}
