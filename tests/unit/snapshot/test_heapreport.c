/* heapreport: hand-made heaps and a fake source of stacks and symbols. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/heapreport.h"

/* The fake source: site stack_id N has the addresses 0xN00 + 1, 2, ...
 * (N of them); stack_id SEEP_STACK_LOST is lost with its caller kept;
 * function names "f_<addr>", except address 0x101, named "__libc_malloc",
 * and 0x201, unnamed (a stripped allocator). */
struct fake {
	int frames_called;
	int fail_frame_at;       /* call number that fails (1-based), 0: none */
	int fail_stack;          /* -errno from stack(), 0: none */
	bool return_addr[64];    /* what frame() was told, by call */
};

static int fake_stack(void *ctx, const struct heap_site *site, uint64_t *ips, size_t max,
		      struct heapreport_stack *out)
{
	struct fake *f = ctx;

	if (f->fail_stack)
		return f->fail_stack;
	if (site->key.stack_id == SEEP_STACK_LOST) {
		out->lost = true;
		out->n = site->key.caller ? 1 : 0;
		ips[0] = site->key.caller;
		return 0;
	}
	for (int i = 0; i < site->key.stack_id && out->n < max; i++)
		ips[out->n++] = (uint64_t)site->key.stack_id * 0x100 + (uint64_t)i + 1;
	out->truncated = out->n < (size_t)site->key.stack_id;
	return 0;
}

static int fake_frame(void *ctx, uint64_t addr, bool return_addr, struct stack_frame *out)
{
	struct fake *f = ctx;
	char name[32];

	f->return_addr[f->frames_called++ % 64] = return_addr;
	if (f->fail_frame_at && f->frames_called == f->fail_frame_at) {
		out->module = strdup("half-filled");   /* freed with the report */
		return -ENOMEM;
	}
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->module = strdup("/lib/fake.so");
	if (addr == 0x201)
		return 0;
	snprintf(name, sizeof(name), addr == 0x101 ? "__libc_malloc" : "f_%llx",
		 (unsigned long long)addr);
	out->function = strdup(name);
	return 0;
}

static void add(struct heap *h, int32_t stack_id, uint64_t caller, uint32_t kind,
			     uint64_t size, int blocks, uint64_t ts)
{
	struct seep_stack_key k = { .tgid = 7, .stack_id = stack_id, .caller = caller };

	for (int i = 0; i < blocks; i++)
		cr_assert_eq(heap__add_block(h, &k, kind, size, ts + (uint64_t)i), 0);
}

static struct heapreport_meta meta(unsigned top, size_t max)
{
	static const uint64_t stats[SEEP_STAT__MAX] = { [0] = 11, [SEEP_STAT__MAX - 1] = 3 };

	return (struct heapreport_meta){ .pid = 7, .comm = "leaky", .time = 1700000000.5,
					 .elapsed_s = 2.5, .final = true, .exited = false,
					 .now_ns = 5000000000ULL, .top = top, .max_frames = max,
					 .stats = stats };
}

/* Invariants of any report: top-N sorted by bytes, counts consistent. */
static void check_report(const struct report *r, const struct heap *h, unsigned top)
{
	size_t want = top && h->n > top ? top : h->n;

	cr_assert_eq(r->nstacks, want);
	cr_assert_eq(r->stacks_total, h->n);
	for (size_t i = 1; i < r->nstacks; i++)
		cr_assert_geq(r->stacks[i - 1].bytes, r->stacks[i].bytes);
	for (size_t i = 0; i < r->nstacks; i++)
		cr_assert_leq(r->stacks[i].bytes, r->total_bytes);
}

