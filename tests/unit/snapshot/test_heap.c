#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>

#include "snapshot/heap.h"

static struct seep_stack_key site(int id, uint64_t caller)
{
	return (struct seep_stack_key){ .tgid = 42, .stack_id = id, .caller = caller };
}

/* Invariant: the totals are the sums over the sites. */
static void check_sums(const struct heap *h)
{
	double b = 0, c = 0;
	uint64_t n = 0;

	for (size_t i = 0; i < h->n; i++) {
		b += h->sites[i].bytes;
		c += h->sites[i].count;
		n += h->sites[i].samples;
	}
	cr_assert_float_eq(b, h->total_bytes, 1e-6 * (1 + b));
	cr_assert_float_eq(c, h->total_count, 1e-6 * (1 + c));
	cr_assert_eq(n, h->total_samples);
}

static void check_sorted(const struct heap *h)
{
	for (size_t i = 1; i < h->n; i++) {
		cr_assert_geq(h->sites[i - 1].bytes, h->sites[i].bytes);
		if (h->sites[i - 1].bytes == h->sites[i].bytes)
			cr_assert_geq(h->sites[i - 1].count, h->sites[i].count);
	}
}

Test(heap, aggregates_by_site)
{
	struct heap h;
	struct seep_stack_key a = site(1, 0x10), b = site(1, 0x20), c = site(2, 0x10);

	heap__init(&h, 0);
	cr_assert_eq(heap__add_block(&h, &a, SEEP_KIND_MALLOC, 100, 500), 0);
	cr_assert_eq(heap__add_block(&h, &a, SEEP_KIND_MALLOC, 50, 300), 0);
	cr_assert_eq(heap__add_block(&h, &b, SEEP_KIND_CALLOC, 1000, 900), 0);
	cr_assert_eq(heap__add_block(&h, &c, SEEP_KIND_MALLOC, 10, 100), 0);
	check_sums(&h);
	cr_assert_eq(h.n, 3, "same stack, other caller: another site");
	heap__add_totals(&h, &a, 5000, 40);
	heap__add_totals(&h, &(struct seep_stack_key){ .tgid = 42, .stack_id = 9 }, 1, 1);
	heap__sort(&h);
	check_sorted(&h);
	cr_assert_eq(h.sites[0].key.caller, 0x20);
	cr_assert_eq(h.sites[0].kind, SEEP_KIND_CALLOC);
	cr_assert_eq(h.sites[1].bytes, 150);
	cr_assert_eq(h.sites[1].count, 2);
	cr_assert_eq(h.sites[1].oldest_ns, 300, "the oldest block's time");
	cr_assert_eq(h.sites[1].alloc_bytes, 5000);
	cr_assert_eq(h.sites[1].alloc_count, 40);
	cr_assert_eq(h.sites[2].alloc_count, 0);
	heap__release(&h);
	heap__release(NULL);
}

Test(heap, many_sites_stay_consistent)
{
	struct heap h;

	heap__init(&h, 0);
	srand(7);
	for (int i = 0; i < 200000; i++) {
		struct seep_stack_key k = site(rand() % 5000, (uint64_t)(rand() % 3));

		cr_assert_eq(heap__add_block(&h, &k, SEEP_KIND_MALLOC, (uint64_t)(rand() % 4096),
					     (uint64_t)i), 0);
	}
	check_sums(&h);
	cr_assert_leq(h.n, 15000);
	for (size_t i = 0; i < h.n; i++)  /* every site once */
		for (size_t j = i + 1; j < h.n && j < i + 50; j++)
			cr_assert(h.sites[i].key.stack_id != h.sites[j].key.stack_id ||
				  h.sites[i].key.caller != h.sites[j].key.caller);
	heap__sort(&h);
	check_sorted(&h);
	check_sums(&h);
	heap__release(&h);
}

Test(heap, empty)
{
	struct heap h;

	heap__init(&h, 0);
	heap__add_totals(&h, &(struct seep_stack_key){ 0 }, 1, 1);
	heap__sort(&h);
	cr_assert_eq(h.n, 0);
	cr_assert_eq(h.total_bytes, 0);
	heap__release(&h);
}

/* A sampled heap: each block stands for its size over its probability. */
Test(heap, sampled_blocks_are_weighted)
{
	struct heap h;
	struct seep_stack_key a = site(1, 0x10);
	const uint64_t R = 65536;
	double p = 1 - exp(-1024.0 / R);

	heap__init(&h, R);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(heap__add_block(&h, &a, SEEP_KIND_MALLOC, 1024, 100), 0);
	check_sums(&h);
	cr_assert_eq(h.sites[0].samples, 10);
	cr_assert_float_eq(h.sites[0].bytes, 10 * 1024 / p, 1e-6);
	cr_assert_float_eq(h.sites[0].count, 10 / p, 1e-9);
	cr_assert_float_eq(h.sites[0].var_bytes, 10 * 1024.0 * 1024 * (1 - p) / (p * p), 1e-3);
	heap__release(&h);
}
