/*
 * seq2seq.c -- the DCRNN encoder-decoder over a batch: the stacked DCGRU
 * cells unrolled over history then horizon steps, the zero GO frame, the
 * per-node linear projection, feeding back forecasts or (scheduled
 * sampling, coins from the caller) the labels, and the backward pass
 * through all of it.
 */
#include "dcrnn_internal.h"

#include <string.h>

#include "blas.h"

/* (batch, N, f) -> feature-major (f, N*batch), column n*batch + b */
static void
to_internal(const float *src, int f, int batch, int n, float *dst)
{
	size_t		bn = (size_t) batch * n;

	for (int b = 0; b < batch; b++)
		for (int i = 0; i < n; i++)
			for (int k = 0; k < f; k++)
				dst[k * bn + (size_t) i * batch + b] = src[((size_t) b * n + i) * f + k];
}

/* feature-major (f, N*batch) -> (batch, N, f) */
static void
from_internal(const float *src, int f, int batch, int n, float *dst)
{
	size_t		bn = (size_t) batch * n;

	for (int b = 0; b < batch; b++)
		for (int i = 0; i < n; i++)
			for (int k = 0; k < f; k++)
				dst[((size_t) b * n + i) * f + k] = src[k * bn + (size_t) i * batch + b];
}

static DcgruCtx
make_ctx(const DcrnnModel *m, int batch)
{
	DcgruCtx	ctx = {
		.plan = &m->work->plan,
		.sup = &m->work->sup,
		.n = m->cfg.num_nodes,
		.batch = batch,
		.units = m->cfg.units,
		.dgate = m->work->dgate,
		.dcand = m->work->dcand,
		.dterms = m->work->dterms,
	};

	return ctx;
}

static DcgruSaved *
saved_at(const DcrnnModel *m, int t, int l)
{
	return &m->work->saved[t * m->cfg.layers + l];
}

/* The state cell l got at step t: the previous step's, zeros at t = 0. */
static const float *
state_before(const DcrnnModel *m, int t, int l)
{
	return t == 0 ? m->work->zeros : saved_at(m, t - 1, l)->h;
}

/* One step of all layers; cells are the encoder's or the decoder's. */
static void
step_forward(const DcrnnModel *m, const DcgruCtx *ctx, const DcgruCell *cells,
			 int t, const float *input)
{
	for (int l = 0; l < m->cfg.layers; l++)
		dcgru_forward(ctx, &cells[l], l == 0 ? input : saved_at(m, t, l - 1)->h,
					  state_before(m, t, l), saved_at(m, t, l));
}

/* Back through all layers of step t; dx0 receives dL/d(step input). */
static void
step_backward(const DcrnnModel *m, const DcgruCtx *ctx, const DcgruCell *cells,
			  int t, float *dx0)
{
	DcrnnWork  *w = m->work;
	size_t		ub = (size_t) m->cfg.units * ctx->batch * ctx->n;

	for (int l = m->cfg.layers - 1; l >= 0; l--)
	{
		float	   *dh = w->dh + l * ub;

		memset(w->dh_next, 0, ub * sizeof(float));
		dcgru_backward(ctx, &cells[l], state_before(m, t, l), saved_at(m, t, l),
					   dh, l > 0 ? dh - ub : dx0, w->dh_next);
		memcpy(dh, w->dh_next, ub * sizeof(float));
	}
}

