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

/* The supports s (two N x N) dense, or also in compressed rows. */
typedef struct TestSupports
{
	DiffusionSupports sup;
	SparseSupport sp[4];		/* S0, S1, then their transposes */
	int			rowptr[4][17];
	int			col[4][256];
	float		val[4][256];
} TestSupports;

static void
test_supports(TestSupports *t, const float *s, int n, int sparse)
{
	t->sup.n = n;
	t->sup.dense = s;
	t->sup.sparse = sparse ? t->sp : NULL;
	t->sup.sparse_t = sparse ? t->sp + 2 : NULL;
	for (int k = 0; k < 4 && sparse; k++)
	{
		t->sp[k].cap = 256;
		t->sp[k].rowptr = t->rowptr[k];
		t->sp[k].col = t->col[k];
		t->sp[k].val = t->val[k];
		sparse_support_build(&t->sp[k], s + (k % 2) * n * n, n, k >= 2);
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

/*
 * ring = 1 gives rings (node i collects from i - 1, resp. i + 1) with one
 * nonzero per row, which the model diffuses with its sparse kernel.
 */
static DcrnnModel *
small_model(int k, int mode, int ring, uint64_t seed)
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
		if (ring)
			for (int i = 0; i < 16; i++)
				s[i] = i % 4 == (i / 4 + (j ? 1 : 3)) % 4 ? 0.5f + 0.1f * (i / 4) : 0.0f;
		dcrnn_set_support(m, j, s);
	}
	return m;
}

/* Fills dir with the fixture's path; 0 when its manifest is not there. */
static int
fixture_dir(char *dir, size_t len, const char *name)
{
	char		manifest[1100];
	FILE	   *f;

	snprintf(dir, len, "%s/dcrnn-parity/%s", unit_data_dir, name);
	snprintf(manifest, sizeof manifest, "%s/manifest.json", dir);
	if ((f = fopen(manifest, "r")) == NULL)
		return 0;
	fclose(f);
	return 1;
}

TEST(dcrnn_parity_tiny_f32)
{
	char		dir[1024];

	if (!fixture_dir(dir, sizeof dir, "tiny_f32"))
		SKIP("dcrnn-parity fixtures not found (set INFORMER_DATA)");
	CHECK(parity_run(dir, NULL) == 0);
}

TEST(dcrnn_parity_refuses_missing_fixture)
{
	CHECK(parity_run("/nonexistent/fixture", NULL) == -1);
}

TEST(dcrnn_parity_tiny_f64)
{
	char		dir[1024];

	if (!fixture_dir(dir, sizeof dir, "tiny_f64"))
		SKIP("dcrnn-parity fixtures not found (set INFORMER_DATA)");
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

static double
central_difference(GradCase *g, size_t i, float h)
{
	float		p = g->m->params[i];

	g->m->params[i] = p + h;
	double		up = objective(g);

	g->m->params[i] = p - h;
	double		down = objective(g);

	g->m->params[i] = p;
	return (up - down) / (2.0 * h);
}

/*
 * Central differences of every parameter against dcrnn_backward, in float.
 * The objective (~1) carries rounding noise of ~1e-7, i.e. ~3e-5 in the
 * Richardson-extrapolated quotient from h = 1e-2 and 5e-3, whose truncation
 * error is O(h^4).  Each gradient must match to 2e-4 of the largest
 * gradient plus 1e-4 of its own size: the errors seen stay below a third of
 * that, while a wrong or missing term is of the gradient's own size (a 10%
 * error in one backward term fails by 40x).
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
		/* Richardson: (4 D(h/2) - D(h)) / 3 cancels the h^2 error term */
		double		fd = (4.0 * central_difference(g, i, h / 2) -
						  central_difference(g, i, h)) / 3.0;
		double		err = fabs(fd - analytic[i]) / (2e-4 * scale + 1e-4 * fabs(fd));

		if (err > worst)
			worst = err;
	}
	free(analytic);
	return worst;				/* <= 1 passes */
}

