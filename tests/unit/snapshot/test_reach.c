/* Unit tests for snapshot/reach on a hand-made heap image: a heap segment
 * holding tracked blocks, a data segment and a stack as roots. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/reach.h"

#define HEAP 0x5555000000ULL     /* the heap segment: 4 KiB */
#define DATA 0x4000000ULL        /* a writable data segment: 256 bytes */
#define STACK 0x7ffd00000000ULL  /* the live part of a stack: 128 bytes */

static uint8_t heap[4096], data[256], stack[128];

static void put(uint8_t *seg, uint64_t base, uint64_t at, uint64_t value)
{
	memcpy(seg + (at - base), &value, 8);
}

static int read_heap(void *ctx, uint64_t addr, void *buf, size_t len)
{
	int *reads = ctx;

	(*reads)++;
	if (addr < HEAP || addr + len > HEAP + sizeof(heap))
		return -EFAULT;
	memcpy(buf, heap + (addr - HEAP), len);
	return 0;
}

static const struct reach_block *by_id(const struct reach_block *b, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].id == id)
			return &b[i];
	return NULL;
}

/* Blocks (id: what it is)
 *  1 @+0x100 64 B   reached from the data segment (a global)
 *  2 @+0x200 32 B   reached from 1 through an interior pointer (1 -> 2+8)
 *  3 @+0x300 48 B   reached only from the stack
 *  4 @+0x400 32 B   lost: nothing points to it
 *  5 @+0x500 32 B   lost: a cycle with 6
 *  6 @+0x600 32 B   lost: a cycle with 5
 *  7 @+0x700 16 B   reached from untracked heap bytes (an allocator's own)
 *  8 @+0x800 16 B   lost: only a misaligned word and a word one past its end */
Test(reach, marks_what_roots_reach_and_nothing_else)
{
	struct reach_block b[] = {
		{ .addr = HEAP + 0x700, .size = 16, .id = 7 },   /* unsorted on purpose */
		{ .addr = HEAP + 0x100, .size = 64, .id = 1 },
		{ .addr = HEAP + 0x200, .size = 32, .id = 2 },
		{ .addr = HEAP + 0x300, .size = 48, .id = 3 },
		{ .addr = HEAP + 0x400, .size = 32, .id = 4 },
		{ .addr = HEAP + 0x500, .size = 32, .id = 5 },
		{ .addr = HEAP + 0x600, .size = 32, .id = 6 },
		{ .addr = HEAP + 0x800, .size = 16, .id = 8 },
	};
	size_t n = sizeof(b) / sizeof(b[0]);
	struct reach_region roots[] = {
		{ .addr = DATA, .data = data, .len = sizeof(data) },
		{ .addr = STACK, .data = stack, .len = sizeof(stack) },
		{ .addr = HEAP, .data = heap, .len = sizeof(heap) },   /* the whole segment */
	};
	struct reach_stats st;
	int reads = 0;
	uint64_t in_blocks = 64 + 32 + 48 + 32 + 32 + 32 + 16 + 16;

	memset(heap, 0, sizeof(heap));
	memset(data, 0, sizeof(data));
	memset(stack, 0, sizeof(stack));
	put(data, DATA, DATA + 0x10, HEAP + 0x100);
	put(heap, HEAP, HEAP + 0x100 + 0x18, HEAP + 0x208);      /* interior */
	put(stack, STACK, STACK + 0x40, HEAP + 0x300);
	put(heap, HEAP, HEAP + 0x400 + 0x8, HEAP + 0x100);       /* lost 4 -> 1: no matter */
	put(heap, HEAP, HEAP + 0x500, HEAP + 0x600);
	put(heap, HEAP, HEAP + 0x600, HEAP + 0x500);
	put(heap, HEAP, HEAP + 0x010, HEAP + 0x700);             /* untracked heap bytes */
	put(data, DATA, DATA + 0x21, HEAP + 0x800);              /* misaligned: not a pointer */
	put(data, DATA, DATA + 0x30, HEAP + 0x810);              /* one past the end */

	cr_assert_eq(reach__scan(b, n, roots, 3, read_heap, &reads, &st), 0);
	for (size_t i = 1; i < n; i++)
		cr_expect_lt(b[i - 1].addr, b[i].addr, "sorted by address");
	cr_expect(by_id(b, n, 1)->reached);
	cr_expect(by_id(b, n, 2)->reached, "an interior pointer reaches");
	cr_expect(by_id(b, n, 3)->reached);
	cr_expect(by_id(b, n, 7)->reached, "untracked heap bytes are roots");
	cr_expect_not(by_id(b, n, 4)->reached, "a pointer inside a lost block is no root");
	cr_expect_not(by_id(b, n, 5)->reached, "a lost cycle is lost");
	cr_expect_not(by_id(b, n, 6)->reached);
	cr_expect_not(by_id(b, n, 8)->reached);
	cr_expect_eq(st.reached, 4);
	cr_expect_eq(st.lost, 4);
	cr_expect_eq(st.lost_bytes, 32 + 32 + 32 + 16);
	cr_expect_eq(st.root_bytes, sizeof(data) + sizeof(stack) + sizeof(heap) - in_blocks,
		     "the blocks' own bytes are not roots");
	cr_expect_eq(st.block_bytes, 64 + 32 + 48 + 16, "only reached blocks are read");
	cr_expect_eq(reads, 4);
	cr_expect_eq(st.unreadable, 0);
}

