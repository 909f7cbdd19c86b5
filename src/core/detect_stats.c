/*
 * detect_stats.c -- forecast errors in count space: detection statistics,
 * per-step metrics and naive baseline forecasts (detect_stats.h).
 */
#include "detect_stats.h"

#include <math.h>

void
detect_observed(const double *counts, int n_nodes, int horizon,
				const int *origins, int count, double *obs)
{
	for (int h = 0; h < horizon; h++)
		for (int w = 0; w < count; w++)
			for (int n = 0; n < n_nodes; n++)
				obs[((size_t) h * count + w) * n_nodes + n] =
					counts[(size_t) (origins[w] + h) * n_nodes + n];
}

void
detect_stats(const double *obs, const double *pred, int horizon, int count,
			 int n_nodes, double *mean, double *std)
{
	for (int n = 0; n < n_nodes; n++)
		for (int h = 0; h < horizon; h++)
		{
			double		sum = 0.0;
			double		sq = 0.0;

			for (int w = 0; w < count; w++)
			{
				size_t		i = ((size_t) h * count + w) * n_nodes + n;

				sum += obs[i] - pred[i];
			}
			double		m = count > 0 ? sum / count : 0.0;

			for (int w = 0; w < count; w++)
			{
				size_t		i = ((size_t) h * count + w) * n_nodes + n;
				double		d = obs[i] - pred[i] - m;

				sq += d * d;
			}
			mean[(size_t) n * horizon + h] = m;
			std[(size_t) n * horizon + h] = count > 1 ? sqrt(sq / (count - 1)) : 0.0;
		}
}

void
detect_step_errors(const double *obs, const double *pred, int horizon,
				   int count, int n_nodes, StepError *per_step)
{
	size_t		cells = (size_t) count * n_nodes;

	for (int h = 0; h < horizon; h++)
	{
		double		abs_sum = 0.0;
		double		sq_sum = 0.0;
		double		pct_sum = 0.0;
		size_t		pct_n = 0;

		for (size_t c = 0; c < cells; c++)
		{
			size_t		i = (size_t) h * cells + c;
			double		e = obs[i] - pred[i];

			abs_sum += fabs(e);
			sq_sum += e * e;
			if (obs[i] != 0.0)
			{
				pct_sum += fabs(e) / fabs(obs[i]);
				pct_n++;
			}
		}
		per_step[h].mae = cells > 0 ? abs_sum / cells : NAN;
		per_step[h].rmse = cells > 0 ? sqrt(sq_sum / cells) : NAN;
		per_step[h].mape = pct_n > 0 ? pct_sum / pct_n : NAN;
	}
}

void
detect_naive(const double *counts, int n_nodes, int history, int horizon,
			 const int *origins, int count, double *last_value,
			 double *history_mean)
{
	for (int w = 0; w < count; w++)
		for (int n = 0; n < n_nodes; n++)
		{
			double		last = counts[(size_t) (origins[w] - 1) * n_nodes + n];
			double		sum = 0.0;

			for (int b = origins[w] - history; b < origins[w]; b++)
				sum += counts[(size_t) b * n_nodes + n];
			for (int h = 0; h < horizon; h++)
			{
				size_t		i = ((size_t) h * count + w) * n_nodes + n;

				if (last_value)
					last_value[i] = last;
				if (history_mean && history > 0)
					history_mean[i] = sum / history;
			}
		}
}
