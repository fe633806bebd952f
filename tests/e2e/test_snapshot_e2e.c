/* End to end (root): seep snapshot, record, diff and report against the
 * leaking target, read back by seep and by Go's pprof (go tool pprof, from
 * Debian's golang-go); crash safety of record under kill -9; full disk. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/pprof.h"
#include "testlib.h"

#define E2E(name, ...) Test(snapshot_e2e, name, .timeout = 120, ##__VA_ARGS__)
#define GO "/usr/bin/go"
#define LEAK (TARGET("leaky_server") " 300 200")   /* 300 KiB leaked, then exits */

static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/seep-e2e-snap-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(snapshot_e2e, .init = setup, .fini = teardown);

static char *path_in(const char *name)
{
	static char paths[8][160];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmp, name);
	return p;
}

static void must_run(char *const argv[], struct run *r)
{
	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "%s %s failed (%d): %s", argv[0], argv[1], r->status, r->err);
}

/* A snapshot of the target run to its end: exactly 300 leaked KiB. */
static void snapshot_of_leak(const char *out)
{
	char *argv[] = { SEEP_BIN, "snapshot", "-s", "1", "-c", LEAK, "-d", "60", "-o", (char *)out, NULL };
	struct run r;

	must_run(argv, &r);
	run_release(&r);
}

/* seep's default samples: the profile says so the way Go's heap profiles
 * do, with the sampling rate as its period, and its values are estimates
 * (a 1 KiB block sampled every 512 KiB stands for about 513 KiB). */
E2E(sampled_snapshot_carries_its_rate)
{
	char *out = path_in("sampled.pb.gz");
	char *snap[] = { SEEP_BIN, "snapshot", "-c", TARGET("leaky_server") " 20000 0", "-d", "60",
			 "-o", out, NULL };
	char *raw[] = { GO, "tool", "pprof", "-raw", out, NULL };
	struct run r;

	must_run(snap, &r);
	run_release(&r);
	must_run(raw, &r);
	cr_expect(strstr(r.out, "Period: 524288\n") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "sampling: one sample per 524288 bytes") != NULL);
	cr_expect(strstr(r.out, " xstrdup ") != NULL, "the leak is sampled: %s", r.out);
	run_release(&r);
}

/* Index of the stack of R whose frames include FN, or -1. */
static long stack_with(const struct report *r, const char *fn)
{
	for (size_t i = 0; i < r->nstacks; i++)
		for (size_t j = 0; j < r->stacks[i].nframes; j++)
			if (r->stacks[i].frames[j].function &&
			    !strcmp(r->stacks[i].frames[j].function, fn))
				return (long)i;
	return -1;
}

E2E(snapshot_reads_back_with_exact_leak)
{
	char *out = path_in("leak.pb.gz");
	struct report r;
	long i;

	snapshot_of_leak(out);
	cr_assert_eq(pprof__read_file(out, &r), 0);
	i = stack_with(&r, "xstrdup");
	cr_assert_eq(i, 0, "the leak is the largest stack");
	cr_expect_eq(r.stacks[i].bytes, 300 * 1024);
	cr_expect_eq(r.stacks[i].count, 300);
	cr_expect_eq(r.stacks[i].alloc_bytes, 300 * 1024);
	cr_expect_str_eq(r.stacks[i].frames[0].function, "malloc");
	cr_expect_str_eq(r.stacks[i].frames[2].function, "handle_request");
	cr_expect_not_null(r.stacks[i].frames[1].build_id, "GNU build ID kept");
	cr_expect_str_eq(r.comm, "leaky_server");
	cr_expect_gt(r.pid, 0);
	cr_expect(r.exited && r.final);
	cr_expect_gt(r.stats[SEEP_STAT_ALLOCS], 300);
	report__release(&r);
}

/* The line of TEXT (go tool pprof -top) naming FN as a whole word. */
static const char *top_line(const char *text, const char *fn)
{
	size_t n = strlen(fn);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len >= n + 1 && !strncmp(p + len - n, fn, n) && p[len - n - 1] == ' ')
			return p;
	}
	return NULL;
}

/* Parses a -top line: "flat flat% sum% cum cum% name" ("307200B" or "0"). */
static bool top_values(const char *line, long *flat, long *cum)
{
	char f[32], c[32];

	if (!line || sscanf(line, " %31s %*s %*s %31s", f, c) != 2)
		return false;
	*flat = strtol(f, NULL, 10);
	*cum = strtol(c, NULL, 10);
	return true;
}

