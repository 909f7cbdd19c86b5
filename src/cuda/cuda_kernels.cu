/*
 * cuda_kernels.cu -- the CUDA backend's fused elementwise kernels: the
 * DCGRU gates, candidate and state update with their backward passes,
 * layout changes, decoder feeding, the projection's output, bias
 * gradients, the masked MAE loss, global-norm clipping and Adam.
 *
 * Each launch covers every model: blockIdx.y is the model, whose buffers
 * start at arena + model * stride; x is a grid-stride loop over elements.
 */
#include "cuda_internal.h"

__device__ static float
sigmoidf(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* dst = [x; h] */
__global__ static void
pack_xh(float *a, size_t stride, Off dst, Off x, size_t xn, Off h, size_t hn)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, xn + hn)
		m[dst + i] = i < xn ? m[x + i] : m[h + i - xn];
}

void
k_pack_xh(DcrnnBackendCtx *c, Off dst, Off x, size_t xn, Off h, size_t hn)
{
	pack_xh<<<grid_for(c, xn + hn), THREADS, 0, c->stream>>>(c->arena, c->stride,
															 dst, x, xn, h, hn);
}

/* v = sigmoid(v + b) over [r; u]; xc = [x; r*h] */
__global__ static void
gate_act(float *a, size_t stride, Off v, Off b, size_t bn, int units, Off x,
		 size_t xn, Off h, Off xc)
{
	float	   *m = SLICE(a, stride);
	size_t		ub = units * bn;

	FOR_EACH(i, 2 * ub + xn)
	{
		if (i >= 2 * ub)
		{
			m[xc + i - 2 * ub] = m[x + i - 2 * ub];
			continue;
		}
		float		g = sigmoidf(m[v + i] + m[b + i / bn]);

		m[v + i] = g;
		if (i < ub)
			m[xc + xn + i] = g * m[h + i];
	}
}

void
k_gate_act(DcrnnBackendCtx *c, Off v, Off b, size_t bn, int units, Off x,
		   size_t xn, Off h, Off xc)
{
	gate_act<<<grid_for(c, 2 * units * bn + xn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, v, b, bn, units, x, xn, h, xc);
}

/* cand = tanh(cand + b); h_new = u*h + (1 - u)*cand */
__global__ static void
cand_update(float *a, size_t stride, Off cand, Off b, Off v, Off h, Off h_new,
			size_t bn, int units)
{
	float	   *m = SLICE(a, stride);
	size_t		ub = units * bn;

	FOR_EACH(i, ub)
	{
		float		cv = tanhf(m[cand + i] + m[b + i / bn]);
		float		u = m[v + ub + i];

		m[cand + i] = cv;
		m[h_new + i] = u * m[h + i] + (1.0f - u) * cv;
	}
}

void
k_cand_update(DcrnnBackendCtx *c, Off cand, Off b, Off v, Off h, Off h_new,
			  size_t bn, int units)
{
	cand_update<<<grid_for(c, units * bn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, cand, b, v, h, h_new, bn, units);
}

/* du, dcand from dh_new; dh += dh_new * u */
__global__ static void
cand_backward(float *a, size_t stride, Off v, Off cand, Off h, Off dh_new,
			  Off du, Off dcand, Off dh, size_t ub)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, ub)
	{
		float		u = m[v + ub + i];
		float		cv = m[cand + i];
		float		g = m[dh_new + i];

		m[du + i] = g * (m[h + i] - cv) * u * (1.0f - u);
		m[dcand + i] = g * (1.0f - u) * (1.0f - cv * cv);
		m[dh + i] += g * u;
	}
}

void
k_cand_backward(DcrnnBackendCtx *c, Off v, Off cand, Off h, Off dh_new, Off du,
				Off dcand, Off dh, size_t ub)
{
	cand_backward<<<grid_for(c, ub), THREADS, 0, c->stream>>>(
		c->arena, c->stride, v, cand, h, dh_new, du, dcand, dh, ub);
}

