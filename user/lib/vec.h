/* vec — the one way seep grows an array.
 *
 * An array is a pointer, its length (kept by the caller) and its capacity.
 * VEC_RESERVE(v, cap, n) makes room for N elements: nothing happens when
 * CAP >= N; otherwise the capacity doubles (from 16) until it holds N, and
 * the array is reallocated. Sizes are checked: a capacity whose bytes would
 * overflow size_t fails with -EOVERFLOW, an allocation failure with -ENOMEM;
 * on failure V and CAP are left as they were (nothing is lost).
 * VEC_PUSH(v, len, cap) makes room for one more and returns a pointer to
 * element LEN (the caller fills it and increments LEN), or NULL.
 * Ownership: the caller frees V with free().
 */
#ifndef SEEP_VEC_H
#define SEEP_VEC_H

#include <stddef.h>

/* Makes room for N elements of ELEM bytes in *V (capacity *CAP): 0, -ENOMEM
 * or -EOVERFLOW. */
int vec__reserve(void **v, size_t *cap, size_t n, size_t elem);

#define VEC_RESERVE(v, cap, n) vec__reserve((void **)&(v), &(cap), (n), sizeof(*(v)))

/* Pointer to a new element at index LEN (not yet counted), or NULL. */
#define VEC_PUSH(v, len, cap) \
	((len) < (cap) || VEC_RESERVE(v, cap, (len) + 1) == 0 ? &(v)[(len)] : NULL)

#endif
