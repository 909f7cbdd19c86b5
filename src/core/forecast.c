/*
 * forecast.c -- call counts forecast by a trained DCRNN, in batches of
 * windows, or one origin after the other with anomalous buckets replaced
 * by their forecasts (forecast.h).
 */
#include "forecast.h"

#include "detect_stats.h"

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

static int
check_model(const DcrnnConfig *c, char *err, size_t errlen)
{
	if (c->input_dim != 1 || c->output_dim != 1)
	{
		snprintf(err, errlen, "the model has %d input and %d output features per node, not 1",
				 c->input_dim, c->output_dim);
		return -1;
	}
	return 0;
}

static int
check_origin(const DcrnnConfig *c, int origin, int n_buckets, char *err, size_t errlen)
{
	if (origin < c->history || origin > n_buckets)
	{
		snprintf(err, errlen, "forecast origin %d needs buckets %d..%d, but there are %d",
				 origin, origin - c->history, origin - 1, n_buckets);
		return -1;
	}
	return 0;
}

/* Input and output room for one batch of the model; -1 with a message. */
static int
batch_buffers(const DcrnnConfig *c, float **x, float **pred, char *err, size_t errlen)
{
	*x = malloc(sizeof(float) * c->history * c->batch * c->num_nodes);
	*pred = malloc(sizeof(float) * c->horizon * c->batch * c->num_nodes);
	if (*x == NULL || *pred == NULL)
	{
		free(*x);
		free(*pred);
		snprintf(err, errlen, "out of memory for a forecast batch of %d windows of %d nodes",
				 c->batch, c->num_nodes);
		return -1;
	}
	return 0;
}

int
forecast_counts(DcrnnModel *m, const double *norm_mean, const double *norm_std,
				const double *counts, int n_buckets, const int *origins,
				int count, double *out, char *err, size_t errlen)
{
	const DcrnnConfig *c = &m->cfg;
	float	   *x, *pred;

	if (check_model(c, err, errlen) < 0)
		return -1;
	for (int i = 0; i < count; i++)
		if (check_origin(c, origins[i], n_buckets, err, errlen) < 0)
			return -1;
	if (batch_buffers(c, &x, &pred, err, errlen) < 0)
		return -1;
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

/*
 * Judges bucket o of every node against the step-1 forecast step1 (N
 * values) and replaces the anomalous ones that are not too long a run.
 */
static void
clean_bucket(const DcrnnConfig *c, const double *stats_mean, const double *stats_std,
			 double k, int max_run, const double *step1, double *row, int *run)
{
	for (int n = 0; n < c->num_nodes; n++)
	{
		size_t		st = (size_t) n * c->horizon;	/* step 1 of node n */
		double		lower, upper;

		detect_band(step1[n], stats_mean[st], stats_std[st], k, &lower, &upper);
		if (row[n] >= lower && row[n] <= upper)
		{
			run[n] = 0;
			continue;
		}
		if (++run[n] <= max_run)
			row[n] = step1[n];
	}
}

int
forecast_counts_robust(DcrnnModel *m, const double *norm_mean, const double *norm_std,
					   const double *stats_mean, const double *stats_std, double k,
					   int max_run, double *counts, int n_buckets, int first, int count,
					   double *out, char *err, size_t errlen)
{
	const DcrnnConfig *c = &m->cfg;
	int			n_nodes = c->num_nodes;
	float	   *x, *pred;
	int		   *run;

	if (check_model(c, err, errlen) < 0 ||
		(count > 0 && (check_origin(c, first, n_buckets, err, errlen) < 0 ||
					   check_origin(c, first + count - 1, n_buckets, err, errlen) < 0)))
		return -1;
	if (batch_buffers(c, &x, &pred, err, errlen) < 0)
		return -1;
	run = calloc((size_t) n_nodes, sizeof(int));
	if (run == NULL)
	{
		free(x);
		free(pred);
		snprintf(err, errlen, "out of memory for the run lengths of %d nodes", n_nodes);
		return -1;
	}
	for (int i = 0; i < count; i++)
	{
		int			origin = first + i;

		/* a batch of one, written to window i of out; step 1 is out + i * N */
		forecast_batch(m, norm_mean, norm_std, counts, &origin, 1, count, i, x, pred, out);
		if (origin < n_buckets)
			clean_bucket(c, stats_mean, stats_std, k, max_run, out + (size_t) i * n_nodes,
						 counts + (size_t) origin * n_nodes, run);
	}
	free(x);
	free(pred);
	free(run);
	return 0;
}
