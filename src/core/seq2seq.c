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
make_ctx(const DcrnnModel *m, const DcrnnShard *sh)
{
	DcgruCtx	ctx = {
		.plan = &m->work->plan,
		.sup = &m->work->sup,
		.n = m->cfg.num_nodes,
		.batch = sh->batch,
		.units = m->cfg.units,
		.dgate = sh->dgate,
		.dcand = sh->dcand,
		.dterms = sh->dterms,
	};

	return ctx;
}

static DcgruSaved *
saved_at(const DcrnnModel *m, const DcrnnShard *sh, int t, int l)
{
	return &sh->saved[t * m->cfg.layers + l];
}

/* The state cell l got at step t: the previous step's, zeros at t = 0. */
static const float *
state_before(const DcrnnModel *m, const DcrnnShard *sh, int t, int l)
{
	return t == 0 ? sh->zeros : saved_at(m, sh, t - 1, l)->h;
}

/* One step of all layers; cells are the encoder's or the decoder's. */
static void
step_forward(const DcrnnModel *m, const DcrnnShard *sh, const DcgruCtx *ctx,
			 const DcgruCell *cells, int t, const float *input)
{
	for (int l = 0; l < m->cfg.layers; l++)
		dcgru_forward(ctx, &cells[l], l == 0 ? input : saved_at(m, sh, t, l - 1)->h,
					  state_before(m, sh, t, l), saved_at(m, sh, t, l));
}

/* Back through all layers of step t; dx0 receives dL/d(step input). */
static void
step_backward(const DcrnnModel *m, const DcrnnShard *sh, const DcgruCtx *ctx,
			  const DcgruCell *cells, int t, float *dx0)
{
	size_t		ub = (size_t) m->cfg.units * ctx->batch * ctx->n;

	for (int l = m->cfg.layers - 1; l >= 0; l--)
	{
		float	   *dh = sh->dh + l * ub;

		memset(sh->dh_next, 0, ub * sizeof(float));
		dcgru_backward(ctx, &cells[l], state_before(m, sh, t, l), saved_at(m, sh, t, l),
					   dh, l > 0 ? dh - ub : dx0, sh->dh_next);
		memcpy(dh, sh->dh_next, ub * sizeof(float));
	}
}

/* The arguments of one forward or backward call, shared by its shards. */
typedef struct PassArgs
{
	DcrnnModel *m;
	const float *x;
	const float *labels;
	float	   *pred;			/* forward's output */
	const float *dpred;			/* backward's input */
} PassArgs;

/* Where the shard's first sample starts in one step of (batch, N, f). */
static size_t
sample_offset(const DcrnnModel *m, const DcrnnShard *sh, int f)
{
	return (size_t) sh->b0 * m->cfg.num_nodes * f;
}

/* The forward pass of shard i over its samples. */
static void
shard_forward(void *arg, int i)
{
	PassArgs   *a = arg;
	DcrnnModel *m = a->m;
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	DcrnnShard *sh = &w->shards[i];
	DcgruCtx	ctx = make_ctx(m, sh);
	int			batch = sh->batch;
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;
	size_t		x_step = (size_t) cfg->input_dim * w->batch * cfg->num_nodes;
	size_t		y_step = (size_t) cfg->output_dim * w->batch * cfg->num_nodes;
	const float *x = a->x + sample_offset(m, sh, cfg->input_dim);
	size_t		y0 = sample_offset(m, sh, cfg->output_dim);
	int			top = cfg->layers - 1;
	const float *wp = m->params + m->tensors[m->n_tensors - 2].offset;
	const float *bp = m->params + m->tensors[m->n_tensors - 1].offset;

	if (batch == 0)
		return;
	memset(sh->zeros, 0, (size_t) cfg->units * bn * sizeof(float));
	for (int t = 0; t < cfg->history; t++)
	{
		float	   *in = sh->inputs + t * sh->io_stride;

		to_internal(x + t * x_step, cfg->input_dim, batch, cfg->num_nodes, in);
		step_forward(m, sh, &ctx, sh->cells, t, in);
	}
	for (int j = 0; j < cfg->horizon; j++)
	{
		int			t = cfg->history + j;
		float	   *in = sh->inputs + t * sh->io_stride;
		float	   *y = sh->pred + j * out_n;
		const float *h_top = saved_at(m, sh, t, top)->h;

		if (j == 0)
			memset(in, 0, out_n * sizeof(float));
		else if (w->teacher[j - 1])
			to_internal(a->labels + (j - 1) * y_step + y0, cfg->output_dim, batch,
						cfg->num_nodes, in);
		else
			memcpy(in, y - out_n, out_n * sizeof(float));
		step_forward(m, sh, &ctx, sh->cells + cfg->layers, t, in);

		for (int o = 0; o < cfg->output_dim; o++)
			for (size_t k = 0; k < bn; k++)
				y[o * bn + k] = bp[o];
		blas_gemm(0, 0, cfg->output_dim, (int) bn, cfg->units, 1.0f, wp,
				  cfg->units, h_top, (int) bn, 1.0f, y, (int) bn);
		from_internal(y, cfg->output_dim, batch, cfg->num_nodes,
					  a->pred + j * y_step + y0);
	}
}

