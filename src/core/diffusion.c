/*
 * diffusion.c -- diffusion convolution terms over a batch, and their
 * backward pass.
 *
 * The input block (term 0) is a (rows x N) matrix, rows = features * batch,
 * node index last.  Term m is coef * T_src S^T (- T_prev), so each step is
 * one GEMM over the whole batch.  The plan encodes both recursions that
 * docs/dcrnn.md describes: the paper's plain powers S^k x, and the
 * reference's Chebyshev-style recursion with the x carry-over between
 * supports.
 */
#include "dcrnn_internal.h"

#include "blas.h"

void
diffusion_plan_build(DiffusionPlan *p, int k, int supports, int mode)
{
	int			base = 0;

	p->n_terms = 1 + supports * k;
	p->support[0] = p->src[0] = p->prev[0] = -1;
	p->coef[0] = 1.0f;
	for (int s = 0; s < supports; s++)
	{
		for (int step = 1; step <= k; step++)
		{
			int			m = 1 + s * k + (step - 1);

			p->support[m] = s;
			p->prev[m] = -1;
			p->coef[m] = 1.0f;
			if (mode == DCRNN_DIFFUSION_POWERS)
				p->src[m] = step == 1 ? 0 : m - 1;
			else
			{
				/* T_1 = S base; T_k = 2 S T_(k-1) - T_(k-2), T_0 = base */
				p->src[m] = step == 1 ? base : m - 1;
				if (step >= 2)
				{
					p->prev[m] = step == 2 ? base : m - 2;
					p->coef[m] = 2.0f;
				}
			}
		}
		/* the reference's next support starts from T_(K-1) of this one */
		if (mode == DCRNN_DIFFUSION_REFERENCE && k >= 2)
			base = 1 + s * k + (k - 2);
	}
}

void
diffusion_forward(const DiffusionPlan *p, const float *supports, int n,
				  size_t rows, float *terms)
{
	size_t		block = rows * (size_t) n;

	for (int m = 1; m < p->n_terms; m++)
	{
		float	   *t = terms + m * block;
		const float *s = supports + (size_t) p->support[m] * n * n;
		float		beta = 0.0f;

		if (p->prev[m] >= 0)
		{
			const float *prev = terms + p->prev[m] * block;

			for (size_t i = 0; i < block; i++)
				t[i] = -prev[i];
			beta = 1.0f;
		}
		blas_gemm(0, 1, (int) rows, n, n, p->coef[m], terms + p->src[m] * block,
				  n, s, n, beta, t, n);
	}
}

/*
 * On entry dterms holds dL/dterm for every term as used downstream; on exit
 * block 0 holds the full dL/dinput (other blocks are clobbered).
 */
void
diffusion_backward(const DiffusionPlan *p, const float *supports, int n,
				   size_t rows, float *dterms)
{
	size_t		block = rows * (size_t) n;

	for (int m = p->n_terms - 1; m >= 1; m--)
	{
		const float *dt = dterms + m * block;
		const float *s = supports + (size_t) p->support[m] * n * n;

		blas_gemm(0, 0, (int) rows, n, n, p->coef[m], dt, n, s, n, 1.0f,
				  dterms + p->src[m] * block, n);
		if (p->prev[m] >= 0)
		{
			float	   *prev = dterms + p->prev[m] * block;

			for (size_t i = 0; i < block; i++)
				prev[i] -= dt[i];
		}
	}
}
