/*
 * synth_traffic.c -- the traffic model of the generator: rates per bucket
 * with seasonality, trend and over-dispersed noise.
 */
#include "synth_traffic.h"

#include <math.h>

#define TWO_PI 6.283185307179586477
#define PEAK_HOUR 14.0			/* UTC hour of the daily peak */

double
synth_traffic_base(const SynthParams *p)
{
	return p->chains_per_day * p->sampling_rate *
		(double) p->width_us / (double) USECS_PER_DAY_SYNTH;
}

double
synth_traffic_shape(const SynthParams *p, int64_t bucket)
{
	int64_t		mid = p->start_us + bucket * p->width_us + p->width_us / 2;
	int64_t		day = mid >= 0 ? mid / USECS_PER_DAY_SYNTH
		: -((-mid + USECS_PER_DAY_SYNTH - 1) / USECS_PER_DAY_SYNTH);
	double		hour = (double) (mid - day * USECS_PER_DAY_SYNTH) / 3.6e9;
	int			weekday = (int) (((day + 3) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday; Monday = 0 */
	double		daily = 1.0 + p->daily_amplitude * cos(TWO_PI * (hour - PEAK_HOUR) / 24.0);
	double		weekly = weekday >= 5 ? 1.0 - p->weekly_amplitude : 1.0;
	double		trend = 1.0 + p->trend * (double) bucket / (p->buckets - 1.0);

	return daily * weekly * trend;
}

double
synth_traffic_noise(const SynthParams *p, SynthRng *rng)
{
	return synth_rng_gamma(rng, p->dispersion) / p->dispersion;
}
