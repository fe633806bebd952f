/* stacks: interning (same frames and flag, same id; ids dense), totals, and
 * the sequence-number bindings a sweep keeps only while they are used. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/stacks.h"

/* The invariant: ids 0..N-1 each give back frames that intern to the same id. */
static void check_ids(struct stacks *st, uint32_t n)
{
	for (uint32_t id = 0; id < n; id++) {
		size_t len;
		bool trunc;
		const uint64_t *ips = stacks__get(st, id, &len, &trunc);
		uint64_t copy[128];
		uint32_t again;

		cr_assert_not_null(ips, "id %u of %u", id, n);
		cr_assert_leq(len, 128);
		memcpy(copy, ips, len * sizeof(*ips));
		cr_assert_eq(stacks__intern(st, copy, len, trunc, &again), 0);
		cr_assert_eq(again, id, "frames of id %u intern to %u", id, again);
	}
	cr_assert_null(stacks__get(st, n, &(size_t){ 0 }, NULL), "id %u past the end", n);
}

Test(stacks, intern_same_frames_same_id)
{
	struct stacks *st = stacks__new();
	uint64_t a[] = { 0x401000, 0x401234, 0x7f0000001000 }, b[] = { 0x401000, 0x401235 };
	uint64_t a2[3];
	uint32_t ida, idb, id;
	size_t n;
	bool trunc = true;
	const uint64_t *got;

	cr_assert_not_null(st);
	cr_assert_eq(stacks__intern(st, a, 3, false, &ida), 0);
	cr_assert_eq(ida, 0);
	cr_assert_eq(stacks__intern(st, b, 2, false, &idb), 0);
	cr_assert_eq(idb, 1, "ids are dense");
	memcpy(a2, a, sizeof(a));
	cr_assert_eq(stacks__intern(st, a2, 3, false, &id), 0);
	cr_assert_eq(id, ida, "same frames elsewhere in memory");
	cr_assert_eq(stacks__intern(st, a, 2, false, &id), 0);
	cr_assert_eq(id, 2, "a prefix is another stack");
	cr_assert_eq(stacks__intern(st, a, 0, false, &id), 0);
	cr_assert_eq(id, 3, "the empty stack is a stack");
	got = stacks__get(st, ida, &n, &trunc);
	cr_assert_eq(n, 3);
	cr_assert_not(trunc);
	cr_assert_arr_eq(got, a, sizeof(a));
	check_ids(st, 4);
	stacks__free(st);
	stacks__free(NULL);
}

Test(stacks, truncated_is_part_of_the_stack)
{
	struct stacks *st = stacks__new();
	uint64_t ips[] = { 1, 2, 3 };
	uint32_t whole, cut, again;
	size_t n;
	bool trunc = false;

	cr_assert_eq(stacks__intern(st, ips, 3, false, &whole), 0);
	cr_assert_eq(stacks__intern(st, ips, 3, true, &cut), 0);
	cr_assert_neq(whole, cut);
	cr_assert_eq(stacks__intern(st, ips, 3, true, &again), 0);
	cr_assert_eq(again, cut);
	cr_assert_not_null(stacks__get(st, cut, &n, &trunc));
	cr_assert(trunc);
	cr_assert_not_null(stacks__get(st, whole, &n, NULL), "the flag is optional");
	check_ids(st, 2);
	stacks__free(st);
}

Test(stacks, many_stacks_grow)
{
	struct stacks *st = stacks__new();
	uint64_t ips[64];
	uint32_t id;

	for (uint32_t i = 0; i < 20000; i++) {
		size_t n = 1 + i % 64;

		for (size_t j = 0; j < n; j++)
			ips[j] = 0x400000 + i * 64 + j;
		cr_assert_eq(stacks__intern(st, ips, n, i % 3 == 0, &id), 0);
		cr_assert_eq(id, i);
	}
	check_ids(st, 20000);
	stacks__free(st);
}

