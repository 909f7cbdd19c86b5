/*
 * dcrnn.h -- the DCRNN forecasting model: a seq2seq encoder-decoder of
 * stacked DCGRU cells (GRU cells whose matrix products are bidirectional
 * random-walk diffusion convolutions over the RPC graph), with a linear
 * projection to the output, plus its loss, gradient clipping and Adam.
 *
 * Everything here is plain C11 with OpenBLAS; no PostgreSQL.
 *
 * Layout of what callers pass in and out (the same as the reference
 * implementation, so parity fixtures load as they are):
 *   x      (history, batch, N, input_dim)   model (z-scored) space
 *   labels (horizon, batch, N, output_dim)  model space
 *   pred   (horizon, batch, N, output_dim)  model space
 * Supports are dense N x N row-major matrices S applied as x' = S x, the
 * node index being the row: (S x)[i] = sum_j S[i][j] x[j].
 *
 * Parameters live in one contiguous float buffer (params) with a gradient
 * buffer of the same layout (grads); the tensor table names each piece.
 * A gconv weight is stored (M*F, out) row-major with row m*F + f, where m
 * indexes the diffusion terms [x, terms of S0 (k = 1..K), terms of S1] and
 * f the features [layer input | state]; this is the transpose of the
 * reference's f*M + m row order (see docs/dcrnn.md).
 *
 * The model is not thread-safe: forward keeps the activations that the
 * following backward needs in the model's workspace, which is sized for
 * cfg.batch at create time, so neither call allocates.
 */
#ifndef INFORMER_DCRNN_H
#define INFORMER_DCRNN_H

#include <stddef.h>
#include <stdint.h>

/* How diffusion terms are formed (docs/dcrnn.md, "Diffusion"). */
typedef enum DcrnnDiffusion
{
	/* paper Eq. 2: terms S^k x, k = 1..K, each support starting from x */
	DCRNN_DIFFUSION_POWERS = 0,
	/*
	 * the reference's: Chebyshev-style T_k = 2 S T_(k-1) - T_(k-2), and the
	 * second support starting from the first support's T_(K-1) (x carry-over)
	 */
	DCRNN_DIFFUSION_REFERENCE = 1
} DcrnnDiffusion;

#define DCRNN_MAX_SUPPORTS 2

typedef struct DcrnnConfig
{
	int			num_nodes;		/* N, nodes (RPCs) of the graph */
	int			input_dim;		/* features per node fed to the encoder */
	int			output_dim;		/* features per node forecast */
	int			units;			/* U, hidden units per node per layer */
	int			layers;			/* L, stacked DCGRU layers */
	int			max_diffusion;	/* K, diffusion steps per support (>= 0) */
	int			num_supports;	/* 1 or 2 (bidirectional) */
	int			history;		/* encoder steps */
	int			horizon;		/* decoder steps */
	int			batch;			/* largest batch a call may pass */
	int			diffusion;		/* DcrnnDiffusion */
} DcrnnConfig;

/* One named parameter tensor: rows x cols floats at params + offset. */
typedef struct DcrnnTensor
{
	char		name[48];		/* e.g. "encoder.1.gate.weight" */
	size_t		offset;
	int			rows;
	int			cols;
} DcrnnTensor;

typedef struct DcrnnWork DcrnnWork;	/* activations and scratch, private */

typedef struct DcrnnModel
{
	DcrnnConfig cfg;
	size_t		n_params;
	float	   *params;			/* every weight and bias, one buffer */
	float	   *grads;			/* dL/dparams after dcrnn_backward */
	int			n_tensors;
	DcrnnTensor *tensors;
	float	   *supports;		/* num_supports * N * N, row-major; read-only,
								 * set with dcrnn_set_support */
	DcrnnWork  *work;
} DcrnnModel;

/* The paper's defaults: L=2, U=64, K=2, 2 supports, history 12, horizon 5,
 * batch 64, input/output dim 1, DCRNN_DIFFUSION_POWERS. */
void		dcrnn_config_default(DcrnnConfig *cfg, int num_nodes);

/* NULL if cfg is usable, else a static message naming the bad field. */
const char *dcrnn_config_check(const DcrnnConfig *cfg);

/* Number of floats of the parameter buffer for cfg (0 if cfg is bad). */
size_t		dcrnn_param_count(const DcrnnConfig *cfg);

/* Number of named tensors for cfg: 4 per cell, 2*L cells, 2 projection. */
int			dcrnn_tensor_count(const DcrnnConfig *cfg);

/*
 * Allocates a model with its workspace; parameters zero, supports identity.
 * Returns NULL with a message in err (if errlen > 0) when cfg is bad or
 * memory runs short.
 */
