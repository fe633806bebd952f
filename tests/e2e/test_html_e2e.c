/* End to end (root): the HTML report in a real browser, Debian's chromium
 * headless. `seep record` on a leaker, `seep diagnose --html`, the page
 * loaded from file://: no console message at all (no script error, no
 * blocked load), the script ran (data-rendered) and drew the charts (the
 * heap's path through every snapshot, the leak window, a line per top
 * stack, the flame graph's frames), the leaking function is in the DOM.
 * Names that look like markup leave the page intact. The daemon serves a
 * collection's page at /api/collections/ID/report.html: the same checks
 * over HTTP. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diagnose/diagnosis.h"
#include "diagnose/html.h"
#include "diagnose/stackcontrast.h"
#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

#define CHROMIUM "/usr/bin/chromium"

static char dir[64];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "html"), 0);
	cr_assert_eq(access(CHROMIUM, X_OK), 0, "no %s (tools/setup.sh installs chromium)", CHROMIUM);
}

static void teardown(void)
{
	procs_kill_all();
	scratch__rmrf(dir);
}

TestSuite(html_e2e, .init = setup, .fini = teardown);

static pid_t track(pid_t pid)
{
	return procs_track(pid);
}

/* Loads URL in chromium headless: R gets the DOM after the scripts ran
 * (out) and chromium's log (err); with SHOT, a screenshot there too. */
static void browse(const char *url, const char *shot, struct run *r)
{
	char profile[128], shot_arg[192];
	char *argv[24] = { "/usr/bin/timeout", "90", CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
			   "--disable-quic", "--no-first-run", "--disable-background-networking",
			   "--disable-component-update", "--disable-sync", profile,
			   "--enable-logging=stderr", "--v=0", "--window-size=1200,2400" };
	int n = 15;

	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", dir);
	if (shot) {
		snprintf(shot_arg, sizeof(shot_arg), "--screenshot=%s", shot);
		argv[n++] = shot_arg;
	} else {
		argv[n++] = "--dump-dom";
	}
	argv[n++] = (char *)url;
	argv[n] = NULL;
	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "chromium failed (%d): %s", r->status, r->err);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The part of DOM from the element with id ID to the next id="...". */
static char *section(const char *dom, const char *id)
{
	char key[64];
	const char *a, *b;

	snprintf(key, sizeof(key), "id=\"%s\"", id);
	a = strstr(dom, key);
	cr_assert_not_null(a, "no #%s in the DOM", id);
	b = strstr(a + strlen(key), " id=\"");
	return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

/* Every console line chromium logged (an error, a warning, a blocked
 * load): none is expected. */
static void expect_quiet_console(const struct run *r)
{
	const char *line = strstr(r->err, ":CONSOLE");

	cr_expect_null(line, "the page logged to the console: %.300s", line ? line : "");
}

/* The script ran and drew: SNAPSHOTS points on the heap's line, LINES
 * lines of top stacks, at least FRAMES frames in the flame graph; the leak
 * window and the leaks' line when WINDOW is 1, neither when 0, either
 * when -1. */
static void expect_rendered(const char *dom, size_t snapshots, size_t lines, size_t frames,
			    int window)
{
	char *heap = section(dom, "heap-chart"), *top = section(dom, "lines-chart"),
	     *flame = section(dom, "flame"), *d;

	cr_expect_not_null(strstr(dom, "<body data-rendered=\"1\">"), "the script did not finish");
	cr_expect_not_null(strstr(dom, "<html lang=\"en\">"), "a script error: %.300s",
			   strstr(dom, "<html") ? strstr(dom, "<html") : dom);
	if (window < 0)
		window = count(heap, "class=\"leakwin\"") > 0;
	cr_expect_eq(count(heap, "class=\"series\""), window ? 2 : 1, "the heap and the leaks");
	d = strstr(heap, "<path d=\"M");
	cr_assert_not_null(d, "the heap chart has no path");
	d = strndup(d, (size_t)(strchr(d + 9, '"') - d));
	cr_expect_geq(count(d, "L"), snapshots - 1, "the heap's path misses snapshots");
	free(d);
	cr_expect_eq(count(heap, "<circle"), snapshots, "one point per snapshot");
	cr_expect_eq(count(heap, "class=\"leakwin\""), window ? 1 : 0);
	cr_expect_eq(count(top, "class=\"series\""), lines);
	cr_expect_geq(count(flame, "<rect"), frames);
	cr_expect_eq(count(flame, "<rect"), count(flame, "<title>"), "a hover title per frame");
	free(heap);
	free(top);
	free(flame);
}

static json_t *run_json(char *const argv[])
{
	struct run r;
	json_t *j;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "%s failed (%d): %s %s", argv[1], r.status, r.out, r.err);
	j = json_line(r.out, 0);
	cr_assert_not_null(j, "%s", r.out);
	run_release(&r);
	return j;
}

