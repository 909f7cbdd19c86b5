/*
 * cuda_backend.cu -- the CUDA implementation of the DCRNN backend
 * interface (backend.h), exported as informer_cuda_backend(): uploads and
 * downloads, the single operations (for parity checks), and the training
 * step, which runs forward, loss, backward, clipping and Adam of every
 * model as one CUDA graph captured once per batch size.
 */
#include "cuda_internal.h"

#include <math.h>
#include <stdio.h>

#include "informer_cuda.h"

/* Device address of one model's buffer at off. */
static float *
at(DcrnnBackendCtx *c, int model, Off off)
{
	return c->arena + model * c->stride + off;
}

static int
bad_model(DcrnnBackendCtx *c, int model, char *err, size_t errlen)
{
	if (cuda_ctx_usable(c, err, errlen) < 0)
		return 1;
	if (model >= 0 && model < c->n_models)
		return 0;
	snprintf(err, errlen, "model %d is not in 0..%d", model, c->n_models - 1);
	return 1;
}

static int
upload(DcrnnBackendCtx *c, int model, Off off, const float *src, size_t n,
	   char *err, size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	return cuda_ctx_finish(c, cudaMemcpyAsync(at(c, model, off), src, n * sizeof(float),
											  cudaMemcpyHostToDevice, c->stream),
						   err, errlen);
}

static int
download(DcrnnBackendCtx *c, int model, Off off, float *dst, size_t n,
		 char *err, size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	return cuda_ctx_finish(c, cudaMemcpyAsync(dst, at(c, model, off), n * sizeof(float),
											  cudaMemcpyDeviceToHost, c->stream),
						   err, errlen);
}

static int
gpu_set_support(DcrnnBackendCtx *c, int model, int k, const float *s, char *err,
				size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	if (k < 0 || k >= c->cfg.num_supports)
	{
		snprintf(err, errlen, "support %d is not in 0..%d", k, c->cfg.num_supports - 1);
		return -1;
	}
	return cuda_ctx_finish(c, cuda_support_set(c, model, k, s), err, errlen);
}

static int
gpu_set_scaler(DcrnnBackendCtx *c, int model, const float *mean, const float *std,
			   char *err, size_t errlen)
{
	size_t		width = (size_t) c->cfg.num_nodes * c->cfg.output_dim;

	if (upload(c, model, c->mean, mean, width, err, errlen) < 0)
		return -1;
	return upload(c, model, c->std, std, width, err, errlen);
}

/* Adam's step count is shared: load every model before training. */
static int
gpu_load_params(DcrnnBackendCtx *c, int model, const float *params, char *err,
				size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	c->adam_t = 0;
	cudaMemsetAsync(at(c, model, c->adam_m), 0, c->n_params * sizeof(float), c->stream);
	cudaMemsetAsync(at(c, model, c->adam_v), 0, c->n_params * sizeof(float), c->stream);
	return upload(c, model, c->params, params, c->n_params, err, errlen);
}

static int
gpu_store_params(DcrnnBackendCtx *c, int model, float *params, char *err, size_t errlen)
{
	return download(c, model, c->params, params, c->n_params, err, errlen);
}

static int
gpu_store_grads(DcrnnBackendCtx *c, int model, float *grads, char *err, size_t errlen)
{
	return download(c, model, c->grads, grads, c->n_params, err, errlen);
}

/* Per-model floats of x and of labels/pred for a batch. */
static size_t
x_floats(const DcrnnBackendCtx *c, int batch)
{
	return (size_t) c->cfg.history * batch * c->cfg.num_nodes * c->cfg.input_dim;
}

static size_t
y_floats(const DcrnnBackendCtx *c, int batch)
{
	return (size_t) c->cfg.horizon * batch * c->cfg.num_nodes * c->cfg.output_dim;
}

/*
 * Host arrays of n_models packed pieces <-> the models' slices: one 2-D
 * copy while a slice is within the device's pitch limit, else one copy per
 * model (large graphs' slices are gigabytes).
 */
static cudaError_t
scatter(DcrnnBackendCtx *c, Off off, const float *src, size_t n)
{
	size_t		pitch = c->stride * sizeof(float);
	cudaError_t e = cudaSuccess;

	if (c->n_models > 1 && pitch <= c->max_pitch)
		return cudaMemcpy2DAsync(c->arena + off, pitch, src, n * sizeof(float),
								 n * sizeof(float), c->n_models,
								 cudaMemcpyHostToDevice, c->stream);
	for (int m = 0; e == cudaSuccess && m < c->n_models; m++)
		e = cudaMemcpyAsync(at(c, m, off), src + m * n, n * sizeof(float),
							cudaMemcpyHostToDevice, c->stream);
	return e;
}

