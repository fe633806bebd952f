/* sampling — what a sampled allocation stands for.
 *
 * With byte-based Poisson sampling of mean R bytes between samples (done in
 * BPF), an allocation of s bytes is sampled with probability
 * p = 1 - exp(-s / R). Each sampled block then stands for 1/p blocks and
 * s/p bytes (Horvitz-Thompson: unbiased), with variance s^2 (1 - p) / p^2
 * for the bytes. R <= 1 means every allocation is recorded: p = 1. Pure C.
 */
#ifndef SEEP_SAMPLING_H
#define SEEP_SAMPLING_H

#include <stdint.h>

struct sample_weight {
	double p;                /* probability the allocation was sampled */
	double bytes;            /* s / p */
	double count;            /* 1 / p */
	double var_bytes;        /* s^2 (1 - p) / p^2 */
};

struct sample_weight sampling__weight(uint64_t size, uint64_t mean);

#endif
