/*
 * dcrnn_gpu.c -- times training epochs through the backend interface
 * (backend.h): the CUDA backend (informer_cuda_backend) or the CPU one, for
 * `models` models of one shape trained in lockstep, on a synthetic series
 * (sines with noise, as bench/dcrnn_torch.py makes) over a random graph
 * with about 3 edges per node.  Prints one JSON line.
 *
 *   build/dcrnn_gpu BACKEND NODES [MODELS] [MAX_BATCHES] [BUCKETS]
 *
 * BACKEND is cuda or cpu.  The paper's model: U = 64, L = 2, K = 2, two
 * supports, history 12, horizon 5, batch 64.  MAX_BATCHES > 0 times only
 * that many batches and scales to the epoch (the line says so).  Untimed
 * steps first warm up and capture the CUDA graphs of both batch sizes (a
 * training keeps its context, so the epochs after its first replay them).
 * The CUDA steps replay graphs (a failed capture is an error), or with
 * INFORMER_CUDA_GRAPHS=0 run eagerly.  The CPU backend runs batch shards
 * on OPENBLAS_NUM_THREADS threads (default: all cores), as training jobs
 * do with their thread count.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "informer_cuda.h"

#include "bench.h"
#include "bench_flops.h"

/* Random weights at density 3/n; rows normalised (random-walk matrix). */
static void
random_support(int n, uint64_t *s, float *out)
{
	for (int i = 0; i < n; i++)
	{
		double		sum = 0.0;

		for (int j = 0; j < n; j++)
		{
			float		w = (i != j && bench_urand(s) < 3.0 / n) ? (float) (1.0 + bench_urand(s)) : 0.0f;

			out[(size_t) i * n + j] = w;
			sum += w;
		}
		for (int j = 0; sum > 0.0 && j < n; j++)
			out[(size_t) i * n + j] = (float) (out[(size_t) i * n + j] / sum);
	}
}

/* Every model's windows w0.. of series, packed as backend.h says. */
static void
fill_batch(const DcrnnConfig *c, int models, const float *series, int w0, int batch,
		   float *x, float *y)
{
	int			n = c->num_nodes;
	size_t		nx = (size_t) c->history * batch * n;
	size_t		ny = (size_t) c->horizon * batch * n;

	for (int m = 0; m < models; m++)
		for (int b = 0; b < batch; b++)
			for (int t = 0; t < c->history + c->horizon; t++)
			{
				const float *src = series + (size_t) (w0 + b + t) * n;
				float	   *dst = t < c->history ?
					x + m * nx + ((size_t) t * batch + b) * n :
					y + m * ny + ((size_t) (t - c->history) * batch + b) * n;

				memcpy(dst, src, n * sizeof(float));
			}
}

/* Random parameters and supports for every model; *nnz: the first support's nonzeros. */
static int
setup(const DcrnnBackend *be, DcrnnBackendCtx *ctx, const DcrnnConfig *cfg, int models,
	  double *nnz, char *err, size_t errlen)
{
	size_t		np = dcrnn_param_count(cfg);
	size_t		nn = (size_t) cfg->num_nodes * cfg->num_nodes;
	float	   *buf = malloc((np > nn ? np : nn) * sizeof(float));
	uint64_t	s = 42;
	int			rc = buf ? 0 : -1;

	for (int m = 0; m < models && rc == 0; m++)
	{
		for (size_t i = 0; i < np; i++)
			buf[i] = (float) ((bench_urand(&s) - 0.5) * 0.2);
		rc = be->load_params(ctx, m, buf, err, errlen);
		for (int k = 0; k < cfg->num_supports && rc == 0; k++)
		{
			random_support(cfg->num_nodes, &s, buf);
			for (size_t i = 0; m == 0 && k == 0 && i < nn; i++)
				*nnz += buf[i] != 0.0f;
			rc = be->set_support(ctx, m, k, buf, err, errlen);
		}
	}
	free(buf);
	return rc;
}

/* coins of a step; the paper's model forecasts 5 steps */
#define HORIZON_MAX 16

/* What every step of a run reads. */
typedef struct Run
{
	const DcrnnBackend *be;
	DcrnnBackendCtx *ctx;
	DcrnnConfig cfg;
	int			models;
	int			windows;
	const float *series;
	float	   *x;
	double	   *loss;
} Run;

/* One training step over the windows from w0 on; -1 with err on failure. */
static int
train_batch(Run *r, int w0, const unsigned char *teacher, char *err, size_t errlen)
{
	static const DcrnnStepOptions o = {0.01, 5.0, DCRNN_ADAM_EPS_TORCH, 1e-3, 0};
	int			b = r->windows - w0 < r->cfg.batch ? r->windows - w0 : r->cfg.batch;
	float	   *y = r->x + (size_t) r->models * r->cfg.history * b * r->cfg.num_nodes;

	fill_batch(&r->cfg, r->models, r->series, w0, b, r->x, y);
	return r->be->train_step(r->ctx, r->x, b, y, teacher, &o, r->loss, NULL, err, errlen);
}

/* Every model's operations over an epoch of batches (bench_flops.h). */
static double
epoch_flops(const Run *r, int batches, double nnz)
{
	double		f, b, total = 0.0;

	for (int i = 0; i < batches; i++)
	{
		int			left = r->windows - i * r->cfg.batch;

		bench_dcrnn_flops(&r->cfg, left < r->cfg.batch ? left : r->cfg.batch, nnz, &f, &b);
		total += f + b;
	}
	return total * r->models;
}

