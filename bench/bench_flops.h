/*
 * bench_flops.h -- the floating-point operations of one DCRNN training
 * step, which the training benchmarks divide by their times (GFLOP/s).
 */
#ifndef INFORMER_BENCH_FLOPS_H
#define INFORMER_BENCH_FLOPS_H

#include "dcrnn.h"

/*
 * Operations of one forward pass (fwd) and one backward pass (bwd) over a
 * batch: the products only, which are all but a few percent.  A diffusion
 * step costs 2 nnz per signal, nnz being a support's nonzeros (N^2 when it
 * is multiplied dense).  Each cell diffuses its f = input + U features
 * once for the gates and only the U features of r*h again for the
 * candidate, both ways.
 */
static inline void
bench_dcrnn_flops(const DcrnnConfig *c, int batch, double nnz, double *fwd, double *bwd)
{
	double		bn = (double) batch * c->num_nodes;
	double		m = 1 + c->num_supports * c->max_diffusion;
	double		steps[2] = {c->history, c->horizon};

	*fwd = *bwd = 0.0;
	for (int d = 0; d < 2; d++)
		for (int l = 0; l < c->layers; l++)
		{
			double		f = (l ? c->units : d ? c->output_dim : c->input_dim) + c->units;
			double		diff = (m - 1) * 2.0 * (f + c->units) * batch * nnz;
			double		gates = 2.0 * (3.0 * c->units) * m * f * bn;

			*fwd += steps[d] * (diff + gates);
			*bwd += steps[d] * (diff + 2 * gates);
		}
	*fwd += c->horizon * 2.0 * c->output_dim * c->units * bn;
	*bwd += c->horizon * 4.0 * c->output_dim * c->units * bn;
}

#endif
