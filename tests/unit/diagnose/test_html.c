/* Unit tests for diagnose/html: the page is self-contained, names that
 * look like markup are escaped in the HTML and in the script's data, the
 * data the charts draw is the diagnosis', the daemon's route. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnosis.h"
#include "diagnose/html.h"
#include "diagnose/stackcontrast.h"

#define HOSTILE "</script><script>document.title='pwned'</script>"
#define TEMPLATE "std::map<int, a&b>::operator[]"

static struct stack_frame leak_frames[] = {
	{ .function = "malloc", .module = "/lib/libc.so.6" },
	{ .function = HOSTILE, .module = "/opt/lib<x>.so", .file = "src/a<b>&c.c", .line = 7 },
	{ .function = TEMPLATE, .module = "/opt/lib<x>.so", .file = "m.cc", .line = 3 },
	{ .function = "__proto__", .module = "/usr/bin/app" },
	{ .function = "main", .module = "/usr/bin/app" },
};
static struct stack_frame flat_frames[] = {
	{ .function = "malloc", .module = "/lib/libc.so.6" },
	{ .function = "cache_put", .module = "/usr/bin/app", .file = "app.c", .line = 9 },
	{ .function = "main", .module = "/usr/bin/app" },
};

enum { N = 6 };

struct fixture {
	struct report_stack st[N][2];
	struct report r[N];
	const struct report *snaps[N];
	double t[N];
	struct diagnosis d;
	struct stackcontrast *sc;
	char *page;
	size_t len;
};

static void build(struct fixture *x)
{
	char msg[256];
	FILE *f;

	memset(x, 0, sizeof(*x));
	for (int i = 0; i < N; i++) {
		x->st[i][0] = (struct report_stack){ .bytes = 4096 * (uint64_t)(i + 1),
			.count = (uint64_t)(i + 1), .oldest_age_s = i, .nframes = 5, .frames = leak_frames };
		x->st[i][1] = (struct report_stack){ .bytes = 1000, .count = 1, .oldest_age_s = 0.5,
			.nframes = 3, .frames = flat_frames };
		x->r[i] = (struct report){ .pid = 42, .nstacks = 2, .stacks = x->st[i], .sample_bytes = 1 };
		snprintf(x->r[i].comm, sizeof(x->r[i].comm), "<b>&app");
		x->snaps[i] = &x->r[i];
		x->t[i] = 2.0 * i;
	}
	cr_assert_eq(diagnosis__run(x->snaps, x->t, N, false, &x->d, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(stackcontrast__from_diagnosis(&x->d, NULL, 5, &x->sc), 0);
	f = open_memstream(&x->page, &x->len);
	cr_assert_not_null(f);
	cr_assert_eq(html__write(&(struct html_input){ .d = &x->d, .sc = x->sc,
						       .title = "/tmp/<series>", .top = 10 }, f), 0);
	cr_assert_eq(fclose(f), 0);
}

static void release(struct fixture *x)
{
	free(x->page);
	stackcontrast__free(x->sc);
	diagnosis__release(&x->d);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The script's data, parsed (the caller decrefs). */
static json_t *page_data(const char *page)
{
	static const char open_tag[] = "<script id=\"seep-data\" type=\"application/json\">";
	const char *a = strstr(page, open_tag), *b;
	json_t *j;

	cr_assert_not_null(a, "no data script");
	a += sizeof(open_tag) - 1;
	b = strstr(a, "</script>");
	cr_assert_not_null(b);
	j = json_loadb(a, (size_t)(b - a), 0, NULL);
	cr_assert_not_null(j, "the data is not JSON");
	return j;
}

