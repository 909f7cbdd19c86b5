/*
 * dcgru.c -- one DCGRU cell over a batch, forward and backward.
 *
 *   [r; u] = sigmoid(gconv([x, h]))     c = tanh(gconv([x, r*h]))
 *   h'     = u*h + (1 - u)*c
 *
 * gconv(z) = W^T terms(z) + b, where terms(z) stacks the diffusion terms
 * (diffusion.c) of z; W is (M*F x out) with row m*F + f.  Each gconv is one
 * GEMM with k = M*F over all B*N columns.  Activations are feature-major
 * (see dcrnn_internal.h).
 */
#include "dcrnn_internal.h"

#include <string.h>

#include "activation.h"
#include "blas.h"

/*
 * result (out x BN) = W^T terms + b.  On entry block 0 holds the input and
 * every block's first `known` features are filled in already; the rest are
 * diffused here.
 */
static void
gconv_forward(const DcgruCtx *ctx, int f, int known, int out, const float *w,
			  const float *b, float *terms, float *result)
{
	int			bn = ctx->batch * ctx->n;
	size_t		skip = (size_t) known * bn;

	diffusion_forward_part(ctx->plan, ctx->sup, f - known, ctx->batch,
						   (size_t) f * bn, terms + skip);
	for (int o = 0; o < out; o++)
		for (int j = 0; j < bn; j++)
			result[(size_t) o * bn + j] = b[o];
	blas_gemm(1, 0, out, bn, ctx->plan->n_terms * f, 1.0f, w, out, terms, bn,
			  1.0f, result, bn);
}

/*
 * Accumulates dW and db; sets ctx->dterms = W dresult + beta ctx->dterms
 * and carries it back through the diffusion of every feature from `known`
 * on, so that block 0 holds their dL/dinput.  The first `known` features of
 * every block are left undiffused, for the caller to merge with another
 * gconv's.
 */
static void
gconv_backward(const DcgruCtx *ctx, int f, int known, int out, const float *w,
			   float *dw, float *db, const float *terms, const float *dresult,
			   float beta)
{
	int			bn = ctx->batch * ctx->n;
	int			mf = ctx->plan->n_terms * f;
	size_t		skip = (size_t) known * bn;

	blas_gemm(0, 1, mf, out, bn, 1.0f, terms, bn, dresult, bn, 1.0f, dw, out);
	for (int o = 0; o < out; o++)
	{
		const float *row = dresult + (size_t) o * bn;
		double		sum = 0.0;

		for (int j = 0; j < bn; j++)
			sum += row[j];
		db[o] += (float) sum;
	}
	blas_gemm(0, 0, mf, bn, out, 1.0f, w, out, dresult, bn, beta,
			  ctx->dterms, bn);
	diffusion_backward_part(ctx->plan, ctx->sup, f - known, ctx->batch,
							(size_t) f * bn, ctx->dterms + skip);
}

DCRNN_VECTOR_CLONES void
dcgru_forward(const DcgruCtx *ctx, const DcgruCell *cell, const float *x,
			  const float *h, DcgruSaved *s)
{
	size_t		bn = (size_t) ctx->batch * ctx->n;
	size_t		xn = cell->fin * bn;
	size_t		ub = ctx->units * bn;
	int			f = cell->fin + ctx->units;
	const float *r = s->v;
	const float *u = s->v + ub;

	memcpy(s->xg, x, xn * sizeof(float));
	memcpy(s->xg + xn, h, ub * sizeof(float));
	gconv_forward(ctx, f, 0, 2 * ctx->units, cell->wg, cell->bg, s->xg, s->v);
	for (size_t i = 0; i < 2 * ub; i++)
		s->v[i] = act_sigmoid(s->v[i]);

	/* x's diffusion terms are the gate's; only r*h needs diffusing */
	for (int m = 0; m < ctx->plan->n_terms; m++)
		memcpy(s->xc + m * f * bn, s->xg + m * f * bn, xn * sizeof(float));
	for (size_t i = 0; i < ub; i++)
		s->xc[xn + i] = r[i] * h[i];
	gconv_forward(ctx, f, cell->fin, ctx->units, cell->wc, cell->bc, s->xc, s->c);
	for (size_t i = 0; i < ub; i++)
	{
		s->c[i] = act_tanh(s->c[i]);
		s->h[i] = u[i] * h[i] + (1.0f - u[i]) * s->c[i];
	}
}

/*
 * Back through h' = u*h + (1 - u)*c: the gradients at u's and c's
 * pre-activations, and dh += dh' * u.  Separate, with restrict, so that the
 * loop vectorises.
 */
static void
update_backward(size_t n, const float *restrict dh_new, const float *restrict h,
				const float *restrict u, const float *restrict c,
				float *restrict du, float *restrict dcand, float *restrict dh)
{
	for (size_t i = 0; i < n; i++)
	{
		du[i] = dh_new[i] * (h[i] - c[i]) * u[i] * (1.0f - u[i]);
		dcand[i] = dh_new[i] * (1.0f - u[i]) * (1.0f - c[i] * c[i]);
		dh[i] += dh_new[i] * u[i];
	}
}

/*
 * Given dh_new = dL/dh', adds dL/dx to dx (unless NULL) and dL/dh to dh.
 * h is the state the forward call got.
 */
DCRNN_VECTOR_CLONES void
dcgru_backward(const DcgruCtx *ctx, const DcgruCell *cell, const float *h,
			   const DcgruSaved *s, const float *dh_new, float *dx, float *dh)
{
	size_t		bn = (size_t) ctx->batch * ctx->n;
	size_t		xn = cell->fin * bn;
	size_t		ub = ctx->units * bn;
	int			f = cell->fin + ctx->units;
	const float *r = s->v;
	const float *u = s->v + ub;
	float	   *dr = ctx->dgate;
	float	   *du = ctx->dgate + ub;
	const float *dz = ctx->dterms;

	update_backward(ub, dh_new, h, u, s->c, du, ctx->dcand, dh);

	/*
	 * The candidate's x terms are the gate's (dcgru_forward), so their
	 * gradients are summed first and carried back through the diffusion
	 * once: the candidate diffuses back only r*h, and the gate's GEMM adds
	 * onto the candidate's x-term gradients (beta = 1) once the r*h rows
	 * have been used and zeroed.
	 */
	gconv_backward(ctx, f, cell->fin, ctx->units, cell->wc, cell->dwc, cell->dbc,
				   s->xc, ctx->dcand, 0.0f);
	for (size_t i = 0; i < ub; i++)
	{
		float		drh = dz[xn + i];

		dr[i] = drh * h[i] * r[i] * (1.0f - r[i]);
		dh[i] += drh * r[i];
	}
	for (int m = 0; m < ctx->plan->n_terms; m++)
		memset(ctx->dterms + m * f * bn + xn, 0, ub * sizeof(float));

	gconv_backward(ctx, f, 0, 2 * ctx->units, cell->wg, cell->dwg, cell->dbg,
				   s->xg, ctx->dgate, 1.0f);
	if (dx)
		for (size_t i = 0; i < xn; i++)
			dx[i] += dz[i];
	for (size_t i = 0; i < ub; i++)
		dh[i] += dz[xn + i];
}