static double
check_case(int k, int mode, int ring, const unsigned char *coins, uint64_t seed)
{
	GradCase	g = {0};
	double		err = 1e9;

	g.m = small_model(k, mode, ring, seed);
	if (!g.m || (g.m->work->sup.sparse != NULL) != ring)
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
			double		a = check_case(k, mode, 0, free_running, 100 + k);
			double		b = check_case(k, mode, 0, mixed, 200 + k);
			double		c = check_case(k, mode, 1, mixed, 300 + k);

			printf("    K=%d %s: worst error / tolerance %.3f, %.3f, sparse %.3f\n",
				   k, mode ? "reference" : "powers", a, b, c);
			CHECK(a <= 1.0);
			CHECK(b <= 1.0);
			CHECK(c <= 1.0);
		}
}

/* y = S x for one signal over n nodes */
static void
matvec(const float *s, const float *x, int n, float *y)
{
	for (int i = 0; i < n; i++)
	{
		double		sum = 0.0;

		for (int j = 0; j < n; j++)
			sum += (double) s[i * n + j] * x[j];
		y[i] = (float) sum;
	}
}

/*
 * Terms of one feature of 3 samples over 5 nodes (node i of sample r at
 * i*R + r), K = 2, by hand-written formulas.
 */
TEST(dcrnn_diffusion_terms_match_formulas)
{
	enum {N = 5, R = 3, M = 5};
	float		s[2 * N * N], terms[M * R * N], want[M][N], tmp[N], x[N];
	uint64_t	seed = 9;
	DiffusionPlan plan;
	TestSupports ts;

	random_support(s, N, &seed);
	random_support(s + N * N, N, &seed);
	for (int mode = 0; mode < 4; mode++)
	{
		test_supports(&ts, s, N, mode / 2);	/* dense, then sparse kernel */
		diffusion_plan_build(&plan, 2, 2, mode % 2);
		REQUIRE(plan.n_terms == M);
		for (int i = 0; i < R * N; i++)
			terms[i] = frand(&seed);
		diffusion_forward(&plan, &ts.sup, 1, R, terms);
		for (int r = 0; r < R; r++)
		{
			const float *s0 = s, *s1 = s + N * N;

			for (int i = 0; i < N; i++)
				x[i] = terms[i * R + r];

			memcpy(want[0], x, sizeof want[0]);
			matvec(s0, x, N, want[1]);
			matvec(s0, want[1], N, want[2]);
			if (mode % 2 == DCRNN_DIFFUSION_POWERS)
			{
				matvec(s1, x, N, want[3]);	/* S1 x, S1^2 x */
				matvec(s1, want[3], N, want[4]);
			}
			else
			{
				/* [x, S0x, 2S0^2x - x, S1S0x, 2S1^2S0x - S0x] */
				for (int i = 0; i < N; i++)
					want[2][i] = 2 * want[2][i] - x[i];
				matvec(s1, want[1], N, want[3]);
				matvec(s1, want[3], N, tmp);
				for (int i = 0; i < N; i++)
					want[4][i] = 2 * tmp[i] - want[1][i];
			}
			for (int m = 0; m < M; m++)
				for (int i = 0; i < N; i++)
					CHECK_CLOSE(terms[m * R * N + i * R + r], want[m][i], 1e-5, 1e-6);
		}
	}
}

/* The backward pass is the adjoint: <dT, D x> = <D^T dT, x>, K = 3. */
TEST(dcrnn_diffusion_backward_is_adjoint)
{
	enum {N = 6, R = 4, M = 7};
	float		s[2 * N * N], fwd[M * R * N], back[M * R * N], x[R * N];
	uint64_t	seed = 11;
	DiffusionPlan plan;
	TestSupports ts;

	random_support(s, N, &seed);
	random_support(s + N * N, N, &seed);
	for (int mode = 0; mode < 4; mode++)
	{
		double		lhs = 0.0, rhs = 0.0;

		test_supports(&ts, s, N, mode / 2);	/* dense, then sparse kernel */
		diffusion_plan_build(&plan, 3, 2, mode % 2);
		for (int i = 0; i < R * N; i++)
			x[i] = fwd[i] = frand(&seed);
		diffusion_forward(&plan, &ts.sup, 2, R / 2, fwd);
		for (int i = 0; i < M * R * N; i++)
		{
			back[i] = frand(&seed);
			lhs += (double) back[i] * fwd[i];
		}
		diffusion_backward(&plan, &ts.sup, 2, R / 2, back);
		for (int i = 0; i < R * N; i++)
			rhs += (double) back[i] * x[i];
		CHECK_CLOSE(lhs, rhs, 1e-5, 1e-6);
	}
}