/* go tool pprof -top prints text only: "flat flat% sum% cum cum% name". */
E2E(go_tool_pprof_top_names_the_leak_with_exact_bytes)
{
	char *out = path_in("leak.pb.gz");
	char *argv[] = { GO, "tool", "pprof", "-top", "-unit=B", out, NULL };
	long flat, cum;
	const char *line;
	struct run r;

	snapshot_of_leak(out);
	must_run(argv, &r);
	cr_expect(strstr(r.out, "Type: inuse_space") != NULL, "default sample type: %s", r.out);
	cr_expect(strstr(r.out, "File: leaky_server") != NULL, "the program first: %s", r.out);
	line = top_line(r.out, "xstrdup");
	cr_assert_not_null(line, "xstrdup among the entries: %s", r.out);
	cr_assert(top_values(line, &flat, &cum), "%.80s", line);
	cr_expect_eq(cum, 300 * 1024, "xstrdup holds the 300 leaked KiB");
	line = top_line(r.out, "handle_request");
	cr_assert_not_null(line);
	cr_assert(top_values(line, &flat, &cum), "%.80s", line);
	cr_expect_geq(cum, 300 * 1024);
	line = top_line(r.out, "malloc");
	cr_assert_not_null(line);
	cr_assert(top_values(line, &flat, &cum), "%.80s", line);
	cr_expect_eq(flat, 300 * 1024, "malloc's own bytes: the leak");
	run_release(&r);
}

/* go tool pprof -raw: the samples with all four values and their
 * locations; the leak's sample is exact. */
E2E(go_tool_pprof_raw_reads_every_value)
{
	char *out = path_in("leak.pb.gz");
	char *argv[] = { GO, "tool", "pprof", "-raw", out, NULL };
	long ao, as, io, is;
	struct run r;
	const char *p;
	bool found = false;

	snapshot_of_leak(out);
	must_run(argv, &r);
	cr_expect(strstr(r.out, "alloc_objects/count alloc_space/bytes inuse_objects/count "
				"inuse_space/bytes[dflt]") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "PeriodType: space bytes") != NULL);
	cr_expect(strstr(r.out, " xstrdup ") != NULL && strstr(r.out, " handle_request ") != NULL);
	cr_expect(strstr(r.out, "leaky_server.c:") != NULL, "file:line kept");
	cr_expect(strstr(r.out, "comm:[leaky_server]") != NULL, "comm label");
	cr_expect(strstr(r.out, "pid:[") != NULL, "pid label");
	for (p = strstr(r.out, "Samples:"); p && (p = strchr(p, '\n')); p++)
		if (sscanf(p, " %ld %ld %ld %ld:", &ao, &as, &io, &is) == 4 && is == 300 * 1024) {
			found = true;
			cr_expect_eq(io, 300);
			cr_expect_eq(as, 300 * 1024);
			cr_expect_eq(ao, 300);
		}
	cr_expect(found, "a sample of exactly 300 KiB in 300 objects: %s", r.out);
	run_release(&r);
}

static void record(const char *dir, const char *every, const char *duration, struct run *r)
{
	char *argv[] = { SEEP_BIN, "record", "-s", "1", "-c", TARGET("leaky_server") " 0 1000", "--every",
			 (char *)every, "--out", (char *)dir, "--duration", (char *)duration, NULL };

	run_cmd(argv, NULL, r);
}

E2E(record_diff_report_on_a_series)
{
	char *dir = path_in("series"), *chart = path_in("growth.png");
	char *diff_argv[] = { SEEP_BIN, "diff", dir, "-f", "json", NULL };
	char *rep_argv[] = { SEEP_BIN, "report", dir, "-f", "json", "--chart", chart, NULL };
	char *go_argv[] = { GO, "tool", "pprof", "-top", "-unit=B", "-diff_base", NULL, NULL, NULL };
	char first[200], last[200], magic[8] = { 0 };
	json_t *d, *top, *rep, *bytes;
	const char *line;
	long flat, cum;
	struct run r;
	FILE *f;

	record(dir, "2", "3", &r);   /* two snapshots: at 2 s, and the final one at 3 s */
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_release(&r);
	/* seep diff on the series: first vs last, the leak first */
	must_run(diff_argv, &r);
	d = json_line(r.out, 0);
	cr_assert_not_null(d, "%s", r.out);
	top = json_array_get(json_object_get(d, "stacks"), 0);
	cr_assert_geq(stack_frame_index(top, "xstrdup"), 0, "the leak first: %s", r.out);
	cr_expect_geq(stack_frame_index(top, "handle_request"), 0);
	cr_expect_gt(json_integer_value(json_object_get(top, "delta_count")), 300, "1 s of requests");
	cr_expect_eq(json_integer_value(json_object_get(top, "delta_bytes")),
		     json_integer_value(json_object_get(top, "delta_count")) * 1024);
	snprintf(first, sizeof(first), "%s",
		 json_string_value(json_object_get(json_object_get(d, "base"), "file")));
	snprintf(last, sizeof(last), "%s",
		 json_string_value(json_object_get(json_object_get(d, "new"), "file")));
	cr_expect(strcmp(first, last), "two different snapshots");
	json_decref(d);
	run_release(&r);
	/* go tool pprof -diff_base between the two */
	go_argv[6] = first;
	go_argv[7] = last;
	must_run(go_argv, &r);
	line = top_line(r.out, "xstrdup");
	cr_assert_not_null(line, "%s", r.out);
	cr_assert(top_values(line, &flat, &cum), "%.80s", line);
	cr_expect_gt(cum, 300 * 1024, "the growth between the two: %.80s", line);
	run_release(&r);
	/* seep report: growth over time and a chart */
	must_run(rep_argv, &r);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "%s", r.out);
	cr_expect_eq(json_array_size(json_object_get(rep, "snapshots")), 2);
	top = json_array_get(json_object_get(rep, "stacks"), 0);
	cr_expect_geq(stack_frame_index(top, "xstrdup"), 0);
	bytes = json_object_get(top, "bytes");
	for (size_t i = 1; i < json_array_size(bytes); i++)
		cr_expect_gt(json_integer_value(json_array_get(bytes, i)),
			     json_integer_value(json_array_get(bytes, i - 1)), "grows");
	json_decref(rep);
	run_release(&r);
	f = fopen(chart, "rb");
	cr_assert_not_null(f, "chart written");
	cr_expect_eq(fread(magic, 1, 4, f), 4);
	cr_expect(!memcmp(magic, "\x89PNG", 4), "a PNG");
	fclose(f);
}

