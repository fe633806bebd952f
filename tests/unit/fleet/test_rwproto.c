/* Unit tests: remote_write's wire format (fleet/rwproto.h) and the
 * exposition read back into series (fleet/expo.h). A request encodes and
 * decodes back (protobuf-c, after snappy) to the same series, labels
 * sorted by name with __name__, one sample each at the given time; the
 * stale marker keeps its exact bit pattern; snappy round-trips and
 * refuses a corrupt block; the receiver's statuses are classified as the
 * spec says; the exposition of the exporters' fixture model reads back
 * with escapes undone, extra labels added only where missing. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/expo.h"
#include "fleet/rwproto.h"
#include "metrics/prom.h"

static const char *lv(const struct expo_label *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			return l[i].value;
	return NULL;
}

static void sorted(const struct expo_label *l, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_lt(strcmp(l[i].name, l[i + 1].name), 0, "labels not sorted: %s, %s",
			     l[i].name, l[i + 1].name);
}

Test(rwproto, encode_decode_round_trip)
{
	const char *text = "# HELP a x\n# TYPE a gauge\na{z=\"1\",b=\"q\\\"x\"} 5\nb_total 7.5\n"
			   "c{k=\"\"} 1\n";
	struct expo_label extra[] = { { "host", "h1" }, { "b", "not me" } };
	struct expo_set set = { 0 };
	struct rw_decoded d;
	char err[128];
	void *body;
	size_t len;

	cr_assert_eq(expo__parse(text, extra, 2, &set, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(set.n, 3);
	set.s[2].value = rwproto__stale();
	cr_assert_eq(rwproto__encode(set.s, set.n, 1700000000123LL, &body, &len), 0);
	cr_assert_eq(rwproto__decode(body, len, &d), 0);
	cr_assert_eq(d.n, 3);
	for (size_t i = 0; i < d.n; i++) {
		sorted(d.s[i].labels, d.s[i].nlabels);
		cr_expect_eq(d.s[i].nsamples, 1);
		cr_expect_eq(d.s[i].ts_ms, 1700000000123LL);
		cr_expect_str_eq(lv(d.s[i].labels, d.s[i].nlabels, "host"), "h1");
	}
	cr_expect_str_eq(lv(d.s[0].labels, d.s[0].nlabels, "__name__"), "a");
	cr_expect_str_eq(lv(d.s[0].labels, d.s[0].nlabels, "b"), "q\"x", "its own b wins");
	cr_expect_str_eq(lv(d.s[0].labels, d.s[0].nlabels, "z"), "1");
	cr_expect_eq(d.s[0].nlabels, 4);
	cr_expect_eq(d.s[0].value, 5);
	cr_expect_str_eq(lv(d.s[1].labels, d.s[1].nlabels, "b"), "not me", "an extra label");
	cr_expect_eq(d.s[1].value, 7.5);
	cr_expect_null(lv(d.s[2].labels, d.s[2].nlabels, "k"), "an empty value is no label");
	cr_expect(rwproto__is_stale(d.s[2].value), "the stale marker's bits were lost");
	cr_expect(!rwproto__is_stale(NAN), "a plain NaN is no stale marker");
	rwproto__decoded_release(&d);
	free(body);
	expo__release(&set);
}

Test(rwproto, keys_identify_series_and_read_back)
{
	struct expo_set a = { 0 }, b = { 0 };
	struct expo_series back;
	char err[128];

	cr_assert_eq(expo__parse("x{p=\"1\",q=\"2\"} 1\n", NULL, 0, &a, err, sizeof(err)), 0);
	cr_assert_eq(expo__parse("x{q=\"2\",p=\"1\"} 9\nx{p=\"1\"} 1\n", NULL, 0, &b, err,
				 sizeof(err)), 0);
	cr_expect_eq(a.s[0].hash, b.s[0].hash, "label order changes the key");
	cr_expect_eq(a.s[0].keylen, b.s[0].keylen);
	cr_expect_neq(a.s[0].hash, b.s[1].hash);
	cr_assert_eq(expo__from_key(a.s[0].key, a.s[0].keylen, 3, &back), 0);
	cr_assert_eq(back.nlabels, 3);
	cr_expect_str_eq(lv(back.labels, 3, "__name__"), "x");
	cr_expect_str_eq(lv(back.labels, 3, "q"), "2");
	cr_expect_eq(back.hash, a.s[0].hash);
	expo_series__release(&back);
	expo__release(&a);
	expo__release(&b);
}

static const struct mx_component comps[] = {
	{ .key = "odd|", .comm = "we\"ird\\na\nme", .build_id = "", .unit = "", .cgroup = "/",
	  .live = 2, .rss = 20 << 20 },
};
static const struct mx_proc procs[] = {
	{ .pid = 103, .start = 13, .start_s = 1.7e9, .comm = "we\"ird\\na\nme", .component = 0,
	  .anon = 10 << 20 },
};

Test(rwproto, the_exposition_reads_back)
{
	struct mx_model m = { .now_s = 1.7e9, .procs = procs, .nprocs = 1, .components = comps,
			      .ncomponents = 1, .top_n = 10, .max_cgroups = 10 };
	struct expo_set set = { 0 };
	char *text, err[128];
	size_t len;
	bool found = false;

	m.host = "h1";
	cr_assert_eq(prom__render(&m, &text, &len), 0);
	cr_assert_eq(expo__parse(text, NULL, 0, &set, err, sizeof(err)), 0, "%s", err);
	cr_expect_gt(set.n, 60);
	for (size_t i = 0; i < set.n; i++) {
		const struct expo_series *s = &set.s[i];
		const char *comm = lv(s->labels, s->nlabels, "comm");

		sorted(s->labels, s->nlabels);
		if (comm && !strcmp(comm, "we\"ird\\na\nme") &&
		    !strcmp(lv(s->labels, s->nlabels, "__name__"), "seep_component_memory_bytes")) {
			found = true;
			cr_expect_eq(s->value, 20 << 20);
			cr_expect_str_eq(lv(s->labels, s->nlabels, "host"), "h1");
		}
	}
	cr_expect(found, "the escaped comm did not read back");
	free(text);
	expo__release(&set);
}

Test(rwproto, bad_lines_are_refused_with_their_number)
{
	struct expo_set set = { 0 };
	char err[128] = "";

	cr_expect_eq(expo__parse("ok 1\nbad{x=1} 2\n", NULL, 0, &set, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "line 2"), "%s", err);
	expo__release(&set);
	cr_expect_eq(expo__parse("x 1 2 3\n", NULL, 0, &set, err, sizeof(err)), -EINVAL);
	expo__release(&set);
	cr_expect_eq(expo__parse("x{a=\"open} 1\n", NULL, 0, &set, err, sizeof(err)), -EINVAL);
	expo__release(&set);
}

Test(rwproto, snappy_round_trip_and_corruption)
{
	size_t n = 100000, clen, ulen;
	unsigned char *in = malloc(n);
	void *c, *u;
	uint64_t x = 88172645463325252ULL;

	for (size_t i = 0; i < n; i++) {	/* half noise, half runs */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		in[i] = i % 2000 < 1000 ? (unsigned char)x : 'a';
	}
	cr_assert_eq(rwproto__compress(in, n, &c, &clen), 0);
	cr_expect_lt(clen, n, "the runs did not compress");
	cr_assert_eq(rwproto__uncompress(c, clen, &u, &ulen), 0);
	cr_assert_eq(ulen, n);
	cr_expect_eq(memcmp(u, in, n), 0);
	free(u);
	((unsigned char *)c)[clen / 2] ^= 0xff;
	((unsigned char *)c)[0] ^= 0x7f;
	cr_expect_neq(rwproto__uncompress(c, clen, &u, &ulen), 0, "a corrupt block was accepted");
	cr_expect_neq(rwproto__uncompress("\xff\xff\xff\xff\xff", 5, &u, &ulen), 0);
	free(c);
	free(in);
}

struct cls {
	long status;
	enum rw_outcome want;
};

ParameterizedTestParameters(rwproto, classify)
{
	static struct cls t[] = {
		{ 200, RW_SENT }, { 204, RW_SENT }, { 0, RW_RETRY },  { 500, RW_RETRY },
		{ 502, RW_RETRY }, { 503, RW_RETRY }, { 429, RW_RETRY }, { 400, RW_DROP },
		{ 401, RW_DROP }, { 404, RW_DROP },  { 413, RW_DROP },  { 302, RW_DROP },
	};

	return cr_make_param_array(struct cls, t, sizeof(t) / sizeof(t[0]));
}

ParameterizedTest(struct cls *c, rwproto, classify)
{
	cr_expect_eq(rwproto__classify(c->status), c->want, "HTTP %ld", c->status);
}