Test(html_e2e, diagnose_html_renders_in_chromium, .timeout = 180)
{
	char series[128], page[160], url[192], shot[160];
	char *rec[] = { SEEP_BIN, "record", "-s", "1", "-c", TARGET("leaky_server") " 0 2000",
			"--every", "0.5", "-d", "8", "--out", series, NULL };
	char *diag[] = { SEEP_BIN, "diagnose", series, "--format", "json", "--html", page, NULL };
	struct run r;
	struct stat st;
	json_t *j;
	size_t snaps, stacks;

	snprintf(series, sizeof(series), "%s/series", dir);
	snprintf(page, sizeof(page), "%s/report.html", dir);
	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(shot, sizeof(shot), "%s/report.png", dir);
	run_cmd(rec, NULL, &r);
	cr_assert_eq(r.status, 0, "record failed (%d): %s", r.status, r.err);
	run_release(&r);
	j = run_json(diag);
	snaps = (size_t)json_integer_value(json_object_get(j, "snapshots"));
	stacks = (size_t)json_integer_value(json_object_get(j, "stacks_total"));
	cr_assert_geq(snaps, 10);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "stacks"), 0),
							   "function")), "xstrdup");
	json_decref(j);

	browse(url, NULL, &r);
	expect_quiet_console(&r);
	expect_rendered(r.out, snaps, stacks < HTML_LINES ? stacks : HTML_LINES, 5, 1);
	cr_expect_not_null(strstr(r.out, "<b>xstrdup</b>"), "the top stack's function");
	{
		char *pat = section(r.out, "patterns");

		cr_expect_not_null(strstr(pat, "{function=xstrdup}"), "the first pattern");
		free(pat);
	}
	run_release(&r);
	browse(url, shot, &r);
	cr_expect_eq(stat(shot, &st), 0, "no screenshot");
	cr_expect_gt(st.st_size, 20000, "a screenshot of %lld bytes is a blank page",
		     (long long)st.st_size);
	run_release(&r);
}

#define HOSTILE "</script><img src=x onerror=alert(1)><script>document.title='pwned'</script>"

static struct stack_frame leak_frames[] = {
	{ .function = "malloc", .module = "/lib/libc.so.6" },
	{ .function = HOSTILE, .module = "/opt/lib<x>.so", .file = "a<b>&c.c", .line = 7 },
	{ .function = "std::map<int, a&b>::operator[]", .module = "/opt/lib<x>.so" },
	{ .function = "__proto__", .module = "/usr/bin/app" },
	{ .function = "main", .module = "/usr/bin/app" },
};

