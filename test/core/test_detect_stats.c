/*
 * test_detect_stats.c -- detection statistics, per-step errors and naive
 * forecasts against brute-force and hand-computed values; forecast_counts
 * against the training driver's own prediction path.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_stats.h"
#include "forecast.h"
#include "series.h"
#include "train.h"
#include "unit.h"

#define M_PI_REF 3.14159265358979323846

#define DN 3
#define DT 40
#define DH 4

static void
fill_counts(double *c)
{
	for (int t = 0; t < DT; t++)
		for (int n = 0; n < DN; n++)
			c[t * DN + n] = (double) ((t * 7 + n * 13) % 11) + 5.0 * n + (t % 5 == 0 ? 20 : 0);
}

/* mean and sample std of sqrt(obs + 3/8) - sqrt(pred + 3/8) for one (node, step), directly */
static void
brute_stats(const double *c, const double *pred, const int *org, int count, int n, int h,
			double *m, double *s)
{
	double		e[64];
	double		sum = 0, sq = 0;

	for (int w = 0; w < count; w++)
	{
		e[w] = sqrt(c[(org[w] + h) * DN + n] + 0.375) - sqrt(pred[(h * count + w) * DN + n] + 0.375);
		sum += e[w];
	}
	*m = sum / count;
	for (int w = 0; w < count; w++)
		sq += (e[w] - *m) * (e[w] - *m);
	*s = sqrt(sq / (count - 1));
}

TEST(detect_stats_brute_force)
{
	double		c[DT * DN], obs[DH * 10 * DN], pred[DH * 10 * DN];
	double		mean[DN * DH], std[DN * DH];
	int			org[10];

	fill_counts(c);
	for (int w = 0; w < 10; w++)
		org[w] = 20 + w;
	for (size_t i = 0; i < sizeof pred / sizeof pred[0]; i++)
		pred[i] = (double) ((i * 31) % 17) * 0.5;
	detect_observed(c, DN, DH, org, 10, obs);
	CHECK(obs[(2 * 10 + 3) * DN + 1] == c[(23 + 2) * DN + 1]);
	detect_stats(obs, pred, DH, 10, DN, mean, std);
	for (int n = 0; n < DN; n++)
		for (int h = 0; h < DH; h++)
		{
			double		m, s;

			brute_stats(c, pred, org, 10, n, h, &m, &s);
			CHECK_CLOSE(mean[n * DH + h], m, 1e-12, 1e-12);
			CHECK_CLOSE(std[n * DH + h], s, 1e-12, 1e-12);
		}
}

TEST(detect_stats_hand_computed)
{
	/*
	 * one node, horizon 1, counts chosen so that x + 3/8 is a square: obs
	 * 0.625, 3.625, 8.625, 15.625 (stable 1, 2, 3, 4) against pred 0.625
	 * (stable 1) give stable errors 0, 1, 2, 3: mean 1.5, sample var 5/3
	 */
	double		obs[4] = {0.625, 3.625, 8.625, 15.625}, pred[4] = {0.625, 0.625, 0.625, 0.625};
	double		m, s;
	StepError	e;

	detect_stats(obs, pred, 1, 4, 1, &m, &s);
	CHECK_CLOSE(m, 1.5, 1e-14, 0);
	CHECK_CLOSE(s, sqrt(5.0 / 3.0), 1e-14, 0);
	/* the metrics stay in calls: errors 0, 3, 8, 15 */
	detect_step_errors(obs, pred, 1, 4, 1, &e);
	CHECK_CLOSE(e.mae, 26.0 / 4, 1e-14, 0);
	CHECK_CLOSE(e.rmse, sqrt((0 + 9 + 64 + 225) / 4.0), 1e-14, 0);
	CHECK_CLOSE(e.mape, (0 + 3 / 3.625 + 8 / 8.625 + 15 / 15.625) / 4, 1e-14, 0);
	/* one window: the spread is 0, never a division by zero */
	detect_stats(obs + 1, pred, 1, 1, 1, &m, &s);
	CHECK(m == 1.0 && s == 0.0);
	/* a negative forecast counts as 0 calls */
	CHECK(detect_stable(-4.0) == detect_stable(0.0));
	/* every observation zero: MAPE is undefined */
	double		zeros[2] = {0, 0}, p3[2] = {3, 3};

	detect_step_errors(zeros, p3, 1, 2, 1, &e);
	CHECK(isnan(e.mape) && e.mae == 3.0);
}

