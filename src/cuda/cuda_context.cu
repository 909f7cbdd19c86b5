/*
 * cuda_context.cu -- a CUDA backend context: its per-model layout, the one
 * device arena that holds every model's parameters, optimiser state,
 * inputs and activations (nothing is allocated per step), the stream and
 * cuBLAS handle, and error reporting.
 *
 * Out of device memory at create time is a message with the numbers and
 * everything freed.  Any error seen while running queued work is treated
 * as sticky (the CUDA context may be corrupt): the context refuses every
 * later call with the first reason, and its caller is expected to end the
 * process; nothing here aborts.
 */
#include "cuda_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUBLAS_WORKSPACE (32u << 20)
#define ALIGN_FLOATS 64		/* buffers start on 256-byte boundaries */

/* Lays out one model's slice of the arena; returns its floats (the stride). */
static size_t
layout(DcrnnBackendCtx *c)
{
	const DcrnnConfig *cfg = &c->cfg;
	size_t		bn = (size_t) cfg->batch * cfg->num_nodes;
	size_t		ub = (size_t) cfg->units * bn;
	size_t		nn = (size_t) cfg->num_nodes * cfg->num_nodes;
	size_t		width = (size_t) cfg->num_nodes * cfg->output_dim;
	int			steps = cfg->history + cfg->horizon;
	int			fio = cfg->input_dim > cfg->output_dim ? cfg->input_dim : cfg->output_dim;
	int			fmax = (fio > cfg->units ? fio : cfg->units) + cfg->units;
	int			terms = c->plan.n_terms;
	size_t		off = 0;

#define TAKE(field, count) do { \
		(field) = off; \
		off += ((count) + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; } while (0)

	c->params = 0;				/* grads follow params directly */
	off = 2 * c->n_params;
	off = (off + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
	c->grads = c->n_params;
	TAKE(c->adam_m, c->n_params);
	TAKE(c->adam_v, c->n_params);
	TAKE(c->supports, cfg->num_supports * nn);
	TAKE(c->ell, (size_t) cfg->num_supports * 4 * cfg->num_nodes * ELL_WIDTH_MAX);
	TAKE(c->mean, width);
	TAKE(c->std, width);
	TAKE(c->x, (size_t) cfg->history * bn * cfg->input_dim);
	TAKE(c->labels, cfg->horizon * width * cfg->batch);
	TAKE(c->pred_io, cfg->horizon * width * cfg->batch);
	TAKE(c->dpred_io, cfg->horizon * width * cfg->batch);
	for (int t = 0; t < steps; t++)
		for (int l = 0; l < cfg->layers; l++)
		{
			CudaSaved  *s = &c->saved[t * cfg->layers + l];
			size_t		xt = (size_t) terms *
				(dcrnn_layer_input(cfg, t >= cfg->history, l) + cfg->units) * bn;

			TAKE(s->xg, xt);
			TAKE(s->xc, xt);
			TAKE(s->v, 2 * ub);
			TAKE(s->c, ub);
			TAKE(s->h, ub);
		}
	c->io_stride = fio * bn;
	TAKE(c->inputs, steps * c->io_stride);
	TAKE(c->pred, (size_t) cfg->horizon * cfg->output_dim * bn);
	TAKE(c->zeros, ub);
	TAKE(c->dh, cfg->layers * ub);
	TAKE(c->dh_next, ub);
	TAKE(c->dfeed, fio * bn);
	TAKE(c->dy, (size_t) cfg->output_dim * bn);
	TAKE(c->dgate, 2 * ub);
	TAKE(c->dcand, ub);
	TAKE(c->dterms, (size_t) terms * fmax * bn);
#undef TAKE
	return off;
}

/* The tensor table and diffusion plan of the CPU model, which define both. */
static int
take_model_shape(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	DcrnnConfig small = c->cfg;
	DcrnnModel *m;

	small.batch = 1;
	m = dcrnn_create(&small, err, errlen);
	if (!m)
		return -1;
	c->n_params = m->n_params;
	c->plan = m->work->plan;
	for (int i = 0; i < 2 * c->cfg.layers; i++)
	{
		const DcrnnTensor *t = &m->tensors[4 * i];

		c->cells[i].fin = dcrnn_layer_input(&c->cfg, i >= c->cfg.layers, i % c->cfg.layers);
		c->cells[i].wg = t[0].offset;
		c->cells[i].bg = t[1].offset;
		c->cells[i].wc = t[2].offset;
		c->cells[i].bc = t[3].offset;
	}
	c->proj_w = m->tensors[m->n_tensors - 2].offset;
	c->proj_b = m->tensors[m->n_tensors - 1].offset;
	dcrnn_free(m);
	return 0;
}

/*
 * Identity supports and unit std in every model.  Queued on the context's
 * stream, which does not wait for the legacy default stream, and waited
 * for: no later call may overtake them.
 */
static cudaError_t
set_defaults(DcrnnBackendCtx *c)
{
	int			n = c->cfg.num_nodes;
	size_t		width = (size_t) n * c->cfg.output_dim;
	float	   *eye = (float *) calloc((size_t) n * n, sizeof(float));
	float	   *ones = (float *) malloc(width * sizeof(float));
	cudaError_t e = cudaMemsetAsync(c->arena, 0, c->n_models * c->stride * sizeof(float),
									c->stream);

	if (!eye || !ones)
		e = cudaErrorMemoryAllocation;
	for (int i = 0; e == cudaSuccess && i < n; i++)
		eye[(size_t) i * n + i] = 1.0f;
	for (size_t i = 0; e == cudaSuccess && i < width; i++)
		ones[i] = 1.0f;
	for (int m = 0; e == cudaSuccess && m < c->n_models; m++)
	{
		for (int k = 0; e == cudaSuccess && k < c->cfg.num_supports; k++)
			e = cuda_support_set(c, m, k, eye);
		if (e == cudaSuccess)
			e = cudaMemcpyAsync(c->arena + m * c->stride + c->std, ones,
								width * sizeof(float), cudaMemcpyHostToDevice, c->stream);
	}
	if (e == cudaSuccess)
		e = cudaStreamSynchronize(c->stream);
	free(eye);
	free(ones);
	return e;
}

/* Device allocations; on failure says how much was asked and what was free. */
static int
alloc_device(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	size_t		bytes = c->n_models * c->stride * sizeof(float);
	size_t		free_b = 0, total_b = 0;
	cudaError_t e;

	e = cudaMalloc((void **) &c->arena, bytes);
	if (e == cudaSuccess)
		e = cudaMalloc((void **) &c->stats, c->n_models * 3 * sizeof(double));
	if (e == cudaSuccess)
		e = cudaMalloc((void **) &c->hyper, 8 * sizeof(double));
	if (e == cudaSuccess)
		e = cudaMalloc((void **) &c->teacher, c->cfg.horizon * sizeof(int));
	if (e == cudaSuccess)
		e = cudaMalloc(&c->cublas_ws, CUBLAS_WORKSPACE);
	if (e == cudaErrorMemoryAllocation)
	{
		cudaGetLastError();		/* an allocation failure is not sticky */
		cudaMemGetInfo(&free_b, &total_b);
		snprintf(err, errlen, "out of GPU memory: %d models need %zu MB, the device has %zu MB free of %zu MB",
				 c->n_models, (bytes + CUBLAS_WORKSPACE) >> 20, free_b >> 20, total_b >> 20);
		return -1;
	}
	if (e != cudaSuccess)
	{
		snprintf(err, errlen, "cannot allocate GPU memory: %s", cudaGetErrorString(e));
		return -1;
	}
	return 0;
}

/* The device's largest pitch for 2-D copies (cudaDevAttrMaxPitch). */
static int
max_pitch(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	int			dev = 0;
	int			pitch = 0;
	cudaError_t e = cudaGetDevice(&dev);

	if (e == cudaSuccess)
		e = cudaDeviceGetAttribute(&pitch, cudaDevAttrMaxPitch, dev);
	if (e != cudaSuccess)
	{
		snprintf(err, errlen, "cannot query the CUDA device: %s", cudaGetErrorString(e));
		return -1;
	}
	c->max_pitch = (size_t) pitch;
	return 0;
}

/* cuBLAS on the context's stream and workspace, in full float32 unless asked. */
static int
setup_blas(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	const char *tf32 = getenv("INFORMER_CUDA_TF32");
	/* the stream first: setting it resets the workspace */
	cublasStatus_t st = cublasSetStream(c->blas, c->stream);

	if (st == CUBLAS_STATUS_SUCCESS)
		st = cublasSetWorkspace(c->blas, c->cublas_ws, CUBLAS_WORKSPACE);
	/* TF32 only where parity is shown to hold */
	if (st == CUBLAS_STATUS_SUCCESS)
		st = cublasSetMathMode(c->blas, tf32 && strcmp(tf32, "1") == 0 ?
							   CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
	if (st == CUBLAS_STATUS_SUCCESS)
		return 0;
	snprintf(err, errlen, "cannot set up cuBLAS: %s", cublasGetStatusString(st));
	return -1;
}

static int
init_device(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	cudaError_t e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
	const char *graphs = getenv("INFORMER_CUDA_GRAPHS");

	if (e != cudaSuccess)
	{
		c->stream = NULL;
		snprintf(err, errlen, "no usable CUDA device: %s", cudaGetErrorString(e));
		return -1;
	}
	if (cublasCreate(&c->blas) != CUBLAS_STATUS_SUCCESS)
	{
		c->blas = NULL;
		snprintf(err, errlen, "cannot initialise cuBLAS");
		return -1;
	}
	if (alloc_device(c, err, errlen) < 0)
		return -1;
	if (setup_blas(c, err, errlen) < 0)
		return -1;
	c->graph_mode = !graphs || !*graphs ? CUDA_GRAPHS_AUTO :
		strcmp(graphs, "0") == 0 ? CUDA_GRAPHS_OFF : CUDA_GRAPHS_REQUIRED;
	if (max_pitch(c, err, errlen) < 0)
		return -1;
	e = set_defaults(c);
	if (e != cudaSuccess)
	{
		snprintf(err, errlen, "cannot initialise the models on the GPU: %s",
				 cudaGetErrorString(e));
		return -1;
	}
	return 0;
}

DcrnnBackendCtx *
cuda_ctx_create(const DcrnnConfig *cfg, int n_models, char *err, size_t errlen)
{
	DcrnnBackendCtx *c;

	if (n_models < 1 || n_models > 65535)
	{
		snprintf(err, errlen, "n_models must be between 1 and 65535");
		return NULL;
	}
	if (dcrnn_config_check(cfg))
	{
		snprintf(err, errlen, "%s", dcrnn_config_check(cfg));
		return NULL;
	}
	c = (DcrnnBackendCtx *) calloc(1, sizeof(*c));
	if (!c)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->n_models = n_models;
	c->cells = (CudaCell *) calloc(2 * cfg->layers, sizeof(CudaCell));
	c->saved = (CudaSaved *) calloc((size_t) (cfg->history + cfg->horizon) * cfg->layers,
									sizeof(CudaSaved));
	c->teacher_host = (int *) calloc(cfg->horizon, sizeof(int));
	c->stats_host = (double *) calloc((size_t) n_models * 3, sizeof(double));
	c->warm = (unsigned char *) calloc((size_t) cfg->batch + 1, 1);
	c->row_width = (int *) calloc((size_t) n_models * cfg->num_supports, sizeof(int));
	if (!c->cells || !c->saved || !c->teacher_host || !c->stats_host || !c->warm ||
		!c->row_width)
	{
		snprintf(err, errlen, "out of memory");
		cuda_ctx_destroy(c);
		return NULL;
	}
	if (take_model_shape(c, err, errlen) < 0)
	{
		cuda_ctx_destroy(c);
		return NULL;
	}
	c->stride = layout(c);
	if (init_device(c, err, errlen) < 0)
	{
		cuda_ctx_destroy(c);
		return NULL;
	}
	return c;
}

void
cuda_ctx_destroy(DcrnnBackendCtx *c)
{
	if (!c)
		return;
	cuda_drop_graphs(c);
	if (c->blas)
		cublasDestroy(c->blas);
	if (c->stream)
		cudaStreamDestroy(c->stream);
	cudaFree(c->arena);
	cudaFree(c->stats);
	cudaFree(c->hyper);
	cudaFree(c->teacher);
	cudaFree(c->cublas_ws);
	free(c->cells);
	free(c->saved);
	free(c->teacher_host);
	free(c->stats_host);
	free(c->warm);
	free(c->row_width);
	free(c);
}

void
cuda_drop_graphs(DcrnnBackendCtx *c)
{
	for (int i = 0; i < CUDA_GRAPHS; i++)
	{
		if (c->graphs[i].exec)
			cudaGraphExecDestroy(c->graphs[i].exec);
		c->graphs[i].exec = NULL;
	}
}

int
cuda_ctx_usable(DcrnnBackendCtx *c, char *err, size_t errlen)
{
	if (!c->broken[0])
		return 0;
	snprintf(err, errlen, "%s", c->broken);
	return -1;
}

int
cuda_ctx_finish(DcrnnBackendCtx *c, cudaError_t queued, char *err, size_t errlen)
{
	cudaError_t e = queued;

	if (e == cudaSuccess)
		e = cudaStreamSynchronize(c->stream);
	if (e == cudaSuccess)
		e = cudaGetLastError();
	if (e == cudaSuccess && c->blas_status == CUBLAS_STATUS_SUCCESS)
		return 0;
	if (e == cudaSuccess)
		snprintf(c->broken, sizeof(c->broken), "cuBLAS failed: %s",
				 cublasGetStatusString(c->blas_status));
	else
		snprintf(c->broken, sizeof(c->broken),
				 "CUDA error: %s; the CUDA context cannot be trusted, end this process",
				 cudaGetErrorString(e));
	snprintf(err, errlen, "%s", c->broken);
	return -1;
}
