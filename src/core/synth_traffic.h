/*
 * synth_traffic.h -- how many chains each functionality makes per bucket:
 * a base rate shared out by popularity, times daily and weekly seasonality
 * and a linear trend, with gamma-distributed rate noise (so the counts are
 * over-dispersed, negative binomial) and trace sampling.
 */
#ifndef INFORMER_SYNTH_TRAFFIC_H
#define INFORMER_SYNTH_TRAFFIC_H

#include "synth_params.h"
#include "synth_rng.h"

/* Expected sampled chains per bucket of all functionalities, before the shape. */
double synth_traffic_base(const SynthParams *p);

/* Seasonality times trend at a bucket (its midpoint, UTC); mean about 1. */
double synth_traffic_shape(const SynthParams *p, int64_t bucket);

/* A draw of the rate noise: Gamma(dispersion) / dispersion, mean 1. */
double synth_traffic_noise(const SynthParams *p, SynthRng *rng);

#endif
