/*
 * test_series.c -- the data path: scattering count rows, per-node log1p
 * z-scores with training statistics, the chronological split and window
 * batches, against values computed here by hand or by brute force.
 */
#include "unit.h"
#include "series.h"

#include <limits.h>
#include <string.h>

TEST(series_scatter_fills_missing_with_zero)
{
	double		c[3 * 2] = {0};
	int32_t		node[] = {1, 0, 1};
	int64_t		bucket[] = {2, 0, 2};
	double		calls[] = {4, 7, 5};
	char		err[200];

	REQUIRE(series_scatter(c, 3, 2, node, bucket, calls, 3, err, sizeof err) == 0);
	/* bucket-major: c[t*2+n]; rows for the same cell add up */
	CHECK(c[0] == 7 && c[1] == 0);
	CHECK(c[2] == 0 && c[3] == 0);
	CHECK(c[4] == 0 && c[5] == 9);
}

TEST(series_scatter_rejects_bad_rows)
{
	double		c[4] = {0};
	int32_t		node_ok[] = {0}, node_bad[] = {2}, node_neg[] = {-1};
	int64_t		b_ok[] = {1}, b_bad[] = {2};
	double		one[] = {1}, neg[] = {-1}, nan[] = {NAN};
	char		err[200];

	CHECK(series_scatter(c, 2, 2, node_bad, b_ok, one, 1, err, sizeof err) == -1);
	CHECK(strstr(err, "node 2 is outside [0, 2)") != NULL);
	CHECK(series_scatter(c, 2, 2, node_neg, b_ok, one, 1, err, sizeof err) == -1);
	CHECK(series_scatter(c, 2, 2, node_ok, b_bad, one, 1, err, sizeof err) == -1);
	CHECK(strstr(err, "bucket 2 is outside [0, 2)") != NULL);
	CHECK(series_scatter(c, 2, 2, node_ok, b_ok, neg, 1, err, sizeof err) == -1);
	CHECK(strstr(err, "not a finite non-negative number") != NULL);
	CHECK(series_scatter(c, 2, 2, node_ok, b_ok, nan, 1, err, sizeof err) == -1);
	CHECK(series_scatter(c, 2, 2, node_ok, b_ok, one, 0, err, sizeof err) == 0);
}

/* counts[t][n] for the hand cases: node 0 rises, node 1 constant at 3 */
static void
fill_counts(double *c, int T)
{
	for (int t = 0; t < T; t++)
	{
		c[t * 2] = t;
		c[t * 2 + 1] = 3;
	}
}

TEST(series_split_and_statistics)
{
	double		c[20 * 2];
	Series		s;
	char		err[200];

	fill_counts(c, 20);
	/* 20 buckets, history 3, horizon 2: windows 0..15 (16) */
	REQUIRE(series_init(&s, c, 20, 2, 3, 2, 0.5, 0.25, err, sizeof err) == 0);
	CHECK(s.n_windows == 16 && s.n_train == 8 && s.n_val == 4 && s.n_test == 4);

	/* training windows 0..7 read buckets 0..11 (7 + 3 + 2 = 12 buckets) */
	double		sum = 0, ss = 0;

	for (int t = 0; t < 12; t++)
		sum += log(1.0 + t);
	double		mean = sum / 12;

	for (int t = 0; t < 12; t++)
		ss += (log(1.0 + t) - mean) * (log(1.0 + t) - mean);
	CHECK_CLOSE(s.mean[0], mean, 1e-12, 0);
	CHECK_CLOSE(s.std[0], sqrt(ss / 12), 1e-12, 0);
	/* a constant node keeps its mean and gets std 1, so its z-scores are 0 */
	CHECK_CLOSE(s.mean[1], log(4.0), 1e-12, 0);
	CHECK(s.std[1] == 1.0);
	for (int t = 0; t < 20; t++)
	{
		CHECK_CLOSE(s.z[t * 2], (log(1.0 + t) - mean) / sqrt(ss / 12), 1e-6, 1e-6);
		CHECK(s.z[t * 2 + 1] == 0.0f);
	}
	/* back to counts, including buckets after the training part */
	CHECK_CLOSE(series_count(&s, 0, s.z[19 * 2]), 19.0, 1e-5, 0);
	CHECK_CLOSE(series_count(&s, 1, 0.0), 3.0, 1e-12, 0);
	CHECK(series_count(&s, 0, -100.0) == 0.0);
	series_free(&s);
}