/*
 * Untimed: two steps at the full batch and two at the epoch's last, so
 * that both batch sizes have run once eagerly and been captured.
 */
static int
warm_up(Run *r, int last_w0, char *err, size_t errlen)
{
	static const unsigned char teacher[HORIZON_MAX];
	int			rc = 0;

	for (int i = 0; i < 4 && rc == 0; i++)
		rc = train_batch(r, i < 2 ? 0 : last_w0, teacher, err, errlen);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "cuda";
	int			nodes = argc > 2 ? atoi(argv[2]) : 51;
	int			max_batches = argc > 4 ? atoi(argv[4]) : 0;
	int			buckets = argc > 5 ? atoi(argv[5]) : 1008;
	const char *graphs = getenv("INFORMER_CUDA_GRAPHS");
	int			eager = graphs && strcmp(graphs, "0") == 0;
	Run			r = {0};
	char		err[512] = "";
	uint64_t	s = 7;

	const char *blas_threads = getenv("OPENBLAS_NUM_THREADS");
	int			threads = blas_threads ? atoi(blas_threads) : (int) sysconf(_SC_NPROCESSORS_ONLN);

	r.be = strcmp(which, "cpu") == 0 ? dcrnn_backend_cpu() : informer_cuda_backend();
	dcrnn_set_threads(threads);
	r.models = argc > 3 ? atoi(argv[3]) : 1;
	dcrnn_config_default(&r.cfg, nodes);
	r.windows = buckets - r.cfg.history - r.cfg.horizon + 1;
	if (!eager)
		setenv("INFORMER_CUDA_GRAPHS", "1", 1);	/* "graphs": true means replayed */

	int			batches = (r.windows + r.cfg.batch - 1) / r.cfg.batch;
	int			timed = max_batches > 0 && max_batches < batches ? max_batches : batches;
	float	   *series = malloc((size_t) buckets * nodes * sizeof(float));
	size_t		nxy = (size_t) r.models * (r.cfg.history + r.cfg.horizon) * r.cfg.batch * nodes;
	double		loss_sum = 0.0, t0 = 0.0, train_s = 0.0, nnz = 0.0;
	int			rc = -1;

	r.x = malloc(nxy * sizeof(float));
	r.loss = malloc(r.models * sizeof(double));
	r.series = series;
	if (!series || !r.x || !r.loss || r.windows < 1)
	{
		fprintf(stderr, "dcrnn_gpu: out of memory or too few buckets\n");
		return 1;
	}
	for (int t = 0; t < buckets; t++)
		for (int n = 0; n < nodes; n++)
			series[(size_t) t * nodes + n] = (float) (sin(6.2831853 * t / 72.0 + n) +
													  0.3 * (bench_urand(&s) - 0.5));
	r.ctx = r.be->create(&r.cfg, r.models, err, sizeof err);
	if (r.ctx && setup(r.be, r.ctx, &r.cfg, r.models, &nnz, err, sizeof err) == 0 &&
		warm_up(&r, (batches - 1) * r.cfg.batch, err, sizeof err) == 0)
	{
		unsigned char teacher[HORIZON_MAX];

		t0 = bench_now();
		rc = 0;
		for (int i = 0; i < timed && rc == 0; i++)
		{
			for (int j = 0; j < r.cfg.horizon; j++)
				teacher[j] = bench_urand(&s) < 0.5;
			rc = train_batch(&r, i * r.cfg.batch, teacher, err, sizeof err);
			for (int m = 0; m < r.models; m++)
				loss_sum += r.loss[m] / r.models;
		}
		train_s = bench_now() - t0;
	}
	double		epoch_s = train_s * batches / timed;
	double		flop = epoch_flops(&r, batches, nnz);

	if (rc == 0)
		printf("{\"bench\":\"dcrnn_gpu\",\"impl\":\"%s\",\"graphs\":%s,\"nodes\":%d,\"models\":%d,"
			   "\"threads\":%d,\"units\":%d,\"layers\":%d,\"k\":%d,\"batch\":%d,"
			   "\"buckets\":%d,\"windows\":%d,"
			   "\"batches_timed\":%d,\"batches\":%d,\"epoch_s\":%.4f,\"step_ms\":%.3f,"
			   "\"epoch_tflop\":%.3f,\"tflops\":%.2f,\"mean_loss\":%.4f}\n",
			   r.be->name, strcmp(r.be->name, "cuda") == 0 && !eager ? "true" : "false",
			   nodes, r.models, threads, r.cfg.units, r.cfg.layers, r.cfg.max_diffusion, r.cfg.batch, buckets,
			   r.windows, timed, batches, epoch_s, 1e3 * train_s / timed,
			   flop * 1e-12, flop * 1e-12 / epoch_s, loss_sum / timed);
	else
		printf("{\"bench\":\"dcrnn_gpu\",\"impl\":\"%s\",\"nodes\":%d,\"models\":%d,\"error\":\"%s\"}\n",
			   r.be->name, nodes, r.models, err);
	if (r.ctx)
		r.be->destroy(r.ctx);
	free(series);
	free(r.x);
	free(r.loss);
	return rc == 0 ? 0 : 1;
}
