/* hash — the one hash function family of seep: 64-bit FNV-1a over bytes,
 * with a final avalanche (murmur3's fmix64) so that every bit of the result
 * depends on every input bit: open-addressed tables mask the low bits.
 * Header-only, pure functions.
 */
#ifndef SEEP_HASH_H
#define SEEP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 14695981039346656037ULL

/* Continues hash H over LEN bytes at P (start with HASH_SEED). */
static inline uint64_t hash__update(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

/* Continues hash H over the string S, its terminating NUL included (so
 * ("ab", "c") and ("a", "bc") differ); NULL hashes like "". */
static inline uint64_t hash__update_str(uint64_t h, const char *s)
{
	if (s)
		for (; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

/* Continues hash H over the 64-bit value V. */
static inline uint64_t hash__update_u64(uint64_t h, uint64_t v)
{
	return hash__update(h, &v, sizeof(v));
}

/* The final mix: call once on a finished FNV state. */
static inline uint64_t hash__finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t hash__bytes(const void *p, size_t len)
{
	return hash__finish(hash__update(HASH_SEED, p, len));
}

static inline uint64_t hash__str(const char *s)
{
	return hash__finish(hash__update_str(HASH_SEED, s));
}

#endif
