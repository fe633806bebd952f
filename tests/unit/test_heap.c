#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>

#include "heap.h"

static struct seep_stack_key site(int id, uint64_t caller)
{
	return (struct seep_stack_key){ .tgid = 42, .stack_id = id, .caller = caller };
}

/* Invariant: the totals are the sums over the sites. */
static void check_sums(const struct heap *h)
{
	uint64_t b = 0, c = 0;

	for (size_t i = 0; i < h->n; i++) {
		b += h->sites[i].bytes;
		c += h->sites[i].count;
	}
	cr_assert_eq(b, h->total_bytes);
	cr_assert_eq(c, h->total_count);
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

	heap__init(&h);
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

	heap__init(&h);
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

	heap__init(&h);
	heap__add_totals(&h, &(struct seep_stack_key){ 0 }, 1, 1);
	heap__sort(&h);
	cr_assert_eq(h.n, 0);
	cr_assert_eq(h.total_bytes, 0);
	heap__release(&h);
}