/* dx += dz[x part]; through r*h: dr and dh */
__global__ static void
reset_backward(float *a, size_t stride, Off dz, size_t xn, Off v, Off h,
			   Off dr, Off dh, Off dx, int has_dx, size_t ub)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, xn + ub)
	{
		if (i < xn)
		{
			if (has_dx)
				m[dx + i] += m[dz + i];
			continue;
		}
		size_t		k = i - xn;
		float		r = m[v + k];
		float		drh = m[dz + i];

		m[dr + k] = drh * m[h + k] * r * (1.0f - r);
		m[dh + k] += drh * r;
	}
}

void
k_reset_backward(DcrnnBackendCtx *c, Off dz, size_t xn, Off v, Off h, Off dr,
				 Off dh, Off dx, size_t ub)
{
	reset_backward<<<grid_for(c, xn + ub), THREADS, 0, c->stream>>>(
		c->arena, c->stride, dz, xn, v, h, dr, dh, dx, dx != OFF_NONE, ub);
}

/* dx += dz[x part]; dh += dz[h part] */
__global__ static void
input_backward(float *a, size_t stride, Off dz, size_t xn, Off dh, Off dx,
			   int has_dx, size_t ub)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, xn + ub)
	{
		if (i >= xn)
			m[dh + i - xn] += m[dz + i];
		else if (has_dx)
			m[dx + i] += m[dz + i];
	}
}

void
k_input_backward(DcrnnBackendCtx *c, Off dz, size_t xn, Off dh, Off dx, size_t ub)
{
	input_backward<<<grid_for(c, xn + ub), THREADS, 0, c->stream>>>(
		c->arena, c->stride, dz, xn, dh, dx, dx != OFF_NONE, ub);
}

/* Sum of a block's values of v, in thread 0 (THREADS threads). */
__device__ static double
block_sum(double v)
{
	__shared__ double part[THREADS];

	part[threadIdx.x] = v;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1)
	{
		if (threadIdx.x < s)
			part[threadIdx.x] += part[threadIdx.x + s];
		__syncthreads();
	}
	double		total = part[0];

	__syncthreads();
	return total;
}

/* db[o] += sum of row o of dresult (out x bn); one block per row */
__global__ static void
bias_grad(float *a, size_t stride, Off dresult, size_t bn, Off db)
{
	float	   *m = SLICE(a, stride);
	const float *row = m + dresult + (size_t) blockIdx.x * bn;
	double		sum = 0.0;

	for (size_t i = threadIdx.x; i < bn; i += THREADS)
		sum += row[i];
	sum = block_sum(sum);
	if (threadIdx.x == 0)
		m[db + blockIdx.x] += (float) sum;
}

void
k_bias_grad(DcrnnBackendCtx *c, Off dresult, int out, size_t bn, Off db)
{
	bias_grad<<<dim3(out, c->n_models), THREADS, 0, c->stream>>>(
		c->arena, c->stride, dresult, bn, db);
}

__global__ static void
zero_fill(float *a, size_t stride, Off off, size_t n)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, n)
		m[off + i] = 0.0f;
}

void
k_zero(DcrnnBackendCtx *c, Off off, size_t count)
{
	zero_fill<<<grid_for(c, count), THREADS, 0, c->stream>>>(c->arena, c->stride, off, count);
}

__global__ static void
copy_floats(float *a, size_t stride, Off dst, Off src, size_t n)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, n)
		m[dst + i] = m[src + i];
}

void
k_copy(DcrnnBackendCtx *c, Off dst, Off src, size_t count)
{
	copy_floats<<<grid_for(c, count), THREADS, 0, c->stream>>>(c->arena, c->stride, dst, src, count);
}

__global__ static void
neg_copy(float *a, size_t stride, Off dst, Off src, size_t n)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, n)
		m[dst + i] = -m[src + i];
}

void
k_neg_copy(DcrnnBackendCtx *c, Off dst, Off src, size_t n)
{
	neg_copy<<<grid_for(c, n), THREADS, 0, c->stream>>>(c->arena, c->stride, dst, src, n);
}

__global__ static void
sub(float *a, size_t stride, Off dst, Off src, size_t n)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, n)
		m[dst + i] -= m[src + i];
}

void
k_sub(DcrnnBackendCtx *c, Off dst, Off src, size_t n)
{
	sub<<<grid_for(c, n), THREADS, 0, c->stream>>>(c->arena, c->stride, dst, src, n);
}