Test(html, markup_in_names_is_escaped_everywhere)
{
	struct fixture x;
	json_t *j, *f;
	size_t i, found = 0;

	build(&x);
	cr_expect_eq(count(x.page, "<script"), 2, "only the page's own two scripts");
	cr_expect_eq(count(x.page, "</script>"), 2);
	cr_expect_null(strstr(x.page, "pwned'</script>"));
	cr_expect_null(strstr(x.page, "a<b>&c"));
	cr_expect_null(strstr(x.page, "<b>&app"));
	cr_expect_not_null(strstr(x.page, "&lt;/script&gt;&lt;script&gt;document.title=&#39;pwned&#39;"),
			   "the evidence table shows the name as text");
	cr_expect_not_null(strstr(x.page, "src/a&lt;b&gt;&amp;c.c:7"));
	cr_expect_not_null(strstr(x.page, "<title>seep diagnose: &lt;b&gt;&amp;app</title>"));
	cr_expect_not_null(strstr(x.page, "std::map&lt;int, a&amp;b&gt;::operator[]"));
	j = page_data(x.page);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "lines"), 0),
							   "name")), HOSTILE);
	json_array_foreach(json_object_get(json_array_get(json_object_get(j, "flame"), 0), "f"), i, f)
		found += !strcmp(json_string_value(f), HOSTILE) || !strcmp(json_string_value(f), TEMPLATE);
	cr_expect_eq(found, 2, "the flame graph's frames keep the names");
	json_decref(j);
	release(&x);
}

Test(html, self_contained_and_the_data_is_the_diagnosis)
{
	struct fixture x;
	json_t *j, *win;

	build(&x);
	cr_expect_null(strstr(x.page, " src="), "nothing loaded from elsewhere");
	cr_expect_null(strstr(x.page, " href="));
	cr_expect_null(strstr(x.page, "https://"));
	cr_expect_eq(count(x.page, "http://"), 1, "only the SVG namespace");
	cr_expect_not_null(strstr(x.page, "default-src 'none'"), "a policy that forbids loads");
	cr_expect_eq(count(x.page, "<tr class=\"stack\">"), 2);
	cr_expect_not_null(strstr(x.page, "<span class=\"badge b-leak\">leak</span>"));
	cr_expect_geq(count(x.page, "<tr class=\"pattern\">"), 1);
	j = page_data(x.page);
	cr_expect_eq(json_array_size(json_object_get(j, "t")), N);
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(j, "heap"), N - 1)),
		     4096 * N + 1000);
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(j, "leaks"), 0)), 4096);
	win = json_object_get(j, "window");
	cr_expect_float_eq(json_real_value(json_array_get(win, 0)), 0, 1e-9,
			   "the leak grew from the first interval");
	cr_expect_float_eq(json_real_value(json_array_get(win, 1)), 2.0 * (N - 1), 1e-9);
	cr_expect_eq(json_array_size(json_object_get(j, "lines")), 2);
	cr_expect_eq(json_array_size(json_object_get(j, "flame")), 1, "one stack grew");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "flame"), 0),
							"b")), 4096 * (N - 1));
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(
		json_array_get(json_object_get(j, "flame"), 0), "f"), 0)), "main", "outermost first");
	json_decref(j);
	release(&x);
}

Test(html, route)
{
	uint64_t id = 0;

	cr_expect_eq(html__route("/api/collections/17/report.html", &id), 0);
	cr_expect_eq(id, 17);
	cr_expect_eq(html__route("/api/collections/17/report.htmlx", &id), -ENOENT);
	cr_expect_eq(html__route("/api/collections//report.html", &id), -ENOENT);
	cr_expect_eq(html__route("/api/collections/1a/report.html", &id), -ENOENT);
	cr_expect_eq(html__route("/api/collections", &id), -ENOENT);
	cr_expect_eq(html__route("/api/collections/99999999999999999999/report.html", &id), -ENOENT,
		     "no overflow");
}

Test(html, a_missing_series_is_an_error_with_a_message)
{
	char *body = (char *)1, msg[256] = "";
	size_t len = 1;

	cr_expect_lt(html__render_dir("/nonexistent/series", "x", &body, &len, msg, sizeof(msg)), 0);
	cr_expect_null(body);
	cr_expect_eq(len, 0);
	cr_expect_not_null(strstr(msg, "cannot read series '/nonexistent/series'"), "%s", msg);
}
