/*
 * detect_stats.c -- forecast errors: detection statistics on the
 * square-root scale, the band, score and pattern-wide threshold they give,
 * per-step metrics in calls and naive baseline forecasts (detect_stats.h).
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

#define STABLE_SHIFT 0.375

double
detect_stable(double calls)
{
	return sqrt((calls > 0.0 ? calls : 0.0) + STABLE_SHIFT);
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

				sum += detect_stable(obs[i]) - detect_stable(pred[i]);
			}
			double		m = count > 0 ? sum / count : 0.0;

			for (int w = 0; w < count; w++)
			{
				size_t		i = ((size_t) h * count + w) * n_nodes + n;
				double		d = detect_stable(obs[i]) - detect_stable(pred[i]) - m;

				sq += d * d;
			}
			mean[(size_t) n * horizon + h] = m;
			std[(size_t) n * horizon + h] = count > 1 ? sqrt(sq / (count - 1)) : 0.0;
		}
}

/* The count whose stable value is v, continued monotonically below 0. */
static double
unstable(double v)
{
	return (v > 0.0 ? v * v : -v * v) - STABLE_SHIFT;
}

void
detect_band(double pred, double m, double s, double k, double *lower, double *upper)
{
	double		centre = detect_stable(pred) + m;

	*lower = unstable(centre - k * s);
	*upper = unstable(centre + k * s);
}

double
detect_score(double obs, double pred, double m, double s)
{
	double		d = detect_stable(obs) - detect_stable(pred) - m;

	if (s > 0.0)
		return d / s;
	return d == 0.0 ? 0.0 : copysign(INFINITY, d);
}

double
detect_family_k(double k, int n)
{
	double		tail, lo, hi;

	if (n <= 1 || !(k > 0.0))
		return k;
	/* the two-sided tail erfc(x / sqrt 2) falls monotonically: bisect */
	tail = erfc(k / sqrt(2.0)) / n;
	lo = k;
	hi = k + 1.0;
	while (erfc(hi / sqrt(2.0)) > tail)
		hi += 1.0;
	for (int i = 0; i < 100 && hi - lo > 1e-12; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (erfc(mid / sqrt(2.0)) > tail)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
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
