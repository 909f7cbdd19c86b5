/*
 * cuda_dcgru.cu -- diffusion terms and one DCGRU cell on the GPU, forward
 * and backward, for every model of the context at once; the same steps as
 * diffusion.c and dcgru.c, with the elementwise work fused into the
 * kernels of cuda_kernels.cu and every product one batched cuBLAS call.
 * Supports are applied as ELL rows when narrow enough (cuda_sparse.cu),
 * else dense; the CPU chooses its own way, and the sums agree up to
 * rounding.
 */
#include "cuda_internal.h"

/* Terms 1.. of the plan from term 0, over ELL rows or dense supports. */
static void
diffusion_forward_gpu(DcrnnBackendCtx *c, size_t rows, Off terms)
{
	const DiffusionPlan *p = &c->plan;
	int			n = c->cfg.num_nodes;
	size_t		block = rows * (size_t) n;

	for (int m = 1; m < p->n_terms; m++)
	{
		Off			t = terms + m * block;
		Off			prev = p->prev[m] >= 0 ? terms + p->prev[m] * block : OFF_NONE;

		if (c->ell_width)
		{
			k_ell_diffuse(c, p->support[m], rows, p->coef[m], terms + p->src[m] * block,
						  prev, t);
			continue;
		}
		if (prev != OFF_NONE)
			k_neg_copy(c, t, prev, block);
		cuda_gemm(c, 0, 1, (int) rows, n, n, p->coef[m], terms + p->src[m] * block, n,
				  c->supports + (size_t) p->support[m] * n * n, n,
				  prev != OFF_NONE ? 1.0f : 0.0f, t, n);
	}
}

/* On exit block 0 of dterms holds dL/dinput (see diffusion_backward). */
static void
diffusion_backward_gpu(DcrnnBackendCtx *c, size_t rows, Off dterms)
{
	const DiffusionPlan *p = &c->plan;
	int			n = c->cfg.num_nodes;
	size_t		block = rows * (size_t) n;

	for (int m = p->n_terms - 1; m >= 1; m--)
	{
		Off			dt = dterms + m * block;
		Off			dprev = p->prev[m] >= 0 ? dterms + p->prev[m] * block : OFF_NONE;

		if (c->ell_width)
		{
			k_ell_diffuse_back(c, p->support[m], rows, p->coef[m], dt,
							   dterms + p->src[m] * block, dprev);
			continue;
		}
		cuda_gemm(c, 0, 0, (int) rows, n, n, p->coef[m], dt, n,
				  c->supports + (size_t) p->support[m] * n * n, n, 1.0f,
				  dterms + p->src[m] * block, n);
		if (dprev != OFF_NONE)
			k_sub(c, dprev, dt, block);
	}
}

/* result (out x BN) = W^T terms, bias added by the activation kernel */
static void
gconv_forward(DcrnnBackendCtx *c, int batch, int f, int out, Off w, Off terms,
			  Off result)
{
	int			bn = batch * c->cfg.num_nodes;

	diffusion_forward_gpu(c, (size_t) f * batch, terms);
	cuda_gemm(c, 1, 0, out, bn, c->plan.n_terms * f, 1.0f, w, out, terms, bn,
			  0.0f, result, bn);
}

/* dW += terms dresult^T, db += row sums; dL/d(block 0) left in dterms */
static void
gconv_backward(DcrnnBackendCtx *c, int batch, int f, int out, Off w, Off terms,
			   Off dresult)
{
	int			bn = batch * c->cfg.num_nodes;
	int			mf = c->plan.n_terms * f;
	size_t		np = c->n_params;

	cuda_gemm(c, 0, 1, mf, out, bn, 1.0f, terms, bn, dresult, bn, 1.0f, w + np, out);
	cuda_gemm(c, 0, 0, mf, bn, out, 1.0f, w, out, dresult, bn, 0.0f, c->dterms, bn);
	diffusion_backward_gpu(c, (size_t) f * batch, c->dterms);
}

void
cuda_dcgru_forward(DcrnnBackendCtx *c, int batch, const CudaCell *cell, Off x,
				   Off h, const CudaSaved *s)
{
	size_t		bn = (size_t) batch * c->cfg.num_nodes;
	size_t		xn = cell->fin * bn;
	int			u = c->cfg.units;
	int			f = cell->fin + u;

	k_pack_xh(c, s->xg, x, xn, h, u * bn);
	gconv_forward(c, batch, f, 2 * u, cell->wg, s->xg, s->v);
	k_gate_act(c, s->v, cell->bg, bn, u, x, xn, h, s->xc);
	gconv_forward(c, batch, f, u, cell->wc, s->xc, s->c);
	k_cand_update(c, s->c, cell->bc, s->v, h, s->h, bn, u);
}

/*
 * Given dh_new, adds dL/dx to dx (when has_dx) and dL/dh to dh; h is the
 * state the forward call got.  Bias gradients sit n_params after biases.
 */
void
cuda_dcgru_backward(DcrnnBackendCtx *c, int batch, const CudaCell *cell, Off h,
					const CudaSaved *s, Off dh_new, Off dx, int has_dx, Off dh)
{
	size_t		bn = (size_t) batch * c->cfg.num_nodes;
	size_t		xn = cell->fin * bn;
	int			u = c->cfg.units;
	size_t		ub = u * bn;
	int			f = cell->fin + u;

	k_cand_backward(c, s->v, s->c, h, dh_new, c->dgate + ub, c->dcand, dh, ub);
	gconv_backward(c, batch, f, u, cell->wc, s->xc, c->dcand);
	k_bias_grad(c, c->dcand, u, bn, cell->bc + c->n_params);
	k_reset_backward(c, c->dterms, xn, s->v, h, c->dgate, dh, has_dx ? dx : OFF_NONE, ub);
	gconv_backward(c, batch, f, 2 * u, cell->wg, s->xg, c->dgate);
	k_bias_grad(c, c->dgate, 2 * u, bn, cell->bg + c->n_params);
	k_input_backward(c, c->dterms, xn, dh, has_dx ? dx : OFF_NONE, ub);
}