TEST(detect_band_and_score_by_hand)
{
	double		lo, hi;

	/* pred 0.625 -> stable 1; m 0.5, s 1, k 3: stable band -1.5 .. 4.5 */
	detect_band(0.625, 0.5, 1.0, 3.0, &lo, &hi);
	CHECK_CLOSE(hi, 4.5 * 4.5 - 0.375, 1e-12, 0);
	CHECK(lo < -0.375);				/* no count is below: no drop possible */
	/* pred 15.625 -> stable 4; m 0, s 0.5, k 2: stable 3 .. 5 = calls 8.625 .. 24.625 */
	detect_band(15.625, 0.0, 0.5, 2.0, &lo, &hi);
	CHECK_CLOSE(lo, 8.625, 1e-12, 0);
	CHECK_CLOSE(hi, 24.625, 1e-12, 0);
	/* the band's edges score exactly +-k */
	CHECK_CLOSE(detect_score(hi, 15.625, 0.0, 0.5), 2.0, 1e-12, 0);
	CHECK_CLOSE(detect_score(lo, 15.625, 0.0, 0.5), -2.0, 1e-12, 0);
	CHECK_CLOSE(detect_score(35.625, 15.625, 0.5, 0.25), (6.0 - 4.0 - 0.5) / 0.25, 1e-12, 0);
	/* no spread: any difference is infinitely far, none is 0 */
	CHECK(detect_score(9, 8, 0, 0) == INFINITY);
	CHECK(detect_score(7, 8, 0, 0) == -INFINITY);
	CHECK(detect_score(8, 8, 0, 0) == 0.0);
}

/* P(|Z| > x) from the normal density by Simpson's rule, independent of erfc */
static double
two_sided_tail(double x)
{
	int			steps = 20000;
	double		b = x + 40.0, h = (b - x) / steps, sum = 0;

	for (int i = 0; i <= steps; i++)
	{
		double		t = x + i * h;
		double		w = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);

		sum += w * exp(-0.5 * t * t);
	}
	return 2.0 * sum * h / 3.0 / sqrt(2.0 * M_PI_REF);
}

TEST(detect_family_k_keeps_the_rate)
{
	/* known quantiles: P(|Z| > 3) = 0.0026998; / 50 -> 4.0376 */
	CHECK(detect_family_k(3.0, 1) == 3.0);
	CHECK(detect_family_k(3.0, 0) == 3.0);
	CHECK(detect_family_k(0.0, 50) == 0.0);
	CHECK_CLOSE(detect_family_k(3.0, 50), 4.0376, 1e-4, 0);
	for (int n = 2; n <= 5000; n *= 3)
	{
		double		kf = detect_family_k(3.0, n);

		CHECK(kf > 3.0);
		CHECK_CLOSE(two_sided_tail(kf) * n, two_sided_tail(3.0), 0, 1e-6);
	}
	/* a huge k whose tail underflows stays finite and at least k */
	double		big = detect_family_k(900.0, 10);

	CHECK(isfinite(big) && big >= 900.0);
}

TEST(detect_naive_forecasts)
{
	double		c[DT * DN], last[DH * 2 * DN], avg[DH * 2 * DN];
	int			org[2] = {5, 17};

	fill_counts(c);
	detect_naive(c, DN, 3, DH, org, 2, last, avg);
	for (int w = 0; w < 2; w++)
		for (int n = 0; n < DN; n++)
			for (int h = 0; h < DH; h++)
			{
				int			i = (h * 2 + w) * DN + n;
				double		o = org[w];

				CHECK(last[i] == c[(org[w] - 1) * DN + n]);
				CHECK_CLOSE(avg[i], (c[(int) (o - 1) * DN + n] + c[(int) (o - 2) * DN + n] +
									 c[(int) (o - 3) * DN + n]) / 3, 1e-14, 0);
			}
}

/* forecast_counts equals train_predict followed by series_count */
TEST(forecast_counts_matches_train_predict)
{
	double		c[DT * DN];
	char		err[256];
	Series		s;
	DcrnnConfig cfg;
	DcrnnModel *m;
	int			hist = 5, count;

	fill_counts(c);
	REQUIRE(series_init(&s, c, DT, DN, hist, DH, 0.6, 0.2, err, sizeof err) == 0);
	dcrnn_config_default(&cfg, DN);
	cfg.units = 4;
	cfg.layers = 1;
	cfg.history = hist;
	cfg.horizon = DH;
	cfg.batch = 4;
	m = dcrnn_create(&cfg, err, sizeof err);
	REQUIRE(m != NULL);
	dcrnn_init_params(m, 7);
	count = s.n_test;
	int		   *org = malloc(sizeof(int) * count);
	float	   *z = malloc(sizeof(float) * DH * count * DN);
	double	   *out = malloc(sizeof(double) * DH * count * DN);

	for (int w = 0; w < count; w++)
		org[w] = s.n_train + s.n_val + w + hist;
	REQUIRE(train_predict(m, &s, s.n_train + s.n_val, count, z, err, sizeof err) == 0);
	REQUIRE(forecast_counts(m, s.mean, s.std, c, DT, org, count, out, err, sizeof err) == 0);
	for (int i = 0; i < DH * count * DN; i++)
		CHECK_CLOSE(out[i], series_count(&s, i % DN, z[i]), 1e-4, 1e-4);
	/* an origin without history before it is refused with a message */
	org[0] = hist - 1;
	CHECK(forecast_counts(m, s.mean, s.std, c, DT, org, 1, out, err, sizeof err) == -1);
	org[0] = DT + 1;
	CHECK(forecast_counts(m, s.mean, s.std, c, DT, org, 1, out, err, sizeof err) == -1);
	free(org);
	free(z);
	free(out);
	dcrnn_free(m);
	series_free(&s);
}

