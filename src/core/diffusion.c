/*
 * diffusion.c -- diffusion convolution terms over a batch, and their
 * backward pass.
 *
 * A block (term 0 is the input) holds `feats` features, each an (N x B)
 * row-major matrix: node n of sample b at n*B + b, so a diffusion step
 * moves whole rows of B samples.  Term m is coef * S T_src (- T_prev).
 * With a sparse support (RPC graphs have a few edges per node) each
 * nonzero adds one row, a vector operation over the batch, and all terms
 * of a feature are made while its rows sit in cache; with a dense one
 * each step of a feature is one GEMM.  The plan encodes both recursions
 * that docs/dcrnn.md describes: the paper's plain powers S^k x, and the
 * reference's Chebyshev-style recursion with the x carry-over between
 * supports.
 */
#include "dcrnn_internal.h"

#include "blas.h"

/* samples a sparse step keeps in registers */
#define SPARSE_LANES 16

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

/* Compressed rows of s (n x n), or of its transpose; nnz -1 above cap. */
void
sparse_support_build(SparseSupport *sp, const float *s, int n, int transpose)
{
	int			nnz = 0;

	sp->rowptr[0] = 0;
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < n; j++)
		{
			float		v = transpose ? s[(size_t) j * n + i] : s[(size_t) i * n + j];

			if (v == 0.0f)
				continue;
			if (nnz == sp->cap)
			{
				sp->nnz = -1;
				return;
			}
			sp->col[nnz] = j;
			sp->val[nnz++] = v;
		}
		sp->rowptr[i + 1] = nnz;
	}
	sp->nnz = nnz;
}

/*
 * out = sign * base + coef * S in over samples r0 .. r0 + SPARSE_LANES of
 * one (N x b) feature; base may be NULL (zero) or out.  The lanes stay in
 * registers across a row's nonzeros (the fixed trip counts unroll into
 * vector operations).
 */
static inline void
sparse_rows_lanes(const SparseSupport *sp, int n, int b, int r0, float coef,
				  const float *in, const float *base, float sign, float *out)
{
	for (int i = 0; i < n; i++)
	{
		size_t		row = (size_t) i * b + r0;
		float		acc[SPARSE_LANES];

		for (int r = 0; r < SPARSE_LANES; r++)
			acc[r] = base ? sign * base[row + r] : 0.0f;
		/* coef is 1 or 2: scaling the weight rounds as scaling the sum */
		for (int p = sp->rowptr[i]; p < sp->rowptr[i + 1]; p++)
		{
			const float *x = in + (size_t) sp->col[p] * b + r0;
			float		v = coef * sp->val[p];

			for (int r = 0; r < SPARSE_LANES; r++)
				acc[r] += v * x[r];
		}
		for (int r = 0; r < SPARSE_LANES; r++)
			out[row + r] = acc[r];
	}
}

/* The same for samples r0 .. b - 1 (fewer than SPARSE_LANES), in place. */
static void
sparse_rows_tail(const SparseSupport *sp, int n, int b, int r0, float coef,
				 const float *in, const float *base, float sign, float *out)
{
	for (int i = 0; i < n; i++)
	{
		float	   *o = out + (size_t) i * b;

		for (int r = r0; r < b; r++)
			o[r] = base ? sign * base[(size_t) i * b + r] : 0.0f;
		for (int p = sp->rowptr[i]; p < sp->rowptr[i + 1]; p++)
		{
			const float *x = in + (size_t) sp->col[p] * b;
			float		v = coef * sp->val[p];

			for (int r = r0; r < b; r++)
				o[r] += v * x[r];
		}
	}
}

/* out = sign * base + coef * S in for one (N x b) feature */
static void
sparse_apply(const SparseSupport *sp, int n, int b, float coef,
			 const float *in, const float *base, float sign, float *out)
{
	int			r0 = 0;

	for (; r0 + SPARSE_LANES <= b; r0 += SPARSE_LANES)
		sparse_rows_lanes(sp, n, b, r0, coef, in, base, sign, out);
	if (r0 < b)
		sparse_rows_tail(sp, n, b, r0, coef, in, base, sign, out);
}

