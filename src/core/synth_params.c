/*
 * synth_params.c -- defaults and bounds of the generator's parameters.
 *
 * The defaults are shaped like the Informer paper's data: two weeks of
 * 20-minute buckets, hundreds of RPCs, a registration pattern of about 50
 * RPCs and more than 10^4 sampled chains a day.
 */
#include "synth_params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B(field, lo, hi, whole, hint) \
	{#field, offsetof(SynthParams, field), lo, hi, whole, hint}

const SynthBound synth_bounds[] = {
	B(buckets, 48, 1000000, 1, "Two weeks of 20-minute buckets is 1008."),
	B(services, 16, 1000, 1, "Eight services are fixed (gateway, auth, profile, logging, captcha, sms, account, risk); the rest are generic."),
	B(methods, 2, 12, 1, "Each generic service gets this many methods."),
	B(functionalities, 5, 2000, 1, "Registration and SMS login are two of them."),
	B(registration_rpcs, 12, 200, 1, "The paper's registration pattern has about 50 RPCs."),
	B(chains_per_day, 1, 1e9, 0, "Chains per day before sampling; the sampled log keeps sampling_rate of them."),
	B(sampling_rate, 1e-6, 1, 0, "Production traces keep a share of chains, e.g. 0.1."),
	B(zipf, 0, 3, 0, "Functionality k gets a share proportional to 1/k^zipf; 0 makes them equally popular."),
	B(daily_amplitude, 0, 0.95, 0, "The rate swings by this share around its daily mean."),
	B(weekly_amplitude, 0, 0.95, 0, "Weekends lose this share of the weekday rate."),
	B(trend, -0.9, 10, 0, "The rate grows by this share from the first to the last bucket."),
	B(dispersion, 0.1, 1e6, 0, "Gamma shape of the rate noise: small values are bursty, 1e6 is plain Poisson."),
	B(drop_prob, 0, 1, 0, "Chance that an optional branch of a call tree is left out of a chain."),
	B(retry_prob, 0, 0.5, 0, "Chance that a call is made twice."),
	B(attack_factor, 1, 1000, 0, "Batch registration multiplies registration chains by this factor."),
	B(cracking_factor, 1, 1000, 0, "Account cracking multiplies SMS login chains by this factor."),
	B(outage_factor, 0, 1, 0, "Share of the failing RPC's calls that still happen during the outage."),
};
const size_t synth_nbounds = sizeof(synth_bounds) / sizeof(synth_bounds[0]);

void
synth_params_default(SynthParams *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->start_us = INT64_C(1767571200000000);	/* 2026-01-05 00:00 UTC, a Monday */
	p->width_us = 20 * USECS_PER_MINUTE_SYNTH;
	p->buckets = 1008;
	p->services = 40;
	p->methods = 5;
	p->functionalities = 40;
	p->registration_rpcs = 50;
	p->chains_per_day = 100000;
	p->sampling_rate = 0.2;
	p->zipf = 1.0;
	p->daily_amplitude = 0.6;
	p->weekly_amplitude = 0.3;
	p->trend = 0.1;
	p->dispersion = 50;
	p->drop_prob = 0.2;
	p->retry_prob = 0.02;
	p->attack_factor = 8;
	p->cracking_factor = 20;
	p->outage_factor = 0.02;
	p->events = 1;
}

const SynthBound *
synth_params_invalid(const SynthParams *p, double *value)
{
	for (size_t i = 0; i < synth_nbounds; i++)
	{
		const SynthBound *b = &synth_bounds[i];
		double		v = *(const double *) ((const char *) p + b->offset);

		*value = v;
		/* written so that NaN fails */
		if (!(v >= b->min && v <= b->max) || (b->integral && v != floor(v)))
			return b;
	}
	return NULL;
}

double
synth_peak_bucket_chains(const SynthParams *p)
{
	double		per_bucket = p->chains_per_day * p->sampling_rate *
		(double) p->width_us / (double) USECS_PER_DAY_SYNTH;
	double		peak = (1.0 + p->daily_amplitude) * (1.0 + (p->trend > 0 ? p->trend : 0));

	return per_bucket * peak;
}

static void *
malloc_alloc(void *ctx, size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	(void) ctx;
	if (p == NULL)
		abort();
	return p;
}

static void *
malloc_realloc(void *ctx, void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	(void) ctx;
	if (p == NULL)
		abort();
	return p;
}

static void
malloc_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

const SynthAllocator synth_malloc_allocator = {malloc_alloc, malloc_realloc, malloc_free, NULL};
