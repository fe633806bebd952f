/* End to end: the one error path of every command. Each command runs the
 * built seep on bad input — a pid that does not exist, a missing or broken
 * file, a bad option or value — three ways: with --format json before the
 * rest, with it after the rest (after the bad option), and without it.
 * With JSON, stdout must be exactly one JSON object with a non-empty
 * string "error" (and the error not repeated on stderr); without, stdout
 * is empty and stderr one line starting "seep: ". Exit 1 for a runtime
 * failure, 2 for a usage error. (Root: trace, snapshot and record load
 * the tracer before they look for the pid.) */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/cli.h"
#include "scratch.h"
#include "testlib.h"

#define NOPID "999999999"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "cli-errors"), 0);
}

static void teardown(void)
{
	cr_assert_eq(scratch__rmrf(dir), 0);
}

TestSuite(cli_errors, .init = setup, .fini = teardown, .timeout = 120);

/* DIR/NAME, in a static buffer of its own (up to 8 at once). */
static const char *path_in(const char *name)
{
	static char paths[8][160];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* Writes DIR/NAME (its folder made if need be); returns its path. */
static const char *put(const char *name, const char *text)
{
	const char *slash = strchr(name, '/');
	char p[160];

	if (slash) {
		snprintf(p, sizeof(p), "%s/%.*s", dir, (int)(slash - name), name);
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s", p);
	}
	cr_assert_eq(scratch__put(p, sizeof(p), dir, name, text), 0);
	return path_in(name);
}

/* DIR/NAME: the gzip of TEXT cut to half its length. */
static const char *truncated_gzip(const char *name, const char *text)
{
	const char *p = path_in(name);
	char buf[8192];
	size_t len;
	gzFile gz = gzopen(p, "wb");
	FILE *f;

	cr_assert_not_null(gz);
	for (int i = 0; i < 200; i++)
		cr_assert_gt(gzputs(gz, text), 0);
	cr_assert_eq(gzclose(gz), Z_OK);
	f = fopen(p, "rb");
	cr_assert_not_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_gt(len, 40);
	f = fopen(p, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len / 2, f), len / 2);
	fclose(f);
	return p;
}

struct bad {
	const char *what;
	const char *args[12];    /* after the command's name, NULL-terminated */
	int status;
	bool text_only;          /* the bad value is --format's own: JSON cannot be asked for */
};

enum json_at { JSON_NONE, JSON_FIRST, JSON_LAST };

static void run_case(const char *cmd, const struct bad *c, enum json_at at, struct run *r)
{
	char *argv[20] = { SEEP_BIN, (char *)cmd };
	int n = 2;

	if (at == JSON_FIRST) {
		argv[n++] = "--format";
		argv[n++] = "json";
	}
	for (int i = 0; c->args[i]; i++)
		argv[n++] = (char *)c->args[i];
	if (at == JSON_LAST) {
		argv[n++] = "--format";
		argv[n++] = "json";
	}
	argv[n] = NULL;
	run_cmd(argv, NULL, r);
}

static void check_json(const char *cmd, const struct bad *c, enum json_at at)
{
	const char *where = at == JSON_FIRST ? "json first" : "json last";
	json_error_t jerr;
	const char *msg;
	struct run r;
	json_t *j;

	run_case(cmd, c, at, &r);
	cr_expect_eq(r.status, c->status, "%s %s (%s): exit %d, want %d; stdout: %s stderr: %s",
		     cmd, c->what, where, r.status, c->status, r.out, r.err);
	/* json_loads refuses anything after the one value */
	j = json_loads(r.out, 0, &jerr);
	cr_expect(json_is_object(j), "%s %s (%s): stdout is not one JSON object (%s): '%s'", cmd,
		  c->what, where, jerr.text, r.out);
	msg = json_string_value(json_object_get(j, "error"));
	cr_expect(msg && *msg, "%s %s (%s): no error string: '%s'", cmd, c->what, where, r.out);
	if (msg && *msg)
		cr_expect_null(strstr(r.err, msg), "%s %s (%s): the error is on stderr too: %s", cmd,
			       c->what, where, r.err);
	json_decref(j);
	run_release(&r);
}

static void check_text(const char *cmd, const struct bad *c)
{
	const char *nl;
	struct run r;

	run_case(cmd, c, JSON_NONE, &r);
	cr_expect_eq(r.status, c->status, "%s %s (text): exit %d, want %d; stderr: %s", cmd,
		     c->what, r.status, c->status, r.err);
	cr_expect_str_eq(r.out, "", "%s %s (text): nothing on stdout", cmd, c->what);
	cr_expect(!strncmp(r.err, "seep: ", 6), "%s %s (text): '%s'", cmd, c->what, r.err);
	nl = strchr(r.err, '\n');
	cr_expect(nl && !nl[1], "%s %s (text): one line on stderr: '%s'", cmd, c->what, r.err);
	run_release(&r);
}

