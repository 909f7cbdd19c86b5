/*
 * synth_rng.h -- the generator's own pseudo-random numbers: splitmix64 for
 * seeding and hashing, xoshiro256** for streams, and the distributions the
 * traffic model draws from (uniform, normal, gamma, Poisson).
 *
 * Every stream is derived from (seed, stream id), so a part of the output
 * (one bucket, one event) can be drawn without drawing what comes before.
 */
#ifndef INFORMER_SYNTH_RNG_H
#define INFORMER_SYNTH_RNG_H

#include <stdint.h>

#include "splitmix.h"

typedef struct SynthRng
{
	uint64_t	s[4];
} SynthRng;

/* A stream of its own for each (seed, stream) pair. */
void synth_rng_seed(SynthRng *r, uint64_t seed, uint64_t stream);

uint64_t synth_rng_next(SynthRng *r);

/* uniform on [0, 1), 53 random bits */
double synth_rng_uniform(SynthRng *r);

/* uniform integer on [0, n), n > 0, without modulo bias */
uint32_t synth_rng_below(SynthRng *r, uint32_t n);

/* standard normal */
double synth_rng_normal(SynthRng *r);

/* Gamma(shape, scale 1), shape > 0 (Marsaglia and Tsang) */
double synth_rng_gamma(SynthRng *r, double shape);

/* Poisson(mean), mean >= 0 (inversion below 10, PTRS transformed rejection above) */
uint64_t synth_rng_poisson(SynthRng *r, double mean);

#endif
