/* pprof encoding: round trip, Go's heap profiles, malformed input. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "snapshot/pprof.h"
#include "snapshot/profile.pb-c.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define EXE "/srv/leaky_server"
#define LIBC_START 0x7f0000000000ULL
#define EXE_START 0x555500000000ULL

static char *dupe(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A frame at DEPTH: frames above the first hold return addresses. */
static void frame(struct stack_frame *f, size_t depth, const char *fn, const char *mod,
		  uint64_t start, uint64_t off, const char *file, int line, const char *bid)
{
	f->function = dupe(fn);
	f->module = dupe(mod);
	f->file = dupe(file);
	f->line = line;
	f->offset = off;
	f->map_start = start;
	f->map_end = start + 0x100000;
	f->addr = start + off + (depth > 0);
	f->build_id = dupe(bid);
}

static void sample(struct report *r)
{
	struct report_stack *s;

	memset(r, 0, sizeof(*r));
	r->pid = 4242;
	strcpy(r->comm, "leaky_server");
	r->time = 1700000000.25;
	r->elapsed_s = 10.5;
	r->final = true;
	r->nstacks = r->stacks_total = 3;
	r->stacks = calloc(3, sizeof(*r->stacks));
	s = &r->stacks[0];
	*s = (struct report_stack){ .bytes = 1048576, .count = 1024, .oldest_age_s = 9.876,
		.alloc_bytes = 1049600, .alloc_count = 1025, .nframes = 4 };
	s->frames = calloc(4, sizeof(struct stack_frame));
	frame(&s->frames[0], 0, "malloc", LIBC, LIBC_START, 0x98930, "./malloc/malloc.c", 3281,
	      "93ac61ec5a8eb1396f9fbd350e3169a558528a40");
	frame(&s->frames[1], 1, "xstrdup", EXE, EXE_START, 0x1325, "leaky_server.c", 18,
	      "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	frame(&s->frames[2], 2, "handle_request", EXE, EXE_START, 0x13fe, "leaky_server.c", 57,
	      "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	frame(&s->frames[3], 3, "main", EXE, EXE_START, 0x1483, "leaky_server.c", 67,
	      "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	s = &r->stacks[1];
	*s = (struct report_stack){ .bytes = 4096, .count = 1, .oldest_age_s = 0.5,
		.alloc_bytes = 7680, .alloc_count = 4, .truncated = true, .fp_fallback = true,
		.nframes = 3 };
	s->frames = calloc(3, sizeof(struct stack_frame));
	frame(&s->frames[0], 0, "realloc", LIBC, LIBC_START, 0x99130, NULL, 0,
	      "93ac61ec5a8eb1396f9fbd350e3169a558528a40");
	frame(&s->frames[1], 1, NULL, "[anon:exec]", 0x10000, 0x40, NULL, 0, NULL);
	/* the same function called from another line of the caller */
	frame(&s->frames[2], 2, "handle_request", EXE, EXE_START, 0x1406, "leaky_server.c", 57,
	      "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	s = &r->stacks[2];  /* the stack was lost: a marker, then the caller */
	*s = (struct report_stack){ .bytes = 16, .count = 1, .oldest_age_s = 0.001,
		.alloc_bytes = 16, .alloc_count = 1, .nframes = 2 };
	s->frames = calloc(2, sizeof(struct stack_frame));
	s->frames[0].module = strdup("[stack lost]");
	frame(&s->frames[1], 1, "churn", EXE, EXE_START, 0x1200, "leaky_server.c", 40,
	      "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	for (size_t i = 0; i < r->nstacks; i++) {
		r->total_bytes += r->stacks[i].bytes;
		r->total_count += r->stacks[i].count;
	}
	for (int i = 0; i < SEEP_STAT__MAX; i++)
		r->stats[i] = 1000 + (uint64_t)i;
	r->stack_store_full = 31;
	r->stacks_queued = 32;
	r->execs = 2;
}

static void expect_str(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_expect(a == b, "%s: '%s' vs '%s'", what, a ? a : "(null)", b ? b : "(null)");
	else
		cr_expect_str_eq(a, b, "%s", what);
}

static void expect_equal(const struct report *a, const struct report *b)
{
	cr_expect_eq(a->pid, b->pid);
	cr_expect_str_eq(a->comm, b->comm);
	cr_expect_eq(a->time, b->time);
	cr_expect_eq(a->elapsed_s, b->elapsed_s);
	cr_expect_eq(a->final, b->final);
	cr_expect_eq(a->exited, b->exited);
	cr_expect_eq(a->total_bytes, b->total_bytes);
	cr_expect_eq(a->total_count, b->total_count);
	cr_expect_eq(a->stacks_total, b->stacks_total);
	cr_expect_arr_eq(a->stats, b->stats, sizeof(a->stats));
	cr_expect_eq(a->stack_store_full, b->stack_store_full);
	cr_expect_eq(a->stacks_queued, b->stacks_queued);
	cr_expect_eq(a->execs, b->execs);
	cr_assert_eq(a->nstacks, b->nstacks);
	for (size_t i = 0; i < a->nstacks; i++) {
		const struct report_stack *x = &a->stacks[i], *y = &b->stacks[i];

		cr_expect_eq(x->bytes, y->bytes, "stack %zu", i);
		cr_expect_eq(x->count, y->count);
		cr_expect_eq(x->alloc_bytes, y->alloc_bytes);
		cr_expect_eq(x->alloc_count, y->alloc_count);
		cr_expect_eq(x->truncated, y->truncated);
		cr_expect_eq(x->fp_fallback, y->fp_fallback);
		cr_expect_float_eq(x->oldest_age_s, y->oldest_age_s, 1e-9);
		cr_assert_eq(x->nframes, y->nframes, "stack %zu", i);
		for (size_t j = 0; j < x->nframes; j++) {
			const struct stack_frame *f = &x->frames[j], *g = &y->frames[j];

			expect_str(f->function, g->function, "function");
			expect_str(f->module, g->module, "module");
			expect_str(f->file, g->file, "file");
			expect_str(f->build_id, g->build_id, "build_id");
			cr_expect_eq(f->line, g->line, "stack %zu frame %zu line", i, j);
			cr_expect_eq(f->addr, g->addr, "stack %zu frame %zu addr", i, j);
			cr_expect_eq(f->offset, g->offset, "stack %zu frame %zu offset", i, j);
			cr_expect_eq(f->map_start, g->map_start);
			cr_expect_eq(f->map_end, g->map_end);
		}
	}
}

static void encode(const struct report *r, void **buf, size_t *len)
{
	struct pprof_options o = { 0 };

	cr_assert_eq(pprof__encode(r, &o, buf, len), 0);
	cr_assert_gt(*len, 20);
}

/* The protobuf inside a gzip buffer. */
static uint8_t *gunzip(const void *buf, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	uint8_t *out = malloc(1 << 20);

	cr_assert_eq(inflateInit2(&z, MAX_WBITS + 16), Z_OK);
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = 1 << 20;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	inflateEnd(&z);
	return out;
}

Test(pprof, round_trip_equal)
{
	struct report r, back;
	const char *why = NULL;
	void *buf;
	size_t len;

	sample(&r);
	encode(&r, &buf, &len);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), 0, "%s", why);
	expect_equal(&r, &back);
	report__release(&back);
	report__release(&r);
	free(buf);
}