static void check_all(const char *cmd, const struct bad *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!cases[i].text_only) {
			check_json(cmd, &cases[i], JSON_FIRST);
			check_json(cmd, &cases[i], JSON_LAST);
		}
		check_text(cmd, &cases[i]);
	}
}

#define CHECK_ALL(cmd, cases) check_all(cmd, cases, sizeof(cases) / sizeof(cases[0]))

Test(cli_errors, trace)
{
	const struct bad cases[] = {
		{ "missing pid", { "-p", NOPID, "-d", "1" }, 1 },
		{ "missing program", { "-c", "/nonexistent/program" }, 1 },
		{ "unknown option", { "-p", "1", "--bogus" }, 2 },
		{ "bad pid", { "-p", "abc" }, 2 },
		{ "bad interval", { "-p", "1", "-i", "0.01" }, 2 },
		{ "-p and -c", { "-p", "1", "-c", "true" }, 2 },
		{ "stray argument", { "-p", "1", "stray" }, 2 },
		{ "bad format", { "-p", "1", "-f", "xml" }, 2, true },
		{ "missing value", { "-p" }, 2, true },
	};

	CHECK_ALL("trace", cases);
}

Test(cli_errors, snapshot)
{
	const struct bad cases[] = {
		{ "missing pid", { "-p", NOPID, "-o", path_in("a.pb.gz") }, 1 },
		{ "missing program", { "-c", "/nonexistent/program", "-o", path_in("b.pb.gz") }, 1 },
		{ "unknown option", { "-p", "1", "--bogus", "-o", path_in("c.pb.gz") }, 2 },
		{ "bad sample size", { "-p", "1", "-s", "0", "-o", path_in("d.pb.gz") }, 2 },
		{ "two pids", { "-p", "1", "-p", "2", "-o", path_in("e.pb.gz") }, 2 },
		{ "no output file for pprof", { "-p", "1", "-f", "pprof" }, 2, true },
		{ "bad format", { "-p", "1", "-f", "svg" }, 2, true },
	};

	CHECK_ALL("snapshot", cases);
}

Test(cli_errors, record)
{
	const char *existing = put("not-empty/file", "x");
	const struct bad cases[] = {
		{ "missing pid", { "-p", NOPID, "--every", "1", "--out", path_in("s1") }, 1 },
		{ "missing program", { "-c", "/nonexistent/program", "--every", "1", "--out",
				       path_in("s2") }, 1 },
		{ "existing directory", { "-p", "1", "--every", "1", "--out", dir }, 1 },
		{ "out under a file", { "-p", "1", "--every", "1", "--out", existing }, 1 },
		{ "unknown option", { "-p", "1", "--every", "1", "--bogus", "--out", path_in("s3") }, 2 },
		{ "bad interval", { "-p", "1", "--every", "0", "--out", path_in("s4") }, 2 },
		{ "no interval", { "-p", "1", "--out", path_in("s5") }, 2 },
	};

	CHECK_ALL("record", cases);
}

Test(cli_errors, diff)
{
	const char *garbage = put("garbage.pb.gz", "hello, world\n");
	const char *cut = truncated_gzip("cut.pb.gz", "not a profile, but gzip all the same\n");
	const char *empty = put("empty.pb.gz", "");
	const struct bad cases[] = {
		{ "missing file", { "/nonexistent/a.pb.gz", garbage }, 1 },
		{ "garbage file", { garbage, garbage }, 1 },
		{ "truncated gzip", { cut, cut }, 1 },
		{ "empty file", { empty, empty }, 1 },
		{ "not a series", { garbage }, 1 },
		{ "unknown option", { "--bogus", garbage, garbage }, 2 },
		{ "bad top", { "-n", "-1", garbage, garbage }, 2 },
		{ "no profiles", { NULL }, 2 },
		{ "bad format", { "-f", "xml", garbage, garbage }, 2, true },
	};

	CHECK_ALL("diff", cases);
}

