/* rng — splitmix64. See rng.h. */
#include "lib/rng.h"

uint64_t rng__next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double rng__unit(uint64_t *state)
{
	return (double)(rng__next(state) >> 11) * 0x1.0p-53;
}