/* a -= b over count floats */
static void
sub_into(size_t count, float *restrict a, const float *restrict b)
{
	for (size_t i = 0; i < count; i++)
		a[i] -= b[i];
}

/* Term m of one feature (offset fo in each block), dense support. */
static void
dense_term(const DiffusionPlan *p, const DiffusionSupports *sup, int m,
		   int batch, size_t stride, size_t fo, float *terms)
{
	int			n = sup->n;
	float	   *t = terms + m * stride + fo;
	const float *prev = p->prev[m] >= 0 ? terms + p->prev[m] * stride + fo : NULL;

	if (prev)
		for (size_t i = 0; i < (size_t) n * batch; i++)
			t[i] = -prev[i];
	blas_gemm(0, 0, n, batch, n, p->coef[m],
			  sup->dense + (size_t) p->support[m] * n * n, n,
			  terms + p->src[m] * stride + fo, batch, prev ? 1.0f : 0.0f, t, batch);
}

/*
 * Term m starts stride floats after term m - 1 and only its first feats
 * features are diffused: the rest of each block (features the caller
 * already holds) is left alone.  Features are independent, so any subset
 * may be diffused on its own.
 */
void
diffusion_forward_part(const DiffusionPlan *p, const DiffusionSupports *sup,
					   int feats, int batch, size_t stride, float *terms)
{
	size_t		fsize = (size_t) sup->n * batch;

	for (int f = 0; f < feats; f++)
		for (int m = 1; m < p->n_terms; m++)
		{
			size_t		fo = f * fsize;

			if (!sup->sparse)
			{
				dense_term(p, sup, m, batch, stride, fo, terms);
				continue;
			}
			sparse_apply(&sup->sparse[p->support[m]], sup->n, batch, p->coef[m],
						 terms + p->src[m] * stride + fo,
						 p->prev[m] >= 0 ? terms + p->prev[m] * stride + fo : NULL,
						 -1.0f, terms + m * stride + fo);
		}
}

void
diffusion_forward(const DiffusionPlan *p, const DiffusionSupports *sup,
				  int feats, int batch, float *terms)
{
	diffusion_forward_part(p, sup, feats, batch,
						   (size_t) feats * sup->n * batch, terms);
}

/*
 * On entry dterms holds dL/dterm for every term as used downstream; on exit
 * block 0 holds the full dL/dinput (other blocks are clobbered).  feats
 * and stride as in diffusion_forward_part: only the first feats features
 * of each block are touched.
 */
void
diffusion_backward_part(const DiffusionPlan *p, const DiffusionSupports *sup,
						int feats, int batch, size_t stride, float *dterms)
{
	int			n = sup->n;
	size_t		fsize = (size_t) n * batch;

	for (int f = 0; f < feats; f++)
		for (int m = p->n_terms - 1; m >= 1; m--)
		{
			size_t		fo = f * fsize;
			const float *dt = dterms + m * stride + fo;
			float	   *dsrc = dterms + p->src[m] * stride + fo;

			if (sup->sparse)
				sparse_apply(&sup->sparse_t[p->support[m]], n, batch, p->coef[m],
							 dt, dsrc, 1.0f, dsrc);
			else
				blas_gemm(1, 0, n, batch, n, p->coef[m],
						  sup->dense + (size_t) p->support[m] * n * n, n,
						  dt, batch, 1.0f, dsrc, batch);
			if (p->prev[m] >= 0)
				sub_into(fsize, dterms + p->prev[m] * stride + fo, dt);
		}
}

void
diffusion_backward(const DiffusionPlan *p, const DiffusionSupports *sup,
				   int feats, int batch, float *dterms)
{
	diffusion_backward_part(p, sup, feats, batch,
							(size_t) feats * sup->n * batch, dterms);
}