Test(cli_errors, report)
{
	const struct bad cases[] = {
		{ "missing directory", { "/nonexistent/series" }, 1 },
		{ "not a series", { dir }, 1 },
		{ "broken snapshot", { "--no-chart", path_in("broken") }, 1 },
		{ "unknown option", { "--bogus", dir }, 2 },
		{ "bad top", { "-n", "0", dir }, 2 },
		{ "two directories", { dir, dir }, 2 },
	};

	/* a valid index naming the one snapshot: the snapshot is what is broken */
	put("broken/index.json",
	    "{\"format\": \"seep-series\", \"version\": 1, \"pid\": 1, \"comm\": \"x\","
	    " \"command\": \"\", \"every_s\": 1, \"started\": 0, \"snapshots\": [{\"file\":"
	    " \"snap-000001.pb.gz\", \"time\": 0, \"elapsed_s\": 0, \"total_bytes\": 0,"
	    " \"total_count\": 0, \"stacks\": 0, \"size\": 16}]}\n");
	put("broken/snap-000001.pb.gz", "not gzip at all\n");
	CHECK_ALL("report", cases);

	struct run r;
	run_case("report", &cases[2], JSON_NONE, &r);
	cr_expect(strstr(r.err, "snap-000001.pb.gz"), "the error names the broken snapshot: %s",
		  r.err);
	run_release(&r);
}

Test(cli_errors, detect)
{
	const char *garbage = put("garbage.csv", "timestamp,value\n0,1\n300,oops\n");
	const char *cut = truncated_gzip("cut.csv.gz", "1600000000,1\n1600000300,2\n");
	const struct bad cases[] = {
		{ "missing file", { "/nonexistent/series.csv" }, 1 },
		{ "garbage file", { garbage }, 1 },
		{ "truncated gzip", { cut }, 1 },
		{ "unknown option", { "--bogus", garbage }, 2 },
		{ "bad duration", { "--critical", "soon", garbage }, 2 },
		{ "bad algorithm", { "-a", "nope", garbage }, 2 },
		{ "no file", { NULL }, 2 },
	};

	CHECK_ALL("detect", cases);
}

Test(cli_errors, contrast)
{
	const char *broken = put("broken.csv", "Status,App\nleak,APP1\nok,\"APP2\n");
	const char *cut = truncated_gzip("cut.csv.gz", "Status,App\nleak,APP1\nok,APP2\n");
	const struct bad cases[] = {
		{ "missing file", { "/nonexistent/data.csv", "--class-col", "Status", "--target",
				    "leak" }, 1 },
		{ "broken file", { broken, "--class-col", "Status", "--target", "leak" }, 1 },
		{ "truncated gzip", { cut, "--class-col", "Status", "--target", "leak" }, 1 },
		{ "missing column", { broken, "--class-col", "State", "--target", "leak" }, 1 },
		{ "unknown option", { broken, "--bogus", "--class-col", "Status", "--target",
				      "leak" }, 2 },
		{ "bad value", { broken, "--class-col", "Status", "--target", "leak", "--top",
				 "0" }, 2 },
		{ "no target", { broken, "--class-col", "Status" }, 2 },
	};

	CHECK_ALL("contrast", cases);
}

/* A loopback HTTP server answering every request with STATUS and BODY
 * until killed; *PORT is its port. */
static pid_t http_server(int status, const char *body, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	pid = fork();
	if (pid == 0) {
		for (;;) {
			int c = accept(fd, NULL, NULL);
			char req[4096], head[256];
			int n;

			if (c < 0)
				continue;
			if (read(c, req, sizeof(req)) > 0) {
				n = snprintf(head, sizeof(head),
					     "HTTP/1.0 %d X\r\nContent-Type: application/json\r\n"
					     "Content-Length: %zu\r\n\r\n", status, strlen(body));
				if (write(c, head, (size_t)n) == n)
					(void)!write(c, body, strlen(body));
			}
			close(c);
		}
	}
	close(fd);
	return pid;
}

