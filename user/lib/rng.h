/* rng — a small deterministic pseudo-random generator (splitmix64).
 *
 * The state is one uint64_t owned by the caller; the same seed gives the same
 * sequence on every machine, which is what makes searches reproducible.
 * Not for cryptography.
 */
#ifndef SEEP_RNG_H
#define SEEP_RNG_H

#include <stdint.h>

/* Next 64 random bits; advances *STATE. */
uint64_t rng__next(uint64_t *state);
/* Uniform in [0, 1), 53 bits of precision. */
double rng__unit(uint64_t *state);

#endif