Test(pprof, plain_protobuf_also_read)
{
	struct report r, back;
	const char *why = NULL;
	void *buf;
	size_t len, plen;
	uint8_t *plain;

	sample(&r);
	encode(&r, &buf, &len);
	plain = gunzip(buf, len, &plen);
	cr_assert_eq(pprof__decode(plain, plen, &back, &why), 0, "%s", why);
	expect_equal(&r, &back);
	report__release(&back);
	report__release(&r);
	free(plain);
	free(buf);
}

/* What go tool pprof relies on: Go's sample types and default, the program
 * as the first mapping, period, labels. */
Test(pprof, go_heap_conventions)
{
	static const char *const types[][2] = { { "alloc_objects", "count" },
		{ "alloc_space", "bytes" }, { "inuse_objects", "count" }, { "inuse_space", "bytes" } };
	struct report r;
	void *buf;
	size_t len, plen;
	uint8_t *plain;
	Pprof__Profile *p;
	const char **st;
	bool pid = false, comm = false;

	sample(&r);
	encode(&r, &buf, &len);
	plain = gunzip(buf, len, &plen);
	p = pprof__profile__unpack(NULL, plen, plain);
	cr_assert_not_null(p);
	st = (const char **)p->string_table;
	cr_assert_eq(p->n_sample_type, 4);
	for (int i = 0; i < 4; i++) {
		cr_expect_str_eq(st[p->sample_type[i]->type], types[i][0]);
		cr_expect_str_eq(st[p->sample_type[i]->unit], types[i][1]);
	}
	cr_expect_str_eq(st[p->default_sample_type], "inuse_space");
	cr_expect_str_eq(st[p->period_type->type], "space");
	cr_expect_eq(p->period, 1, "every allocation");
	cr_expect_eq(p->time_nanos, 1700000000250000000LL);
	cr_expect_eq(p->duration_nanos, 10500000000LL);
	cr_assert_geq(p->n_mapping, 2);
	cr_expect_str_eq(st[p->mapping[0]->filename], EXE, "the program first");
	cr_expect_str_eq(st[p->mapping[0]->build_id], "6de8348c4d39b88ba5b462bd034f805a5b3265b8");
	cr_expect(p->mapping[0]->has_functions && p->mapping[0]->has_line_numbers);
	cr_expect_eq(p->n_sample, 3);
	cr_expect_eq(p->sample[0]->value[3], 1048576);
	cr_expect_eq(p->sample[0]->value[0], 1025);
	for (size_t i = 0; i < p->sample[0]->n_label; i++) {
		const Pprof__Label *l = p->sample[0]->label[i];

		pid |= !strcmp(st[l->key], "pid") && l->num == 4242;
		comm |= !strcmp(st[l->key], "comm") && !strcmp(st[l->str], "leaky_server");
	}
	cr_expect(pid && comm, "pid and comm labels");
	/* locations are deduplicated: handle_request's two call sites differ */
	cr_expect_eq(p->n_location, 9);
	pprof__profile__free_unpacked(p, NULL);
	report__release(&r);
	free(plain);
	free(buf);
}

