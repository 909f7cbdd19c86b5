/*
 * cuda_sparse.cu -- the supports of every model on the GPU: each kept
 * dense and, when its rows and its transpose's rows have at most
 * ELL_WIDTH_MAX nonzeros (RPC graphs have a few edges per node), as ELL
 * rows; and the diffusion step over ELL rows, forward and backward.
 *
 * A dense diffusion step costs N^2 per sample and feature, an ELL one N
 * times the widest row.  Every model of a context takes the same path (one
 * launch covers them all): ELL when every support of every model is narrow
 * enough, with the widest row of them all as the width, else dense.
 *
 * Per model and support k the arena holds four ELL_WIDTH_MAX x N arrays,
 * slot-major (slot w of node i at w * N + i, so that neighbouring threads
 * read neighbouring words): columns (ints) and values of S, then of S^T.
 * Unused slots hold column 0 and value 0, which add nothing.
 */
#include "cuda_internal.h"

#include <stdlib.h>

/* Offset of support k's columns (part 0) or values (part 1), of S or S^T. */
static Off
ell_at(const DcrnnBackendCtx *c, int k, int transposed, int part)
{
	size_t		slots = (size_t) c->cfg.num_nodes * ELL_WIDTH_MAX;

	return c->ell + ((size_t) (k * 2 + transposed) * 2 + part) * slots;
}

/* The widest row of s (n x n), or of its transpose. */
static int
widest_row(const float *s, int n, int transposed)
{
	int			widest = 0;

	for (int i = 0; i < n; i++)
	{
		int			w = 0;

		for (int j = 0; j < n; j++)
			w += (transposed ? s[(size_t) j * n + i] : s[(size_t) i * n + j]) != 0.0f;
		widest = w > widest ? w : widest;
	}
	return widest;
}

/* ELL rows of s or of its transpose (width <= ELL_WIDTH_MAX) into col, val. */
static void
ell_rows(const float *s, int n, int transposed, int *col, float *val)
{
	for (int i = 0; i < n; i++)
	{
		int			w = 0;

		for (int j = 0; j < n; j++)
		{
			float		v = transposed ? s[(size_t) j * n + i] : s[(size_t) i * n + j];

			if (v == 0.0f)
				continue;
			col[(size_t) w * n + i] = j;
			val[(size_t) w++ * n + i] = v;
		}
	}
}

/*
 * Queues the ELL rows of s and of s^T for model, support k, and waits for
 * every copy queued so far (the host arrays are freed after).
 */
static cudaError_t
upload_ell(DcrnnBackendCtx *c, int model, int k, const float *s)
{
	int			n = c->cfg.num_nodes;
	size_t		slots = (size_t) n * ELL_WIDTH_MAX;
	int		   *col = (int *) calloc(2 * slots, sizeof(int));
	float	   *val = (float *) calloc(2 * slots, sizeof(float));
	float	   *slice = c->arena + model * c->stride;
	cudaError_t e = col && val ? cudaSuccess : cudaErrorMemoryAllocation;

	for (int t = 0; t < 2 && e == cudaSuccess; t++)
	{
		ell_rows(s, n, t, col + t * slots, val + t * slots);
		e = cudaMemcpyAsync(slice + ell_at(c, k, t, 0), col + t * slots, slots * sizeof(int),
							cudaMemcpyHostToDevice, c->stream);
		if (e == cudaSuccess)
			e = cudaMemcpyAsync(slice + ell_at(c, k, t, 1), val + t * slots,
								slots * sizeof(float), cudaMemcpyHostToDevice, c->stream);
	}
	if (e == cudaSuccess)
		e = cudaStreamSynchronize(c->stream);
	free(col);
	free(val);
	return e;
}