DcrnnModel *dcrnn_create(const DcrnnConfig *cfg, char *err, size_t errlen);
void		dcrnn_free(DcrnnModel *m);

/* Bytes the model holds (parameters, gradients, supports, workspace). */
size_t		dcrnn_memory_bytes(const DcrnnConfig *cfg);

/* Xavier-normal weights, gate biases 1, candidate biases 0, projection
 * uniform(+-1/sqrt(U)); deterministic for a seed. */
void		dcrnn_init_params(DcrnnModel *m, uint64_t seed);

/* The named tensor, or NULL. */
const DcrnnTensor *dcrnn_find_tensor(const DcrnnModel *m, const char *name);

/*
 * Copies support k (0 or 1), a dense N x N row-major matrix.  When every
 * support has at most N*N/6 nonzeros (at least N allowed) they are also
 * kept in compressed rows and diffused by the sparse kernel, which then
 * beats the dense GEMMs.
 */
void		dcrnn_set_support(DcrnnModel *m, int k, const float *s);

/*
 * Runs encoder and decoder over batch (1..cfg.batch) windows; writes pred.
 * Decoder step 0 gets a zero GO frame; step t > 0 gets labels[t-1] when
 * teacher && teacher[t-1] (scheduled-sampling coins drawn by the caller,
 * horizon entries, the last unused), else its own forecast of step t-1.
 * labels and teacher may be NULL (inference).  Keeps activations for
 * dcrnn_backward.  Returns 0, or -1 (nothing done) when batch is not in
 * 1..cfg.batch.  Inputs are not checked for NaN: the data path refuses
 * non-finite values before they get here.
 */
int			dcrnn_forward(DcrnnModel *m, const float *x, int batch,
						  const float *labels, const unsigned char *teacher,
						  float *pred);

/*
 * Back-propagates dL/dpred (layout of pred) through the last forward
 * (same batch) and overwrites m->grads.  Returns 0, or -1 (nothing done)
 * when no forward has run.
 */
int			dcrnn_backward(DcrnnModel *m, const float *dpred);

/*
 * Threads a forward or backward pass may use (1..64; a process-wide
 * setting read by the next dcrnn_forward).  The batch is split into
 * min(n, cfg.batch) shards that run side by side, each with
 * single-threaded OpenBLAS (the only threading layer; this sets OpenBLAS
 * to 1 thread).  The gradients of the shards are summed, so results
 * depend on n in the last bits only; a given n always gives the same bits.
 */
void		dcrnn_set_threads(int n);

/* ---- loss (loss.c) ---- */

/*
 * Mean absolute error on the de-normalised scale, v * std + mean, where
 * mean and std have `width` entries indexed by element % width (width =
 * N * output_dim for per-node statistics, 1 for one scalar).  Targets that
 * are NaN are left out.  mask_zero_targets = 1 also leaves out targets
 * whose de-normalised value is 0 (the reference's loss; wrong for call
 * counts).  When dpred is not NULL it receives dL/dpred in model space
 * (sign(0) = 0).  Returns 0 when no element counts.
 */
double		dcrnn_masked_mae(const float *pred, const float *target, size_t n,
							 const float *mean, const float *std, size_t width,
							 int mask_zero_targets, float *dpred);

/* ---- optimiser (adam.c) ---- */

/*
 * Scales g in place so its global L2 norm is at most max_norm, by
 * min(1, max_norm / (norm + 1e-6)) as the reference does; returns the norm
 * before clipping.
 */
double		dcrnn_clip_grad_norm(float *g, size_t n, double max_norm);

/* Where Adam's epsilon goes (docs/dcrnn.md, "Adam"). */
typedef enum DcrnnAdamEps
{
	/* torch: p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps) */
	DCRNN_ADAM_EPS_TORCH = 0,
	/* TensorFlow: p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps) */
	DCRNN_ADAM_EPS_TF = 1
} DcrnnAdamEps;

typedef struct DcrnnAdam
{
	double		beta1;			/* 0.9 */
	double		beta2;			/* 0.999 */
	double		eps;			/* 1e-3, the reference's */
	int			eps_mode;		/* DcrnnAdamEps */
	long		step;			/* updates done */
	size_t		n;
	float	   *m;				/* first moments */
	float	   *v;				/* second moments */
} DcrnnAdam;

/* Zeroed moments for n parameters and the reference's hyper-parameters;
 * returns 0, or -1 when memory runs short. */
int			dcrnn_adam_init(DcrnnAdam *a, size_t n);
void		dcrnn_adam_free(DcrnnAdam *a);

/* One update of params from grads with learning rate lr. */
void		dcrnn_adam_step(DcrnnAdam *a, float *params, const float *grads,
							double lr);

#endif