static cudaError_t
gather(DcrnnBackendCtx *c, Off off, float *dst, size_t n)
{
	size_t		pitch = c->stride * sizeof(float);
	cudaError_t e = cudaSuccess;

	if (c->n_models > 1 && pitch <= c->max_pitch)
		return cudaMemcpy2DAsync(dst, n * sizeof(float), c->arena + off, pitch,
								 n * sizeof(float), c->n_models,
								 cudaMemcpyDeviceToHost, c->stream);
	for (int m = 0; e == cudaSuccess && m < c->n_models; m++)
		e = cudaMemcpyAsync(dst + m * n, at(c, m, off), n * sizeof(float),
							cudaMemcpyDeviceToHost, c->stream);
	return e;
}

/* Uploads a step's inputs and coins; -1 when batch is out of range. */
static int
stage_inputs(DcrnnBackendCtx *c, const float *x, int batch, const float *labels,
			 const unsigned char *teacher, char *err, size_t errlen)
{
	cudaError_t e;

	if (cuda_ctx_usable(c, err, errlen) < 0)
		return -1;
	if (batch < 1 || batch > c->cfg.batch)
	{
		snprintf(err, errlen, "batch %d is not in 1..%d", batch, c->cfg.batch);
		return -1;
	}
	for (int j = 0; j < c->cfg.horizon; j++)
		c->teacher_host[j] = labels && teacher && teacher[j];
	e = scatter(c, c->x, x, x_floats(c, batch));
	if (e == cudaSuccess && labels)
		e = scatter(c, c->labels, labels, y_floats(c, batch));
	if (e == cudaSuccess)
		e = cudaMemcpyAsync(c->teacher, c->teacher_host, c->cfg.horizon * sizeof(int),
							cudaMemcpyHostToDevice, c->stream);
	return cuda_ctx_finish(c, e, err, errlen);
}

static int
gpu_forward(DcrnnBackendCtx *c, const float *x, int batch, const float *labels,
			const unsigned char *teacher, float *pred, char *err, size_t errlen)
{
	if (stage_inputs(c, x, batch, labels, teacher, err, errlen) < 0)
		return -1;
	cuda_seq2seq_forward(c, batch);
	c->batch = batch;
	return cuda_ctx_finish(c, gather(c, c->pred_io, pred, y_floats(c, batch)), err, errlen);
}

static int
gpu_backward(DcrnnBackendCtx *c, const float *dpred, char *err, size_t errlen)
{
	if (cuda_ctx_usable(c, err, errlen) < 0)
		return -1;
	if (c->batch == 0)
	{
		snprintf(err, errlen, "backward called before any forward");
		return -1;
	}
	cudaError_t e = scatter(c, c->dpred_io, dpred, y_floats(c, c->batch));

	if (e == cudaSuccess)
		cuda_seq2seq_backward(c, c->batch);
	return cuda_ctx_finish(c, e, err, errlen);
}

/* hyper = lr, 1 - b1^t, 1 - b2^t, eps, eps_mode, max_norm for the next step */
static cudaError_t
stage_hyper(DcrnnBackendCtx *c, double lr, int eps_mode, double eps, double max_norm)
{
	double	   *h = c->hyper_host;

	c->adam_t++;
	h[0] = lr;
	h[1] = 1.0 - pow(0.9, (double) c->adam_t);
	h[2] = 1.0 - pow(0.999, (double) c->adam_t);
	h[3] = eps;
	h[4] = eps_mode == DCRNN_ADAM_EPS_TF;
	h[5] = max_norm;
	return cudaMemcpyAsync(c->hyper, h, sizeof c->hyper_host, cudaMemcpyHostToDevice,
						   c->stream);
}

static int
download_stats(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	return cuda_ctx_finish(c, cudaMemcpyAsync(c->stats_host, c->stats,
											  c->n_models * 3 * sizeof(double),
											  cudaMemcpyDeviceToHost, c->stream),
						   err, errlen);
}

static int
gpu_clip(DcrnnBackendCtx *c, double max_norm, double *norms, char *err, size_t errlen)
{
	if (cuda_ctx_usable(c, err, errlen) < 0 ||
		dcrnn_refused(dcrnn_check_clip(max_norm), err, errlen))
		return -1;
	k_clip(c, 0, max_norm);
	if (download_stats(c, err, errlen) < 0)
		return -1;
	for (int i = 0; norms && i < c->n_models; i++)
		norms[i] = c->stats_host[3 * i + 1];
	return 0;
}

static int
gpu_adam_step(DcrnnBackendCtx *c, double lr, int eps_mode, double eps, char *err,
			  size_t errlen)
{
	if (cuda_ctx_usable(c, err, errlen) < 0 ||
		dcrnn_refused(dcrnn_check_adam(lr, eps_mode, eps), err, errlen))
		return -1;
	cudaError_t e = stage_hyper(c, lr, eps_mode, eps, 0.0);

	if (e == cudaSuccess)
		k_adam(c);
	return cuda_ctx_finish(c, e, err, errlen);
}

