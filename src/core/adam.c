/*
 * adam.c -- global-norm gradient clipping and the Adam optimiser, with
 * epsilon placed as torch does or as TensorFlow does (docs/dcrnn.md,
 * "Adam"); the reference's hyper-parameters are the defaults.
 */
#include "dcrnn.h"

#include <math.h>
#include <stdlib.h>

double
dcrnn_clip_grad_norm(float *g, size_t n, double max_norm)
{
	double		sq = 0.0;

	for (size_t i = 0; i < n; i++)
		sq += (double) g[i] * g[i];

	double		norm = sqrt(sq);
	double		scale = max_norm / (norm + 1e-6);

	if (scale < 1.0)
		for (size_t i = 0; i < n; i++)
			g[i] = (float) (g[i] * scale);
	return norm;
}

int
dcrnn_adam_init(DcrnnAdam *a, size_t n)
{
	a->beta1 = 0.9;
	a->beta2 = 0.999;
	a->eps = 1e-3;
	a->eps_mode = DCRNN_ADAM_EPS_TORCH;
	a->step = 0;
	a->n = n;
	a->m = calloc(n ? n : 1, sizeof(float));
	a->v = calloc(n ? n : 1, sizeof(float));
	if (!a->m || !a->v)
	{
		dcrnn_adam_free(a);
		return -1;
	}
	return 0;
}

void
dcrnn_adam_free(DcrnnAdam *a)
{
	free(a->m);
	free(a->v);
	a->m = a->v = NULL;
}

void
dcrnn_adam_step(DcrnnAdam *a, float *params, const float *grads, double lr)
{
	double		b1 = a->beta1;
	double		b2 = a->beta2;
	double		c1, c2;

	a->step++;
	c1 = 1.0 - pow(b1, (double) a->step);
	c2 = 1.0 - pow(b2, (double) a->step);
	for (size_t i = 0; i < a->n; i++)
	{
		double		g = grads[i];
		double		m = b1 * a->m[i] + (1.0 - b1) * g;
		double		v = b2 * a->v[i] + (1.0 - b2) * g * g;

		a->m[i] = (float) m;
		a->v[i] = (float) v;
		if (a->eps_mode == DCRNN_ADAM_EPS_TF)
			params[i] -= (float) (lr * sqrt(c2) / c1 * m / (sqrt(v) + a->eps));
		else
			params[i] -= (float) (lr / c1 * m / (sqrt(v) / sqrt(c2) + a->eps));
	}
}