Test(pprof, sampling_rate_is_the_period)
{
	struct report r;
	struct pprof_options o = { .sample_bytes = 524288 };
	void *buf;
	size_t len, plen;
	uint8_t *plain;
	Pprof__Profile *p;

	sample(&r);
	cr_assert_eq(pprof__encode(&r, &o, &buf, &len), 0);
	plain = gunzip(buf, len, &plen);
	p = pprof__profile__unpack(NULL, plen, plain);
	cr_assert_not_null(p);
	cr_expect_eq(p->period, 524288);
	pprof__profile__free_unpacked(p, NULL);
	report__release(&r);
	free(plain);
	free(buf);
}

Test(pprof, empty_report)
{
	struct report r = { .pid = 1, .comm = "init" }, back;
	const char *why = NULL;
	void *buf;
	size_t len;

	encode(&r, &buf, &len);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), 0, "%s", why);
	cr_expect_eq(back.nstacks, 0);
	cr_expect_eq(back.total_bytes, 0);
	report__release(&back);
	free(buf);
}

/* Written by Go's runtime/pprof (tests/unit/data/go_heap/main.go): 64
 * blocks of 64 KiB kept by main.leakyCache, MemProfileRate 1. */
Test(pprof, reads_go_heap_profile)
{
	struct report r;
	long found = -1;

	cr_assert_eq(pprof__read_file(SEEP_SRC_DIR "/tests/unit/data/go_heap.pb.gz", &r), 0);
	cr_assert_gt(r.nstacks, 0);
	for (size_t i = 0; i < r.nstacks && found < 0; i++)
		for (size_t j = 0; j < r.stacks[i].nframes; j++)
			if (r.stacks[i].frames[j].function &&
			    !strcmp(r.stacks[i].frames[j].function, "main.leakyCache"))
				found = (long)i;
	cr_assert_eq(found, 0, "the leak is the largest stack");
	cr_expect_eq(r.stacks[0].bytes, 64 * 65536);
	cr_expect_eq(r.stacks[0].count, 64);
	cr_expect_str_eq(r.stacks[0].frames[0].function, "main.leakyCache");
	cr_expect_not_null(r.stacks[0].frames[0].file);
	cr_expect_gt(r.stacks[0].frames[0].line, 0);
	for (size_t i = 1; i < r.nstacks; i++)
		cr_expect_geq(r.stacks[i - 1].bytes, r.stacks[i].bytes, "sorted");
	report__release(&r);
}

struct bad_case {
	char name[32];
	char why[48];            /* expected in the reason */
};

