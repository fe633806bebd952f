/* Unit tests: remote_write (fleet/remote_write.h) against a loopback
 * receiver (tests/lib/httpsink). Each request is a POST with the spec's
 * headers whose body decodes to the pushed series with the host and
 * extra labels; a series gone from the next push gets a stale marker;
 * 503s are retried from the spool with back-off and arrive in order; a
 * 400 is dropped and counted as failed, not retried; requests queued when
 * the sender stops stay in the spool and are replayed by the next run;
 * bad configuration is refused with a message naming the key. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/remote_write.h"
#include "fleet/rwproto.h"
#include "httpsink.h"
#include "scratch.h"

static char dir[64], spool[128], url[128];

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "rwunit"), 0);
	snprintf(spool, sizeof(spool), "%s/spool", dir);
}

static void teardown(void)
{
	scratch__rmrf(dir);
}

TestSuite(remote_write, .init = setup, .fini = teardown, .timeout = 60);

static struct remote_write *open_rw(int port)
{
	struct remote_write_config c = {
		.url = url, .host = "h1", .labels = "dc=lab,team=mem", .timeout_s = 2,
		.spool_dir = spool, .spool_max_bytes = 1 << 20, .min_backoff_s = 0.05,
		.max_backoff_s = 0.2,
	};
	struct remote_write *rw;
	char err[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/write", port);
	cr_assert_eq(remote_write__new(&c, &rw, err, sizeof(err)), 0, "%s", err);
	return rw;
}

static const char *lv(const struct rw_decoded_series *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}

static const struct rw_decoded_series *find(const struct rw_decoded *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(lv(&d->s[i], "__name__"), name))
			return &d->s[i];
	return NULL;
}

static void wait_stats(struct remote_write *rw, struct remote_write_stats *st, uint64_t sent)
{
	for (int i = 0; i < 500; i++) {
		remote_write__stats(rw, st);
		if (st->sent + st->failed >= sent && !st->spool_records)
			return;
		usleep(10000);
	}
}

Test(remote_write, headers_labels_and_stale_markers)
{
	struct httpsink *sink = httpsink__new(NULL, 0);
	struct remote_write *rw = open_rw(httpsink__port(sink));
	struct remote_write_stats st;
	const struct httpsink_req *r;
	const struct rw_decoded_series *x, *y;
	struct rw_decoded d;

	cr_assert_eq(remote_write__push(rw, "x{a=\"1\"} 10\ny 20\n", 1000.0), 0);
	cr_assert_eq(remote_write__push(rw, "x{a=\"1\"} 11\n", 1001.0), 0);
	cr_assert_eq(httpsink__wait(sink, 2, 10), 2);
	for (size_t i = 0; i < 2; i++) {
		r = httpsink__req(sink, i);
		cr_expect_str_eq(r->method, "POST");
		cr_expect_str_eq(r->path, "/api/v1/write");
		cr_expect_str_eq(httpsink__header(r, "Content-Encoding"), "snappy");
		cr_expect_str_eq(httpsink__header(r, "Content-Type"), "application/x-protobuf");
		cr_expect_str_eq(httpsink__header(r, "X-Prometheus-Remote-Write-Version"), "0.1.0");
		cr_expect(!strncmp(httpsink__header(r, "User-Agent"), "seep/", 5), "User-Agent '%s'",
			  httpsink__header(r, "User-Agent"));
	}
	r = httpsink__req(sink, 0);
	cr_assert_eq(rwproto__decode(r->body, r->len, &d), 0);
	cr_assert_eq(d.n, 2);
	x = find(&d, "x");
	cr_assert(x);
	cr_expect_str_eq(lv(x, "host"), "h1");
	cr_expect_str_eq(lv(x, "dc"), "lab");
	cr_expect_str_eq(lv(x, "team"), "mem");
	cr_expect_str_eq(lv(x, "a"), "1");
	cr_expect_eq(x->value, 10);
	cr_expect_eq(x->ts_ms, 1000000);
	rwproto__decoded_release(&d);
	r = httpsink__req(sink, 1);
	cr_assert_eq(rwproto__decode(r->body, r->len, &d), 0);
	cr_assert_eq(d.n, 2, "x and y's stale marker");
	x = find(&d, "x");
	y = find(&d, "y");
	cr_assert(x && y);
	cr_expect_eq(x->value, 11);
	cr_expect(rwproto__is_stale(y->value), "y ended without its stale marker");
	cr_expect_eq(y->ts_ms, 1001000);
	cr_expect_str_eq(lv(y, "host"), "h1");
	rwproto__decoded_release(&d);
	wait_stats(rw, &st, 4);
	cr_expect_eq(st.sent, 4);
	cr_expect_eq(st.stale, 1);
	cr_expect_eq(st.retried + st.failed + st.dropped, 0);
	remote_write__free(rw);
	httpsink__free(sink);
}

Test(remote_write, server_errors_are_retried_in_order)
{
	static const unsigned statuses[] = { 503, 503, 500, 429, 200 };
	struct httpsink *sink = httpsink__new(statuses, 5);
	struct remote_write *rw = open_rw(httpsink__port(sink));
	struct remote_write_stats st;
	int64_t last = 0;
	size_t ok = 0;

	for (int i = 0; i < 5; i++) {
		char text[64];

		snprintf(text, sizeof(text), "n %d\n", i);
		cr_assert_eq(remote_write__push(rw, text, 100.0 + i), 0);
	}
	wait_stats(rw, &st, 5);
	cr_expect_eq(st.sent, 5, "sent %llu", (unsigned long long)st.sent);
	cr_expect_gt(st.retried, 0);
	cr_expect_eq(st.failed + st.dropped, 0);
	cr_expect_eq(st.spool_records, 0);
	cr_expect_eq(st.spool_bytes, 0);
	/* the accepted requests, in the order pushed, each once */
	for (size_t i = 0; i < httpsink__count(sink); i++) {
		const struct httpsink_req *r = httpsink__req(sink, i);
		struct rw_decoded d;

		if (r->status != 200)
			continue;
		cr_assert_eq(rwproto__decode(r->body, r->len, &d), 0);
		cr_expect_gt(d.s[0].ts_ms, last, "out of order or twice");
		cr_expect_eq(d.s[0].value, (double)ok);
		last = d.s[0].ts_ms;
		ok++;
		rwproto__decoded_release(&d);
	}
	cr_expect_eq(ok, 5);
	remote_write__free(rw);
	httpsink__free(sink);
}

