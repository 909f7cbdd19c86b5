/*
 * test_dcrnn_threads.c -- the DCRNN split over threads: forward and
 * backward in shards of the batch give what one thread gives (the
 * gradient sums only in another order), for full, partial and tiny
 * batches, dense and sparse supports; a thread count always gives the
 * same bits.  And the task pool under them runs each task once.
 */
#include "unit.h"
#include "dcrnn_internal.h"

#include <stdlib.h>
#include <string.h>

enum {N = 6, B = 5, H = 3, F = 2};

static float
uniform(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float) ((*s >> 40) / 16777216.0) * 2.0f - 1.0f;
}

/* A small model; sparse: chains i -> i+1 (sparse kernel), else all pairs. */
static DcrnnModel *
threads_model(int sparse)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	float		s[N * N];

	dcrnn_config_default(&cfg, N);
	cfg.units = 4;
	cfg.input_dim = F;
	cfg.history = H;
	cfg.horizon = H;
	cfg.batch = B;
	m = dcrnn_create(&cfg, NULL, 0);
	if (!m)
		return NULL;
	dcrnn_init_params(m, 3);
	for (int k = 0; k < 2; k++)
	{
		for (int i = 0; i < N * N; i++)
			s[i] = sparse ? (i % N == (i / N + 1 + k) % N) * 0.7f : 0.1f + 0.05f * (i % 3);
		dcrnn_set_support(m, k, s);
	}
	return m;
}

/* forward and backward of `batch` windows on `threads`; pred and grads out */
static void
run_pass(DcrnnModel *m, int threads, int batch, float *pred, float *grads)
{
	float		x[H * B * N * F], labels[H * B * N], dpred[H * B * N];
	static const unsigned char coins[H] = {1, 0, 0};
	uint64_t	seed = 5;

	for (int i = 0; i < H * B * N * F; i++)
		x[i] = uniform(&seed);
	for (int i = 0; i < H * B * N; i++)
	{
		labels[i] = uniform(&seed);
		dpred[i] = uniform(&seed);
	}
	dcrnn_set_threads(threads);
	dcrnn_forward(m, x, batch, labels, coins, pred);
	dcrnn_backward(m, dpred);
	memcpy(grads, m->grads, m->n_params * sizeof(float));
	dcrnn_set_threads(1);
}

TEST(dcrnn_threads_give_one_threads_results)
{
	static const int batches[] = {B, 3, 1};

	for (int sparse = 0; sparse < 2; sparse++)
	{
		DcrnnModel *m = threads_model(sparse);

		REQUIRE(m);
		CHECK((m->work->sup.sparse != NULL) == sparse);
		size_t		np = m->n_params;
		float	   *g1 = malloc(4 * np * sizeof(float));
		float	   *g2 = g1 + np, *g3 = g2 + np, *again = g3 + np;
		float		p1[H * B * N], p2[H * B * N], p3[H * B * N], pa[H * B * N];

		for (int i = 0; i < 3; i++)
		{
			int			b = batches[i];

			run_pass(m, 1, b, p1, g1);
			run_pass(m, 2, b, p2, g2);
			run_pass(m, 3, b, p3, g3);
			for (int j = 0; j < H * b * N; j++)
			{
				CHECK_CLOSE(p2[j], p1[j], 1e-6, 1e-6);
				CHECK_CLOSE(p3[j], p1[j], 1e-6, 1e-6);
			}
			for (size_t j = 0; j < np; j++)
			{
				CHECK_CLOSE(g2[j], g1[j], 1e-5, 1e-6);
				CHECK_CLOSE(g3[j], g1[j], 1e-5, 1e-6);
			}
			run_pass(m, 2, b, pa, again);
			CHECK(memcmp(pa, p2, H * b * N * sizeof(float)) == 0);
			CHECK(memcmp(again, g2, np * sizeof(float)) == 0);
			run_pass(m, 1, b, pa, again);
			CHECK(memcmp(again, g1, np * sizeof(float)) == 0);
		}
		free(g1);
		dcrnn_free(m);
	}
}

/* More threads than the batch: every sample still counts once. */
TEST(dcrnn_threads_beyond_batch)
{
	DcrnnModel *m = threads_model(1);
	float		p1[H * B * N], p8[H * B * N];

	REQUIRE(m);
	float	   *g1 = malloc(2 * m->n_params * sizeof(float));
	float	   *g8 = g1 + m->n_params;

	run_pass(m, 1, 2, p1, g1);
	run_pass(m, 8, 2, p8, g8);
	CHECK(m->work->n_shards == B);	/* at most cfg.batch shards */
	for (int j = 0; j < H * 2 * N; j++)
		CHECK_CLOSE(p8[j], p1[j], 1e-6, 1e-6);
	for (size_t j = 0; j < m->n_params; j++)
		CHECK_CLOSE(g8[j], g1[j], 1e-5, 1e-6);
	free(g1);
	dcrnn_free(m);
}

static void
count_task(void *arg, int i)
{
	int		   *counts = arg;

	counts[i]++;				/* each task its own slot: no race */
}

/* The pool runs every task of a call once, for any count up to its size. */
TEST(dcrnn_task_pool_runs_each_task_once)
{
	TaskPool   *pool = task_pool_create(3);
	int			counts[3] = {0};

	REQUIRE(pool);
	CHECK(task_pool_threads(pool) == 3);
	for (int call = 0; call < 300; call++)
		task_pool_run(pool, 3 - call % 3, count_task, counts);
	CHECK(counts[0] == 300 && counts[1] == 200 && counts[2] == 100);
	task_pool_free(pool);
	task_pool_run(NULL, 2, count_task, counts);	/* no pool: on the caller */
	CHECK(counts[0] == 301 && counts[1] == 201);
	CHECK(task_pool_threads(NULL) == 1);
}
