/* lib's containers: vec (growth, overflow), hashmap (find/add/remove
 * against a reference model, growth, collisions), hash (spread). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/vec.h"

Test(vec, grows_by_doubling_and_keeps_contents)
{
	int *v = NULL;
	size_t len = 0, cap = 0;

	for (int i = 0; i < 1000; i++) {
		int *slot = VEC_PUSH(v, len, cap);

		cr_assert_not_null(slot);
		*slot = i;
		len++;
		cr_assert_geq(cap, len);
		cr_assert_eq(cap & (cap - 1), 0, "capacity %zu not a power of two", cap);
	}
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(v[i], i);
	cr_assert_eq(cap, 1024);
	free(v);
}

Test(vec, overflow_fails_and_leaves_the_array)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	cr_assert_eq(VEC_RESERVE(v, cap, 4), 0);
	v[3] = 42;
	cr_assert_eq(VEC_RESERVE(v, cap, SIZE_MAX / 4), -EOVERFLOW);
	cr_assert_eq(VEC_RESERVE(v, cap, SIZE_MAX), -EOVERFLOW);
	cr_assert_eq(cap, 16);
	cr_assert_eq(v[3], 42);
	free(v);
}

/* The model: ids index KEYS; an id is present when LIVE[id]. */
struct model {
	uint64_t keys[4096];
	bool live[4096];
};

static bool eq_key(uint32_t id, const void *key, void *ctx)
{
	const struct model *m = ctx;

	return m->keys[id] == *(const uint64_t *)key;
}

/* A deliberately poor hash (16 values) forces long probe runs and wraps. */
static uint64_t weak(uint64_t k)
{
	return k % 16 * 0x1000000000001ULL;
}

static void check_all(const struct hashmap *h, struct model *m, size_t n, uint64_t (*hf)(uint64_t))
{
	size_t live = 0;

	for (size_t id = 0; id < n; id++) {
		int64_t got = hashmap__find(h, hf(m->keys[id]), &m->keys[id], eq_key, m);

		if (m->live[id]) {
			cr_assert_eq(got, (int64_t)id, "key %zu: found %lld", id, (long long)got);
			live++;
		} else {
			cr_assert_eq(got, -ENOENT, "removed key %zu still found", id);
		}
	}
	cr_assert_eq(hashmap__len(h), live);
}

static uint64_t strong(uint64_t k)
{
	return hash__bytes(&k, sizeof(k));
}

static void exercise(uint64_t (*hf)(uint64_t))
{
	static struct model m;
	struct hashmap h;
	uint64_t x = 88172645463325252ULL;
	size_t n = 0;

	hashmap__init(&h);
	for (int round = 0; round < 2000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (n < 4096 && (x % 3 || n == 0)) {
			m.keys[n] = x;
			m.live[n] = true;
			cr_assert_eq(hashmap__add(&h, hf(x), (uint32_t)n), 0);
			n++;
		} else {
			size_t id = x % n;
			int64_t got = hashmap__remove(&h, hf(m.keys[id]), &m.keys[id], eq_key, &m);

			cr_assert_eq(got, m.live[id] ? (int64_t)id : -ENOENT);
			m.live[id] = false;
		}
		if (round % 97 == 0)
			check_all(&h, &m, n, hf);
	}
	check_all(&h, &m, n, hf);
	hashmap__clear(&h);
	cr_assert_eq(hashmap__len(&h), 0);
	cr_assert_eq(hashmap__find(&h, hf(m.keys[0]), &m.keys[0], eq_key, &m), -ENOENT);
	hashmap__release(&h);
	hashmap__release(NULL);
	hashmap__free(NULL);
}

Test(hashmap, matches_a_model_with_a_good_hash)
{
	exercise(strong);
}

Test(hashmap, matches_a_model_when_every_key_collides)
{
	exercise(weak);
}

Test(hashmap, rejects_the_reserved_id)
{
	struct hashmap h;

	hashmap__init(&h);
	cr_assert_eq(hashmap__add(&h, 1, UINT32_MAX), -EINVAL);
	cr_assert_eq(hashmap__len(&h), 0);
	hashmap__release(&h);
}

Test(hash, strings_differ_by_boundaries_and_spread_low_bits)
{
	uint64_t a = hash__finish(hash__update_str(hash__update_str(HASH_SEED, "ab"), "c"));
	uint64_t b = hash__finish(hash__update_str(hash__update_str(HASH_SEED, "a"), "bc"));
	unsigned buckets[16] = { 0 };

	cr_assert_neq(a, b);
	cr_assert_eq(hash__str(NULL), hash__str(""));
	/* Sequential integers must fill the low 4 bits evenly (within 2x). */
	for (uint64_t i = 0; i < 1600; i++)
		buckets[hash__bytes(&i, sizeof(i)) & 15]++;
	for (int i = 0; i < 16; i++)
		cr_assert(buckets[i] > 50 && buckets[i] < 200, "bucket %d has %u", i, buckets[i]);
}
