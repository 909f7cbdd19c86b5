/*
 * detect_stats.h -- forecast errors in count space: the detection
 * statistics of a model (mean and standard deviation of observed - predicted
 * per RPC and horizon step), per-step error metrics, and the naive
 * forecasts a model is compared with.
 *
 * Windows are given by their origins: origin o forecasts buckets
 * o, o + 1, ..., o + horizon - 1 from the buckets before o.  Counts are
 * bucket-major (T buckets x N nodes); observed and predicted values of
 * `count` windows are laid out (horizon, count, N), node fastest.
 */
#ifndef INFORMER_DETECT_STATS_H
#define INFORMER_DETECT_STATS_H

#include <stddef.h>

typedef struct StepError
{
	double		mae;			/* mean |obs - pred| */
	double		mape;			/* mean |obs - pred| / obs over obs != 0; NAN if none */
	double		rmse;			/* sqrt(mean (obs - pred)^2) */
} StepError;

/*
 * The observed counts of the windows at origins[0..count): each origin plus
 * horizon must be at most the number of buckets the counts hold.
 */
void		detect_observed(const double *counts, int n_nodes, int horizon,
							const int *origins, int count, double *obs);

/*
 * Per (node, step) mean and sample standard deviation (n - 1; 0 for one
 * window) of obs - pred over the count windows, node-major:
 * mean[node * horizon + step].  This is the layout of a model buffer's
 * statistics slot.
 */
void		detect_stats(const double *obs, const double *pred, int horizon,
						 int count, int n_nodes, double *mean, double *std);

/* Per horizon step errors over every window and node (horizon entries). */
void		detect_step_errors(const double *obs, const double *pred, int horizon,
							   int count, int n_nodes, StepError *per_step);

/*
 * Naive forecasts of the windows: every step repeats the last bucket
 * before the origin (last_value), or the mean of the history buckets before
 * it (history_mean, when history > 0).  Either output may be NULL.
 */
void		detect_naive(const double *counts, int n_nodes, int history,
						 int horizon, const int *origins, int count,
						 double *last_value, double *history_mean);

#endif
