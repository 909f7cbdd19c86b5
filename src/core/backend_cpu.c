/*
 * backend_cpu.c -- the CPU backend of backend.h: thin adapters that run
 * each of the context's models through dcrnn.h (model, loss, clipping,
 * Adam) one after the other.
 */
#include "backend.h"
#include "dcrnn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct DcrnnBackendCtx
{
	DcrnnConfig cfg;
	int			n_models;
	DcrnnModel **models;
	DcrnnAdam  *adam;
	float	   *mean;			/* n_models x N * output_dim */
	float	   *std;
	float	   *dpred;			/* one model's dL/dpred */
};

static void
cpu_destroy(DcrnnBackendCtx *c)
{
	if (!c)
		return;
	for (int i = 0; c->models && i < c->n_models; i++)
	{
		dcrnn_free(c->models[i]);
		dcrnn_adam_free(&c->adam[i]);
	}
	free(c->models);
	free(c->adam);
	free(c->mean);
	free(c->std);
	free(c->dpred);
	free(c);
}

static size_t
out_floats(const DcrnnConfig *cfg, int batch)
{
	return (size_t) cfg->horizon * batch * cfg->num_nodes * cfg->output_dim;
}

static DcrnnBackendCtx *
cpu_create(const DcrnnConfig *cfg, int n_models, char *err, size_t errlen)
{
	DcrnnBackendCtx *c;
	size_t		width = (size_t) cfg->num_nodes * cfg->output_dim;

	if (n_models < 1)
	{
		snprintf(err, errlen, "n_models must be at least 1");
		return NULL;
	}
	if (dcrnn_config_check(cfg))
	{
		snprintf(err, errlen, "%s", dcrnn_config_check(cfg));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->cfg = *cfg;
	c->n_models = n_models;
	c->models = calloc(n_models, sizeof(DcrnnModel *));
	c->adam = calloc(n_models, sizeof(DcrnnAdam));
	c->mean = calloc(n_models * width, sizeof(float));
	c->std = malloc(n_models * width * sizeof(float));
	c->dpred = malloc(out_floats(cfg, cfg->batch) * sizeof(float));
	if (!c->models || !c->adam || !c->mean || !c->std || !c->dpred)
		goto oom;
	for (size_t i = 0; i < n_models * width; i++)
		c->std[i] = 1.0f;
	for (int i = 0; i < n_models; i++)
	{
		c->models[i] = dcrnn_create(cfg, err, errlen);
		if (!c->models[i])
		{
			cpu_destroy(c);
			return NULL;
		}
		if (dcrnn_adam_init(&c->adam[i], c->models[i]->n_params) < 0)
			goto oom;
	}
	return c;

oom:
	cpu_destroy(c);
	snprintf(err, errlen, "out of memory: %d models need %zu bytes",
			 n_models, n_models * dcrnn_memory_bytes(cfg));
	return NULL;
}

static int
bad_model(const DcrnnBackendCtx *c, int model, char *err, size_t errlen)
{
	if (model >= 0 && model < c->n_models)
		return 0;
	snprintf(err, errlen, "model %d is not in 0..%d", model, c->n_models - 1);
	return 1;
}

static int
cpu_set_support(DcrnnBackendCtx *c, int model, int k, const float *s,
				char *err, size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	if (k < 0 || k >= c->cfg.num_supports)
	{
		snprintf(err, errlen, "support %d is not in 0..%d", k, c->cfg.num_supports - 1);
		return -1;
	}
	dcrnn_set_support(c->models[model], k, s);
	return 0;
}

static int
cpu_set_scaler(DcrnnBackendCtx *c, int model, const float *mean,
			   const float *std, char *err, size_t errlen)
{
	size_t		width = (size_t) c->cfg.num_nodes * c->cfg.output_dim;

	if (bad_model(c, model, err, errlen))
		return -1;
	memcpy(c->mean + model * width, mean, width * sizeof(float));
	memcpy(c->std + model * width, std, width * sizeof(float));
	return 0;
}

static int
cpu_load_params(DcrnnBackendCtx *c, int model, const float *params,
				char *err, size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;

	DcrnnModel *m = c->models[model];
	DcrnnAdam  *a = &c->adam[model];

	memcpy(m->params, params, m->n_params * sizeof(float));
	memset(a->m, 0, a->n * sizeof(float));
	memset(a->v, 0, a->n * sizeof(float));
	a->step = 0;
	return 0;
}

static int
cpu_store_params(DcrnnBackendCtx *c, int model, float *params, char *err,
				 size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	memcpy(params, c->models[model]->params, c->models[model]->n_params * sizeof(float));
	return 0;
}

static int
cpu_store_grads(DcrnnBackendCtx *c, int model, float *grads, char *err,
				size_t errlen)
{
	if (bad_model(c, model, err, errlen))
		return -1;
	memcpy(grads, c->models[model]->grads, c->models[model]->n_params * sizeof(float));
	return 0;
}

static int
cpu_forward(DcrnnBackendCtx *c, const float *x, int batch, const float *labels,
			const unsigned char *teacher, float *pred, char *err, size_t errlen)
{
	size_t		xn = (size_t) c->cfg.history * batch * c->cfg.num_nodes * c->cfg.input_dim;
	size_t		yn = out_floats(&c->cfg, batch);

	for (int i = 0; i < c->n_models; i++)
		if (dcrnn_forward(c->models[i], x + i * xn, batch,
						  labels ? labels + i * yn : NULL, teacher, pred + i * yn) < 0)
		{
			snprintf(err, errlen, "batch %d is not in 1..%d", batch, c->cfg.batch);
			return -1;
		}
	return 0;
}

static int
cpu_backward(DcrnnBackendCtx *c, const float *dpred, char *err, size_t errlen)
{
	size_t		yn = out_floats(&c->cfg, c->models[0]->work->batch);

	for (int i = 0; i < c->n_models; i++)
	{
		DcrnnModel *m = c->models[i];

		if (dcrnn_backward(m, dpred + i * yn) < 0)
		{
			snprintf(err, errlen, "backward called before any forward");
			return -1;
		}
	}
	return 0;
}

static int
cpu_clip(DcrnnBackendCtx *c, double max_norm, double *norms, char *err,
		 size_t errlen)
{
	if (dcrnn_refused(dcrnn_check_clip(max_norm), err, errlen))
		return -1;
	for (int i = 0; i < c->n_models; i++)
	{
		double		norm = dcrnn_clip_grad_norm(c->models[i]->grads,
												c->models[i]->n_params, max_norm);

		if (norms)
			norms[i] = norm;
	}
	return 0;
}

static int
cpu_adam_step(DcrnnBackendCtx *c, double lr, int eps_mode, double eps,
			  char *err, size_t errlen)
{
	if (dcrnn_refused(dcrnn_check_adam(lr, eps_mode, eps), err, errlen))
		return -1;
	for (int i = 0; i < c->n_models; i++)
	{
		c->adam[i].eps_mode = eps_mode;
		c->adam[i].eps = eps;
		dcrnn_adam_step(&c->adam[i], c->models[i]->params, c->models[i]->grads, lr);
	}
	return 0;
}

static int
cpu_train_step(DcrnnBackendCtx *c, const float *x, int batch,
			   const float *labels, const unsigned char *teacher,
			   const DcrnnStepOptions *o, double *loss, double *norms,
			   char *err, size_t errlen)
{
	size_t		xn = (size_t) c->cfg.history * batch * c->cfg.num_nodes * c->cfg.input_dim;
	size_t		yn = out_floats(&c->cfg, batch);
	size_t		width = (size_t) c->cfg.num_nodes * c->cfg.output_dim;

	if (dcrnn_refused(dcrnn_check_step(labels, o), err, errlen))
		return -1;
	for (int i = 0; i < c->n_models; i++)
	{
		DcrnnModel *m = c->models[i];
		float	   *pred = c->dpred;	/* the forecast, then dL/dforecast */

		if (dcrnn_forward(m, x + i * xn, batch, labels + i * yn, teacher, pred) < 0)
		{
			snprintf(err, errlen, "batch %d is not in 1..%d", batch, c->cfg.batch);
			return -1;
		}
		loss[i] = dcrnn_masked_mae(pred, labels + i * yn, yn, c->mean + i * width,
								   c->std + i * width, width,
								   o->mask_zero_targets, pred);
		dcrnn_backward(m, pred);
		double		norm = dcrnn_clip_grad_norm(m->grads, m->n_params, o->max_grad_norm);

		if (norms)
			norms[i] = norm;
		c->adam[i].eps_mode = o->adam_eps_mode;
		c->adam[i].eps = o->adam_eps;
		dcrnn_adam_step(&c->adam[i], m->params, m->grads, o->lr);
	}
	return 0;
}

static const DcrnnBackend cpu_backend = {
	.name = "cpu",
	.create = cpu_create,
	.destroy = cpu_destroy,
	.set_support = cpu_set_support,
	.set_scaler = cpu_set_scaler,
	.load_params = cpu_load_params,
	.store_params = cpu_store_params,
	.store_grads = cpu_store_grads,
	.forward = cpu_forward,
	.backward = cpu_backward,
	.clip = cpu_clip,
	.adam_step = cpu_adam_step,
	.train_step = cpu_train_step,
};

const DcrnnBackend *
dcrnn_backend_cpu(void)
{
	return &cpu_backend;
}