Test(reach, an_unreadable_block_holds_no_pointers)
{
	struct reach_block b[] = {
		{ .addr = HEAP + 0x100, .size = 64, .id = 1 },
		{ .addr = HEAP + 0x10000, .size = 64, .id = 2 },   /* outside what reads */
		{ .addr = HEAP + 0x200, .size = 64, .id = 3 },
	};
	uint64_t root[2] = { HEAP + 0x10000, 0 };
	struct reach_region r = { .addr = DATA, .data = root, .len = sizeof(root) };
	struct reach_stats st;
	int reads = 0;

	memset(heap, 0, sizeof(heap));
	cr_assert_eq(reach__scan(b, 3, &r, 1, read_heap, &reads, &st), 0);
	cr_expect_eq(st.unreadable, 1);
	cr_expect_eq(st.reached, 1);
	cr_expect_eq(st.lost, 2);
}

Test(reach, overlapping_blocks_are_refused)
{
	struct reach_block b[] = {
		{ .addr = HEAP, .size = 64 },
		{ .addr = HEAP + 32, .size = 64 },
	};
	struct reach_stats st;
	int reads = 0;

	cr_expect_eq(reach__scan(b, 2, NULL, 0, read_heap, &reads, &st), -EINVAL);
	cr_expect_eq(reach__scan(NULL, 0, NULL, 0, read_heap, &reads, &st), 0, "nothing to scan");
	cr_expect_eq(st.lost, 0);
}

/* A long chain (each block points to the next) is followed to its end
 * from one root, and cut anywhere it is lost from there on. */
Test(reach, a_chain_is_followed_and_cut)
{
	enum { N = 200 };
	struct reach_block b[N];
	uint64_t root = HEAP;
	struct reach_region r = { .addr = DATA, .data = &root, .len = 8 };
	struct reach_stats st;
	int reads = 0;

	memset(heap, 0, sizeof(heap));
	for (size_t i = 0; i < N; i++) {
		b[i] = (struct reach_block){ .addr = HEAP + 16 * i, .size = 16, .id = i };
		if (i + 1 < N && i != 149)
			put(heap, HEAP, HEAP + 16 * i + 8, HEAP + 16 * (i + 1));
	}
	cr_assert_eq(reach__scan(b, N, &r, 1, read_heap, &reads, &st), 0);
	cr_expect_eq(st.reached, 150);
	cr_expect_eq(st.lost, 50);
	for (size_t i = 0; i < N; i++)
		cr_expect_eq(b[i].reached, i < 150, "%zu", i);
}

/* An allocator's word inside a block (glibc's pointer to the next chunk,
 * whose header overlaps the block's last bytes) does not reach it; any
 * other word inside it does. */
Test(reach, the_allocators_word_inside_a_block_is_no_pointer)
{
	struct reach_block b[] = {
		{ .addr = HEAP + 0x100, .size = 24, .id = 1, .not_ptr = HEAP + 0x110 },
		{ .addr = HEAP + 0x200, .size = 24, .id = 2, .not_ptr = HEAP + 0x210 },
	};
	uint64_t root[2] = { HEAP + 0x110, HEAP + 0x208 };   /* 1's next chunk; inside 2 */
	struct reach_region r = { .addr = DATA, .data = root, .len = sizeof(root) };
	struct reach_stats st;
	int reads = 0;

	memset(heap, 0, sizeof(heap));
	cr_assert_eq(reach__scan(b, 2, &r, 1, read_heap, &reads, &st), 0);
	cr_expect_not(by_id(b, 2, 1)->reached, "the arena's pointer to the next chunk");
	cr_expect(by_id(b, 2, 2)->reached, "an interior pointer that is not the allocator's");
	cr_expect_eq(st.lost_bytes, 24);
}

/* Registers as a root region at address 0 (no block lies there): a word
 * in them reaches, and the region is not mistaken for memory. */
Test(reach, registers_are_a_root_at_address_zero)
{
	struct reach_block b[] = { { .addr = HEAP + 0x300, .size = 72, .id = 1 } };
	uint64_t regs[27] = { 0 };
	struct reach_region r = { .addr = 0, .data = regs, .len = sizeof(regs) };
	struct reach_stats st;
	int reads = 0;

	memset(heap, 0, sizeof(heap));
	regs[3] = HEAP + 0x300 + 40;   /* r12, inside */
	cr_assert_eq(reach__scan(b, 1, &r, 1, read_heap, &reads, &st), 0);
	cr_expect(b[0].reached);
	cr_expect_eq(st.root_bytes, sizeof(regs));
}
