/*
 * export.c -- build/torch_export DIR [NODES BATCH STEPS]: runs the C DCRNN
 * with the PyTorch baseline's settings (bench/dcrnn_torch.py: U = 64, L = 2,
 * K = 2, two supports, history 12, horizon 5, plain MAE, Adam lr 0.01
 * eps 1e-3; clipping at MAX_NORM) for a few training steps and writes what
 * test/torch/check.py needs to run the same steps in PyTorch and compare:
 *
 *   meta.json          config, tensor table, losses and norms per step
 *   supports.f32       2 x N x N, the matrices S applied as S x
 *   params.f32         the initial parameters (dcrnn.h buffer order)
 *   x.f32, labels.f32  per step (history|horizon, batch, N, 1)
 *   coins.u8           per step, horizon scheduled-sampling coins
 *   pred.f32           step 0's forecast
 *   grads.f32          step 0's gradients, before clipping
 *   params_after.f32   the parameters after the last step
 *
 * Floats are little-endian float32, as written by this machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcrnn.h"
#include "splitmix.h"

/*
 * The baseline clips at 5, which an MAE gradient (|dL/dpred| = 1/n per
 * element) never comes near; the check clips lower, so that some of its
 * steps are clipped and some are not.
 */
#define MAX_NORM 0.05

typedef struct Export
{
	const char *dir;
	DcrnnModel *m;
	DcrnnAdam	adam;
	int			batch;
	int			steps;
	size_t		nx;				/* floats of one step's x */
	size_t		ny;				/* floats of one step's labels */
	float	   *x;
	float	   *labels;
	unsigned char *coins;
	float	   *pred;
	float	   *dpred;
	double	   *loss;
	double	   *norm;
} Export;

static double
uniform(uint64_t *state)
{
	return (double) (splitmix64_next(state) >> 11) * 0x1.0p-53;
}

static int
write_file(const Export *e, const char *name, const void *p, size_t bytes)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof path, "%s/%s", e->dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0)
	{
		perror(path);
		return -1;
	}
	return 0;
}

/* Random sparse weights W; S0 = (D_out^-1 W)^T and S1 = (D_in^-1 W^T)^T,
 * the bidirectional random walks, each row of W kept non-empty. */
static void
make_supports(float *s, int n, uint64_t *rng)
{
	float	   *w = calloc((size_t) n * n, sizeof(float));

	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (i != j && (j == (i + 1) % n || uniform(rng) < 3.0 / n))
				w[i * n + j] = (float) (1 + uniform(rng));
	for (int i = 0; i < n; i++)
	{
		double		out = 0,
					in = 0;

		for (int j = 0; j < n; j++)
			out += w[i * n + j], in += w[j * n + i];
		for (int j = 0; j < n; j++)
		{
			s[j * n + i] = (float) (w[i * n + j] / out);
			s[n * n + j * n + i] = (float) (w[j * n + i] / in);
		}
	}
	free(w);
}

/* One step as the baseline trains: forward with coins, MAE, backward,
 * clipping, Adam. */
static void
train_step(Export *e, int step)
{
	static const float zero = 0,
				one = 1;
	const float *x = e->x + step * e->nx;
	const float *y = e->labels + step * e->ny;
	DcrnnModel *m = e->m;

	dcrnn_forward(m, x, e->batch, y, e->coins + step * m->cfg.horizon, e->pred);
	e->loss[step] = dcrnn_masked_mae(e->pred, y, e->ny, &zero, &one, 1, 0, e->dpred);
	dcrnn_backward(m, e->dpred);
	if (step == 0 && (write_file(e, "pred.f32", e->pred, e->ny * sizeof(float)) ||
					  write_file(e, "grads.f32", m->grads, m->n_params * sizeof(float))))
		exit(1);
	e->norm[step] = dcrnn_clip_grad_norm(m->grads, m->n_params, MAX_NORM);
	dcrnn_adam_step(&e->adam, m->params, m->grads, 0.01);
}