Test(stacks, counts_and_totals)
{
	struct stacks *st = stacks__new();
	uint64_t ips[] = { 7 };
	uint32_t id;
	double bytes, count;

	cr_assert_eq(stacks__intern(st, ips, 1, false, &id), 0);
	stacks__count(st, id, 100, 1);
	stacks__count(st, id, 50.5, 2.5);
	stacks__count(st, id + 1, 1e9, 1e9);   /* unknown id: ignored */
	stacks__totals(st, id, &bytes, &count);
	cr_assert_float_eq(bytes, 150.5, 1e-9);
	cr_assert_float_eq(count, 3.5, 1e-9);
	stacks__totals(st, id + 1, &bytes, &count);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(count, 0);
	/* counted in the kernel too: set (not added) at each report, summed */
	stacks__set_kernel_totals(st, id, 1000, 10);
	stacks__set_kernel_totals(st, id, 2000, 20);
	stacks__set_kernel_totals(st, id + 1, 1e9, 1e9);   /* unknown id: ignored */
	stacks__totals(st, id, &bytes, &count);
	cr_assert_float_eq(bytes, 2150.5, 1e-9);
	cr_assert_float_eq(count, 23.5, 1e-9);
	stacks__free(st);
}

Test(stacks, bind_and_lookup)
{
	struct stacks *st = stacks__new();
	uint32_t id = 99;

	cr_assert_eq(stacks__lookup(st, 5, &id), -ENOENT, "nothing bound");
	cr_assert_eq(stacks__bind(st, 0, 1), -EINVAL, "sequence number 0 is never bound");
	cr_assert_eq(stacks__lookup(st, 0, &id), -ENOENT);
	cr_assert_eq(stacks__bind(st, 5, 1), 0);
	cr_assert_eq(stacks__bind(st, 6, 2), 0);
	cr_assert_eq(stacks__bind(st, 5, 3), 0, "rebinding replaces");
	cr_assert_eq(stacks__bindings(st), 2);
	cr_assert_eq(stacks__lookup(st, 5, &id), 0);
	cr_assert_eq(id, 3);
	cr_assert_eq(stacks__lookup(st, 6, &id), 0);
	cr_assert_eq(id, 2);
	stacks__free(st);
}

/* A sweep drops the bindings neither bound nor looked up since the previous
 * one, and keeps the others with their ids. */
Test(stacks, sweep_keeps_only_marked)
{
	enum { N = 5000 };
	struct stacks *st = stacks__new();
	uint32_t id;

	for (uint64_t seq = 1; seq <= N; seq++)
		cr_assert_eq(stacks__bind(st, seq, (uint32_t)(seq * 7)), 0);
	stacks__sweep(st);
	cr_assert_eq(stacks__bindings(st), N, "all bound in the swept generation");
	for (uint64_t seq = 2; seq <= N; seq += 2)   /* the live blocks: even ones */
		cr_assert_eq(stacks__lookup(st, seq, &id), 0);
	cr_assert_eq(stacks__bind(st, N + 1, 1), 0);  /* a new block */
	stacks__sweep(st);
	cr_assert_eq(stacks__bindings(st), N / 2 + 1);
	for (uint64_t seq = 1; seq <= N + 1; seq++) {
		int err = stacks__lookup(st, seq, &id);

		if (seq % 2 == 0 || seq == N + 1) {
			cr_assert_eq(err, 0, "seq %llu was marked", (unsigned long long)seq);
			cr_assert_eq(id, seq == N + 1 ? 1 : (uint32_t)(seq * 7));
		} else {
			cr_assert_eq(err, -ENOENT, "seq %llu was not marked", (unsigned long long)seq);
		}
	}
	/* every one left was just looked up: the next sweep keeps them all;
	 * with none looked up after it, the one after drops them all */
	stacks__sweep(st);
	cr_assert_eq(stacks__bindings(st), N / 2 + 1);
	stacks__sweep(st);
	cr_assert_eq(stacks__bindings(st), 0);
	cr_assert_eq(stacks__lookup(st, 2, &id), -ENOENT);
	cr_assert_eq(stacks__bind(st, 2, 4), 0, "bindings work after an emptying sweep");
	cr_assert_eq(stacks__lookup(st, 2, &id), 0);
	cr_assert_eq(id, 4);
	stacks__free(st);
}
