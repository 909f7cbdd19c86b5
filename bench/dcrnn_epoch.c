/*
 * dcrnn_epoch.c -- times the C DCRNN: one training epoch (forward,
 * backward, clipping and Adam over every window) and inference over every
 * window, on a synthetic series of `buckets` steps; prints JSON lines with
 * the epoch's wall and CPU seconds (CPU time is the work done, which a
 * loaded machine disturbs less),
 * the achieved GFLOP/s, the machine's sgemm peak measured in the same run,
 * and the peak RSS.
 *
 *   build/dcrnn_epoch [nodes] [threads] [max_batches] [buckets] [graph]
 *
 * graph "random" (the default): a random directed graph on `nodes` nodes,
 * about 3 out-edges each; "tree": the RPC graph (paper, Algorithm 1) of
 * the generator's registration pattern with about `nodes` RPCs, a call
 * tree whose siblings share their caller, as a mined pattern gives.
 *
 * max_batches > 0 times only that many batches and scales to the epoch
 * (the JSON line says so).  One untimed forward and backward pass warms up
 * first, as in the baseline.  bench/dcrnn_epoch.sh runs this next to the
 * PyTorch baseline (bench/dcrnn_torch.py) of the same model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "blas.h"
#include "dcrnn_internal.h"
#include "rpcgraph.h"
#include "synth_topology.h"

#include "bench.h"
#include "bench_flops.h"

/* Best of a few square sgemm runs: the machine's practical peak. */
static double
sgemm_peak(int n)
{
	float	   *a = calloc((size_t) 3 * n * n, sizeof(float));
	double		best = 0.0;

	for (size_t i = 0; i < (size_t) 2 * n * n; i++)
		a[i] = (float) (i % 7) * 0.1f;
	for (int r = 0; r < 5; r++)
	{
		double		t0 = bench_now();

		blas_gemm(0, 0, n, n, n, 1.0f, a, n, a + (size_t) n * n, n, 0.0f,
				  a + (size_t) 2 * n * n, n);
		double		g = 2.0 * n * n * n / (bench_now() - t0) * 1e-9;

		if (g > best)
			best = g;
	}
	free(a);
	return best;
}

/* Nonzeros of the first support when the sparse kernel runs, else -1. */
static int
sparse_nnz(const DcrnnModel *m)
{
	return m->work->sup.sparse ? m->work->sparse[0].nnz : -1;
}

/* bench_dcrnn_flops with the model's first support as it is multiplied */
static void
count_flops(const DcrnnModel *model, int batch, double *fwd, double *bwd)
{
	int			nnz = sparse_nnz(model);
	int			n = model->cfg.num_nodes;

	bench_dcrnn_flops(&model->cfg, batch, nnz >= 0 ? nnz : (double) n * n, fwd, bwd);
}

/* x and labels of windows w0..w0+batch-1 of series (buckets x N) */
static void
fill_batch(const DcrnnConfig *c, const float *series, int w0, int batch,
		   float *x, float *labels)
{
	int			n = c->num_nodes;

	for (int b = 0; b < batch; b++)
	{
		for (int t = 0; t < c->history; t++)
			memcpy(x + ((size_t) t * batch + b) * n, series + (size_t) (w0 + b + t) * n,
				   n * sizeof(float));
		for (int t = 0; t < c->horizon; t++)
			memcpy(labels + ((size_t) t * batch + b) * n,
				   series + (size_t) (w0 + b + c->history + t) * n, n * sizeof(float));
	}
}

/*
 * The adjacency of the generator's registration tree with about `want`
 * RPCs: n x n in *w (malloc'd); returns n, the tree's distinct RPCs.
 */
static int
tree_graph(int want, float **w)
{
	SynthParams p;
	SynthTopology *t;
	int			n = 0;

	synth_params_default(&p);
	p.registration_rpcs = want;
	t = synth_topology_build(&p, &synth_malloc_allocator);

	const SynthTree *tree = &t->trees[t->registration];
	int32_t    *src = malloc(tree->n * sizeof(int32_t));
	int32_t    *dst = malloc(tree->n * sizeof(int32_t));
	unsigned char *seen = calloc(t->n_rpcs, 1);

	for (int i = tree->first; i < tree->first + tree->n; i++)
	{
		int32_t		rpc = t->nodes[i].rpc;

		if (rpc < 0 || seen[rpc])
			continue;
		seen[rpc] = 1;
		src[n] = t->rpc_src[rpc];
		dst[n++] = t->rpc_dst[rpc];
	}
	*w = calloc((size_t) n * n, sizeof(float));
	rpcgraph_adjacency(src, dst, n, *w);
	free(seen);
	free(src);
	free(dst);
	synth_topology_free(t);
	return n;
}

/* The graph's adjacency (n x n, malloc'd) for the command line's choice. */
static int
make_graph(const char *graph, int nodes, uint64_t *seed, float **w)
{
	if (strcmp(graph, "tree") == 0)
		return tree_graph(nodes, w);
	*w = calloc((size_t) nodes * nodes, sizeof(float));
	bench_random_graph(nodes, seed, *w);
	return nodes;
}

/* The forward and backward random walks of adjacency w. */
static void
set_supports(DcrnnModel *m, const float *w)
{
	int			n = m->cfg.num_nodes;
	float	   *s0 = calloc((size_t) n * n, sizeof(float));
	float	   *s1 = calloc((size_t) n * n, sizeof(float));

	rpcgraph_supports(w, n, s0, s1);
	dcrnn_set_support(m, 0, s0);
	dcrnn_set_support(m, 1, s1);
	free(s0);
	free(s1);
}