TEST(series_batch_layout)
{
	double		c[12 * 2];
	Series		s;
	char		err[200];
	int			windows[] = {5, 0, 7};
	float		x[3 * 3 * 2], y[2 * 3 * 2];

	fill_counts(c, 12);
	REQUIRE(series_init(&s, c, 12, 2, 3, 2, 0.5, 0.25, err, sizeof err) == 0);
	series_batch(&s, windows, 3, x, y);
	/* x[t][b][n] = z[w_b + t][n];  y[t][b][n] = z[w_b + 3 + t][n] */
	for (int b = 0; b < 3; b++)
		for (int n = 0; n < 2; n++)
		{
			for (int t = 0; t < 3; t++)
				CHECK(x[(t * 3 + b) * 2 + n] == s.z[(windows[b] + t) * 2 + n]);
			for (int t = 0; t < 2; t++)
				CHECK(y[(t * 3 + b) * 2 + n] == s.z[(windows[b] + 3 + t) * 2 + n]);
		}
	series_batch(&s, windows, 1, NULL, y);	/* targets only */
	CHECK(y[0] == s.z[8 * 2]);
	series_free(&s);
}

TEST(series_rejects_bad_input)
{
	double		c[10 * 2];
	Series		s;
	char		err[200];

	fill_counts(c, 10);
	CHECK(series_init(&s, c, 10, 2, 8, 3, 0.8, 0.1, err, sizeof err) == -1);
	CHECK(strstr(err, "too few for one window") != NULL);
	CHECK(s.z == NULL && s.mean == NULL);
	/* 6 windows: 0.8 -> 4 train, 0.1 -> 0 validation */
	CHECK(series_init(&s, c, 10, 2, 3, 2, 0.8, 0.1, err, sizeof err) == -1);
	CHECK(strstr(err, "each part needs at least one") != NULL);
	CHECK(series_init(&s, c, 10, 2, 3, 2, NAN, 0.1, err, sizeof err) == -1);
	CHECK(strstr(err, "must lie in") != NULL);
	CHECK(series_init(&s, c, 10, 2, 3, 2, 0.8, 0.5, err, sizeof err) == -1);
	CHECK(series_init(&s, c, 10, 0, 3, 2, 0.5, 0.2, err, sizeof err) == -1);
	CHECK(strstr(err, "must all be positive") != NULL);
	CHECK(series_init(&s, c, 10, 2, 0, 2, 0.5, 0.2, err, sizeof err) == -1);
	CHECK(series_init(&s, c, INT_MAX, INT_MAX, 3, 2, 0.5, 0.2, err, sizeof err) == -1);
	CHECK(strstr(err, "too large") != NULL);
	c[7] = NAN;
	CHECK(series_init(&s, c, 10, 2, 3, 2, 0.5, 0.2, err, sizeof err) == -1);
	CHECK(strstr(err, "bucket 3, node 1") != NULL);
	c[7] = -2;
	CHECK(series_init(&s, c, 10, 2, 3, 2, 0.5, 0.2, err, sizeof err) == -1);
	c[7] = 3;
	/* train and validation only, no test part asked for */
	REQUIRE(series_init(&s, c, 10, 2, 3, 2, 0.5, 0.5, err, sizeof err) == 0);
	CHECK(s.n_train == 3 && s.n_val == 3 && s.n_test == 0);
	series_free(&s);
}