/* Mutations of a good profile that every reader must refuse. */
static size_t mutate(const char *name, uint8_t *buf, size_t len)
{
	if (!strcmp(name, "empty"))
		return 0;
	if (!strcmp(name, "truncated"))
		return len / 2;
	if (!strcmp(name, "truncated_tail"))
		return len - 3;
	if (!strcmp(name, "corrupted")) {
		for (size_t i = 20; i < len - 10; i += 7)
			buf[i] ^= 0x5a;
		return len;
	}
	if (!strcmp(name, "text")) {
		strcpy((char *)buf, "hello, this is not a profile\n");
		return strlen((char *)buf);
	}
	if (!strcmp(name, "json")) {
		strcpy((char *)buf, "{\"pid\": 1, \"stacks\": []}\n");
		return strlen((char *)buf);
	}
	return len;
}

ParameterizedTestParameters(pprof, malformed_refused)
{
	static struct bad_case cases[] = {
		{ "empty", "empty" },
		{ "truncated", "truncated" },
		{ "truncated_tail", "truncated" },
		{ "corrupted", "corrupted" },
		{ "text", "not a" },
		{ "json", "not a" },
	};

	return cr_make_param_array(struct bad_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, pprof, malformed_refused)
{
	struct report r, back;
	const char *why = NULL;
	void *buf;
	uint8_t *copy;
	size_t len;

	sample(&r);
	encode(&r, &buf, &len);
	copy = malloc(len + 64);
	memcpy(copy, buf, len);
	len = mutate(c->name, copy, len);
	cr_assert_eq(pprof__decode(copy, len, &back, &why), -EINVAL, "%s accepted", c->name);
	cr_assert_not_null(why);
	cr_expect(strstr(why, c->why) != NULL, "%s: reason '%s'", c->name, why);
	cr_expect_eq(back.nstacks, 0);
	report__release(&r);
	free(copy);
	free(buf);
}

/* A well-formed pprof profile that is not a heap profile (a CPU profile). */
Test(pprof, cpu_profile_is_not_a_heap_profile)
{
	Pprof__Profile p = PPROF__PROFILE__INIT;
	Pprof__ValueType vt = PPROF__VALUE_TYPE__INIT, *vtp = &vt;
	char *strings[] = { "", "samples", "count" };
	struct report back;
	const char *why = NULL;
	uint8_t buf[256];
	size_t len;

	vt.type = 1;
	vt.unit = 2;
	p.sample_type = &vtp;
	p.n_sample_type = 1;
	p.string_table = strings;
	p.n_string_table = 3;
	len = pprof__profile__pack(&p, buf);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), -EINVAL);
	cr_expect(strstr(why, "not a heap profile") != NULL, "%s", why);
}

Test(pprof, missing_file)
{
	struct report r;

	cr_expect_eq(pprof__read_file("/nonexistent/x.pb.gz", &r), -ENOENT);
}

/* A sampled snapshot reads back with its rate (the period) and, per stack,
 * the samples behind the estimate and its standard deviation: what a
 * diagnosis needs for the estimates' variance. */
Test(pprof, sampling_rate_samples_and_stddev_read_back)
{
	struct report r, back;
	const char *why = NULL;
	void *buf;
	size_t len;

	sample(&r);
	r.sample_bytes = 65536;
	r.stacks[0].samples = 17;
	r.stacks[0].bytes_stddev = 254321.4;
	r.stacks[1].samples = 1;
	encode(&r, &buf, &len);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), 0, "%s", why);
	cr_expect_eq(back.sample_bytes, 65536);
	cr_expect_eq(back.total_samples, 18);
	cr_expect_eq(back.stacks[0].samples, 17);
	cr_expect_float_eq(back.stacks[0].bytes_stddev, 254321.0, 1e-9);
	cr_expect_eq(back.stacks[1].samples, 1);
	cr_expect_eq(back.stacks[1].bytes_stddev, 0);
	cr_expect_eq(back.stacks[2].samples, 0);
	report__release(&back);
	free(buf);
	r.sample_bytes = 1;   /* every allocation */
	encode(&r, &buf, &len);
	cr_assert_eq(pprof__decode(buf, len, &back, &why), 0, "%s", why);
	cr_expect_eq(back.sample_bytes, 1);
	report__release(&back);
	report__release(&r);
	free(buf);
}
