/*
 * backend.h -- one interface for the DCRNN compute backends: the CPU
 * (backend_cpu.c, on top of dcrnn.h) and CUDA (src/cuda, the module
 * informer_cuda.so, whose informer_cuda_backend() returns this table).
 *
 * A context holds n_models models of one DcrnnConfig that run in lockstep
 * (the paper trains one small model per chain pattern; models of equal
 * shape share every launch on the GPU).  Arrays passed in and out hold
 * n_models consecutive per-model arrays, each laid out as dcrnn.h says and
 * packed for the batch of the call:
 *   x      n_models x (history, batch, N, input_dim)
 *   labels n_models x (horizon, batch, N, output_dim)   (may be NULL)
 *   pred   n_models x (horizon, batch, N, output_dim)
 * Scheduled-sampling coins (teacher, horizon entries) are shared by all
 * models of a step.  The semantics of every call are those of dcrnn.h:
 * same parameter layout and tensor table, diffusion modes, loss, clipping
 * and Adam epsilon modes, so the backends agree within float32 rounding.
 *
 * Every call returns 0, or -1 with a message in err (errlen bytes).
 */
#ifndef INFORMER_BACKEND_H
#define INFORMER_BACKEND_H

#include <stddef.h>

#include "dcrnn.h"

typedef struct DcrnnBackendCtx DcrnnBackendCtx;

/* What one training step does after forward and backward. */
typedef struct DcrnnStepOptions
{
	double		lr;
	double		max_grad_norm;
	int			adam_eps_mode;	/* DcrnnAdamEps */
	double		adam_eps;
	int			mask_zero_targets;	/* see dcrnn_masked_mae */
} DcrnnStepOptions;

typedef struct DcrnnBackend
{
	const char *name;			/* "cpu" or "cuda" */

	/* Models with zero parameters, identity supports, scaler (0, 1). */
	DcrnnBackendCtx *(*create) (const DcrnnConfig *cfg, int n_models,
								char *err, size_t errlen);
	void		(*destroy) (DcrnnBackendCtx *ctx);

	/* Support k (dense N x N, row-major) of one model. */
	int			(*set_support) (DcrnnBackendCtx *ctx, int model, int k,
								const float *s, char *err, size_t errlen);
	/* The loss's de-normalisation, N * output_dim entries each. */
	int			(*set_scaler) (DcrnnBackendCtx *ctx, int model, const float *mean,
							   const float *std, char *err, size_t errlen);
	/* Copies dcrnn_param_count floats in; zeroes that model's Adam state. */
	int			(*load_params) (DcrnnBackendCtx *ctx, int model,
								const float *params, char *err, size_t errlen);
	int			(*store_params) (DcrnnBackendCtx *ctx, int model, float *params,
								 char *err, size_t errlen);
	int			(*store_grads) (DcrnnBackendCtx *ctx, int model, float *grads,
								char *err, size_t errlen);

	/* dcrnn_forward and dcrnn_backward for every model. */
	int			(*forward) (DcrnnBackendCtx *ctx, const float *x, int batch,
							const float *labels, const unsigned char *teacher,
							float *pred, char *err, size_t errlen);
	int			(*backward) (DcrnnBackendCtx *ctx, const float *dpred,
							 char *err, size_t errlen);
	/* dcrnn_clip_grad_norm per model; norms (n_models) before clipping. */
	int			(*clip) (DcrnnBackendCtx *ctx, double max_norm, double *norms,
						 char *err, size_t errlen);
	/* dcrnn_adam_step per model (beta 0.9, 0.999; eps and mode given). */
	int			(*adam_step) (DcrnnBackendCtx *ctx, double lr, int eps_mode,
							  double eps, char *err, size_t errlen);

	/*
	 * forward with labels, dcrnn_masked_mae (loss per model into loss),
	 * backward, clip (norm per model into norms, may be NULL) and Adam.
	 */
	int			(*train_step) (DcrnnBackendCtx *ctx, const float *x, int batch,
							   const float *labels, const unsigned char *teacher,
							   const DcrnnStepOptions *o, double *loss,
							   double *norms, char *err, size_t errlen);
} DcrnnBackend;

/* backend_check.c: NULL when the arguments are usable, else a message. */
const char *dcrnn_check_clip(double max_norm);
const char *dcrnn_check_adam(double lr, int eps_mode, double eps);
const char *dcrnn_check_step(const float *labels, const DcrnnStepOptions *o);
/* Copies bad (when not NULL) into err; returns whether it did. */
int			dcrnn_refused(const char *bad, char *err, size_t errlen);

/* The CPU backend (backend_cpu.c). */
const DcrnnBackend *dcrnn_backend_cpu(void);

/* What a user asks for (informer.device). */
typedef enum DcrnnDevice
{
	DCRNN_DEVICE_AUTO = 0,		/* the GPU when usable, else the CPU */
	DCRNN_DEVICE_CPU,
	DCRNN_DEVICE_CUDA			/* the GPU or an error */
} DcrnnDevice;

/*
 * backend_load.c: the backend for device.  The CUDA one comes from the
 * module at module_path (informer_cuda.so), opened on first use.  cuda
 * without a usable device returns NULL with the reason in why; auto then
 * returns the CPU backend with the reason in why (empty when the GPU was
 * chosen).
 */
const DcrnnBackend *dcrnn_backend_for(DcrnnDevice device, const char *module_path,
									  char *why, size_t whylen);

#endif