Test(remote_write, client_errors_are_dropped_not_retried)
{
	static const unsigned statuses[] = { 400, 200 };
	struct httpsink *sink = httpsink__new(statuses, 2);
	struct remote_write *rw = open_rw(httpsink__port(sink));
	struct remote_write_stats st;

	cr_assert_eq(remote_write__push(rw, "a 1\nb 2\n", 10), 0);
	cr_assert_eq(httpsink__wait(sink, 1, 10), 1);
	cr_assert_eq(remote_write__push(rw, "a 1\nb 2\n", 11), 0);
	cr_assert_eq(httpsink__wait(sink, 2, 10), 2);
	wait_stats(rw, &st, 4);
	cr_expect_eq(st.failed, 2);
	cr_expect_eq(st.sent, 2);
	cr_expect_eq(st.retried, 0);
	usleep(300000);
	cr_expect_eq(httpsink__count(sink), 2, "a refused request was sent again");
	remote_write__free(rw);
	httpsink__free(sink);
}

Test(remote_write, the_spool_outlives_the_sender)
{
	struct httpsink *sink = httpsink__new(NULL, 0);
	int dead = httpsink__port(sink);
	struct remote_write *rw;
	struct remote_write_stats st;

	httpsink__free(sink);	/* nobody listens there now */
	rw = open_rw(dead);
	for (int i = 0; i < 3; i++) {
		char text[32];

		snprintf(text, sizeof(text), "n %d\n", i);
		cr_assert_eq(remote_write__push(rw, text, 50.0 + i), 0);
	}
	for (int i = 0; i < 300; i++) {
		remote_write__stats(rw, &st);
		if (st.spool_records == 3)
			break;
		usleep(10000);
	}
	remote_write__free(rw);
	sink = httpsink__new(NULL, 0);
	rw = open_rw(httpsink__port(sink));
	cr_assert_eq(httpsink__wait(sink, 3, 10), 3, "the spool was not replayed");
	for (size_t i = 0; i < 3; i++) {
		struct rw_decoded d;

		cr_assert_eq(rwproto__decode(httpsink__req(sink, i)->body,
					     httpsink__req(sink, i)->len, &d), 0);
		cr_expect_eq(d.s[0].value, (double)i);
		rwproto__decoded_release(&d);
	}
	wait_stats(rw, &st, 3);
	cr_expect_eq(st.sent, 3);
	cr_expect_eq(st.retried, 3);
	remote_write__free(rw);
	httpsink__free(sink);
}

Test(remote_write, the_interval_spaces_requests)
{
	struct httpsink *sink = httpsink__new(NULL, 0);
	struct remote_write_config c = {
		.url = url, .interval_s = 10, .spool_dir = spool, .spool_max_bytes = 1 << 20,
	};
	struct remote_write *rw;
	char err[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/w", httpsink__port(sink));
	cr_assert_eq(remote_write__new(&c, &rw, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 25; i++)
		cr_assert_eq(remote_write__push(rw, "a 1\n", 100.0 + i), 0);
	cr_expect_eq(httpsink__wait(sink, 3, 5), 3, "at 100, 110 and 120");
	usleep(200000);
	cr_expect_eq(httpsink__count(sink), 3);
	remote_write__free(rw);
	httpsink__free(sink);
}

Test(remote_write, bad_configuration)
{
	struct remote_write_config c = { .url = "ftp://x", .spool_dir = spool,
					 .spool_max_bytes = 1 << 20 };
	struct remote_write *rw;
	char err[256] = "";

	cr_expect_eq(remote_write__new(&c, &rw, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "'remote_write.url'"), "%s", err);
	c.url = "http://127.0.0.1:1/w";
	c.labels = "ok=1,9bad=2";
	cr_expect_eq(remote_write__new(&c, &rw, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "'9bad=2'") && strstr(err, "remote_write.labels"), "%s", err);
	c.labels = "__name__=x";
	cr_expect_eq(remote_write__new(&c, &rw, err, sizeof(err)), -EINVAL);
	cr_expect_null(rw);
}
