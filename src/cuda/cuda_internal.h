/*
 * cuda_internal.h -- what the CUDA backend's files share: the context (one
 * device arena for all models of a run), its per-model layout, and the
 * launchers of the fused kernels and the batched GEMM.
 *
 * Every per-model buffer lives at the same offset inside each model's
 * slice of the arena, and slices are `stride` floats apart, so one
 * strided-batched cuBLAS call or one kernel launch (grid.y = model) covers
 * all models.  Activations are feature-major as on the CPU
 * (dcrnn_internal.h).  Buffers are named by their offset in floats (Off).
 */
#ifndef INFORMER_CUDA_INTERNAL_H
#define INFORMER_CUDA_INTERNAL_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

extern "C" {
#include "backend.h"
#include "dcrnn_internal.h"
}

typedef size_t Off;

#define OFF_NONE ((Off) -1)		/* no buffer */

/* Kernel launches: THREADS per block, grid.x a grid-stride loop, grid.y the model. */
#define THREADS 256
#define MAX_BLOCKS 4096

/* This block's model's slice of the arena. */
#define SLICE(base, stride) ((base) + (size_t) blockIdx.y * (stride))
#define FOR_EACH(i, n) \
	for (size_t i = (size_t) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
		 i += (size_t) gridDim.x * blockDim.x)

/*
 * Sparse supports (cuda_sparse.cu) are kept as ELL rows: for each node,
 * ELL_WIDTH_MAX (column, value) slots.  Supports with a wider row (in the
 * support or its transpose) are applied dense.
 */
#define ELL_WIDTH_MAX 32

/* One DCGRU cell's parameter and gradient offsets (grads = params + np). */
struct CudaCell
{
	int			fin;
	Off			wg, bg, wc, bc;
};

struct CudaSaved
{
	Off			xg, v, xc, c, h;
};

/* A CUDA graph of one training step, for one batch size. */
struct CudaStepGraph
{
	int			batch;
	cudaGraphExec_t exec;
};

#define CUDA_GRAPHS 2

/*
 * INFORMER_CUDA_GRAPHS: unset, graphs where capture works (eager launches
 * after a failed capture); 0, never; 1, always (a failed capture is an
 * error, so that a benchmark or test of graphs cannot run eagerly unseen).
 */
enum CudaGraphMode
{
	CUDA_GRAPHS_OFF,
	CUDA_GRAPHS_AUTO,
	CUDA_GRAPHS_REQUIRED
};

struct DcrnnBackendCtx
{
	DcrnnConfig cfg;
	int			n_models;
	size_t		n_params;
	DiffusionPlan plan;
	Off			proj_w, proj_b;	/* projection tensors (param offsets) */
	CudaCell   *cells;			/* 2L */
	CudaSaved  *saved;			/* (history + horizon) x L */

	/* per-model layout */
	size_t		stride;
	Off			params, grads, adam_m, adam_v, supports, ell, mean, std;
	Off			x, labels, pred_io, dpred_io;	/* dcrnn.h layouts */
	Off			inputs, pred, zeros, dh, dh_next, dfeed, dy;
	Off			dgate, dcand, dterms;
	size_t		io_stride;

	float	   *arena;			/* n_models * stride floats */
	double	   *stats;			/* n_models x {loss, norm, used} */
	double	   *hyper;			/* lr, 1 - b1^t, 1 - b2^t, eps, eps_mode, max_norm */
	double		hyper_host[6];
	int		   *teacher;		/* horizon coins of the step */
	void	   *cublas_ws;
	long		adam_t;			/* Adam updates done */
	int			batch;			/* of the last forward, 0 before any */

	cudaStream_t stream;
	cublasHandle_t blas;
	CudaStepGraph graphs[CUDA_GRAPHS];
	int			next_graph;
	cublasStatus_t blas_status;	/* first cuBLAS failure since the last check */
	int			graph_mode;		/* CudaGraphMode, from INFORMER_CUDA_GRAPHS */
	int		   *row_width;		/* n_models x supports: widest row of each */
	int			ell_width;		/* ELL slots the diffusion reads; 0: dense */
	unsigned char *warm;		/* batch sizes (1..cfg.batch) run once eagerly */
	size_t		max_pitch;		/* bytes: the device's limit for 2-D copies */
	int		   *teacher_host;	/* horizon */
	double	   *stats_host;		/* n_models x 3 */
	char		broken[256];	/* a sticky error: every later call fails */
};

static inline dim3
grid_for(const DcrnnBackendCtx *c, size_t n)
{
	size_t		blocks = (n + THREADS - 1) / THREADS;

	if (blocks > MAX_BLOCKS)
		blocks = MAX_BLOCKS;
	return dim3((unsigned) (blocks ? blocks : 1), (unsigned) c->n_models);
}

/* cuda_context.cu: the context's life, its arena, and error reporting */
DcrnnBackendCtx *cuda_ctx_create(const DcrnnConfig *cfg, int n_models,
								 char *err, size_t errlen);
