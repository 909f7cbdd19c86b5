/*
 * test_backend.c -- the CPU backend (backend.h): several models in one
 * context each equal a model run alone through dcrnn.h, a training step
 * equals its parts (forward, masked MAE, backward, clipping, Adam), and
 * bad calls get a message.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "unit.h"

#define MODELS 2

static DcrnnConfig
small_config(void)
{
	DcrnnConfig cfg;

	dcrnn_config_default(&cfg, 6);
	cfg.units = 5;
	cfg.history = 4;
	cfg.horizon = 3;
	cfg.batch = 3;
	return cfg;
}

static void
fill(float *a, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (float) (((i * 2654435761u + seed * 97u) % 2001) / 1000.0 - 1.0);
}

TEST(backend_cpu_step_equals_dcrnn_calls_per_model)
{
	DcrnnConfig cfg = small_config();
	const DcrnnBackend *b = dcrnn_backend_cpu();
	char		err[256];
	int			batch = 2;
	size_t		nx = (size_t) cfg.history * batch * cfg.num_nodes;
	size_t		ny = (size_t) cfg.horizon * batch * cfg.num_nodes;
	size_t		width = cfg.num_nodes;
	size_t		np = dcrnn_param_count(&cfg);
	size_t		nn = width * width;
	float	   *buf = calloc(MODELS * (nx + ny) + 2 * ny + 2 * np + nn + 2 * width, sizeof(float));
	float	   *x = buf, *y = x + MODELS * nx, *pred = y + MODELS * ny, *dpred = pred + ny;
	float	   *p0 = dpred + ny, *got = p0 + np, *sup = got + np, *mean = sup + nn, *sd = mean + width;
	unsigned char teacher[3] = {1, 0, 1};
	DcrnnStepOptions o = {0.01, 0.05, DCRNN_ADAM_EPS_TF, 1e-3, 0};
	double		loss[MODELS], norms[MODELS];
	DcrnnBackendCtx *ctx = b->create(&cfg, MODELS, err, sizeof err);

	REQUIRE(buf && ctx);
	fill(x, MODELS * (nx + ny), 3);
	for (size_t i = 0; i < width; i++)
	{
		mean[i] = 2.0f + i;
		sd[i] = 0.5f + i;
	}
	for (int m = 0; m < MODELS; m++)
	{
		fill(p0, np, 10 + m);
		fill(sup, nn, 20 + m);
		CHECK(b->load_params(ctx, m, p0, err, sizeof err) == 0);
		CHECK(b->set_support(ctx, m, 1, sup, err, sizeof err) == 0);
		CHECK(b->set_scaler(ctx, m, mean, sd, err, sizeof err) == 0);
	}
	REQUIRE(b->train_step(ctx, x, batch, y, teacher, &o, loss, norms, err, sizeof err) == 0);

	for (int m = 0; m < MODELS; m++)
	{
		DcrnnModel *ref = dcrnn_create(&cfg, err, sizeof err);
		DcrnnAdam	adam;

		REQUIRE(ref && dcrnn_adam_init(&adam, np) == 0);
		fill(ref->params, np, 10 + m);
		fill(sup, nn, 20 + m);
		dcrnn_set_support(ref, 1, sup);
		dcrnn_forward(ref, x + m * nx, batch, y + m * ny, teacher, pred);
		double		l = dcrnn_masked_mae(pred, y + m * ny, ny, mean, sd, width, 0, dpred);

		dcrnn_backward(ref, dpred);
		double		norm = dcrnn_clip_grad_norm(ref->grads, np, 0.05);

		adam.eps_mode = DCRNN_ADAM_EPS_TF;
		dcrnn_adam_step(&adam, ref->params, ref->grads, 0.01);
		CHECK(l > 0.0);
		CHECK(norm > 0.05);		/* clipping took part */
		CHECK(loss[m] == l);
		CHECK(norms[m] == norm);
		CHECK(b->store_params(ctx, m, got, err, sizeof err) == 0);
		CHECK(memcmp(got, ref->params, np * sizeof(float)) == 0);
		CHECK(b->store_grads(ctx, m, got, err, sizeof err) == 0);
		CHECK(memcmp(got, ref->grads, np * sizeof(float)) == 0);
		dcrnn_adam_free(&adam);
		dcrnn_free(ref);
	}
	b->destroy(ctx);
	free(buf);
}