/* Everything one training step queues, graph-captured or not. */
static void
queue_step(DcrnnBackendCtx *c, int batch, int mask_zero)
{
	cuda_seq2seq_forward(c, batch);
	k_loss(c, c->pred_io, c->labels, y_floats(c, batch), mask_zero);
	cuda_seq2seq_backward(c, batch);
	k_clip(c, 1, 0.0);
	k_adam(c);
}

/*
 * The step's graph for batch, captured on first use; NULL with the reason
 * in why if capture fails.
 */
static cudaGraphExec_t
step_graph(DcrnnBackendCtx *c, int batch, char *why, size_t whylen)
{
	cudaGraph_t graph = NULL;
	cudaGraphExec_t exec = NULL;
	CudaStepGraph *slot;
	cudaError_t e;
	cublasStatus_t blas_before = c->blas_status;

	for (int i = 0; i < CUDA_GRAPHS; i++)
		if (c->graphs[i].exec && c->graphs[i].batch == batch)
			return c->graphs[i].exec;
	e = cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal);
	if (e == cudaSuccess)
	{
		queue_step(c, batch, 0);
		e = cudaStreamEndCapture(c->stream, &graph);
	}
	if (e == cudaSuccess && c->blas_status != blas_before)
		e = cudaErrorStreamCaptureInvalidated;	/* a product is missing */
	if (e == cudaSuccess)
		e = cudaGraphInstantiate(&exec, graph, 0);
	if (graph)
		cudaGraphDestroy(graph);
	cudaGetLastError();			/* a failed capture is not sticky */
	if (e != cudaSuccess)
	{
		c->blas_status = blas_before;	/* nor are cuBLAS calls it refused */
		snprintf(why, whylen, "%s", cudaGetErrorString(e));
		return NULL;
	}
	slot = &c->graphs[c->next_graph];
	c->next_graph = (c->next_graph + 1) % CUDA_GRAPHS;
	if (slot->exec)
		cudaGraphExecDestroy(slot->exec);
	slot->exec = exec;
	slot->batch = batch;
	return exec;
}

/*
 * Queues one training step: replayed from the batch's graph when graphs
 * are on, the mask is the default (it is baked into a graph) and this
 * batch size has run once eagerly, so that capture meets loaded kernels
 * and cuBLAS's settled choices; else launched eagerly.  -1 only when
 * graphs are required and capture failed.
 */
static int
queue_training_step(DcrnnBackendCtx *c, int batch, int mask_zero, cudaError_t *e,
					char *err, size_t errlen)
{
	cudaGraphExec_t exec = NULL;
	char		why[200];

	if (c->graph_mode != CUDA_GRAPHS_OFF && !mask_zero && c->warm[batch])
	{
		exec = step_graph(c, batch, why, sizeof why);
		if (!exec && c->graph_mode == CUDA_GRAPHS_REQUIRED)
		{
			snprintf(err, errlen, "CUDA graph capture failed: %s", why);
			return -1;
		}
		if (!exec)
			c->graph_mode = CUDA_GRAPHS_OFF;	/* unsupported here: run eagerly */
	}
	c->warm[batch] = 1;
	if (exec)
		*e = cudaGraphLaunch(exec, c->stream);
	else
		queue_step(c, batch, mask_zero);
	return 0;
}

static int
gpu_train_step(DcrnnBackendCtx *c, const float *x, int batch, const float *labels,
			   const unsigned char *teacher, const DcrnnStepOptions *o, double *loss,
			   double *norms, char *err, size_t errlen)
{
	cudaError_t e;

	if (dcrnn_refused(dcrnn_check_step(labels, o), err, errlen))
		return -1;
	if (stage_inputs(c, x, batch, labels, teacher, err, errlen) < 0)
		return -1;
	e = stage_hyper(c, o->lr, o->adam_eps_mode, o->adam_eps, o->max_grad_norm);
	if (e == cudaSuccess &&
		queue_training_step(c, batch, o->mask_zero_targets, &e, err, errlen) < 0)
		return -1;
	c->batch = batch;
	if (e != cudaSuccess)
		return cuda_ctx_finish(c, e, err, errlen);
	if (download_stats(c, err, errlen) < 0)
		return -1;
	for (int i = 0; i < c->n_models; i++)
	{
		loss[i] = c->stats_host[3 * i];
		if (norms)
			norms[i] = c->stats_host[3 * i + 1];
	}
	return 0;
}

static const DcrnnBackend cuda_backend = {
	"cuda",
	cuda_ctx_create,
	cuda_ctx_destroy,
	gpu_set_support,
	gpu_set_scaler,
	gpu_load_params,
	gpu_store_params,
	gpu_store_grads,
	gpu_forward,
	gpu_backward,
	gpu_clip,
	gpu_adam_step,
	gpu_train_step,
};

extern "C" const DcrnnBackend *
informer_cuda_backend(void)
{
	return &cuda_backend;
}
