/*
 * synth_rng.c -- splitmix64 / xoshiro256** streams and the distributions
 * drawn by the synthetic RPC log generator.
 */
#include "synth_rng.h"

#include <math.h>

void
synth_rng_seed(SynthRng *r, uint64_t seed, uint64_t stream)
{
	uint64_t	x = splitmix64(seed) ^ splitmix64(stream + UINT64_C(0x632BE59BD9B4E019));

	for (int i = 0; i < 4; i++)
	{
		x = splitmix64(x);
		r->s[i] = x;
	}
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
synth_rng_next(SynthRng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
synth_rng_uniform(SynthRng *r)
{
	return (double) (synth_rng_next(r) >> 11) * 0x1.0p-53;
}

uint32_t
synth_rng_below(SynthRng *r, uint32_t n)
{
	uint64_t	m = (synth_rng_next(r) >> 32) * n;
	uint32_t	low = (uint32_t) m;

	if (low < n)
	{
		uint32_t	threshold = (uint32_t) (-n) % n;

		while (low < threshold)
		{
			m = (synth_rng_next(r) >> 32) * n;
			low = (uint32_t) m;
		}
	}
	return (uint32_t) (m >> 32);
}

double
synth_rng_normal(SynthRng *r)
{
	double		u = 1.0 - synth_rng_uniform(r);	/* (0, 1] */
	double		v = synth_rng_uniform(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586477 * v);
}

double
synth_rng_gamma(SynthRng *r, double shape)
{
	if (shape < 1.0)
	{
		double		u = 1.0 - synth_rng_uniform(r);

		return synth_rng_gamma(r, shape + 1.0) * pow(u, 1.0 / shape);
	}

	double		d = shape - 1.0 / 3.0;
	double		c = 1.0 / sqrt(9.0 * d);

	for (;;)
	{
		double		x = synth_rng_normal(r);
		double		v = 1.0 + c * x;

		if (v <= 0.0)
			continue;
		v = v * v * v;

		double		u = 1.0 - synth_rng_uniform(r);

		if (u < 1.0 - 0.0331 * x * x * x * x ||
			log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

static uint64_t
poisson_small(SynthRng *r, double mean)
{
	double		limit = exp(-mean);
	double		p = 1.0;
	uint64_t	k = 0;

	for (;;)
	{
		p *= synth_rng_uniform(r);
		if (p <= limit)
			return k;
		k++;
	}
}

/* Hormann's PTRS: transformed rejection with squeeze, for mean >= 10 */
static uint64_t
poisson_ptrs(SynthRng *r, double mean)
{
	double		slam = sqrt(mean);
	double		loglam = log(mean);
	double		b = 0.931 + 2.53 * slam;
	double		a = -0.059 + 0.02483 * b;
	double		invalpha = 1.1239 + 1.1328 / (b - 3.4);
	double		vr = 0.9277 - 3.6224 / (b - 2.0);

	for (;;)
	{
		double		u = synth_rng_uniform(r) - 0.5;
		double		v = synth_rng_uniform(r);
		double		us = 0.5 - fabs(u);
		double		k = floor((2.0 * a / us + b) * u + mean + 0.43);

		if (us >= 0.07 && v <= vr)
			return (uint64_t) k;
		if (k < 0.0 || (us < 0.013 && v > us))
			continue;
		if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
			-mean + k * loglam - lgamma(k + 1.0))
			return (uint64_t) k;
	}
}

uint64_t
synth_rng_poisson(SynthRng *r, double mean)
{
	if (!(mean > 0.0))
		return 0;
	return mean < 10.0 ? poisson_small(r, mean) : poisson_ptrs(r, mean);
}