Test(html_e2e, markup_in_names_leaves_the_page_intact, .timeout = 120)
{
	enum { N = 12 };	/* a tail of 6: Mann-Kendall can say p < 0.01 */
	struct report_stack st[N];
	struct report rep[N];
	const struct report *snaps[N];
	double t[N];
	struct diagnosis d;
	struct stackcontrast *sc;
	char page[160], url[192], msg[256];
	struct run r;
	FILE *f;

	for (int i = 0; i < N; i++) {
		st[i] = (struct report_stack){ .bytes = 8192 * (uint64_t)(i + 1), .count = (uint64_t)i + 1,
					       .oldest_age_s = i, .nframes = 5, .frames = leak_frames };
		rep[i] = (struct report){ .pid = 7, .nstacks = 1, .stacks = &st[i], .sample_bytes = 1 };
		snprintf(rep[i].comm, sizeof(rep[i].comm), "<i>x&y");
		snaps[i] = &rep[i];
		t[i] = i;
	}
	cr_assert_eq(diagnosis__run(snaps, t, N, false, &d, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(stackcontrast__from_diagnosis(&d, NULL, 5, &sc), 0);
	snprintf(page, sizeof(page), "%s/hostile.html", dir);
	snprintf(url, sizeof(url), "file://%s", page);
	f = fopen(page, "w");
	cr_assert_not_null(f);
	cr_assert_eq(html__write(&(struct html_input){ .d = &d, .sc = sc, .title = "<u>t</u>",
						       .top = 10 }, f), 0);
	cr_assert_eq(fclose(f), 0);
	stackcontrast__free(sc);
	diagnosis__release(&d);

	browse(url, NULL, &r);
	expect_quiet_console(&r);
	expect_rendered(r.out, N, 1, 6, 1);
	cr_expect_not_null(strstr(r.out, "<title>seep diagnose: &lt;i&gt;x&amp;y</title>"),
			   "the title stays");
	cr_expect_eq(count(r.out, "<script"), 2, "no script injected");
	cr_expect_eq(count(r.out, "<img"), 0, "no element injected");
	cr_expect_null(strstr(r.out, "<u>t</u>"));
	cr_expect_geq(count(r.out, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"), 3,
		      "the name shows as text: the table, the line's legend, the flame graph");
	cr_expect_not_null(strstr(r.out, "__proto__"), "a frame named __proto__ is drawn");
	run_release(&r);
}

/* ---- the daemon's page ---------------------------------------------------- */

static char *curl(const char *method, const char *url)
{
	char *argv[] = { "/usr/bin/curl", "-s", "-X", (char *)method, (char *)url, NULL };
	struct run r;
	char *out;

	run_cmd(argv, NULL, &r);
	out = strdup(r.out ? r.out : "");
	run_release(&r);
	return out;
}

Test(html_e2e, the_daemon_serves_a_collections_page, .timeout = 180)
{
	char listen[64], store[128], err_path[128], url[192], *body;
	char *leaker_argv[] = { TARGET("leaky_server"), "0", "2000", NULL };
	int port = free_port(), go, st;
	pid_t leaker, dmn;
	json_t *j = NULL, *c = NULL;
	uint64_t id = 0;
	size_t nsnaps, nlines;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/daemon.err", dir);
	leaker = track(target_start(leaker_argv, &go));
	target_go(go);
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", listen,
				 "--set", "collect.top_k=0", "--set", "reference.every=0",
				 "--set", "trigger.psi=", "--set", "collect.every=1s",
				 "--set", "collect.snapshots=12", "--set", "collect.sample_bytes=4096",
				 "--set", "collect.cpu=10", "--set", "budget.bpf_cpu=0.5",
				 "--set", "budget.cpu=0.5", NULL };

		dmn = daemon_spawn(err_path, NULL, args);
	}
	daemon_wait_ready(dmn, err_path, 60);
	snprintf(url, sizeof(url), "http://%s/api/snapshot?pid=%d", listen, leaker);
	body = curl("POST", url);
	j = json_loads(body, 0, NULL);
	cr_assert_not_null(j, "no collection started: %s", body);
	id = (uint64_t)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	free(body);
	snprintf(url, sizeof(url), "http://%s/api/collections", listen);
	for (int i = 0; i < scaled_tries(120) && !c; i++) {
		size_t k;
		json_t *e;

		body = curl("GET", url);
		j = json_loads(body, 0, NULL);
		free(body);
		json_array_foreach(json_object_get(j, "collections"), k, e)
			if ((uint64_t)json_integer_value(json_object_get(e, "id")) == id &&
			    !strcmp(json_string_value(json_object_get(e, "state")) ?: "", "complete"))
				c = e;
		if (!c) {
			json_decref(j);
			usleep(250000);
		}
	}
	cr_assert_not_null(c, "the collection did not complete");
	{	/* what the page must show: the series' own diagnosis */
		char *diag[] = { SEEP_BIN, "diagnose", (char *)json_string_value(json_object_get(c, "dir")),
				 "--format", "json", NULL };
		json_t *dj = run_json(diag);

		nsnaps = (size_t)json_integer_value(json_object_get(dj, "snapshots"));
		nlines = (size_t)json_integer_value(json_object_get(dj, "stacks_total"));
		nlines = nlines < HTML_LINES ? nlines : HTML_LINES;
		json_decref(dj);
	}
	cr_expect_geq(nsnaps, 3, "too few snapshots for verdicts");
	json_decref(j);

	snprintf(url, sizeof(url), "http://%s/api/collections/%llu/report.html", listen,
		 (unsigned long long)id);
	{
		struct run r;

		browse(url, NULL, &r);
		expect_quiet_console(&r);
		expect_rendered(r.out, nsnaps, nlines, 5, -1);
		cr_expect_not_null(strstr(r.out, "<b>xstrdup</b>"), "the top stack's function");
		run_release(&r);
	}
	snprintf(url, sizeof(url), "http://%s/api/collections/%llu/report.html", listen,
		 (unsigned long long)id + 1000);
	body = curl("GET", url);
	cr_expect_not_null(strstr(body, "\"error\":\"no such collection\""), "%s", body);
	free(body);
	st = daemon_stop(dmn);
	cr_expect_eq(st, 0, "the daemon exited with %d", st);
}