E2E(record_never_overwrites_a_series)
{
	char *dir = path_in("series");
	char idx[200], before[4096] = { 0 }, after[4096] = { 0 };
	struct run r;
	FILE *f;

	record(dir, "0.5", "1", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_release(&r);
	snprintf(idx, sizeof(idx), "%s/index.json", dir);
	f = fopen(idx, "r");
	cr_assert_not_null(f);
	cr_expect_gt(fread(before, 1, sizeof(before) - 1, f), 0);
	fclose(f);
	record(dir, "0.5", "1", &r);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "already holds a series") != NULL, "%s", r.err);
	run_release(&r);
	f = fopen(idx, "r");
	cr_assert_not_null(f);
	cr_expect_gt(fread(after, 1, sizeof(after) - 1, f), 0);
	fclose(f);
	cr_expect_str_eq(before, after, "untouched");
}

static bool is_json_file(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);

	json_decref(j);
	return j != NULL;
}

/* Every file in DIR is a complete, readable snapshot or index; returns the
 * number of snapshots. */
static int check_series_dir(const char *dir, int round)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int snaps = 0;

	if (!d)  /* killed before the directory was made */
		return 0;
	while ((e = readdir(d))) {
		char path[300];
		struct report r;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strstr(e->d_name, ".pb.gz")) {
			cr_expect_eq(pprof__read_file(path, &r), 0, "round %d: '%s' unreadable", round,
				     e->d_name);
			report__release(&r);
			snaps++;
		} else {
			cr_expect(strstr(e->d_name, "index.json") && is_json_file(path),
				  "round %d: '%s' is neither a whole snapshot nor a whole index",
				  round, e->d_name);
		}
	}
	closedir(d);
	return snaps;
}

/* kill -9 at random moments of a record whose writes are slowed down (the
 * store's test hook), 20 times in a row: each file is whole or absent. */
Test(snapshot_e2e, kill9_leaves_only_complete_files, .timeout = 300)
{
	char *targv[] = { TARGET("leaky_server"), "0", "200", NULL };
	char pid[16], dir[200];
	char *argv[] = { SEEP_BIN, "record", "-s", "1", "-p", pid, "--every", "0.05", "--out", dir, NULL };
	int go, total = 0, rounds_with_snaps = 0;
	pid_t target = target_start(targv, &go);

	target_go(go);
	snprintf(pid, sizeof(pid), "%d", target);
	setenv("SEEP_STORE_WRITE_DELAY_US", "3000", 1);
	srand((unsigned)time(NULL));
	for (int round = 0; round < 20; round++) {
		struct bg b;
		struct run r;
		int n;

		snprintf(dir, sizeof(dir), "%s/kill-%02d", tmp, round);
		cr_assert_eq(bg_start(argv, &b), 0, "round %d: seep did not start: %s", round, b.err);
		usleep(150000 + (useconds_t)(rand() % 600000));
		kill(b.pid, SIGKILL);
		bg_finish(&b, &r);
		cr_expect_eq(r.status, 128 + SIGKILL, "round %d: killed, not exited: %s", round,
			     r.err);
		run_release(&r);
		n = check_series_dir(dir, round);
		total += n;
		rounds_with_snaps += n > 0;
	}
	unsetenv("SEEP_STORE_WRITE_DELAY_US");
	kill(target, SIGKILL);
	target_wait(target);
	cr_expect_geq(rounds_with_snaps, 15, "most rounds wrote snapshots before the kill");
	cr_log_info("kill -9 x20: %d complete snapshots, no partial file", total);
}