/* A batch gives each sample what it gets alone; gradients add up. */
TEST(dcrnn_batch_samples_are_independent)
{
	DcrnnModel *m = small_model(2, DCRNN_DIFFUSION_POWERS, 0, 5);
	uint64_t	seed = 3;
	enum {B = 2, NX = 3 * 4 * 2, NY = 3 * 4};	/* per sample */
	float		x[B * NX], pred[B * NY], one[NY], xs[NX], dpred[B * NY], dsum[2000];

	REQUIRE(m && m->n_params <= 2000);
	for (int i = 0; i < B * NX; i++)
		x[i] = frand(&seed);
	for (int i = 0; i < B * NY; i++)
		dpred[i] = frand(&seed);
	dcrnn_forward(m, x, B, NULL, NULL, pred);
	dcrnn_backward(m, dpred);
	memcpy(dsum, m->grads, m->n_params * sizeof(float));
	for (int b = 0; b < B; b++)
	{
		float		dp[NY];

		/* sample b alone: (history, 1, N, F) out of (history, B, N, F) */
		for (int t = 0; t < 3; t++)
			memcpy(xs + t * 8, x + (t * B + b) * 8, 8 * sizeof(float));
		for (int t = 0; t < 3; t++)
			memcpy(dp + t * 4, dpred + (t * B + b) * 4, 4 * sizeof(float));
		dcrnn_forward(m, xs, 1, NULL, NULL, one);
		for (int t = 0; t < 3; t++)
			for (int n = 0; n < 4; n++)
				CHECK_CLOSE(one[t * 4 + n], pred[(t * B + b) * 4 + n], 1e-5, 1e-6);
		dcrnn_backward(m, dp);
		for (size_t i = 0; i < m->n_params; i++)
			dsum[i] -= m->grads[i];
	}
	for (size_t i = 0; i < m->n_params; i++)
		CHECK_CLOSE(dsum[i], 0.0, 0.0, 1e-5);
	dcrnn_free(m);
}

TEST(dcrnn_masked_mae_hand_cases)
{
	/* mean 3, std 1.5: targets -2 -> 0 (a zero count), 0 -> 3, NaN */
	float		pred[4] = {-1.0f, 1.0f, 0.0f, 2.0f};
	float		target[4] = {-2.0f, 0.0f, NAN, 2.0f};
	float		mean = 3.0f, std = 1.5f, d[4];

	/* de-normalised errors 1.5, 1.5, (NaN left out), 0 */
	CHECK_CLOSE(dcrnn_masked_mae(pred, target, 4, &mean, &std, 1, 0, d), 1.0, 1e-7, 0);
	CHECK_CLOSE(d[0], 1.5 / 3, 1e-7, 0);
	CHECK_CLOSE(d[1], 1.5 / 3, 1e-7, 0);
	CHECK(d[2] == 0.0f && d[3] == 0.0f);	/* missing; sign(0) = 0 */
	/* the reference's mask also drops the target that is 0 calls */
	CHECK_CLOSE(dcrnn_masked_mae(pred, target, 4, &mean, &std, 1, 1, d), 0.75, 1e-7, 0);
	CHECK(d[0] == 0.0f);
	CHECK_CLOSE(d[1], 1.5 / 2, 1e-7, 0);
	/* nothing counts: 0, not NaN */
	CHECK(dcrnn_masked_mae(pred, target + 2, 1, &mean, &std, 1, 0, d) == 0.0);
	/* per-node statistics: element i uses mean[i % 2] */
	float		means[2] = {0.0f, 10.0f}, stds[2] = {1.0f, 2.0f};

	CHECK_CLOSE(dcrnn_masked_mae(pred, target, 2, means, stds, 2, 0, NULL),
				(1.0 + 2.0) / 2, 1e-7, 0);
}

