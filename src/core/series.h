/*
 * series.h -- the data path from per-bucket call counts to model windows.
 *
 * Counts (bucket-major, T buckets x N RPCs; a bucket with no row is zero
 * calls, never a gap) become log1p(count), z-scored per node with the mean
 * and standard deviation of that node in the training buckets.  Window w takes buckets
 * [w, w + history) as input and [w + history, w + history + horizon) as
 * target; windows are split chronologically into train, validation and test.
 */
#ifndef INFORMER_SERIES_H
#define INFORMER_SERIES_H

#include <stddef.h>
#include <stdint.h>

typedef struct Series
{
	int			n_buckets;		/* T */
	int			n_nodes;		/* N */
	int			history;		/* input buckets per window */
	int			horizon;		/* target buckets per window */
	double	   *mean;			/* N: log1p(count) over training buckets */
	double	   *std;			/* N: population std, 1 where constant */
	float	   *z;				/* T x N z-scores, bucket-major (owned) */
	int			n_windows;		/* T - history - horizon + 1 */
	int			n_train;		/* windows [0, n_train) */
	int			n_val;			/* windows [n_train, n_train + n_val) */
	int			n_test;			/* the rest */
} Series;

/*
 * Add call counts given as (node, bucket, calls) rows into counts[T x N],
 * which the caller has zeroed: buckets without a row stay zero calls.
 * Rows for the same cell add up.  Returns 0, or -1 with a message in err on
 * a node or bucket out of range or a negative or non-finite count.
 */
int			series_scatter(double *counts, int n_buckets, int n_nodes,
						   const int32_t *node, const int64_t *bucket,
						   const double *calls, size_t n_rows,
						   char *err, size_t errlen);

/*
 * Build s from counts[T x N].  train_frac and val_frac are the shares of
 * windows for training and validation (paper: 0.8 train, the rest split
 * between validation and test); each part the fractions ask for must get
 * at least one window.  Returns 0, or -1 with a message in err (s is then
 * left empty).  Free with series_free.
 */
int			series_init(Series *s, const double *counts, int n_buckets,
						int n_nodes, int history, int horizon,
						double train_frac, double val_frac,
						char *err, size_t errlen);

void		series_free(Series *s);

/*
 * Copy the windows listed in windows[0..batch) into x (history x batch x N)
 * and y (horizon x batch x N), time-major, node fastest; either may be NULL.
 */
void		series_batch(const Series *s, const int *windows, int batch,
						 float *x, float *y);

/* Node n's z-score back to a call count: expm1(z*std + mean), >= 0. */
double		series_count(const Series *s, int node, double z);

#endif