/* Splits batch samples over the shards: the first batch % n get one more. */
static void
split_batch(DcrnnWork *w, int batch)
{
	int			n = w->n_shards;

	for (int s = 0, b0 = 0; s < n; s++)
	{
		w->shards[s].b0 = b0;
		w->shards[s].batch = batch / n + (s < batch % n);
		b0 += w->shards[s].batch;
	}
	w->batch = batch;
}

int
dcrnn_forward(DcrnnModel *m, const float *x, int batch, const float *labels,
			  const unsigned char *teacher, float *pred)
{
	DcrnnWork  *w = m->work;
	PassArgs	args = {.m = m, .x = x, .labels = labels, .pred = pred};

	if (batch < 1 || batch > m->cfg.batch)
		return -1;
	dcrnn_work_shards(m);
	split_batch(w, batch);
	for (int j = 0; j + 1 < m->cfg.horizon; j++)
		w->teacher[j] = labels && teacher && teacher[j];
	task_pool_run(w->pool, w->n_shards, shard_forward, &args);
	return 0;
}

/* dL/dy of decoder step j into the projection's gradients and dh_top */
static void
projection_backward(const DcrnnModel *m, const DcrnnShard *sh, int j, size_t bn)
{
	const DcrnnConfig *cfg = &m->cfg;
	const DcrnnTensor *tw = &m->tensors[m->n_tensors - 2];
	const DcrnnTensor *tb = &m->tensors[m->n_tensors - 1];
	const float *h_top = saved_at(m, sh, cfg->history + j, cfg->layers - 1)->h;
	float	   *dh_top = sh->dh + (size_t) (cfg->layers - 1) * cfg->units * bn;

	blas_gemm(0, 1, cfg->output_dim, cfg->units, (int) bn, 1.0f, sh->dy, (int) bn,
			  h_top, (int) bn, 1.0f, sh->grads + tw->offset, cfg->units);
	for (int o = 0; o < cfg->output_dim; o++)
	{
		double		sum = 0.0;

		for (size_t i = 0; i < bn; i++)
			sum += sh->dy[o * bn + i];
		sh->grads[tb->offset + o] += (float) sum;
	}
	blas_gemm(1, 0, cfg->units, (int) bn, cfg->output_dim, 1.0f,
			  m->params + tw->offset, cfg->units, sh->dy, (int) bn, 1.0f,
			  dh_top, (int) bn);
}

/* The backward pass of shard i into its gradient buffer. */
static void
shard_backward(void *arg, int i)
{
	PassArgs   *a = arg;
	DcrnnModel *m = a->m;
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	DcrnnShard *sh = &w->shards[i];
	DcgruCtx	ctx = make_ctx(m, sh);
	int			batch = sh->batch;
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;
	size_t		y_step = (size_t) cfg->output_dim * w->batch * cfg->num_nodes;
	const float *dpred = a->dpred + sample_offset(m, sh, cfg->output_dim);

	memset(sh->grads, 0, m->n_params * sizeof(float));
	if (batch == 0)
		return;
	memset(sh->dh, 0, (size_t) cfg->layers * cfg->units * bn * sizeof(float));
	memset(sh->dfeed, 0, out_n * sizeof(float));
	for (int j = cfg->horizon - 1; j >= 0; j--)
	{
		/* the next step's input was this forecast unless teacher-forced */
		int			fed = j + 1 < cfg->horizon && !w->teacher[j];
		int			feeds = j > 0 && !w->teacher[j - 1];

		to_internal(dpred + j * y_step, cfg->output_dim, batch, cfg->num_nodes, sh->dy);
		if (fed)
			for (size_t k = 0; k < out_n; k++)
				sh->dy[k] += sh->dfeed[k];
		memset(sh->dfeed, 0, out_n * sizeof(float));
		projection_backward(m, sh, j, bn);
		step_backward(m, sh, &ctx, sh->cells + cfg->layers, cfg->history + j,
					  feeds ? sh->dfeed : NULL);
	}
	for (int t = cfg->history - 1; t >= 0; t--)
		step_backward(m, sh, &ctx, sh->cells, t, NULL);
}

int
dcrnn_backward(DcrnnModel *m, const float *dpred)
{
	DcrnnWork  *w = m->work;
	PassArgs	args = {.m = m, .dpred = dpred};

	if (w->batch == 0)
		return -1;
	task_pool_run(w->pool, w->n_shards, shard_backward, &args);
	for (int s = 1; s < w->n_shards; s++)
	{
		const float *g = w->shards[s].grads;

		for (size_t i = 0; i < m->n_params; i++)
			m->grads[i] += g[i];
	}
	return 0;
}