TEST(dcrnn_clip_and_adam_hand_cases)
{
	float		g[2] = {3.0f, 4.0f};
	DcrnnAdam	a;
	float		p[1] = {1.0f}, grad[1] = {0.5f};

	CHECK_CLOSE(dcrnn_clip_grad_norm(g, 2, 10.0), 5.0, 1e-12, 0);
	CHECK(g[0] == 3.0f && g[1] == 4.0f);
	CHECK_CLOSE(dcrnn_clip_grad_norm(g, 2, 1.0), 5.0, 1e-12, 0);
	CHECK_CLOSE(g[0], 0.6 * 5 / (5 + 1e-6), 1e-7, 0);
	CHECK_CLOSE(g[1], 0.8 * 5 / (5 + 1e-6), 1e-7, 0);

	/* t = 1, g = 0.5, lr = 0.1: m = 0.05, v = 2.5e-4, 1-b1 = 0.1, 1-b2 = 1e-3 */
	REQUIRE(dcrnn_adam_init(&a, 1) == 0);
	dcrnn_adam_step(&a, p, grad, 0.1);
	CHECK_CLOSE(p[0], 1.0 - 0.05 / (0.5 + 1e-3), 1e-6, 0);	/* torch */
	dcrnn_adam_free(&a);
	REQUIRE(dcrnn_adam_init(&a, 1) == 0);
	a.eps_mode = DCRNN_ADAM_EPS_TF;
	p[0] = 1.0f;
	dcrnn_adam_step(&a, p, grad, 0.1);
	CHECK_CLOSE(p[0], 1.0 - 0.1 * sqrt(1e-3) / 0.1 * 0.05 / (sqrt(2.5e-4) + 1e-3), 1e-6, 0);
	dcrnn_adam_free(&a);
}

TEST(dcrnn_bad_configs_are_refused)
{
	DcrnnConfig cfg;
	char		err[128];
	int		   *fields[] = {&cfg.num_nodes, &cfg.input_dim, &cfg.output_dim,
		&cfg.units, &cfg.layers, &cfg.num_supports, &cfg.history, &cfg.horizon,
	&cfg.batch};

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
	{
		dcrnn_config_default(&cfg, 51);
		*fields[i] = 0;
		CHECK(dcrnn_config_check(&cfg) != NULL);
		CHECK(dcrnn_create(&cfg, err, sizeof err) == NULL);
		CHECK(strstr(err, "must be") != NULL);
		CHECK(dcrnn_param_count(&cfg) == 0);
	}
	dcrnn_config_default(&cfg, 51);
	cfg.max_diffusion = 9;
	CHECK(dcrnn_config_check(&cfg) != NULL);
	cfg.max_diffusion = -1;
	CHECK(dcrnn_config_check(&cfg) != NULL);
	dcrnn_config_default(&cfg, 51);
	cfg.diffusion = 7;
	CHECK(dcrnn_config_check(&cfg) != NULL);
	/* huge: refused by size, not by an overflowing allocation */
	dcrnn_config_default(&cfg, 1000000);
	CHECK(strstr(dcrnn_config_check(&cfg), "too large") != NULL);
}