Test(heapreport, header_figures_and_order)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(0, 64);
	struct heap h;
	struct report r;

	heap__init(&h, 0);
	add(&h, 3, 0x999, SEEP_KIND_CALLOC, 100, 2, 1000000000ULL);   /* 200 bytes */
	add(&h, 2, 0x888, SEEP_KIND_MALLOC, 1024, 3, 2000000000ULL);  /* 3072 bytes */
	heap__sort(&h);
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	check_report(&r, &h, 0);
	cr_expect_eq(r.pid, 7);
	cr_expect_str_eq(r.comm, "leaky");
	cr_expect(r.final);
	cr_expect(!r.exited);
	cr_expect_eq(r.sample_bytes, 1, "no sampling reads as 1");
	cr_expect_eq(r.total_bytes, 3272);
	cr_expect_eq(r.total_count, 5);
	cr_expect_eq(r.total_samples, 5);
	cr_expect_eq(r.stats[0], 11);
	cr_expect_eq(r.stats[SEEP_STAT__MAX - 1], 3);
	cr_expect_eq(r.stacks[0].bytes, 3072);
	cr_expect_eq(r.stacks[0].count, 3);
	cr_expect_eq(r.stacks[0].samples, 3);
	cr_expect_float_eq(r.stacks[0].oldest_age_s, 3.0, 1e-9, "now 5 s, oldest block at 2 s");
	cr_expect_float_eq(r.stacks[0].bytes_stddev, 0, 1e-12, "exact");
	cr_expect_eq(r.stacks[1].bytes, 200);
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, frames_innermost_first_allocator_named_by_kind)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(0, 64);
	struct heap h;
	struct report r;
	const struct report_stack *a, *b;

	heap__init(&h, 0);
	add(&h, 1, 0, SEEP_KIND_MALLOC, 4096, 1, 0);   /* 0x101: __libc_malloc */
	add(&h, 2, 0, SEEP_KIND_CALLOC, 64, 1, 0);     /* 0x201: no name */
	heap__sort(&h);
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	a = &r.stacks[0];
	b = &r.stacks[1];
	cr_assert_eq(a->nframes, 1);
	cr_expect_str_eq(a->frames[0].function, "malloc", "glibc's alias renamed");
	cr_assert_eq(b->nframes, 2);
	cr_expect_str_eq(b->frames[0].function, "calloc", "a stripped allocator named by kind");
	cr_expect_str_eq(b->frames[1].function, "f_202");
	cr_expect_eq(b->frames[1].addr, 0x202);
	cr_expect(!f.return_addr[0], "the allocator's entry is not a return address");
	cr_expect(!f.return_addr[1]);
	cr_expect(f.return_addr[2], "the caller is one");
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, plain_names_kept)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(0, 64);
	struct heap h;
	struct report r;

	heap__init(&h, 0);
	add(&h, 4, 0, SEEP_KIND_MALLOC, 8, 1, 0);
	heap__sort(&h);
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	cr_assert_eq(r.stacks[0].nframes, 4);
	cr_expect_str_eq(r.stacks[0].frames[0].function, "f_401", "a real name is not replaced");
	cr_expect_str_eq(r.stacks[0].frames[3].function, "f_404");
	cr_expect(!r.stacks[0].truncated);
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, lost_stack_says_so_and_keeps_the_caller)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(0, 64);
	struct heap h;
	struct report r;
	const struct report_stack *with, *without;

	heap__init(&h, 0);
	add(&h, SEEP_STACK_LOST, 0x777, SEEP_KIND_MALLOC, 100, 2, 0);
	add(&h, SEEP_STACK_LOST, 0, SEEP_KIND_MALLOC, 10, 1, 0);
	heap__sort(&h);
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	with = &r.stacks[0];
	without = &r.stacks[1];
	cr_assert_eq(with->nframes, 2);
	cr_expect_str_eq(with->frames[0].module, "[stack lost]");
	cr_expect_null(with->frames[0].function);
	cr_expect_str_eq(with->frames[1].function, "f_777", "not renamed: it is the caller");
	cr_expect(f.return_addr[0], "the caller is a return address");
	cr_assert_eq(without->nframes, 1);
	cr_expect_str_eq(without->frames[0].module, "[stack lost]");
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, top_limits_and_truncation)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(2, 3);
	struct heap h;
	struct report r;

	heap__init(&h, 0);
	for (int i = 1; i <= 5; i++)
		add(&h, 3 + i, 0, SEEP_KIND_MALLOC, (uint64_t)i * 100, 1, 0);
	heap__sort(&h);
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	check_report(&r, &h, 2);
	cr_expect_eq(r.stacks_total, 5);
	cr_expect_eq(r.stacks[0].bytes, 500);
	cr_expect_eq(r.stacks[0].nframes, 3, "max_frames addresses asked");
	cr_expect(r.stacks[0].truncated, "the source said it kept less than there was");
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, empty_heap)
{
	struct fake f = { 0 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(10, 64);
	struct heap h;
	struct report r;

	heap__init(&h, 4096);
	heap__sort(&h);
	m.stats = NULL;
	m.comm = NULL;
	cr_assert_eq(heapreport__build(&h, &m, &src, &r), 0);
	cr_expect_eq(r.nstacks, 0);
	cr_expect_eq(r.total_bytes, 0);
	cr_expect_eq(r.sample_bytes, 4096);
	cr_expect_str_eq(r.comm, "?");
	cr_expect_eq(r.stats[0], 0);
	cr_expect_eq(f.frames_called, 0);
	report__release(&r);
	heap__release(&h);
}

Test(heapreport, failures_are_returned_and_nothing_kept)
{
	struct fake f = { .fail_frame_at = 3 };
	struct heapreport_source src = { fake_stack, fake_frame, &f };
	struct heapreport_meta m = meta(0, 64);
	struct heap h;
	struct report r;

	heap__init(&h, 0);
	add(&h, 5, 0, SEEP_KIND_MALLOC, 100, 1, 0);
	heap__sort(&h);
	cr_expect_eq(heapreport__build(&h, &m, &src, &r), -ENOMEM);
	cr_expect_eq(r.nstacks, 0, "released");
	cr_expect_null(r.stacks);
	f = (struct fake){ .fail_stack = -EIO };
	cr_expect_eq(heapreport__build(&h, &m, &src, &r), -EIO);
	cr_expect_null(r.stacks);
	heap__release(&h);
}
