/*
 * train_driver.c -- what training through the backend interface costs on
 * the CPU: train_run (the driver, through the CPU backend) against the same
 * number of steps written as direct dcrnn.h calls (forward, masked MAE,
 * backward, clipping, Adam), on one synthetic series, each followed by
 * the forecast of the test windows as in a training job; prints one JSON
 * line with wall and CPU seconds per step and the peak RSS.  Run each mode in
 * its own process (bench/train_driver.sh) so the peaks are each its own.
 *
 *   build/train_driver direct|driver [nodes] [epochs] [buckets]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "rpcgraph.h"
#include "train.h"

#include "bench_model.h"

/* The baseline: the driver's steps as direct calls, windows in order. */
static long
direct_steps(DcrnnModel *m, const Series *s, const TrainOptions *o)
{
	size_t		n = (size_t) s->n_nodes, out = (size_t) s->horizon * o->batch * n;
	float	   *x = malloc(sizeof(float) * s->history * o->batch * n);
	float	   *y = malloc(sizeof(float) * out), *pred = malloc(sizeof(float) * out);
	float	   *mean = malloc(sizeof(float) * n), *sd = malloc(sizeof(float) * n);
	int		   *win = malloc(sizeof(int) * o->batch);
	unsigned char teacher[16] = {0};
	DcrnnAdam	adam;
	long		steps = 0;

	if (!x || !y || !pred || !mean || !sd || !win || dcrnn_adam_init(&adam, m->n_params) < 0)
		exit(1);
	for (size_t i = 0; i < n; i++)
		mean[i] = (float) s->mean[i], sd[i] = (float) s->std[i];
	dcrnn_init_params(m, o->seed);
	for (int e = 0; e < o->max_epochs; e++)
		for (int start = 0; start < s->n_train; start += o->batch, steps++)
		{
			int			b = s->n_train - start < o->batch ? s->n_train - start : o->batch;

			for (int i = 0; i < b; i++)
				win[i] = start + i;
			series_batch(s, win, b, x, y);
			dcrnn_forward(m, x, b, y, teacher, pred);
			dcrnn_masked_mae(pred, y, (size_t) s->horizon * b * n, mean, sd, n, 0, pred);
			dcrnn_backward(m, pred);
			dcrnn_clip_grad_norm(m->grads, m->n_params, o->max_grad_norm);
			dcrnn_adam_step(&adam, m->params, m->grads, train_lr_at(o, e));
		}
	dcrnn_adam_free(&adam);
	free(x), free(y), free(pred), free(mean), free(sd), free(win);
	return steps;
}

int
main(int argc, char **argv)
{
	int			driver = argc > 1 && strcmp(argv[1], "driver") == 0;
	int			n = argc > 2 ? atoi(argv[2]) : 51;
	int			epochs = argc > 3 ? atoi(argv[3]) : 2;
	int			buckets = argc > 4 ? atoi(argv[4]) : 400;
	uint64_t	state = 42;
	double	   *counts = bench_counts(n, buckets, &state);
	DcrnnConfig cfg;
	DcrnnModel *m;
	Series		s;
	TrainOptions o;
	TrainResult r;
	char		err[256];
	long		steps;

	if (argc < 2 || (!driver && strcmp(argv[1], "direct") != 0) || n < 2 || epochs < 1)
	{
		fprintf(stderr, "usage: %s direct|driver [nodes] [epochs] [buckets]\n", argv[0]);
		return 2;
	}
	dcrnn_config_default(&cfg, n);	/* U 64, L 2, K 2, batch 64 */
	m = bench_model(&cfg, &state);
	/* no validation part: both modes do the same steps and nothing else */
	if (series_init(&s, counts, buckets, n, m->cfg.history, m->cfg.horizon, 0.8, 0.0,
					err, sizeof err) < 0)
	{
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	train_options_default(&o);
	o.max_epochs = epochs;
	o.curriculum = 0;			/* the baseline never teacher-forces either */
	dcrnn_set_threads(1);

	double		t0 = bench_now(), c0 = bench_cpu_now();

	if (driver)
	{
		if (train_run(m, &s, &o, &r, err, sizeof err) < 0)
		{
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		steps = r.batches_seen;
	}
	else
		steps = direct_steps(m, &s, &o);

	double		wall = bench_now() - t0, cpu = bench_cpu_now() - c0;
	float	   *fc = malloc(sizeof(float) * s.horizon * s.n_test * n);

	/* then, as a training job does, forecast the test windows (untimed) */
	if (!fc || train_predict(m, &s, s.n_train, s.n_test, fc, err, sizeof err) < 0)
	{
		fprintf(stderr, "cannot forecast: %s\n", fc ? err : "out of memory");
		return 1;
	}
	free(fc);

	printf("{\"bench\":\"train_driver\",\"impl\":\"%s\",\"nodes\":%d,\"units\":%d,\"layers\":%d,"
		   "\"batch\":%d,\"epochs\":%d,\"steps\":%ld,\"wall_s_per_step\":%.4f,\"cpu_s_per_step\":%.4f,"
		   "\"model_mb\":%.1f,\"peak_rss_mb\":%.1f}\n",
		   driver ? "train_run_cpu_backend" : "direct_dcrnn_calls", n, m->cfg.units, m->cfg.layers,
		   o.batch, epochs, steps, wall / steps, cpu / steps,
		   dcrnn_memory_bytes(&m->cfg) / 1048576.0, bench_peak_kb() / 1024.0);
	series_free(&s);
	dcrnn_free(m);
	free(counts);
	return 0;
}
