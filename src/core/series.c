/*
 * series.c -- call counts to z-scored log1p series and model windows.
 */
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
series_scatter(double *counts, int n_buckets, int n_nodes,
			   const int32_t *node, const int64_t *bucket,
			   const double *calls, size_t n_rows, char *err, size_t errlen)
{
	for (size_t i = 0; i < n_rows; i++)
	{
		if (node[i] < 0 || node[i] >= n_nodes)
		{
			snprintf(err, errlen, "row %zu: node %d is outside [0, %d)",
					 i, (int) node[i], n_nodes);
			return -1;
		}
		if (bucket[i] < 0 || bucket[i] >= n_buckets)
		{
			snprintf(err, errlen, "row %zu: bucket %lld is outside [0, %d)",
					 i, (long long) bucket[i], n_buckets);
			return -1;
		}
		if (!isfinite(calls[i]) || calls[i] < 0)
		{
			snprintf(err, errlen, "row %zu: call count %g is not a finite non-negative number",
					 i, calls[i]);
			return -1;
		}
		counts[(size_t) bucket[i] * n_nodes + node[i]] += calls[i];
	}
	return 0;
}

/* Check sizes and fractions and count the windows of each part. */
static int
series_plan(Series *s, int n_buckets, int n_nodes, int history, int horizon,
			double train_frac, double val_frac, char *err, size_t errlen)
{
	if (n_buckets < 1 || n_nodes < 1 || history < 1 || horizon < 1)
	{
		snprintf(err, errlen, "buckets (%d), nodes (%d), history (%d) and horizon (%d) must all be positive",
				 n_buckets, n_nodes, history, horizon);
		return -1;
	}
	if ((size_t) n_buckets > SIZE_MAX / sizeof(double) / (size_t) n_nodes)
	{
		snprintf(err, errlen, "%d buckets x %d nodes is too large", n_buckets, n_nodes);
		return -1;
	}
	if (!(train_frac > 0 && train_frac <= 1 && val_frac >= 0 && val_frac < 1 &&
		  train_frac + val_frac <= 1 + 1e-9))
	{
		snprintf(err, errlen, "train fraction %g and validation fraction %g must lie in (0, 1] and [0, 1) and add up to at most 1",
				 train_frac, val_frac);
		return -1;
	}
	s->n_buckets = n_buckets;
	s->n_nodes = n_nodes;
	s->history = history;
	s->horizon = horizon;
	s->n_windows = n_buckets - history - horizon + 1;
	if (s->n_windows < 1)
	{
		snprintf(err, errlen, "%d buckets are too few for one window of %d + %d buckets",
				 n_buckets, history, horizon);
		return -1;
	}
	s->n_train = (int) floor(s->n_windows * train_frac + 1e-9);
	s->n_val = (int) floor(s->n_windows * val_frac + 1e-9);
	s->n_test = s->n_windows - s->n_train - s->n_val;
	if (s->n_train < 1 || (val_frac > 0 && s->n_val < 1) ||
		(train_frac + val_frac < 1 - 1e-9 && s->n_test < 1))
	{
		snprintf(err, errlen, "%d windows split into %d train, %d validation and %d test; each part needs at least one",
				 s->n_windows, s->n_train, s->n_val, s->n_test);
		return -1;
	}
	return 0;
}

/*
 * Per-node mean and population std of log1p(counts) over the first
 * n_buckets buckets; a node constant there gets std 1.
 */
static void
series_stats(Series *s, const double *counts, int n_buckets)
{
	int			n_nodes = s->n_nodes;

	for (int n = 0; n < n_nodes; n++)
	{
		double		sum = 0, ss = 0;

		for (int t = 0; t < n_buckets; t++)
			sum += log1p(counts[(size_t) t * n_nodes + n]);
		s->mean[n] = sum / n_buckets;
		for (int t = 0; t < n_buckets; t++)
		{
			double		d = log1p(counts[(size_t) t * n_nodes + n]) - s->mean[n];

			ss += d * d;
		}
		s->std[n] = sqrt(ss / n_buckets);
		if (!(s->std[n] > 1e-12))
			s->std[n] = 1.0;
	}
}

int
series_init(Series *s, const double *counts, int n_buckets, int n_nodes,
			int history, int horizon, double train_frac, double val_frac,
			char *err, size_t errlen)
{
	size_t		cells;

	memset(s, 0, sizeof *s);
	if (series_plan(s, n_buckets, n_nodes, history, horizon,
					train_frac, val_frac, err, errlen) < 0)
		return -1;
	cells = (size_t) n_buckets * n_nodes;
	for (size_t i = 0; i < cells; i++)
		if (!isfinite(counts[i]) || counts[i] < 0)
		{
			snprintf(err, errlen, "bucket %zu, node %zu: call count %g is not a finite non-negative number",
					 i / n_nodes, i % n_nodes, counts[i]);
			memset(s, 0, sizeof *s);
			return -1;
		}
	s->z = malloc(cells * sizeof(float));
	s->mean = malloc(n_nodes * sizeof(double));
	s->std = malloc(n_nodes * sizeof(double));
	if (s->z == NULL || s->mean == NULL || s->std == NULL)
	{
		snprintf(err, errlen, "out of memory for %zu values", cells);
		series_free(s);
		return -1;
	}
	/* the buckets that training windows read, inputs and targets */
	series_stats(s, counts, s->n_train - 1 + history + horizon);
	for (size_t i = 0; i < cells; i++)
		s->z[i] = (float) ((log1p(counts[i]) - s->mean[i % n_nodes]) /
						   s->std[i % n_nodes]);
	return 0;
}

void
series_free(Series *s)
{
	free(s->z);
	free(s->mean);
	free(s->std);
	memset(s, 0, sizeof *s);
}

/* Copy `len` buckets of window w starting `from` buckets in into out. */
static void
series_copy(const Series *s, int w, int from, int len, int b, int batch,
			float *out)
{
	size_t		n = (size_t) s->n_nodes;

	for (int t = 0; t < len; t++)
		memcpy(out + ((size_t) t * batch + b) * n,
			   s->z + (size_t) (w + from + t) * n, n * sizeof(float));
}

void
series_batch(const Series *s, const int *windows, int batch, float *x, float *y)
{
	for (int b = 0; b < batch; b++)
	{
		if (x)
			series_copy(s, windows[b], 0, s->history, b, batch, x);
		if (y)
			series_copy(s, windows[b], s->history, s->horizon, b, batch, y);
	}
}

double
series_count(const Series *s, int node, double z)
{
	double		c = expm1(z * s->std[node] + s->mean[node]);

	return c > 0 ? c : 0;
}
