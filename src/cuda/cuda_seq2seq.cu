/*
 * cuda_seq2seq.cu -- the DCRNN encoder-decoder on the GPU over a batch of
 * every model, forward and backward; the steps of seq2seq.c, with the
 * scheduled-sampling coins read on the device (so one captured graph
 * serves every draw of coins).
 */
#include "cuda_internal.h"

static const CudaSaved *
saved_at(const DcrnnBackendCtx *c, int t, int l)
{
	return &c->saved[t * c->cfg.layers + l];
}

static Off
state_before(const DcrnnBackendCtx *c, int t, int l)
{
	return t == 0 ? c->zeros : saved_at(c, t - 1, l)->h;
}

static void
step_forward(DcrnnBackendCtx *c, int batch, const CudaCell *cells, int t, Off input)
{
	for (int l = 0; l < c->cfg.layers; l++)
		cuda_dcgru_forward(c, batch, &cells[l], l == 0 ? input : saved_at(c, t, l - 1)->h,
						   state_before(c, t, l), saved_at(c, t, l));
}

/* Back through all layers of step t; dx0 (when has_dx0) gets dL/dinput. */
static void
step_backward(DcrnnBackendCtx *c, int batch, const CudaCell *cells, int t,
			  Off dx0, int has_dx0)
{
	size_t		ub = (size_t) c->cfg.units * batch * c->cfg.num_nodes;

	for (int l = c->cfg.layers - 1; l >= 0; l--)
	{
		Off			dh = c->dh + l * ub;

		k_zero(c, c->dh_next, ub);
		cuda_dcgru_backward(c, batch, &cells[l], state_before(c, t, l), saved_at(c, t, l),
							dh, l > 0 ? dh - ub : dx0, l > 0 || has_dx0, c->dh_next);
		k_copy(c, dh, c->dh_next, ub);
	}
}

/* x and labels are in the arena (dcrnn.h layouts); pred_io receives pred. */
void
cuda_seq2seq_forward(DcrnnBackendCtx *c, int batch)
{
	const DcrnnConfig *cfg = &c->cfg;
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;
	int			top = cfg->layers - 1;

	for (int t = 0; t < cfg->history; t++)
	{
		Off			in = c->inputs + t * c->io_stride;

		k_to_internal(c, c->x + t * cfg->input_dim * bn, cfg->input_dim, bn, in);
		step_forward(c, batch, c->cells, t, in);
	}
	for (int j = 0; j < cfg->horizon; j++)
	{
		int			t = cfg->history + j;
		Off			in = c->inputs + t * c->io_stride;
		Off			y = c->pred + j * out_n;

		if (j == 0)
			k_zero(c, in, out_n);
		else
			k_feed(c, j, c->labels + (j - 1) * out_n, y - out_n, cfg->output_dim, bn, in);
		step_forward(c, batch, c->cells + cfg->layers, t, in);
		cuda_gemm(c, 0, 0, cfg->output_dim, (int) bn, cfg->units, 1.0f,
				  c->proj_w, cfg->units, saved_at(c, t, top)->h, (int) bn, 0.0f,
				  y, (int) bn);
		k_proj_out(c, y, c->proj_b, cfg->output_dim, bn, c->pred_io + j * out_n);
	}
}

static void
projection_backward(DcrnnBackendCtx *c, int batch, int j)
{
	const DcrnnConfig *cfg = &c->cfg;
	size_t		bn = (size_t) batch * cfg->num_nodes;
	Off			h_top = saved_at(c, cfg->history + j, cfg->layers - 1)->h;
	Off			dh_top = c->dh + (size_t) (cfg->layers - 1) * cfg->units * bn;

	cuda_gemm(c, 0, 1, cfg->output_dim, cfg->units, (int) bn, 1.0f, c->dy, (int) bn,
			  h_top, (int) bn, 1.0f, c->proj_w + c->n_params, cfg->units);
	k_bias_grad(c, c->dy, cfg->output_dim, bn, c->proj_b + c->n_params);
	cuda_gemm(c, 1, 0, cfg->units, (int) bn, cfg->output_dim, 1.0f, c->proj_w,
			  cfg->units, c->dy, (int) bn, 1.0f, dh_top, (int) bn);
}

/*
 * dpred_io holds dL/dpred.  dfeed always collects dL/d(decoder input of
 * step j); k_dy uses it only where that input was the forecast.
 */
void
cuda_seq2seq_backward(DcrnnBackendCtx *c, int batch)
{
	const DcrnnConfig *cfg = &c->cfg;
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		out_n = cfg->output_dim * bn;

	k_zero(c, c->grads, c->n_params);
	k_zero(c, c->dh, (size_t) cfg->layers * cfg->units * bn);
	k_zero(c, c->dfeed, out_n);
	for (int j = cfg->horizon - 1; j >= 0; j--)
	{
		k_dy(c, j, c->dpred_io + j * out_n, c->dfeed, cfg->output_dim, bn, c->dy);
		projection_backward(c, batch, j);
		step_backward(c, batch, c->cells + cfg->layers, cfg->history + j, c->dfeed, j > 0);
	}
	for (int t = cfg->history - 1; t >= 0; t--)
		step_backward(c, batch, c->cells, t, 0, 0);
}