int
main(int argc, char **argv)
{
	int			nodes = argc > 1 ? atoi(argv[1]) : 51;
	int			threads = argc > 2 ? atoi(argv[2]) : 2;
	int			max_batches = argc > 3 ? atoi(argv[3]) : 0;
	int			buckets = argc > 4 ? atoi(argv[4]) : 1008;
	const char *graph = argc > 5 ? argv[5] : "random";
	DcrnnConfig cfg;
	char		err[256];
	uint64_t	seed = 42;
	float	   *adjacency;

	/* the peak of OpenBLAS's own threads; the model then runs its shards */
	openblas_set_num_threads(threads);
	printf("{\"bench\":\"sgemm_peak\",\"threads\":%d,\"n\":1024,\"gflops\":%.1f}\n",
		   threads, sgemm_peak(1024));
	fflush(stdout);
	dcrnn_set_threads(threads);

	nodes = make_graph(graph, nodes, &seed, &adjacency);
	dcrnn_config_default(&cfg, nodes);
	DcrnnModel *m = dcrnn_create(&cfg, err, sizeof err);

	if (!m)
	{
		fprintf(stderr, "dcrnn_epoch: %s\n", err);
		return 1;
	}
	dcrnn_init_params(m, 1);
	set_supports(m, adjacency);

	int			edges = 0;

	for (size_t i = 0; i < (size_t) nodes * nodes; i++)
		edges += adjacency[i] != 0.0f;
	free(adjacency);

	int			windows = buckets - cfg.history - cfg.horizon + 1;
	int			batches = (windows + cfg.batch - 1) / cfg.batch;
	int			timed = max_batches > 0 && max_batches < batches ? max_batches : batches;
	size_t		nx = (size_t) cfg.history * cfg.batch * nodes;
	size_t		ny = (size_t) cfg.horizon * cfg.batch * nodes;
	float	   *series = malloc((size_t) buckets * nodes * sizeof(float));
	float	   *x = malloc(nx * sizeof(float));
	float	   *io = malloc(3 * ny * sizeof(float));
	float	   *labels = io, *pred = io + ny, *dpred = io + 2 * ny;
	float		zero = 0.0f, one = 1.0f;
	unsigned char coins[8];
	DcrnnAdam	adam;

	for (int t = 0; t < buckets; t++)
		for (int n = 0; n < nodes; n++)
			series[(size_t) t * nodes + n] = (float) (sin(6.2831853 * t / 72.0 + n) +
													  0.3 * (bench_urand(&seed) - 0.5));
	dcrnn_adam_init(&adam, m->n_params);

	/* warm-up, untimed: first touch of the workspace pages */
	fill_batch(&cfg, series, 0, cfg.batch, x, labels);
	dcrnn_forward(m, x, cfg.batch, labels, NULL, pred);
	dcrnn_backward(m, pred);

	double		fwd = 0, bwd = 0, f1, b1, loss = 0;
	double		t0 = bench_now();
	double		c0 = bench_cpu_now();

	for (int i = 0; i < timed; i++)
	{
		int			w0 = i * cfg.batch;
		int			b = windows - w0 < cfg.batch ? windows - w0 : cfg.batch;

		fill_batch(&cfg, series, w0, b, x, labels);
		for (int j = 0; j < cfg.horizon; j++)
			coins[j] = bench_urand(&seed) < 0.5;
		dcrnn_forward(m, x, b, labels, coins, pred);
		loss += dcrnn_masked_mae(pred, labels, (size_t) cfg.horizon * b * nodes,
								 &zero, &one, 1, 0, dpred);
		dcrnn_backward(m, dpred);
		dcrnn_clip_grad_norm(m->grads, m->n_params, 5.0);
		dcrnn_adam_step(&adam, m->params, m->grads, 0.01);
		count_flops(m, b, &f1, &b1);
		fwd += f1;
		bwd += b1;
	}
	double		train_s = bench_now() - t0;
	double		train_cpu_s = bench_cpu_now() - c0;
	double		infer_flops = 0;

	t0 = bench_now();
	for (int i = 0; i < timed; i++)
	{
		int			w0 = i * cfg.batch;
		int			b = windows - w0 < cfg.batch ? windows - w0 : cfg.batch;

		fill_batch(&cfg, series, w0, b, x, labels);
		dcrnn_forward(m, x, b, NULL, NULL, pred);
		count_flops(m, b, &f1, &b1);
		infer_flops += f1;
	}
	double		infer_s = bench_now() - t0;
	double		scale = (double) batches / timed;
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"bench\":\"dcrnn_epoch\",\"impl\":\"c\",\"graph\":\"%s\",\"nodes\":%d,"
		   "\"edges\":%d,\"threads\":%d,"
		   "\"units\":%d,\"layers\":%d,\"k\":%d,\"batch\":%d,\"buckets\":%d,"
		   "\"windows\":%d,\"batches_timed\":%d,\"batches\":%d,"
		   "\"epoch_s\":%.3f,\"epoch_cpu_s\":%.3f,\"infer_s\":%.3f,\"epoch_tflop\":%.3f,"
		   "\"train_gflops\":%.1f,\"infer_gflops\":%.1f,\"peak_rss_mb\":%.0f,"
		   "\"sparse_supports\":%s,\"mean_loss\":%.4f}\n",
		   graph, nodes, edges, threads, cfg.units, cfg.layers, cfg.max_diffusion, cfg.batch,
		   buckets, windows, timed, batches, train_s * scale, train_cpu_s * scale, infer_s * scale,
		   (fwd + bwd) * scale * 1e-12, (fwd + bwd) / train_s * 1e-9,
		   infer_flops / infer_s * 1e-9, ru.ru_maxrss / 1024.0,
		   sparse_nnz(m) >= 0 ? "true" : "false", loss / timed);
	dcrnn_adam_free(&adam);
	dcrnn_free(m);
	free(series);
	free(x);
	free(io);
	return 0;
}
