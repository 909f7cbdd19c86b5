/*
 * forecast.c -- call counts forecast by a trained DCRNN (forecast.h).
 */
#include "forecast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* One batch: origins[0..batch) into the model, counts out into out. */
static void
forecast_batch(DcrnnModel *m, const double *norm_mean, const double *norm_std,
			   const double *counts, const int *origins, int batch, int count,
			   int first, float *x, float *pred, double *out)
{
	const DcrnnConfig *c = &m->cfg;
	int			n_nodes = c->num_nodes;

	for (int t = 0; t < c->history; t++)
		for (int w = 0; w < batch; w++)
			for (int n = 0; n < n_nodes; n++)
			{
				double		v = counts[(size_t) (origins[w] - c->history + t) * n_nodes + n];

				x[((size_t) t * batch + w) * n_nodes + n] =
					(float) ((log1p(v) - norm_mean[n]) / norm_std[n]);
			}
	dcrnn_forward(m, x, batch, NULL, NULL, pred);
	for (int h = 0; h < c->horizon; h++)
		for (int w = 0; w < batch; w++)
			for (int n = 0; n < n_nodes; n++)
			{
				double		z = pred[((size_t) h * batch + w) * n_nodes + n];
				double		v = expm1(z * norm_std[n] + norm_mean[n]);

				out[((size_t) h * count + first + w) * n_nodes + n] = v > 0.0 ? v : 0.0;
			}
}

int
forecast_counts(DcrnnModel *m, const double *norm_mean, const double *norm_std,
				const double *counts, int n_buckets, const int *origins,
				int count, double *out, char *err, size_t errlen)
{
	const DcrnnConfig *c = &m->cfg;

	if (c->input_dim != 1 || c->output_dim != 1)
	{
		snprintf(err, errlen, "the model has %d input and %d output features per node, not 1",
				 c->input_dim, c->output_dim);
		return -1;
	}
	for (int i = 0; i < count; i++)
		if (origins[i] < c->history || origins[i] > n_buckets)
		{
			snprintf(err, errlen, "forecast origin %d needs buckets %d..%d, but there are %d",
					 origins[i], origins[i] - c->history, origins[i] - 1, n_buckets);
			return -1;
		}

	float	   *x = malloc(sizeof(float) * c->history * c->batch * c->num_nodes);
	float	   *pred = malloc(sizeof(float) * c->horizon * c->batch * c->num_nodes);

	if (x == NULL || pred == NULL)
	{
		free(x);
		free(pred);
		snprintf(err, errlen, "out of memory for a forecast batch of %d windows of %d nodes",
				 c->batch, c->num_nodes);
		return -1;
	}
	for (int first = 0; first < count; first += c->batch)
	{
		int			batch = count - first < c->batch ? count - first : c->batch;

		forecast_batch(m, norm_mean, norm_std, counts, origins + first, batch, count,
					   first, x, pred, out);
	}
	free(x);
	free(pred);
	return 0;
}
