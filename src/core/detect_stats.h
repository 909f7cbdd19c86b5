/*
 * detect_stats.h -- forecast errors: the detection statistics of a model
 * (mean and standard deviation of the errors per RPC and horizon step, on
 * the square-root scale where call-count noise has about the same spread
 * at every level), the band and score they give, the threshold that keeps
 * a pattern's false-alarm rate at that of one series, per-step error
 * metrics in calls, and the naive forecasts a model is compared with.
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
 * The variance-stabilised value of a call count: sqrt(calls + 3/8)
 * (Anscombe), negative counts taken as 0.  Poisson counts have a standard
 * deviation of about 1/2 on this scale whatever their mean.
 */
double		detect_stable(double calls);

/*
 * Per (node, step) mean and sample standard deviation (n - 1; 0 for one
 * window) of detect_stable(obs) - detect_stable(pred) over the count
 * windows, node-major: mean[node * horizon + step].  This is the layout of
 * a model buffer's statistics slot.
 */
void		detect_stats(const double *obs, const double *pred, int horizon,
						 int count, int n_nodes, double *mean, double *std);

/*
 * The band of a forecast in calls: the calls whose stable value lies in
 * detect_stable(pred) + m -+ k * s.  A stable bound at or below 0 gives a
 * bound below -3/8, which no count crosses.
 */
void		detect_band(double pred, double m, double s, double k,
						double *lower, double *upper);

/* (detect_stable(obs) - detect_stable(pred) - m) / s; +-INFINITY or 0 when s is 0. */
double		detect_score(double obs, double pred, double m, double s);

/*
 * The threshold for each of n series judged together so that a bucket of
 * all n has the false-alarm rate that k gives one Gaussian series:
 * P(|Z| > result) = P(|Z| > k) / n (Bonferroni).  k itself for n <= 1 or
 * k <= 0.
 */
double		detect_family_k(double k, int n);

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
