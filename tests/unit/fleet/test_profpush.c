/* Unit tests: the profile push (fleet/profpush.h) to loopback Pyroscope
 * and Parca receivers (tests/lib/httpsink). Every field is checked: the
 * path, the query (name with every label, from and until around the
 * snapshot's time, format=pprof), the headers, the body (the pprof file's
 * exact bytes; for Parca, the JSON's labels and the base64 rawProfile
 * decoding to them), and the bytes each store got are read back by
 * `go tool pprof -top`. A snapshot is pushed once; a new one of the same
 * collection is pushed from where the last one ended; a 503 is retried
 * and counted, a 400 is a failure, not retried. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "fleet/profpush.h"
#include "httpsink.h"
#include "scratch.h"
#include "snapshot/pprof.h"
#include "testlib.h"

#define GO "/usr/bin/go"

static char dir[64];
static char *snap[2];
static size_t snap_len[2];
static char snap_path[2][128];

/* Snapshot I of a leak in leak_here (I + 1 MiB), written like a collection's. */
static void write_snapshot(int i)
{
	static const char *const fns[] = { "malloc", "leak_here", "main", NULL };
	struct report r;
	void *buf;
	FILE *f;

	fx_report(&r, 4242, "leaker", 1.7e9 + i);
	fx_stack(&r, (uint64_t)(i + 1) << 20, 100, 0, fns);
	cr_assert_eq(pprof__encode(&r, &(struct pprof_options){ 0 }, &buf, &snap_len[i]), 0);
	report__release(&r);
	snap[i] = buf;
	snprintf(snap_path[i], sizeof(snap_path[i]), "%s/snap-%06d.pb.gz", dir, i + 1);
	f = fopen(snap_path[i], "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(buf, 1, snap_len[i], f), snap_len[i]);
	fclose(f);
}

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "profpush"), 0);
	write_snapshot(0);
	write_snapshot(1);
}

static void teardown(void)
{
	free(snap[0]);
	free(snap[1]);
	scratch__rmrf(dir);
}

TestSuite(profpush, .init = setup, .fini = teardown, .timeout = 120);

static const struct mx_component comps[] = {
	{ .key = "leaker|0123456789abcdef00|app.service", .comm = "leaker",
	  .build_id = "0123456789abcdef00", .unit = "app.service",
	  .cgroup = "/system.slice/app.service", .live = 1 },
};
static const struct mx_proc procs[] = {
	{ .pid = 4242, .start = 77, .comm = "leaker", .component = 0, .anon = 1 << 20 },
};

static struct mx_model model(struct mx_collection *c, size_t nsnaps)
{
	static const char *paths[2];
	struct mx_model m = { .procs = procs, .nprocs = 1, .components = comps, .ncomponents = 1,
			      .collections = c, .ncollections = 1 };

	paths[0] = snap_path[0];
	paths[1] = snap_path[1];
	*c = (struct mx_collection){ .id = 7, .pid = 4242, .start = 77, .comm = "leaker",
				     .trigger = "leak", .pattern = "steady", .state = "running",
				     .started_s = 1.7e9, .snapshots = paths, .nsnapshots = nsnaps };
	return m;
}

static struct profpush *open_pp(struct httpsink *py, struct httpsink *pa, uint32_t retries)
{
	char a[64] = "", b[64] = "", err[256];
	struct profpush_config c = { .pyroscope = a, .parca = b, .app = "seep_heap",
				     .host = "h1", .labels = "dc=lab", .timeout_s = 5,
				     .retries = retries, .backoff_s = 0.05 };
	struct profpush *pp;

	if (py)
		snprintf(a, sizeof(a), "http://127.0.0.1:%d/", httpsink__port(py));
	if (pa)
		snprintf(b, sizeof(b), "http://127.0.0.1:%d", httpsink__port(pa));
	cr_assert_eq(profpush__new(&c, &pp, err, sizeof(err)), 0, "%s", err);
	return pp;
}

static unsigned char *unbase64(const char *s, size_t *len)
{
	size_t n = strlen(s), o = 0;
	unsigned char *out = malloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *p = strchr(tab, s[i]);

		cr_assert(p && *p, "not base64: '%c'", s[i]);
		acc = acc << 6 | (uint32_t)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*len = o;
	return out;
}

