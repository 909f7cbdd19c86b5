/*
 * forecast.h -- call counts forecast by a trained DCRNN from the buckets
 * before each origin: the one path that training's held-out evaluation and
 * inference both take, so the detection statistics describe exactly the
 * forecasts they are later applied to.
 */
#ifndef INFORMER_FORECAST_H
#define INFORMER_FORECAST_H

#include <stddef.h>

#include "dcrnn.h"

/*
 * counts: n_buckets x N calls, bucket-major.  For each origins[i] (history
 * <= origin <= n_buckets) the buckets [origin - history, origin) become
 * log1p(count) z-scored with norm_mean and norm_std (N each), the model
 * forecasts horizon steps (in batches of its cfg.batch), and out receives
 * expm1(z * std + mean) clamped at 0 calls, laid out (horizon, count, N).
 * Returns 0, or -1 with a message in err (an origin out of range, a model
 * with more than one feature, memory).
 */
int			forecast_counts(DcrnnModel *m, const double *norm_mean,
							const double *norm_std, const double *counts,
							int n_buckets, const int *origins, int count,
							double *out, char *err, size_t errlen);

/*
 * Forecasts like forecast_counts from the consecutive origins first,
 * first + 1, ..., first + count - 1, one at a time, so that an anomaly does
 * not drag the forecasts after it: once origin o is forecast, a bucket o
 * (o < n_buckets) whose count lies outside its step-1 band (detect_band with
 * stats_mean/stats_std, node-major per horizon step as in a model's
 * statistics slot, and k) is replaced in counts by its step-1 forecast,
 * for the windows after it.  A node outside its band for more than max_run
 * buckets in a row keeps its counts from then on until it is back inside:
 * a lasting change becomes the model's input, as a level shift must.
 * counts (n_buckets x N) is changed in place.
 */
int			forecast_counts_robust(DcrnnModel *m, const double *norm_mean,
								   const double *norm_std, const double *stats_mean,
								   const double *stats_std, double k, int max_run,
								   double *counts, int n_buckets, int first, int count,
								   double *out, char *err, size_t errlen);

#endif
