/*
 * diffusion.c -- diffusion convolution terms over a batch, and their
 * backward pass.
 *
 * The input block (term 0) is a (rows x N) matrix, rows = features * batch,
 * node index last.  Term m is coef * T_src S^T (- T_prev), so each step is
 * one GEMM over the whole batch, or for a sparse support (a large graph
 * with few edges per node) a pass over its nonzeros.  The plan encodes both recursions that
 * docs/dcrnn.md describes: the paper's plain powers S^k x, and the
 * reference's Chebyshev-style recursion with the x carry-over between
 * supports.
 */
#include "dcrnn_internal.h"

#include <string.h>

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
sparse_support_build(SparseSupport *sp, const float *s, int n)
{
	int			nnz = 0;

	sp->rowptr[0] = 0;
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < n; j++)
		{
			if (s[(size_t) i * n + j] == 0.0f)
				continue;
			if (nnz == sp->cap)
			{
				sp->nnz = -1;
				return;
			}
			sp->col[nnz] = j;
			sp->val[nnz++] = s[(size_t) i * n + j];
		}
		sp->rowptr[i + 1] = nnz;
	}
	sp->nnz = nnz;
}

/*
 * The sparse kernels work on SPARSE_BLOCK signals at a time, transposed
 * into node-major scratch so that each nonzero is one short vector
 * operation over the block instead of a scalar gather.
 */
#define SPARSE_BLOCK DCRNN_SPARSE_BLOCK

/* rows r0..r0+nb of src (rows x n) -> dst (n x SPARSE_BLOCK), zero-padded */
static void
block_in(const float *src, int n, size_t r0, int nb, float *dst)
{
	if (nb < SPARSE_BLOCK)
		memset(dst, 0, (size_t) n * SPARSE_BLOCK * sizeof(float));
	for (int r = 0; r < nb; r++)
		for (int j = 0; j < n; j++)
			dst[j * SPARSE_BLOCK + r] = src[(r0 + r) * n + j];
}

/* out = coef * S in (- prev), for every signal (row) of the batch */
static void
sparse_apply(const SparseSupport *sp, int n, size_t rows, float coef,
			 const float *in, const float *prev, float *out, float *scratch)
{
	float	   *xt = scratch;
	float		acc[SPARSE_BLOCK];

	for (size_t r0 = 0; r0 < rows; r0 += SPARSE_BLOCK)
	{
		int			nb = rows - r0 < SPARSE_BLOCK ? (int) (rows - r0) : SPARSE_BLOCK;

		block_in(in, n, r0, nb, xt);
		for (int i = 0; i < n; i++)
		{
			memset(acc, 0, sizeof acc);
			for (int p = sp->rowptr[i]; p < sp->rowptr[i + 1]; p++)
			{
				const float *x = xt + (size_t) sp->col[p] * SPARSE_BLOCK;
				float		v = sp->val[p];

				for (int r = 0; r < SPARSE_BLOCK; r++)
					acc[r] += v * x[r];
			}
			for (int r = 0; r < nb; r++)
				out[(r0 + r) * n + i] = coef * acc[r] -
					(prev ? prev[(r0 + r) * n + i] : 0.0f);
		}
	}
}

/* din += coef * S^T dout, the adjoint of sparse_apply */
static void
sparse_apply_adjoint(const SparseSupport *sp, int n, size_t rows, float coef,
					 const float *dout, float *din, float *scratch)
{
	float	   *dyt = scratch;
	float	   *dxt = scratch + (size_t) n * SPARSE_BLOCK;

	for (size_t r0 = 0; r0 < rows; r0 += SPARSE_BLOCK)
	{
		int			nb = rows - r0 < SPARSE_BLOCK ? (int) (rows - r0) : SPARSE_BLOCK;

		block_in(dout, n, r0, nb, dyt);
		memset(dxt, 0, (size_t) n * SPARSE_BLOCK * sizeof(float));
		for (int i = 0; i < n; i++)
		{
			const float *dy = dyt + (size_t) i * SPARSE_BLOCK;

			for (int p = sp->rowptr[i]; p < sp->rowptr[i + 1]; p++)
			{
				float	   *dx = dxt + (size_t) sp->col[p] * SPARSE_BLOCK;
				float		v = sp->val[p];

				for (int r = 0; r < SPARSE_BLOCK; r++)
					dx[r] += v * dy[r];
			}
		}
		for (int r = 0; r < nb; r++)
			for (int j = 0; j < n; j++)
				din[(r0 + r) * n + j] += coef * dxt[j * SPARSE_BLOCK + r];
	}
}