void		cuda_ctx_destroy(DcrnnBackendCtx *c);
/* -1 with the reason when an earlier sticky error made c unusable */
int			cuda_ctx_usable(DcrnnBackendCtx *c, char *err, size_t errlen);
/* Waits for the queued work; -1 with the reason (and c unusable) on error. */
int			cuda_ctx_finish(DcrnnBackendCtx *c, cudaError_t queued, char *err,
							size_t errlen);

/* cuda_blas.cu: row-major C = alpha op(A) op(B) + beta C, for every model */
void		cuda_gemm(DcrnnBackendCtx *c, int ta, int tb, int m, int n, int k,
					  float alpha, Off a, int lda, Off b, int ldb, float beta,
					  Off cc, int ldc);

/*
 * cuda_kernels.cu: fused elementwise work, all models in one launch.
 * k_zero and k_copy clear and copy count floats in every model: kernels,
 * not 2-D memset or memcpy, whose pitch (a model's slice, gigabytes for
 * large graphs) may exceed the device's limit.
 */
void		k_zero(DcrnnBackendCtx *c, Off off, size_t count);
void		k_copy(DcrnnBackendCtx *c, Off dst, Off src, size_t count);
void		k_pack_xh(DcrnnBackendCtx *c, Off dst, Off x, size_t xn, Off h, size_t hn);
void		k_gate_act(DcrnnBackendCtx *c, Off v, Off b, size_t bn, int units,
					   Off x, size_t xn, Off h, Off xc);
void		k_cand_update(DcrnnBackendCtx *c, Off cand, Off b, Off v, Off h,
						  Off h_new, size_t bn, int units);
void		k_cand_backward(DcrnnBackendCtx *c, Off v, Off cand, Off h, Off dh_new,
							Off du, Off dcand, Off dh, size_t ub);
void		k_reset_backward(DcrnnBackendCtx *c, Off dz, size_t xn, Off v, Off h,
							 Off dr, Off dh, Off dx, size_t ub);
void		k_input_backward(DcrnnBackendCtx *c, Off dz, size_t xn, Off dh, Off dx,
							 size_t ub);
void		k_bias_grad(DcrnnBackendCtx *c, Off dresult, int out, size_t bn, Off db);
void		k_neg_copy(DcrnnBackendCtx *c, Off dst, Off src, size_t n);
void		k_sub(DcrnnBackendCtx *c, Off dst, Off src, size_t n);
void		k_to_internal(DcrnnBackendCtx *c, Off src, int f, size_t bn, Off dst);
void		k_feed(DcrnnBackendCtx *c, int j, Off labels_j, Off prev_y, int f,
				   size_t bn, Off dst);
void		k_proj_out(DcrnnBackendCtx *c, Off y, Off b, int f, size_t bn, Off pred_j);
void		k_dy(DcrnnBackendCtx *c, int j, Off dpred_j, Off dfeed, int f, size_t bn,
				 Off dy);
void		k_loss(DcrnnBackendCtx *c, Off pred, Off target, size_t n, int mask_zero);
void		k_clip(DcrnnBackendCtx *c, int use_hyper_norm, double max_norm);
void		k_adam(DcrnnBackendCtx *c);

/* cuda_context.cu: forgets the captured graphs (a launch shape changed) */
void		cuda_drop_graphs(DcrnnBackendCtx *c);

/*
 * cuda_sparse.cu: support k (dense N x N) of model into the arena, dense
 * and as ELL rows, waited for; the context's ELL width follows.  And the
 * diffusion step over ELL rows: t = coef S src (- prev), forward, and
 * dsrc += coef S^T dt (dprev -= dt) backward; prev, dprev may be OFF_NONE.
 */
cudaError_t cuda_support_set(DcrnnBackendCtx *c, int model, int k, const float *s);
void		k_ell_diffuse(DcrnnBackendCtx *c, int k, size_t rows, float coef, Off src,
						  Off prev, Off t);
void		k_ell_diffuse_back(DcrnnBackendCtx *c, int k, size_t rows, float coef, Off dt,
							   Off dsrc, Off dprev);

/* cuda_dcgru.cu: diffusion, one DCGRU cell, forward and backward */
void		cuda_dcgru_forward(DcrnnBackendCtx *c, int batch, const CudaCell *cell,
							   Off x, Off h, const CudaSaved *s);
void		cuda_dcgru_backward(DcrnnBackendCtx *c, int batch, const CudaCell *cell,
								Off h, const CudaSaved *s, Off dh_new, Off dx, int has_dx,
								Off dh);

/* cuda_seq2seq.cu: encoder-decoder over a batch, forward and backward */
void		cuda_seq2seq_forward(DcrnnBackendCtx *c, int batch);
void		cuda_seq2seq_backward(DcrnnBackendCtx *c, int batch);

#endif