/* a tiny random model over DN nodes, history 5, horizon DH */
static DcrnnModel *
tiny_model(void)
{
	DcrnnConfig cfg;
	char		err[256];
	DcrnnModel *m;

	dcrnn_config_default(&cfg, DN);
	cfg.units = 4;
	cfg.layers = 1;
	cfg.history = 5;
	cfg.horizon = DH;
	cfg.batch = 4;
	m = dcrnn_create(&cfg, err, sizeof err);
	if (m != NULL)
		dcrnn_init_params(m, 7);
	return m;
}

/*
 * forecast_counts_robust against a reference built from forecast_counts one
 * origin at a time, with the replacement rule written out here: a huge
 * spike of 4 buckets on node 0 is replaced for max_run = 2 buckets, then
 * kept; with a band too wide to leave, nothing is replaced and the result is
 * forecast_counts' over the same origins.
 */
TEST(forecast_robust_replaces_short_anomalies)
{
	double		c[DT * DN], ref[DT * DN], norm_mean[DN], norm_std[DN];
	double		sm[DN * DH] = {0}, ss[DN * DH];
	int			first = 10, count = 25, run[DN] = {0};
	double	   *out = malloc(sizeof(double) * DH * count * DN);
	double	   *one = malloc(sizeof(double) * DH * DN);
	double	   *plain = malloc(sizeof(double) * DH * count * DN);
	int		   *org = malloc(sizeof(int) * count);
	char		err[256];
	DcrnnModel *m = tiny_model();

	REQUIRE(m != NULL && out && one && plain && org);
	fill_counts(c);
	for (int b = 20; b < 24; b++)
		c[b * DN] = 5000;
	for (int n = 0; n < DN; n++)
	{
		norm_mean[n] = 2.0;
		norm_std[n] = 1.0;
	}
	for (int i = 0; i < DN * DH; i++)
		ss[i] = 2.0;			/* k s = 6: the usual counts stay inside */
	memcpy(ref, c, sizeof c);
	for (int i = 0; i < count; i++)
	{
		int			o = first + i;

		REQUIRE(forecast_counts(m, norm_mean, norm_std, ref, DT, &o, 1, one, err, sizeof err) == 0);
		for (int n = 0; n < DN; n++)
		{
			double		z = (sqrt(ref[o * DN + n] + 0.375) - sqrt(one[n] + 0.375)) / 2.0;

			if (fabs(z) <= 3.0)
				run[n] = 0;
			else if (++run[n] <= 2)
				ref[o * DN + n] = one[n];
		}
		for (int h = 0; h < DH; h++)
			for (int n = 0; n < DN; n++)
				plain[(h * count + i) * DN + n] = one[h * DN + n];
	}
	REQUIRE(forecast_counts_robust(m, norm_mean, norm_std, sm, ss, 3.0, 2, c, DT, first, count,
								   out, err, sizeof err) == 0);
	CHECK(memcmp(out, plain, sizeof(double) * DH * count * DN) == 0);
	CHECK(memcmp(c, ref, sizeof c) == 0);
	CHECK(c[20 * DN] != 5000 && c[21 * DN] != 5000);	/* replaced */
	CHECK(c[22 * DN] == 5000 && c[23 * DN] == 5000);	/* a lasting change: kept */

	/* a band nobody leaves: the counts stay, the forecasts are the batched ones */
	fill_counts(c);
	for (int i = 0; i < DN * DH; i++)
		ss[i] = 1e9;
	for (int i = 0; i < count; i++)
		org[i] = first + i;
	REQUIRE(forecast_counts(m, norm_mean, norm_std, c, DT, org, count, plain, err, sizeof err) == 0);
	memcpy(ref, c, sizeof c);
	REQUIRE(forecast_counts_robust(m, norm_mean, norm_std, sm, ss, 3.0, 2, c, DT, first, count,
								   out, err, sizeof err) == 0);
	CHECK(memcmp(c, ref, sizeof c) == 0);
	for (int i = 0; i < DH * count * DN; i++)
		CHECK_CLOSE(out[i], plain[i], 1e-5, 1e-5);	/* float32 GEMMs of other shapes */
	/* origins without history, or past the counts, are refused */
	CHECK(forecast_counts_robust(m, norm_mean, norm_std, sm, ss, 3.0, 2, c, DT, 4, 2,
								 out, err, sizeof err) == -1);
	CHECK(forecast_counts_robust(m, norm_mean, norm_std, sm, ss, 3.0, 2, c, DT, DT, 2,
								 out, err, sizeof err) == -1);
	free(out);
	free(one);
	free(plain);
	free(org);
	dcrnn_free(m);
}