/* (batch, N, f) -> (f, batch*N); element i of dst is feature i / bn */
__global__ static void
to_internal(float *a, size_t stride, Off src, int f, size_t bn, Off dst)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, f * bn)
		m[dst + i] = m[src + (i % bn) * f + i / bn];
}

void
k_to_internal(DcrnnBackendCtx *c, Off src, int f, size_t bn, Off dst)
{
	to_internal<<<grid_for(c, f * bn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, src, f, bn, dst);
}

/* Decoder input of step j > 0: labels[j-1] when teacher-forced, else y[j-1]. */
__global__ static void
feed(float *a, size_t stride, const int *teacher, int j, Off labels_j, Off prev_y,
	 int f, size_t bn, Off dst)
{
	float	   *m = SLICE(a, stride);
	int			forced = teacher[j - 1];

	FOR_EACH(i, f * bn)
		m[dst + i] = forced ? m[labels_j + (i % bn) * f + i / bn] : m[prev_y + i];
}

void
k_feed(DcrnnBackendCtx *c, int j, Off labels_j, Off prev_y, int f, size_t bn, Off dst)
{
	feed<<<grid_for(c, f * bn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, c->teacher, j, labels_j, prev_y, f, bn, dst);
}

/* y += b (feature-major); pred_j = y in (batch, N, f) */
__global__ static void
proj_out(float *a, size_t stride, Off y, Off b, int f, size_t bn, Off pred_j)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(i, f * bn)
	{
		float		v = m[y + i] + m[b + i / bn];

		m[y + i] = v;
		m[pred_j + (i % bn) * f + i / bn] = v;
	}
}

void
k_proj_out(DcrnnBackendCtx *c, Off y, Off b, int f, size_t bn, Off pred_j)
{
	proj_out<<<grid_for(c, f * bn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, y, b, f, bn, pred_j);
}

/*
 * dy = dL/dy_j from dpred_j, plus what step j+1 sent back through its
 * input when that input was this forecast (not teacher-forced); dfeed is
 * cleared for the next step's contribution.
 */
__global__ static void
dy_of_step(float *a, size_t stride, const int *teacher, int j, int horizon,
		   Off dpred_j, Off dfeed, int f, size_t bn, Off dy)
{
	float	   *m = SLICE(a, stride);
	int			fed = j + 1 < horizon && !teacher[j];

	FOR_EACH(i, f * bn)
	{
		m[dy + i] = m[dpred_j + (i % bn) * f + i / bn] + (fed ? m[dfeed + i] : 0.0f);
		m[dfeed + i] = 0.0f;
	}
}

void
k_dy(DcrnnBackendCtx *c, int j, Off dpred_j, Off dfeed, int f, size_t bn, Off dy)
{
	dy_of_step<<<grid_for(c, f * bn), THREADS, 0, c->stream>>>(
		c->arena, c->stride, c->teacher, j, c->cfg.horizon, dpred_j, dfeed, f, bn, dy);
}

/*
 * v * std + mean rounded twice, as the CPU does: a fused multiply-add
 * would leave a target that de-normalises to 0 there a tiny residual here,
 * and mask_zero_targets would keep it.
 */
__device__ static float
denormalise(float v, float std, float mean)
{
	return __fadd_rn(__fmul_rn(v, std), mean);
}

/*
 * dcrnn_masked_mae for each model (one block per model): stats[0] = loss,
 * stats[2] = elements used; dpred gets dL/dpred.
 */