/* go tool pprof -top of BYTES: leak_here holds WANT bytes. */
static void pprof_reads(const void *bytes, size_t len, long want)
{
	char path[128], line_fn[64];
	char *argv[] = { GO, "tool", "pprof", "-top", "-unit=B", path, NULL };
	struct run r;
	FILE *f;
	const char *l;
	long flat = -1;

	if (access(GO, X_OK)) {
		cr_log_warn("go is not installed: the pushed bytes are not read back by pprof");
		return;
	}
	snprintf(path, sizeof(path), "%s/received-%ld.pb.gz", dir, want);
	f = fopen(path, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "go tool pprof: %s", r.err);
	cr_expect(strstr(r.out, "Type: inuse_space"), "%s", r.out);
	for (l = r.out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (sscanf(l, " %ldB %*s %*s %*s %*s %63s", &flat, line_fn) == 2 &&
		    !strcmp(line_fn, "malloc"))
			break;
	cr_expect(strstr(r.out, "leak_here"), "leak_here missing: %s", r.out);
	cr_expect_eq(flat, want, "malloc's bytes as pprof reads them: %s", r.out);
	run_release(&r);
}

static void check_pyroscope(const struct httpsink_req *q, int i, double from, double until)
{
	const char *name = httpsink__arg(q, "name");

	cr_expect_str_eq(q->method, "POST");
	cr_expect_str_eq(q->path, "/ingest", "the base URL's slash is not doubled");
	cr_assert(name);
	cr_expect_str_eq(name, "seep_heap{host=h1,comm=leaker,pid=4242,"
			 "component=leaker|0123456789abcdef00|app.service,unit=app.service,"
			 "cgroup=/system.slice/app.service,build_id=0123456789ab,trigger=leak,"
			 "pattern=steady,dc=lab}");
	cr_expect_str_eq(httpsink__arg(q, "format"), "pprof");
	cr_expect_str_eq(httpsink__arg(q, "spyName"), "seep");
	cr_expect_eq(atof(httpsink__arg(q, "from")), from);
	cr_expect_geq(atof(httpsink__arg(q, "until")), until);
	cr_expect_leq(atof(httpsink__arg(q, "until")), until + 120);
	cr_expect_str_eq(httpsink__header(q, "Content-Type"), "application/octet-stream");
	cr_expect(!strncmp(httpsink__header(q, "User-Agent"), "seep/", 5));
	cr_assert_eq(q->len, snap_len[i], "the body is not the snapshot file");
	cr_expect_eq(memcmp(q->body, snap[i], q->len), 0, "the body is not the snapshot file");
}

static void check_parca(const struct httpsink_req *q, int i)
{
	json_t *j = json_loadb(q->body, q->len, 0, NULL), *labels, *samples;
	unsigned char *raw;
	size_t rl, k;
	json_t *l;
	char got[1024] = "";

	cr_expect_str_eq(q->method, "POST");
	cr_expect_str_eq(q->path, "/api/profiles/writeraw");
	cr_expect_str_eq(httpsink__header(q, "Content-Type"), "application/json");
	cr_assert(j, "the body is not JSON: %.*s", (int)q->len, q->body);
	cr_assert_eq(json_array_size(json_object_get(j, "series")), 1);
	labels = json_object_get(json_object_get(json_array_get(json_object_get(j, "series"), 0),
						 "labels"), "labels");
	samples = json_object_get(json_array_get(json_object_get(j, "series"), 0), "samples");
	json_array_foreach(labels, k, l) {
		size_t o = strlen(got);

		snprintf(got + o, sizeof(got) - o, "%s%s=%s", k ? "," : "",
			 json_string_value(json_object_get(l, "name")),
			 json_string_value(json_object_get(l, "value")));
	}
	cr_expect_str_eq(got, "__name__=seep_heap,host=h1,comm=leaker,pid=4242,"
			 "component=leaker|0123456789abcdef00|app.service,unit=app.service,"
			 "cgroup=/system.slice/app.service,build_id=0123456789ab,trigger=leak,"
			 "pattern=steady,dc=lab");
	cr_assert_eq(json_array_size(samples), 1);
	raw = unbase64(json_string_value(json_object_get(json_array_get(samples, 0), "rawProfile")),
		       &rl);
	cr_assert_eq(rl, snap_len[i]);
	cr_expect_eq(memcmp(raw, snap[i], rl), 0, "rawProfile is not the snapshot file");
	pprof_reads(raw, rl, (long)(i + 1) << 20);
	free(raw);
	json_decref(j);
}

Test(profpush, every_field_to_both_stores)
{
	struct httpsink *py = httpsink__new(NULL, 0), *pa = httpsink__new(NULL, 0);
	struct profpush *pp = open_pp(py, pa, 0);
	struct mx_collection c;
	struct mx_model m = model(&c, 1);
	struct profpush_stats st;
	struct stat s0, s1;

	cr_assert_eq(stat(snap_path[0], &s0), 0);
	cr_assert_eq(stat(snap_path[1], &s1), 0);
	cr_assert_eq(profpush__sync(pp, &m, 1.8e9), 0);
	cr_assert_eq(profpush__sync(pp, &m, 1.8e9), 0);	/* nothing new */
	cr_assert_eq(httpsink__wait(py, 1, 10), 1);
	cr_assert_eq(httpsink__wait(pa, 1, 10), 1);
	check_pyroscope(httpsink__req(py, 0), 0, 1.7e9, (double)s0.st_mtim.tv_sec);
	pprof_reads(httpsink__req(py, 0)->body, httpsink__req(py, 0)->len, 1 << 20);
	check_parca(httpsink__req(pa, 0), 0);
	/* the collection's second snapshot: from where the first ended */
	m = model(&c, 2);
	cr_assert_eq(profpush__sync(pp, &m, 1.8e9), 0);
	cr_assert_eq(httpsink__wait(py, 2, 10), 2);
	cr_assert_eq(httpsink__wait(pa, 2, 10), 2);
	/* from: where the first ended (its file's time) */
	check_pyroscope(httpsink__req(py, 1), 1, (double)s0.st_mtim.tv_sec,
			(double)s1.st_mtim.tv_sec);
	check_parca(httpsink__req(pa, 1), 1);
	usleep(200000);
	cr_expect_eq(httpsink__count(py), 2, "a snapshot was pushed twice");
	profpush__stats(pp, &st);
	cr_expect_eq(st.sent, 4);
	cr_expect_eq(st.queued, 2);
	cr_expect_eq(st.failed + st.retried, 0);
	profpush__free(pp);
	httpsink__free(py);
	httpsink__free(pa);
}

Test(profpush, retried_on_503_failed_on_400)
{
	static const unsigned py_st[] = { 503, 503, 200 }, pa_st[] = { 400, 200 };
	struct httpsink *py = httpsink__new(py_st, 3), *pa = httpsink__new(pa_st, 2);
	struct profpush *pp = open_pp(py, pa, 3);
	struct mx_collection c;
	struct mx_model m = model(&c, 1);
	struct profpush_stats st;

	cr_assert_eq(profpush__sync(pp, &m, 1.8e9), 0);
	cr_assert_eq(httpsink__wait(py, 3, 10), 3);
	cr_assert_eq(httpsink__wait(pa, 1, 10), 1);
	for (int i = 0; i < 200; i++) {
		profpush__stats(pp, &st);
		if (st.sent + st.failed == 2)
			break;
		usleep(10000);
	}
	cr_expect_eq(st.sent, 1);
	cr_expect_eq(st.retried, 2);
	cr_expect_eq(st.failed, 1);
	usleep(300000);
	cr_expect_eq(httpsink__count(pa), 1, "a 400 was retried");
	check_pyroscope(httpsink__req(py, 2), 0, 1.7e9, (double)time(NULL) - 60);
	profpush__free(pp);
	httpsink__free(py);
	httpsink__free(pa);
}

Test(profpush, names_base64_and_configuration)
{
	const char *kv[] = { "a", "x,y=z{}", "b", "ok" };
	char name[128], err[256] = "";
	char *b;
	struct profpush *pp;
	struct profpush_config c = { .pyroscope = "gopher://x" };

	cr_assert_eq(profpush__pyroscope_name("app", kv, 4, name, sizeof(name)), 0);
	cr_expect_str_eq(name, "app{a=x_y_z__,b=ok}");
	cr_expect_eq(profpush__pyroscope_name("app", kv, 4, name, 10), -ENAMETOOLONG);
	b = profpush__base64("ab", 2);
	cr_expect_str_eq(b, "YWI=");
	free(b);
	b = profpush__base64("abcd", 4);
	cr_expect_str_eq(b, "YWJjZA==");
	free(b);
	b = profpush__base64("", 0);
	cr_expect_str_eq(b, "");
	free(b);
	cr_expect_eq(profpush__new(&c, &pp, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "'profiles.pyroscope'"), "%s", err);
	c.pyroscope = "http://x";
	c.app = "bad app";
	cr_expect_eq(profpush__new(&c, &pp, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "'profiles.app'"), "%s", err);
	c.app = NULL;
	c.labels = "=x";
	cr_expect_eq(profpush__new(&c, &pp, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "'profiles.labels'"), "%s", err);
}
