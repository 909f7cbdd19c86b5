/*
 * splitmix.h -- the splitmix64 step: a fast 64-bit mixing function that
 * seeds the generator's streams, hashes chain ids, and drives the small
 * random streams of weight initialisation, shuffles and coins.
 */
#ifndef INFORMER_SPLITMIX_H
#define INFORMER_SPLITMIX_H

#include <stdint.h>

#define SPLITMIX64_GAMMA UINT64_C(0x9E3779B97F4A7C15)

/* The output of a splitmix64 stream whose state is x: also a good hash. */
static inline uint64_t
splitmix64(uint64_t x)
{
	x += SPLITMIX64_GAMMA;
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* The next value of the stream in *state, advancing it. */
static inline uint64_t
splitmix64_next(uint64_t *state)
{
	uint64_t	z = splitmix64(*state);

	*state += SPLITMIX64_GAMMA;
	return z;
}

#endif