static const SparseSupport *
sparse_of(const DiffusionSupports *sup, int k)
{
	return sup->sparse && sup->sparse[k].nnz >= 0 ? &sup->sparse[k] : NULL;
}

/*
 * Term m starts stride floats after term m - 1 and only its first rows
 * rows are diffused: the rest of each block (rows the caller already
 * holds) is left alone.  Signals are independent, so any subset of rows
 * may be diffused on its own.
 */
void
diffusion_forward_rows(const DiffusionPlan *p, const DiffusionSupports *sup,
					   size_t rows, size_t stride, float *terms)
{
	int			n = sup->n;
	size_t		block = rows * (size_t) n;

	for (int m = 1; m < p->n_terms; m++)
	{
		float	   *t = terms + m * stride;
		const float *src = terms + p->src[m] * stride;
		const float *prev = p->prev[m] >= 0 ? terms + p->prev[m] * stride : NULL;
		const SparseSupport *sp = sparse_of(sup, p->support[m]);

		if (sp)
		{
			sparse_apply(sp, n, rows, p->coef[m], src, prev, t, sup->scratch);
			continue;
		}
		if (prev)
			for (size_t i = 0; i < block; i++)
				t[i] = -prev[i];
		blas_gemm(0, 1, (int) rows, n, n, p->coef[m], src, n,
				  sup->dense + (size_t) p->support[m] * n * n, n,
				  prev ? 1.0f : 0.0f, t, n);
	}
}

void
diffusion_forward(const DiffusionPlan *p, const DiffusionSupports *sup,
				  size_t rows, float *terms)
{
	diffusion_forward_rows(p, sup, rows, rows * (size_t) sup->n, terms);
}

/*
 * On entry dterms holds dL/dterm for every term as used downstream; on exit
 * block 0 holds the full dL/dinput (other blocks are clobbered).  rows and
 * stride as in diffusion_forward_rows: only the first rows rows of each
 * block are touched.
 */
void
diffusion_backward_rows(const DiffusionPlan *p, const DiffusionSupports *sup,
						size_t rows, size_t stride, float *dterms)
{
	int			n = sup->n;
	size_t		block = rows * (size_t) n;

	for (int m = p->n_terms - 1; m >= 1; m--)
	{
		const float *dt = dterms + m * stride;
		float	   *dsrc = dterms + p->src[m] * stride;
		const SparseSupport *sp = sparse_of(sup, p->support[m]);

		if (sp)
			sparse_apply_adjoint(sp, n, rows, p->coef[m], dt, dsrc, sup->scratch);
		else
			blas_gemm(0, 0, (int) rows, n, n, p->coef[m], dt, n,
					  sup->dense + (size_t) p->support[m] * n * n, n, 1.0f, dsrc, n);
		if (p->prev[m] >= 0)
		{
			float	   *prev = dterms + p->prev[m] * stride;

			for (size_t i = 0; i < block; i++)
				prev[i] -= dt[i];
		}
	}
}

void
diffusion_backward(const DiffusionPlan *p, const DiffusionSupports *sup,
				   size_t rows, float *dterms)
{
	diffusion_backward_rows(p, sup, rows, rows * (size_t) sup->n, dterms);
}