/* A tiny file system: record fails with a clear error, and what it wrote
 * before is whole. */
E2E(record_refuses_a_full_disk)
{
	char *mnt = path_in("tiny"), *dir = path_in("tiny/series");
	struct run r;

	cr_assert_eq(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=12k")) {
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
		return;
	}
	record(dir, "0.1", "5", &r);
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "No space left on device (disk full)") != NULL, "%s", r.err);
	cr_expect(strchr(r.err, '\n') && strstr(r.err, "seep: cannot write '"), "%s", r.err);
	run_release(&r);
	check_series_dir(dir, 0);
	cr_expect_eq(umount(mnt), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Broken inputs: one clear error line, exit 1. */
E2E(diff_refuses_broken_profiles)
{
	static const struct {
		const char *name, *why;
		int cut;                 /* bytes kept of a good file; -1: replaced */
		const char *content;
	} cases[] = {
		{ "empty.pb.gz", "empty file", 0, NULL },
		{ "truncated.pb.gz", "truncated gzip data", 300, NULL },
		{ "text.txt", "not a pprof profile", -1, "hello, world\n" },
		{ "cpu.json", "not a pprof profile", -1, "{\"type\": \"cpu\"}\n" },
	};
	char *good = path_in("good.pb.gz");
	char buf[65536];
	size_t len;
	FILE *f;

	snapshot_of_leak(good);
	f = fopen(good, "rb");
	cr_assert_not_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_gt(len, 300);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = path_in(cases[i].name);
		char *argv[] = { SEEP_BIN, "diff", good, bad, NULL };
		char want[300];
		struct run r;

		if (cases[i].cut >= 0)
			write_bytes(bad, buf, (size_t)cases[i].cut);
		else
			write_bytes(bad, cases[i].content, strlen(cases[i].content));
		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1, "%s: exit %d", cases[i].name, r.status);
		snprintf(want, sizeof(want), "seep: cannot read profile '%s': %s", bad, cases[i].why);
		cr_expect(!strncmp(r.err, want, strlen(want)), "%s: %s", cases[i].name, r.err);
		cr_expect_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line");
		cr_expect_str_eq(r.out, "", "nothing on stdout");
		run_release(&r);
	}
	/* corrupted: bytes flipped in the middle of the compressed data */
	for (size_t i = 40; i < len - 20; i += 5)
		buf[i] ^= 0x77;
	write_bytes(path_in("corrupt.pb.gz"), buf, len);
	{
		char *argv[] = { SEEP_BIN, "diff", good, path_in("corrupt.pb.gz"), NULL };
		struct run r;

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1);
		cr_expect(strstr(r.err, "corrupted") != NULL, "%s", r.err);
		cr_expect_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line");
		run_release(&r);
	}
}

E2E(folded_output_of_snapshot_and_trace)
{
	char *snap[] = { SEEP_BIN, "snapshot", "-s", "1", "-c", LEAK, "-f", "folded", NULL };
	char *trace[] = { SEEP_BIN, "trace", "-s", "1", "-c", LEAK, "-f", "folded", NULL };
	char *const *cmds[] = { snap, trace };

	for (int i = 0; i < 2; i++) {
		struct run r;
		char stack[512];
		long value;

		must_run(cmds[i], &r);
		cr_assert_eq(sscanf(r.out, "%511s %ld", stack, &value), 2, "%s", r.out);
		cr_expect(strstr(stack, "main;handle_request;xstrdup;malloc") != NULL, "%s", stack);
		cr_expect_eq(value, 300 * 1024);
		run_release(&r);
	}
}

E2E(usage_errors_exit_2)
{
	char *no_out[] = { SEEP_BIN, "snapshot", "-s", "1", "-p", "1", NULL };
	char *no_target[] = { SEEP_BIN, "record", "--every", "1", "--out", "/tmp/x", NULL };
	char *diff_none[] = { SEEP_BIN, "diff", NULL };
	char *bad_fmt[] = { SEEP_BIN, "diff", "a", "b", "-f", "xml", NULL };
	char *const *cmds[] = { no_out, no_target, diff_none, bad_fmt };

	for (size_t i = 0; i < 4; i++) {
		struct run r;

		run_cmd(cmds[i], NULL, &r);
		cr_expect_eq(r.status, 2, "%s %s: %s", cmds[i][1], cmds[i][2] ? cmds[i][2] : "",
			     r.err);
		cr_expect(!strncmp(r.err, "seep: ", 6), "%s", r.err);
		run_release(&r);
	}
}