TEST(backend_cpu_bad_calls_get_messages)
{
	DcrnnConfig cfg = small_config();
	const DcrnnBackend *b = dcrnn_backend_cpu();
	char		err[256] = "";
	float		v[64] = {0};

	CHECK(b->create(&cfg, 0, err, sizeof err) == NULL);
	CHECK(strcmp(err, "n_models must be at least 1") == 0);
	cfg.units = 0;
	CHECK(b->create(&cfg, 1, err, sizeof err) == NULL);
	CHECK(strcmp(err, "units must be between 1 and 4096") == 0);
	cfg = small_config();

	DcrnnBackendCtx *ctx = b->create(&cfg, 1, err, sizeof err);

	REQUIRE(ctx);
	CHECK(b->backward(ctx, v, err, sizeof err) == -1);
	CHECK(strcmp(err, "backward called before any forward") == 0);
	CHECK(b->forward(ctx, v, 4, NULL, NULL, v, err, sizeof err) == -1);
	CHECK(strcmp(err, "batch 4 is not in 1..3") == 0);
	CHECK(b->load_params(ctx, 1, v, err, sizeof err) == -1);
	CHECK(strcmp(err, "model 1 is not in 0..0") == 0);
	CHECK(b->set_support(ctx, 0, 2, v, err, sizeof err) == -1);
	CHECK(strcmp(err, "support 2 is not in 0..1") == 0);
	CHECK(b->clip(ctx, NAN, NULL, err, sizeof err) == -1);
	CHECK(strcmp(err, "max_grad_norm must be a positive finite number") == 0);
	CHECK(b->adam_step(ctx, -0.1, DCRNN_ADAM_EPS_TORCH, 1e-3, err, sizeof err) == -1);
	CHECK(strcmp(err, "lr must be a finite number of at least 0") == 0);
	CHECK(b->adam_step(ctx, 0.1, 7, 1e-3, err, sizeof err) == -1);
	CHECK(strcmp(err, "adam_eps_mode must be DCRNN_ADAM_EPS_TORCH or DCRNN_ADAM_EPS_TF") == 0);

	DcrnnStepOptions o = {0.01, 5.0, DCRNN_ADAM_EPS_TORCH, 0.0, 0};
	double		loss;

	CHECK(b->train_step(ctx, v, 1, v, NULL, &o, &loss, NULL, err, sizeof err) == -1);
	CHECK(strcmp(err, "adam_eps must be a positive finite number") == 0);
	o.adam_eps = 1e-3;
	o.max_grad_norm = INFINITY;
	CHECK(b->train_step(ctx, v, 1, v, NULL, &o, &loss, NULL, err, sizeof err) == -1);
	CHECK(strcmp(err, "max_grad_norm must be a positive finite number") == 0);
	CHECK(b->train_step(ctx, v, 1, NULL, NULL, &o, &loss, NULL, err, sizeof err) == -1);
	CHECK(strcmp(err, "a training step needs labels") == 0);
	b->destroy(ctx);
}

/*
 * The device setting: cpu always works; without a usable GPU (no module,
 * or no device) cuda is an error with the reason and auto falls back to
 * the CPU with the same reason.
 */
TEST(backend_for_device_setting)
{
	char		why[512] = "x";
	const DcrnnBackend *b;

	b = dcrnn_backend_for(DCRNN_DEVICE_CPU, "build/no-such-module.so", why, sizeof why);
	CHECK(b == dcrnn_backend_cpu() && why[0] == '\0');
	b = dcrnn_backend_for(DCRNN_DEVICE_CUDA, "build/no-such-module.so", why, sizeof why);
	CHECK(b == NULL);
	CHECK(strncmp(why, "cannot open the CUDA module: ", 29) == 0);

	/* the real module where it is built; this machine may have a GPU */
	FILE	   *f = fopen("informer_cuda.so", "rb");

	if (!f)
		SKIP("informer_cuda.so is not built (no nvcc, or USE_CUDA=0)");
	fclose(f);
	b = dcrnn_backend_for(DCRNN_DEVICE_AUTO, "./informer_cuda.so", why, sizeof why);
	REQUIRE(b != NULL);
	if (strcmp(b->name, "cuda") == 0)
		SKIP("a CUDA device is present: the fallback is not exercised");
	CHECK(b == dcrnn_backend_cpu());
	CHECK(strncmp(why, "no usable CUDA device: ", 23) == 0);
	b = dcrnn_backend_for(DCRNN_DEVICE_CUDA, "./informer_cuda.so", why, sizeof why);
	CHECK(b == NULL && strncmp(why, "no usable CUDA device: ", 23) == 0);
}