__global__ static void
masked_mae(float *a, size_t stride, double *stats, Off pred, Off target,
		   Off dpred, Off mean, Off std, size_t n, size_t width, int mask_zero)
{
	float	   *m = a + (size_t) blockIdx.x * stride;
	double	   *st = stats + 3 * blockIdx.x;
	double		used = 0.0;
	double		sum = 0.0;

	for (size_t i = threadIdx.x; i < n; i += THREADS)
	{
		float		t = denormalise(m[target + i], m[std + i % width], m[mean + i % width]);

		used += !isnan(t) && !(mask_zero && t == 0.0f);
	}
	used = block_sum(used);
	for (size_t i = threadIdx.x; i < n; i += THREADS)
	{
		float		mu = m[mean + i % width];
		float		sd = m[std + i % width];
		float		t = denormalise(m[target + i], sd, mu);
		float		err = denormalise(m[pred + i], sd, mu) - t;

		if (isnan(t) || (mask_zero && t == 0.0f))
		{
			m[dpred + i] = 0.0f;
			continue;
		}
		sum += fabsf(err);
		m[dpred + i] = (float) ((err > 0.0f) - (err < 0.0f)) * sd / (float) used;
	}
	sum = block_sum(sum);
	if (threadIdx.x == 0)
	{
		st[0] = used > 0 ? sum / used : 0.0;
		st[2] = used;
	}
}

void
k_loss(DcrnnBackendCtx *c, Off pred, Off target, size_t n, int mask_zero)
{
	masked_mae<<<c->n_models, THREADS, 0, c->stream>>>(
		c->arena, c->stride, c->stats, pred, target, c->dpred_io, c->mean, c->std,
		n, (size_t) c->cfg.num_nodes * c->cfg.output_dim, mask_zero);
}

/* stats[1] = global L2 norm of one model's gradients (one block per model) */
__global__ static void
grad_norm(float *a, size_t stride, double *stats, Off grads, size_t n)
{
	const float *g = a + (size_t) blockIdx.x * stride + grads;
	double		sq = 0.0;

	for (size_t i = threadIdx.x; i < n; i += THREADS)
		sq += (double) g[i] * g[i];
	sq = block_sum(sq);
	if (threadIdx.x == 0)
		stats[3 * blockIdx.x + 1] = sqrt(sq);
}

/* g *= max_norm / (norm + 1e-6) when that is below 1 */
__global__ static void
grad_scale(float *a, size_t stride, const double *stats, const double *hyper,
		   int use_hyper_norm, double max_norm, Off grads, size_t n)
{
	float	   *g = SLICE(a, stride) + grads;
	double		limit = use_hyper_norm ? hyper[5] : max_norm;
	double		scale = limit / (stats[3 * blockIdx.y + 1] + 1e-6);

	if (!(scale < 1.0))			/* as the CPU: a NaN norm scales nothing */
		return;
	FOR_EACH(i, n)
		g[i] = (float) (g[i] * scale);
}

void
k_clip(DcrnnBackendCtx *c, int use_hyper_norm, double max_norm)
{
	grad_norm<<<c->n_models, THREADS, 0, c->stream>>>(c->arena, c->stride, c->stats,
														c->grads, c->n_params);
	grad_scale<<<grid_for(c, c->n_params), THREADS, 0, c->stream>>>(
		c->arena, c->stride, c->stats, c->hyper, use_hyper_norm, max_norm, c->grads,
		c->n_params);
}

/* One Adam update; hyper = lr, 1 - b1^t, 1 - b2^t, eps, eps_mode */
__global__ static void
adam(float *a, size_t stride, const double *hyper, Off params, Off grads,
	 Off am, Off av, size_t n)
{
	float	   *s = SLICE(a, stride);
	double		lr = hyper[0], c1 = hyper[1], c2 = hyper[2], eps = hyper[3];
	int			tf = hyper[4] != 0.0;

	FOR_EACH(i, n)
	{
		double		g = s[grads + i];
		double		m = 0.9 * s[am + i] + (1.0 - 0.9) * g;
		double		v = 0.999 * s[av + i] + (1.0 - 0.999) * g * g;

		s[am + i] = (float) m;
		s[av + i] = (float) v;
		if (tf)
			s[params + i] -= (float) (lr * sqrt(c2) / c1 * m / (sqrt(v) + eps));
		else
			s[params + i] -= (float) (lr / c1 * m / (sqrt(v) / sqrt(c2) + eps));
	}
}

void
k_adam(DcrnnBackendCtx *c)
{
	adam<<<grid_for(c, c->n_params), THREADS, 0, c->stream>>>(
		c->arena, c->stride, c->hyper, c->params, c->grads, c->adam_m, c->adam_v,
		c->n_params);
}