int
dcrnn_forward(DcrnnModel *m, const float *x, int batch, const float *labels,
			  const unsigned char *teacher, float *pred)
{
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	DcgruCtx	ctx = make_ctx(m, batch);
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;
	int			top = cfg->layers - 1;
	const float *wp = m->params + m->tensors[m->n_tensors - 2].offset;
	const float *bp = m->params + m->tensors[m->n_tensors - 1].offset;

	if (batch < 1 || batch > cfg->batch)
		return -1;
	w->batch = batch;
	memset(w->zeros, 0, (size_t) cfg->units * bn * sizeof(float));
	for (int t = 0; t < cfg->history; t++)
	{
		float	   *in = w->inputs + t * w->io_stride;

		to_internal(x + t * cfg->input_dim * bn, cfg->input_dim, batch, cfg->num_nodes, in);
		step_forward(m, &ctx, w->cells, t, in);
	}
	for (int j = 0; j < cfg->horizon; j++)
	{
		int			t = cfg->history + j;
		float	   *in = w->inputs + t * w->io_stride;
		float	   *y = w->pred + j * out_n;
		const float *h_top = saved_at(m, t, top)->h;

		if (j == 0)
			memset(in, 0, out_n * sizeof(float));
		else
		{
			w->teacher[j - 1] = labels && teacher && teacher[j - 1];
			if (w->teacher[j - 1])
				to_internal(labels + (j - 1) * out_n, cfg->output_dim, batch,
							cfg->num_nodes, in);
			else
				memcpy(in, y - out_n, out_n * sizeof(float));
		}
		step_forward(m, &ctx, w->cells + cfg->layers, t, in);

		for (int o = 0; o < cfg->output_dim; o++)
			for (size_t i = 0; i < bn; i++)
				y[o * bn + i] = bp[o];
		blas_gemm(0, 0, cfg->output_dim, (int) bn, cfg->units, 1.0f, wp,
				  cfg->units, h_top, (int) bn, 1.0f, y, (int) bn);
		from_internal(y, cfg->output_dim, batch, cfg->num_nodes, pred + j * out_n);
	}
	return 0;
}

/* dL/dy of decoder step j into the projection's gradients and dh_top */
static void
projection_backward(DcrnnModel *m, int j, size_t bn)
{
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	const DcrnnTensor *tw = &m->tensors[m->n_tensors - 2];
	const DcrnnTensor *tb = &m->tensors[m->n_tensors - 1];
	const float *h_top = saved_at(m, cfg->history + j, cfg->layers - 1)->h;
	float	   *dh_top = w->dh + (size_t) (cfg->layers - 1) * cfg->units * bn;

	blas_gemm(0, 1, cfg->output_dim, cfg->units, (int) bn, 1.0f, w->dy, (int) bn,
			  h_top, (int) bn, 1.0f, m->grads + tw->offset, cfg->units);
	for (int o = 0; o < cfg->output_dim; o++)
	{
		double		sum = 0.0;

		for (size_t i = 0; i < bn; i++)
			sum += w->dy[o * bn + i];
		m->grads[tb->offset + o] += (float) sum;
	}
	blas_gemm(1, 0, cfg->units, (int) bn, cfg->output_dim, 1.0f,
			  m->params + tw->offset, cfg->units, w->dy, (int) bn, 1.0f,
			  dh_top, (int) bn);
}

int
dcrnn_backward(DcrnnModel *m, const float *dpred)
{
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	int			batch = w->batch;
	DcgruCtx	ctx = make_ctx(m, batch);
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;

	if (batch == 0)
		return -1;
	memset(m->grads, 0, m->n_params * sizeof(float));
	memset(w->dh, 0, (size_t) cfg->layers * cfg->units * bn * sizeof(float));
	memset(w->dfeed, 0, out_n * sizeof(float));
	for (int j = cfg->horizon - 1; j >= 0; j--)
	{
		/* the next step's input was this forecast unless teacher-forced */
		int			fed = j + 1 < cfg->horizon && !w->teacher[j];
		int			feeds = j > 0 && !w->teacher[j - 1];

		to_internal(dpred + j * out_n, cfg->output_dim, batch, cfg->num_nodes, w->dy);
		if (fed)
			for (size_t i = 0; i < out_n; i++)
				w->dy[i] += w->dfeed[i];
		memset(w->dfeed, 0, out_n * sizeof(float));
		projection_backward(m, j, bn);
		step_backward(m, &ctx, w->cells + cfg->layers, cfg->history + j,
					  feeds ? w->dfeed : NULL);
	}
	for (int t = cfg->history - 1; t >= 0; t--)
		step_backward(m, &ctx, w->cells, t, NULL);
	return 0;
}
