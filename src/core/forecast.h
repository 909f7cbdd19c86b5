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

#endif