static void
write_meta(const Export *e)
{
	const DcrnnConfig *c = &e->m->cfg;
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof path, "%s/meta.json", e->dir);
	if (!(f = fopen(path, "w")))
	{
		perror(path);
		exit(1);
	}
	fprintf(f, "{\"nodes\": %d, \"units\": %d, \"layers\": %d, \"k\": %d, "
			"\"history\": %d, \"horizon\": %d, \"batch\": %d, \"steps\": %d, "
			"\"max_norm\": %g,\n", c->num_nodes, c->units, c->layers, c->max_diffusion,
			c->history, c->horizon, e->batch, e->steps, MAX_NORM);
	fprintf(f, " \"loss\": [");
	for (int i = 0; i < e->steps; i++)
		fprintf(f, "%s%.9g", i ? ", " : "", e->loss[i]);
	fprintf(f, "],\n \"norm\": [");
	for (int i = 0; i < e->steps; i++)
		fprintf(f, "%s%.9g", i ? ", " : "", e->norm[i]);
	fprintf(f, "],\n \"tensors\": [");
	for (int i = 0; i < e->m->n_tensors; i++)
	{
		const DcrnnTensor *t = &e->m->tensors[i];

		fprintf(f, "%s\n  {\"name\": \"%s\", \"offset\": %zu, \"rows\": %d, \"cols\": %d}",
				i ? "," : "", t->name, t->offset, t->rows, t->cols);
	}
	fprintf(f, "]}\n");
	if (fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

static void
fill_inputs(Export *e, uint64_t *rng)
{
	for (size_t i = 0; i < e->steps * e->nx; i++)
		e->x[i] = (float) (2 * uniform(rng) - 1);
	for (size_t i = 0; i < e->steps * e->ny; i++)
		e->labels[i] = (float) (2 * uniform(rng) - 1);
	for (int i = 0; i < e->steps * e->m->cfg.horizon; i++)
		e->coins[i] = uniform(rng) < 0.5;
}

/* The model, its supports and parameters, Adam, and every step's inputs;
 * 0, or -1 with a message on stderr. */
static int
setup(Export *e, int n)
{
	DcrnnConfig cfg;
	uint64_t	rng = 11;
	char		err[256];
	float	   *s;

	dcrnn_config_default(&cfg, n);
	cfg.batch = e->batch;
	if (e->steps < 1 || !(e->m = dcrnn_create(&cfg, err, sizeof err)))
	{
		fprintf(stderr, "%s\n", e->steps < 1 ? "STEPS must be at least 1" : err);
		return -1;
	}
	e->nx = (size_t) cfg.history * e->batch * n * cfg.input_dim;
	e->ny = (size_t) cfg.horizon * e->batch * n * cfg.output_dim;
	e->x = malloc(e->steps * e->nx * sizeof(float));
	e->labels = malloc(e->steps * e->ny * sizeof(float));
	e->coins = malloc((size_t) e->steps * cfg.horizon);
	e->pred = malloc(e->ny * sizeof(float));
	e->dpred = malloc(e->ny * sizeof(float));
	e->loss = malloc(e->steps * sizeof(double));
	e->norm = malloc(e->steps * sizeof(double));
	s = malloc(2 * (size_t) n * n * sizeof(float));
	if (!e->x || !e->labels || !e->coins || !e->pred || !e->dpred || !e->loss ||
		!e->norm || !s || dcrnn_adam_init(&e->adam, e->m->n_params) != 0)
	{
		fprintf(stderr, "out of memory\n");
		return -1;
	}
	make_supports(s, n, &rng);
	dcrnn_set_support(e->m, 0, s);
	dcrnn_set_support(e->m, 1, s + (size_t) n * n);
	dcrnn_init_params(e->m, 5);
	fill_inputs(e, &rng);
	if (write_file(e, "supports.f32", s, 2 * (size_t) n * n * sizeof(float)))
		return -1;
	free(s);
	return 0;
}

int
main(int argc, char **argv)
{
	Export		e = {0};
	int			n = argc > 2 ? atoi(argv[2]) : 7;
	size_t		np;

	if (argc < 2 || argc > 5)
	{
		fprintf(stderr, "usage: %s DIR [NODES BATCH STEPS]\n", argv[0]);
		return 2;
	}
	e.dir = argv[1];
	e.batch = argc > 3 ? atoi(argv[3]) : 3;
	e.steps = argc > 4 ? atoi(argv[4]) : 5;
	if (setup(&e, n) != 0)
		return 2;
	np = e.m->n_params;
	if (write_file(&e, "params.f32", e.m->params, np * sizeof(float)) ||
		write_file(&e, "x.f32", e.x, e.steps * e.nx * sizeof(float)) ||
		write_file(&e, "labels.f32", e.labels, e.steps * e.ny * sizeof(float)) ||
		write_file(&e, "coins.u8", e.coins, (size_t) e.steps * e.m->cfg.horizon))
		return 1;
	for (int i = 0; i < e.steps; i++)
		train_step(&e, i);
	if (write_file(&e, "params_after.f32", e.m->params, np * sizeof(float)))
		return 1;
	write_meta(&e);
	printf("# exported %d steps of N = %d, batch %d, %zu parameters to %s\n",
		   e.steps, n, e.batch, np, e.dir);
	return 0;
}