Test(cli_errors, fleet)
{
	static char garbage[64], empty[64], notfound[64], refused[64] = "http://127.0.0.1:1";
	int pg, pe, pn;
	pid_t g = http_server(200, "this is not JSON", &pg);
	pid_t e = http_server(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
				   "\"result\":[]}}", &pe);
	pid_t n = http_server(404, "404 page not found", &pn);
	const char *badline = put("bad.jsonl", "{\"metric\":{},\"values\":[1],\"timestamps\":[1]}\n{oops\n");
	const char *other = put("other.jsonl", "{\"metric\":{\"__name__\":\"up\"},\"values\":[1],"
					       "\"timestamps\":[1700000000000]}\n");
	const struct bad cases[] = {
		{ "without a source", { "--range", "1h", NULL }, 2 },
		{ "with two sources", { "--prometheus", refused, "--input", other, NULL }, 2 },
		{ "with a bad range", { "--input", other, "--range", "soon", NULL }, 2 },
		{ "with a bad step", { "--input", other, "--step", "-1", NULL }, 2 },
		{ "with a bad selector", { "--input", other, "--selector", "job=seep", NULL }, 2 },
		{ "with a stray argument", { "--input", other, "extra", NULL }, 2 },
		{ "on an unreachable Prometheus", { "--prometheus", refused, NULL }, 1 },
		{ "on an unreachable VictoriaMetrics", { "--victoriametrics", refused, NULL }, 1 },
		{ "on an answer that is not JSON", { "--prometheus", garbage, NULL }, 1 },
		{ "on an export that is not JSON", { "--victoriametrics", garbage, NULL }, 1 },
		{ "on an empty result", { "--prometheus", empty, NULL }, 1 },
		{ "on a 404", { "--victoriametrics", notfound, NULL }, 1 },
		{ "on a broken export file", { "--input", badline, NULL }, 1 },
		{ "on an export file without seep's series", { "--input", other, NULL }, 1 },
		{ "on a missing export file", { "--input", path_in("nonexistent.jsonl"), NULL }, 1 },
	};

	snprintf(garbage, sizeof(garbage), "http://127.0.0.1:%d", pg);
	snprintf(empty, sizeof(empty), "http://127.0.0.1:%d/", pe);
	snprintf(notfound, sizeof(notfound), "http://127.0.0.1:%d", pn);
	CHECK_ALL("fleet", cases);
	kill(g, SIGKILL);
	kill(e, SIGKILL);
	kill(n, SIGKILL);
	waitpid(g, NULL, 0);
	waitpid(e, NULL, 0);
	waitpid(n, NULL, 0);
}

/* A daemon that takes the connection and never answers: status gives up
 * after --timeout and says so (not "Resource temporarily unavailable"),
 * for the status query and for --snapshot, as text and as JSON. */
Test(cli_errors, status_timeout)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char listen_at[32], want[96];
	const char *extra[] = { NULL, "--snapshot" };

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* listening, never accepting: the kernel completes the handshake */
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", ntohs(sa.sin_port));
	snprintf(want, sizeof(want), "the daemon at '%s' did not answer within 0.5 s", listen_at);
	for (size_t i = 0; i < 2; i++) {
		char *argv[] = { SEEP_BIN, "status", "--listen", listen_at, "--timeout", "0.5",
				 (char *)extra[i], "1", NULL };
		char *jargv[] = { SEEP_BIN, "status", "--format", "json", "--listen", listen_at,
				  "--timeout", "0.5", (char *)extra[i], "1", NULL };
		struct run r;
		json_t *j;

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 1, "%s", r.err);
		cr_expect_str_eq(r.out, "");
		cr_expect(strstr(r.err, want) && !strchr(strchr(r.err, '\n') + 1, '\n'),
			  "case %zu: '%s'", i, r.err);
		run_release(&r);
		run_cmd(jargv, NULL, &r);
		cr_expect_eq(r.status, 1, "%s", r.err);
		j = json_loads(r.out, 0, NULL);
		cr_expect_str_eq(json_string_value(json_object_get(j, "error")) ?: "", want,
				 "case %zu: %s", i, r.out);
		json_decref(j);
		run_release(&r);
	}
	close(fd);
}

Test(cli_errors, unknown_command)
{
	char *argv[] = { SEEP_BIN, "frobnicate", NULL };
	struct run r;

	run_cmd(argv, NULL, &r);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect(!strncmp(r.err, "seep: unknown command 'frobnicate'", 34), "%s", r.err);
	run_release(&r);
}

/* The report-tick policy (README, --interval): ticks at start + k * step;
 * a late report skips the ticks it missed and keeps the phase. */
Test(cli_ticks, late_ticks_are_skipped_in_phase)
{
	static const struct {
		uint64_t next, step, now, want;
	} cases[] = {
		{ 100, 10, 50, 100 },    /* early: the tick stays */
		{ 100, 10, 100, 110 },   /* on time */
		{ 100, 10, 105, 110 },   /* a little late */
		{ 100, 10, 110, 120 },   /* exactly one step late: not 110 again */
		{ 100, 10, 137, 140 },   /* three ticks missed: no burst, same phase */
		{ 100, 0, 500, 100 },    /* no step: no ticks to move */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = cli__next_tick(cases[i].next, cases[i].step, cases[i].now);

		cr_expect_eq(got, cases[i].want, "case %zu: %llu", i, (unsigned long long)got);
		if (cases[i].step) {
			cr_expect(got > cases[i].now, "case %zu: ahead of now", i);
			cr_expect_eq((got - cases[i].next) % cases[i].step, 0, "case %zu: in phase", i);
		}
	}
}
