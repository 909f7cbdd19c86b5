/*
 * test_dcrnn.c -- the DCRNN model: parity with the reference fixtures,
 * gradients against central finite differences, diffusion terms against
 * brute-force matrix powers, batch independence, and bad configurations.
 */
#include "unit.h"
#include "dcrnn_internal.h"
#include "parity.h"

#include <stdlib.h>
#include <string.h>

static float
frand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float) ((*s >> 40) / 16777216.0) * 2.0f - 1.0f;	/* [-1, 1) */
}

/* A random-walk support of a random directed graph; node 0 has no edges. */
static void
random_support(float *s, int n, uint64_t *seed)
{
	for (int i = 0; i < n; i++)
	{
		double		sum = 0.0;

		for (int j = 0; j < n; j++)
		{
			float		w = frand(seed);

			s[i * n + j] = (i == 0 || w < -0.3f) ? 0.0f : w + 1.0f;
			sum += s[i * n + j];
		}
		for (int j = 0; j < n; j++)
			s[i * n + j] = sum > 0 ? (float) (s[i * n + j] / sum) : 0.0f;
	}
}

static void
small_config(DcrnnConfig *cfg, int k, int mode)
{
	dcrnn_config_default(cfg, 4);
	cfg->units = 3;
	cfg->input_dim = 2;
	cfg->history = 3;
	cfg->horizon = 3;
	cfg->batch = 2;
	cfg->max_diffusion = k;
	cfg->diffusion = mode;
}

static DcrnnModel *
small_model(int k, int mode, uint64_t seed)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	float		s[16];

	small_config(&cfg, k, mode);
	m = dcrnn_create(&cfg, NULL, 0);
	if (!m)
		return NULL;
	dcrnn_init_params(m, seed);
	for (size_t i = 0; i < m->n_params; i++)	/* biases off their constants */
		m->params[i] += 0.1f * frand(&seed);
	for (int j = 0; j < 2; j++)
	{
		random_support(s, 4, &seed);
		dcrnn_set_support(m, j, s);
	}
	return m;
}

TEST(dcrnn_parity_tiny_f32)
{
	char		dir[1024];

	snprintf(dir, sizeof dir, "%s/dcrnn-parity/tiny_f32", unit_data_dir);
	CHECK(parity_run(dir, NULL) == 0);
}

TEST(dcrnn_parity_tiny_f64)
{
	char		dir[1024];

	snprintf(dir, sizeof dir, "%s/dcrnn-parity/tiny_f64", unit_data_dir);
	CHECK(parity_run(dir, NULL) == 0);
}

/* Sizes of one small model's inputs and outputs. */
typedef struct GradCase
{
	DcrnnModel *m;
	size_t		nx, ny;
	float	   *x, *labels, *weights, *pred;
	const unsigned char *coins;
} GradCase;

/* The smooth objective sum(weights * pred), so differences stay exact. */
static double
objective(GradCase *g)
{
	double		sum = 0.0;

	dcrnn_forward(g->m, g->x, g->m->cfg.batch, g->labels, g->coins, g->pred);
	for (size_t i = 0; i < g->ny; i++)
		sum += (double) g->weights[i] * g->pred[i];
	return sum;
}

/*
 * Central differences of every parameter against dcrnn_backward, in float.
 * The objective (~1) carries rounding noise of ~1e-7, i.e. ~1e-5 in a
 * difference quotient with h = 1e-2, whose truncation error is ~h^2 f'''/6,
 * also ~1e-5.  Each gradient must match to 1e-4 of the largest gradient
 * plus 1e-4 of its own size: the errors seen are 5-25x below that, while a
 * wrong or missing term is of the gradient's own size.
 */
static double
gradient_error(GradCase *g)
{
	DcrnnModel *m = g->m;
	float	   *analytic = malloc(m->n_params * sizeof(float));
	double		worst = 0.0, scale = 0.0;
	const float h = 1e-2f;

	objective(g);
	dcrnn_backward(m, g->weights);
	memcpy(analytic, m->grads, m->n_params * sizeof(float));
	for (size_t i = 0; i < m->n_params; i++)
		if (fabs(analytic[i]) > scale)
			scale = fabs(analytic[i]);
	for (size_t i = 0; i < m->n_params; i++)
	{
		float		p = m->params[i];

		m->params[i] = p + h;
		double		up = objective(g);

		m->params[i] = p - h;
		double		down = objective(g);

		m->params[i] = p;
		double		fd = (up - down) / (2.0 * h);
		double		err = fabs(fd - analytic[i]) / (1e-4 * scale + 1e-4 * fabs(fd));

		if (err > worst)
			worst = err;
	}
	free(analytic);
	return worst;				/* <= 1 passes */
}

static double
check_case(int k, int mode, const unsigned char *coins, uint64_t seed)
{
	GradCase	g = {0};
	double		err = 1e9;

	g.m = small_model(k, mode, seed);
	if (!g.m)
		return err;
	g.nx = (size_t) 3 * 2 * 4 * 2;
	g.ny = (size_t) 3 * 2 * 4;
	g.x = malloc((g.nx + 3 * g.ny) * sizeof(float));
	g.labels = g.x + g.nx;
	g.weights = g.labels + g.ny;
	g.pred = g.weights + g.ny;
	g.coins = coins;
	for (size_t i = 0; i < g.nx; i++)
		g.x[i] = frand(&seed);
	for (size_t i = 0; i < g.ny; i++)
	{
		g.labels[i] = frand(&seed);
		g.weights[i] = frand(&seed);
	}
	err = gradient_error(&g);
	free(g.x);
	dcrnn_free(g.m);
	return err;
}

TEST(dcrnn_gradients_match_finite_differences)
{
	static const unsigned char free_running[3] = {0, 0, 0};
	static const unsigned char mixed[3] = {1, 0, 0};

	for (int mode = 0; mode < 2; mode++)
		for (int k = 1; k <= 3; k++)
		{
			double		a = check_case(k, mode, free_running, 100 + k);
			double		b = check_case(k, mode, mixed, 200 + k);

			printf("    K=%d %s: worst error / tolerance %.3f, %.3f\n", k,
				   mode ? "reference" : "powers", a, b);
			CHECK(a <= 1.0);
			CHECK(b <= 1.0);
		}
}
