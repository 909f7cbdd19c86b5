/*
 * synth_params.h -- the parameters of the synthetic RPC log generator, their
 * defaults and bounds, and the allocator the generator takes its memory from.
 */
#ifndef INFORMER_SYNTH_PARAMS_H
#define INFORMER_SYNTH_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define USECS_PER_MINUTE_SYNTH INT64_C(60000000)
#define USECS_PER_DAY_SYNTH INT64_C(86400000000)

typedef struct SynthParams
{
	uint64_t	seed;
	int64_t		start_us;		/* Unix microseconds of the first bucket */
	int64_t		width_us;		/* bucket width */
	double		buckets;
	double		services;		/* services, 8 of them fixed (gateway, auth, ...) */
	double		methods;		/* methods per generic service */
	double		functionalities;	/* call trees, registration and SMS login included */
	double		registration_rpcs;	/* RPCs of the registration tree */
	double		chains_per_day; /* before sampling */
	double		sampling_rate;
	double		zipf;			/* popularity exponent of functionalities */
	double		daily_amplitude;
	double		weekly_amplitude;
	double		trend;			/* relative growth over the whole period */
	double		dispersion;		/* gamma shape of the rate noise (large: Poisson) */
	double		drop_prob;		/* chance an optional branch is left out */
	double		retry_prob;		/* chance a call is repeated */
	double		attack_factor;	/* batch registration: registration chains x */
	double		cracking_factor;	/* account cracking: SMS login chains x */
	double		outage_factor;	/* outage: share of calls that still happen */
	int			events;			/* inject the labelled events */
} SynthParams;

/* The numeric parameters with their bounds, in declaration order. */
typedef struct SynthBound
{
	const char *name;
	size_t		offset;			/* of the double in SynthParams */
	double		min;
	double		max;
	int			integral;		/* must be a whole number */
	const char *hint;
} SynthBound;

extern const SynthBound synth_bounds[];
extern const size_t synth_nbounds;

#define SYNTH_MIN_WIDTH_US USECS_PER_MINUTE_SYNTH
#define SYNTH_MAX_WIDTH_US USECS_PER_DAY_SYNTH
/* most chains a bucket may expect at its peak (memory of one bucket) */
#define SYNTH_MAX_BUCKET_CHAINS 1000000.0

void synth_params_default(SynthParams *p);

/* The first parameter out of its bounds, or NULL; *value receives its value. */
const SynthBound *synth_params_invalid(const SynthParams *p, double *value);

/* Expected sampled chains at the busiest bucket (before events). */
double synth_peak_bucket_chains(const SynthParams *p);

/* Memory for the generator: the PostgreSQL side passes memory contexts. */
typedef struct SynthAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* zeroed */
	void	   *(*realloc) (void *ctx, void *ptr, size_t size);
	void		(*free) (void *ctx, void *ptr);
	void	   *ctx;
} SynthAllocator;

/* malloc-based allocator for tests and tools (aborts when out of memory) */
extern const SynthAllocator synth_malloc_allocator;

#endif