TEST(dcrnn_default_sizes_by_hand)
{
	DcrnnConfig cfg;

	dcrnn_config_default(&cfg, 51);
	CHECK(cfg.layers == 2 && cfg.units == 64 && cfg.max_diffusion == 2 &&
		  cfg.history == 12 && cfg.horizon == 5);
	/* M = 5 terms; layer 0 F = 1 + 64, layer 1 F = 128; gates 128, cand 64 */
	size_t		l0 = 325 * 128 + 128 + 325 * 64 + 64;
	size_t		l1 = 640 * 128 + 128 + 640 * 64 + 64;

	CHECK(dcrnn_param_count(&cfg) == 2 * (l0 + l1) + 64 + 1);
	CHECK(dcrnn_tensor_count(&cfg) == 18);

	DcrnnModel *m = dcrnn_create(&cfg, NULL, 0);

	REQUIRE(m);
	const DcrnnTensor *t = dcrnn_find_tensor(m, "decoder.1.cand.weight");

	REQUIRE(t);
	CHECK(t->rows == 640 && t->cols == 64);
	CHECK(dcrnn_find_tensor(m, "projection.bias")->offset + 1 == m->n_params);
	CHECK(dcrnn_find_tensor(m, "nope") == NULL);
	dcrnn_free(m);
}

TEST(dcrnn_init_is_seeded)
{
	DcrnnConfig cfg;
	DcrnnModel *a, *b;

	small_config(&cfg, 2, DCRNN_DIFFUSION_POWERS);
	a = dcrnn_create(&cfg, NULL, 0);
	b = dcrnn_create(&cfg, NULL, 0);
	REQUIRE(a && b);
	dcrnn_init_params(a, 17);
	dcrnn_init_params(b, 17);
	CHECK(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0);
	CHECK(a->params[dcrnn_find_tensor(a, "encoder.0.gate.bias")->offset] == 1.0f);
	CHECK(a->params[dcrnn_find_tensor(a, "encoder.0.cand.bias")->offset] == 0.0f);
	dcrnn_init_params(b, 18);
	CHECK(memcmp(a->params, b->params, a->n_params * sizeof(float)) != 0);
	dcrnn_free(a);
	dcrnn_free(b);
}

TEST(dcrnn_bad_calls_do_nothing)
{
	DcrnnModel *m = small_model(1, DCRNN_DIFFUSION_POWERS, 0, 1);
	float		x[3 * 3 * 4 * 2] = {0}, pred[3 * 3 * 4];

	REQUIRE(m);
	CHECK(dcrnn_backward(m, pred) == -1);	/* no forward yet */
	CHECK(dcrnn_forward(m, x, 0, NULL, NULL, pred) == -1);
	CHECK(dcrnn_forward(m, x, 3, NULL, NULL, pred) == -1);	/* cfg.batch = 2 */
	CHECK(dcrnn_backward(m, pred) == -1);
	CHECK(dcrnn_forward(m, x, 2, NULL, NULL, pred) == 0);
	CHECK(dcrnn_backward(m, pred) == 0);
	dcrnn_free(m);
}

/* The sparse kernels agree with the dense GEMMs, 3 features of 23 samples. */
TEST(dcrnn_sparse_diffusion_matches_dense)
{
	enum {N = 6, F = 3, B = 23, R = F * B, M = 5};
	static float d[2][M * R * N], b[2][M * R * N];
	float		s[2 * N * N];
	uint64_t	seed = 21;
	DiffusionPlan plan;
	TestSupports ts;

	random_support(s, N, &seed);
	random_support(s + N * N, N, &seed);
	diffusion_plan_build(&plan, 2, 2, DCRNN_DIFFUSION_REFERENCE);
	for (int i = 0; i < M * R * N; i++)
	{
		d[0][i] = d[1][i] = frand(&seed);
		b[0][i] = b[1][i] = frand(&seed);
	}
	for (int sparse = 0; sparse < 2; sparse++)
	{
		test_supports(&ts, s, N, sparse);
		diffusion_forward(&plan, &ts.sup, F, B, d[sparse]);
		diffusion_backward(&plan, &ts.sup, F, B, b[sparse]);
	}
	REQUIRE(ts.sp[0].nnz > 0);
	for (int i = 0; i < M * R * N; i++)
		CHECK_CLOSE(d[1][i], d[0][i], 1e-5, 1e-6);
	for (int i = 0; i < R * N; i++)	/* block 0 holds dL/dinput */
		CHECK_CLOSE(b[1][i], b[0][i], 1e-5, 1e-6);
}
