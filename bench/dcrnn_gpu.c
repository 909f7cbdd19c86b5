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
 * that many batches and scales to the epoch (the line says so).  One
 * untimed step first warms up (and captures the CUDA graph).
 * INFORMER_CUDA_GRAPHS=0 runs the CUDA steps without graphs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "informer_cuda.h"

#include "bench.h"

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

/* Random parameters and supports for every model. */
static int
setup(const DcrnnBackend *be, DcrnnBackendCtx *ctx, const DcrnnConfig *cfg, int models,
	  char *err, size_t errlen)
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
			rc = be->set_support(ctx, m, k, buf, err, errlen);
		}
	}
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "cuda";
	int			nodes = argc > 2 ? atoi(argv[2]) : 51;
	int			models = argc > 3 ? atoi(argv[3]) : 1;
	int			max_batches = argc > 4 ? atoi(argv[4]) : 0;
	int			buckets = argc > 5 ? atoi(argv[5]) : 1008;
	const DcrnnBackend *be = strcmp(which, "cpu") == 0 ? dcrnn_backend_cpu() : informer_cuda_backend();
	const char *graphs = getenv("INFORMER_CUDA_GRAPHS");
	DcrnnConfig cfg;
	char		err[512] = "";
	DcrnnStepOptions o = {0.01, 5.0, DCRNN_ADAM_EPS_TORCH, 1e-3, 0};
	uint64_t	s = 7;

	dcrnn_config_default(&cfg, nodes);
	int			windows = buckets - cfg.history - cfg.horizon + 1;
	int			batches = (windows + cfg.batch - 1) / cfg.batch;
	int			timed = max_batches > 0 && max_batches < batches ? max_batches : batches;
	float	   *series = malloc((size_t) buckets * nodes * sizeof(float));
	size_t		nx = (size_t) models * cfg.history * cfg.batch * nodes;
	size_t		ny = (size_t) models * cfg.horizon * cfg.batch * nodes;
	float	   *x = malloc((nx + ny) * sizeof(float));
	double	   *loss = malloc(models * sizeof(double));
	DcrnnBackendCtx *ctx = NULL;
	double		loss_sum = 0.0, t0 = 0.0, train_s = 0.0;
	int			rc = -1;

	if (!series || !x || !loss || windows < 1)
	{
		fprintf(stderr, "dcrnn_gpu: out of memory or too few buckets\n");
		return 1;
	}
	for (int t = 0; t < buckets; t++)
		for (int n = 0; n < nodes; n++)
			series[(size_t) t * nodes + n] = (float) (sin(6.2831853 * t / 72.0 + n) +
													  0.3 * (bench_urand(&s) - 0.5));
	ctx = be->create(&cfg, models, err, sizeof err);
	if (ctx && setup(be, ctx, &cfg, models, err, sizeof err) == 0)
	{
		unsigned char teacher[5];

		fill_batch(&cfg, models, series, 0, cfg.batch, x, x + nx);
		memset(teacher, 0, sizeof teacher);
		rc = be->train_step(ctx, x, cfg.batch, x + nx, teacher, &o, loss, NULL, err, sizeof err);
		t0 = bench_now();
		for (int i = 0; i < timed && rc == 0; i++)
		{
			int			w0 = i * cfg.batch;
			int			b = windows - w0 < cfg.batch ? windows - w0 : cfg.batch;

			for (int j = 0; j < cfg.horizon; j++)
				teacher[j] = bench_urand(&s) < 0.5;
			fill_batch(&cfg, models, series, w0, b, x, x + (size_t) models * cfg.history * b * nodes);
			rc = be->train_step(ctx, x, b, x + (size_t) models * cfg.history * b * nodes,
								teacher, &o, loss, NULL, err, sizeof err);
			for (int m = 0; m < models; m++)
				loss_sum += loss[m] / models;
		}
		train_s = bench_now() - t0;
	}
	if (rc == 0)
		printf("{\"bench\":\"dcrnn_gpu\",\"impl\":\"%s\",\"graphs\":%s,\"nodes\":%d,\"models\":%d,"
			   "\"units\":%d,\"layers\":%d,\"k\":%d,\"batch\":%d,\"buckets\":%d,\"windows\":%d,"
			   "\"batches_timed\":%d,\"batches\":%d,\"epoch_s\":%.4f,\"step_ms\":%.3f,"
			   "\"mean_loss\":%.4f}\n",
			   be->name, strcmp(be->name, "cuda") == 0 && !(graphs && strcmp(graphs, "0") == 0) ? "true" : "false",
			   nodes, models, cfg.units, cfg.layers, cfg.max_diffusion, cfg.batch, buckets,
			   windows, timed, batches, train_s * batches / timed, 1e3 * train_s / timed,
			   loss_sum / timed);
	else
		printf("{\"bench\":\"dcrnn_gpu\",\"impl\":\"%s\",\"nodes\":%d,\"models\":%d,\"error\":\"%s\"}\n",
			   be->name, nodes, models, err);
	if (ctx)
		be->destroy(ctx);
	free(series);
	free(x);
	free(loss);
	return rc == 0 ? 0 : 1;
}
