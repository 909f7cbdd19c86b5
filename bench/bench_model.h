/*
 * bench_model.h -- made-up training inputs that the training benchmarks
 * share: a count series of daily waves with noise, and a DCRNN over a
 * random sparse RPC graph with its two random-walk supports.
 */
#ifndef INFORMER_BENCH_MODEL_H
#define INFORMER_BENCH_MODEL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dcrnn.h"
#include "rpcgraph.h"

#include "bench.h"

/* Daily waves with a per-node phase and noise, in whole calls. */
static inline double *
bench_counts(int n, int buckets, uint64_t *state)
{
	double	   *c = malloc(sizeof(double) * n * buckets);

	for (int t = 0; c && t < buckets; t++)
		for (int i = 0; i < n; i++)
			c[(size_t) t * n + i] = floor(40 + 30 * sin(6.283185307179586 * t / 72.0 + i) +
										  10 * bench_urand(state));
	return c;
}

/* A model of cfg over a random graph of cfg->num_nodes; exits on failure. */
static inline DcrnnModel *
bench_model(const DcrnnConfig *cfg, uint64_t *state)
{
	int			n = cfg->num_nodes;
	float	   *w = malloc(sizeof(float) * n * n * 3);
	char		err[256];
	DcrnnModel *m;

	if (!w || !(m = dcrnn_create(cfg, err, sizeof err)))
	{
		fprintf(stderr, "cannot build the model: %s\n", w ? err : "out of memory");
		exit(1);
	}
	bench_random_graph(n, state, w);
	rpcgraph_supports(w, n, w + n * n, w + 2 * n * n);
	dcrnn_set_support(m, 0, w + n * n);
	dcrnn_set_support(m, 1, w + 2 * n * n);
	free(w);
	return m;
}

#endif
