/*
 * test_synth_rng.c -- the generator's PRNG and distributions: reproducible
 * streams, and sample moments and frequencies against the exact values.
 */
#include "unit.h"
#include "synth_rng.h"

#define N 400000

TEST(synth_rng_streams_are_reproducible_and_distinct)
{
	SynthRng	a,
				b,
				c;

	synth_rng_seed(&a, 7, 1);
	synth_rng_seed(&b, 7, 1);
	synth_rng_seed(&c, 7, 2);
	int			same = 1,
				diff = 0;

	for (int i = 0; i < 1000; i++)
	{
		uint64_t	x = synth_rng_next(&a),
					y = synth_rng_next(&b),
					z = synth_rng_next(&c);

		same &= x == y;
		diff += x != z;
	}
	CHECK(same);
	CHECK(diff == 1000);
	/* splitmix64 of 0 is a published constant */
	CHECK(splitmix64(0) == UINT64_C(0xE220A8397B1DCDAF));
}

TEST(synth_rng_uniform_and_below_are_uniform)
{
	SynthRng	r;
	double		sum = 0,
				sum2 = 0;
	long		bins[7] = {0};

	synth_rng_seed(&r, 1, 0);
	for (int i = 0; i < N; i++)
	{
		double		u = synth_rng_uniform(&r);

		REQUIRE(u >= 0.0 && u < 1.0);
		sum += u;
		sum2 += u * u;
		bins[synth_rng_below(&r, 7)]++;
	}
	CHECK_CLOSE(sum / N, 0.5, 0, 4 * sqrt(1.0 / 12 / N));
	CHECK_CLOSE(sum2 / N - (sum / N) * (sum / N), 1.0 / 12, 0.01, 0);

	double		chi2 = 0,
				e = N / 7.0;

	for (int k = 0; k < 7; k++)
		chi2 += (bins[k] - e) * (bins[k] - e) / e;
	CHECK(chi2 < 22.5);			/* 6 degrees of freedom, p = 0.001 */
}

static void
check_poisson(double mean)
{
	SynthRng	r;
	double		sum = 0,
				sum2 = 0;

	synth_rng_seed(&r, 3, (uint64_t) (mean * 1000));
	for (int i = 0; i < N; i++)
	{
		double		k = (double) synth_rng_poisson(&r, mean);

		sum += k;
		sum2 += k * k;
	}
	double		m = sum / N,
				v = sum2 / N - m * m;

	CHECK_CLOSE(m, mean, 0, 5 * sqrt(mean / N));
	CHECK_CLOSE(v, mean, 0.02, 0);	/* sd of the sample variance ~ mean*sqrt(2/N) */
}

TEST(synth_rng_poisson_moments)
{
	check_poisson(0.3);
	check_poisson(3.5);
	check_poisson(9.9);
	check_poisson(10.0);
	check_poisson(47.0);
	check_poisson(12345.0);
	SynthRng	r;

	synth_rng_seed(&r, 1, 1);
	CHECK(synth_rng_poisson(&r, 0.0) == 0);
	CHECK(synth_rng_poisson(&r, NAN) == 0);
}

/* Frequencies of the rejection sampler (mean 14) against the exact pmf. */
TEST(synth_rng_poisson_pmf)
{
	SynthRng	r;
	long		count[64] = {0};
	double		mean = 14.0;

	synth_rng_seed(&r, 5, 5);
	for (int i = 0; i < N; i++)
	{
		uint64_t	k = synth_rng_poisson(&r, mean);

		count[k < 63 ? k : 63]++;
	}
	for (int k = 4; k <= 28; k++)
	{
		double		p = exp(-mean + k * log(mean) - lgamma(k + 1.0));
		double		e = p * N;

		CHECK_CLOSE((double) count[k], e, 0, 5 * sqrt(e));
	}
}

TEST(synth_rng_gamma_moments)
{
	double		shapes[] = {0.3, 1.0, 4.5, 50.0};

	for (int s = 0; s < 4; s++)
	{
		SynthRng	r;
		double		sum = 0,
					sum2 = 0,
					a = shapes[s];

		synth_rng_seed(&r, 9, (uint64_t) s);
		for (int i = 0; i < N; i++)
		{
			double		x = synth_rng_gamma(&r, a);

			REQUIRE(x >= 0.0);
			sum += x;
			sum2 += x * x;
		}
		double		m = sum / N;

		CHECK_CLOSE(m, a, 0, 5 * sqrt(a / N));
		CHECK_CLOSE(sum2 / N - m * m, a, 0.05, 0);
	}
}