/* The width every model's diffusion reads: the widest row, or 0 (dense). */
static void
update_ell_width(DcrnnBackendCtx *c)
{
	int			widest = 0;

	for (int i = 0; i < c->n_models * c->cfg.num_supports; i++)
		widest = c->row_width[i] > widest ? c->row_width[i] : widest;
	widest = widest <= ELL_WIDTH_MAX ? widest : 0;
	if (widest != c->ell_width)
		cuda_drop_graphs(c);	/* the width is baked into their launches */
	c->ell_width = widest;
}

cudaError_t
cuda_support_set(DcrnnBackendCtx *c, int model, int k, const float *s)
{
	int			n = c->cfg.num_nodes;
	size_t		nn = (size_t) n * n;
	int			w = widest_row(s, n, 0);
	int			wt = widest_row(s, n, 1);
	cudaError_t e;

	e = cudaMemcpyAsync(c->arena + model * c->stride + c->supports + k * nn, s,
						nn * sizeof(float), cudaMemcpyHostToDevice, c->stream);
	w = wt > w ? wt : w;
	/* one wait for the dense copy and, when narrow enough, the ELL rows */
	if (e == cudaSuccess)
		e = w <= ELL_WIDTH_MAX ? upload_ell(c, model, k, s) : cudaStreamSynchronize(c->stream);
	if (e != cudaSuccess)
		return e;
	c->row_width[model * c->cfg.num_supports + k] = w;
	update_ell_width(c);
	return cudaSuccess;
}

/*
 * Element idx = r * n + i of S x for the rows x n block x at off: the ELL
 * row i (columns and values at col_off, val_off) against row r of x.
 */
__device__ static float
ell_dot(const float *m, Off col_off, Off val_off, int width, int n, Off off, size_t idx)
{
	const int  *col = (const int *) (m + col_off);
	const float *val = m + val_off;
	size_t		i = idx % n;
	const float *row = m + off + (idx - i);
	float		acc = 0.0f;

	for (int w = 0; w < width; w++)
		acc += val[(size_t) w * n + i] * row[col[(size_t) w * n + i]];
	return acc;
}

/*
 * out = coef S x (+ out when accumulate) with S as ELL rows; then, when
 * sub_dst is given, sub_dst -= sub_src.  Each thread owns one element of
 * out and of sub_dst; x is another block, only read.
 */
__global__ static void
ell_step(float *a, size_t stride, Off col_off, Off val_off, int width, int n,
		 size_t rows, float coef, Off x, Off out, int accumulate, Off sub_dst,
		 Off sub_src)
{
	float	   *m = SLICE(a, stride);

	FOR_EACH(idx, rows * n)
	{
		float		v = coef * ell_dot(m, col_off, val_off, width, n, x, idx);

		m[out + idx] = accumulate ? m[out + idx] + v : v;
		if (sub_dst != OFF_NONE)
			m[sub_dst + idx] -= m[sub_src + idx];
	}
}

/* One diffusion step over support k's ELL rows (transposed: S^T's). */
static void
launch_ell(DcrnnBackendCtx *c, int k, int transposed, size_t rows, float coef, Off x,
		   Off out, int accumulate, Off sub_dst, Off sub_src)
{
	int			n = c->cfg.num_nodes;

	ell_step<<<grid_for(c, rows * n), THREADS, 0, c->stream>>>(
		c->arena, c->stride, ell_at(c, k, transposed, 0), ell_at(c, k, transposed, 1),
		c->ell_width, n, rows, coef, x, out, accumulate, sub_dst, sub_src);
}

/* t = coef S src (- prev) */
void
k_ell_diffuse(DcrnnBackendCtx *c, int k, size_t rows, float coef, Off src, Off prev,
			  Off t)
{
	launch_ell(c, k, 0, rows, coef, src, t, 0, prev != OFF_NONE ? t : OFF_NONE, prev);
}

/* dsrc += coef S^T dt (S^T's rows), and dprev -= dt */
void
k_ell_diffuse_back(DcrnnBackendCtx *c, int k, size_t rows, float coef, Off dt, Off dsrc,
				   Off dprev)
{
	launch_ell(c, k, 1, rows, coef, dt, dsrc, 1, dprev, dt);
}
