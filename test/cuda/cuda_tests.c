/*
 * cuda_tests.c -- build/cuda_tests [DATA_DIR [TEST...]]: the CUDA backend
 * against the CPU backend (backend.h) on random configurations: forward
 * outputs, every gradient, the gradient norms and clipped gradients, one
 * Adam step (parity); a short training run's loss curve (curve); graph
 * replay against eager launches (graphs); the loss's zero-target mask
 * (mask); the parity fixtures in DATA_DIR/dcrnn-parity (fixtures); clean
 * errors (errors).  TEST names run only those.
 *
 * Prints TAP-style lines.  Without a usable device every test prints
 * "ok - NAME # SKIP no CUDA device: REASON" and the exit status is 0.
 *
 * Tolerances (max |gpu - cpu| over the array / max |cpu|): the GPU sums
 * in another order than OpenBLAS, and the error grows through the
 * recurrence, so forward outputs get FWD_TOL and gradients GRAD_TOL.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "informer_cuda.h"
#include "parity.h"

#define FWD_TOL 1e-4
#define GRAD_TOL 5e-4
#define CURVE_TOL 1e-3
#define N_MODELS 3

static int failures;

static const char *const test_names[] = {
	"forward, gradients, clipping and Adam equal the CPU backend on random configurations",
	"a short training run's loss curve equals the CPU backend's",
	"a captured CUDA graph gives the same step as eager launches",
	"mask_zero_targets leaves out the targets the CPU leaves out",
	"parity fixtures (dcrnn-parity) on the GPU",
	"errors: out of GPU memory, too many models, bad batch, backward before forward, bad model, NaN norm",
};

static double
urand(uint64_t *s)
{
	uint64_t	z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (double) (z >> 11) / 9007199254740992.0;
}

static void
fill(float *a, size_t n, double scale, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (float) ((2.0 * urand(s) - 1.0) * scale);
}

static int
check(const char *what, const float *got, const float *want, size_t n, double tol)
{
	double		rel = parity_max_rel_err(got, want, n);
	int			bad = !(rel <= tol);

	printf("%s - %s (%zu values, max rel err %.2e, tol %.0e)\n",
		   bad ? "not ok" : "ok", what, n, rel, tol);
	failures += bad;
	return bad;
}

static void
expect(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	failures += !cond;
}

/*
 * A random weighted graph's random-walk matrix (zero rows kept zero), with
 * about `edges` edges per node: 3 takes the GPU's sparse (ELL) diffusion,
 * more than 32 its dense one.
 */
static void
random_support(int n, double edges, uint64_t *s, float *out)
{
	for (int i = 0; i < n; i++)
	{
		double		sum = 0.0;

		for (int j = 0; j < n; j++)
		{
			float		w = urand(s) < edges / n ? (float) (0.5 + urand(s)) : 0.0f;

			out[(size_t) i * n + j] = w;
			sum += w;
		}
		for (int j = 0; sum > 0.0 && j < n; j++)
			out[(size_t) i * n + j] = (float) (out[(size_t) i * n + j] / sum);
	}
}

/* Both backends' contexts holding the same N_MODELS random models. */
typedef struct Pair
{
	const DcrnnBackend *b[2];	/* cpu, cuda */
	DcrnnBackendCtx *ctx[2];
	DcrnnConfig cfg;
	size_t		np;
} Pair;

static void
pair_free(Pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->ctx[i])
			p->b[i]->destroy(p->ctx[i]);
}

/*
 * first is the CPU backend; or with first_eager a GPU context without
 * graphs, and the second one must replay graphs (a failed capture fails)
 */
static int
pair_make(Pair *p, const DcrnnConfig *cfg, double edges, uint64_t seed, int first_eager)
{
	char		err[256];
	size_t		nn = (size_t) cfg->num_nodes * cfg->num_nodes;
	size_t		width = (size_t) cfg->num_nodes * cfg->output_dim;
	uint64_t	s = seed;

	memset(p, 0, sizeof(*p));
	p->b[0] = first_eager ? informer_cuda_backend() : dcrnn_backend_cpu();
	p->b[1] = informer_cuda_backend();
	p->cfg = *cfg;
	p->np = dcrnn_param_count(cfg);

	float	   *buf = malloc((p->np + nn + 2 * width) * sizeof(float));
	float	   *sup = buf + p->np, *mean = sup + nn, *std = mean + width;
	int			rc = buf ? 0 : -1;

	for (int i = 0; i < 2 && rc == 0; i++)
	{
		if (first_eager)		/* eager against graphs that must be used */
			setenv("INFORMER_CUDA_GRAPHS", i == 0 ? "0" : "1", 1);
		p->ctx[i] = p->b[i]->create(cfg, N_MODELS, err, sizeof err);
		unsetenv("INFORMER_CUDA_GRAPHS");
		if (!p->ctx[i])
		{
			printf("# %s create: %s\n", p->b[i]->name, err);
			rc = -1;
		}
	}
	for (int m = 0; m < N_MODELS && rc == 0; m++)
	{
		fill(buf, p->np, 0.3, &s);
		fill(mean, width, 2.0, &s);
		fill(std, width, 0.5, &s);
		for (size_t i = 0; i < width; i++)
			std[i] += 1.0f;
		for (int i = 0; i < 2 && rc == 0; i++)
			rc = p->b[i]->load_params(p->ctx[i], m, buf, err, sizeof err) |
				p->b[i]->set_scaler(p->ctx[i], m, mean, std, err, sizeof err);
		for (int k = 0; k < cfg->num_supports && rc == 0; k++)
		{
			random_support(cfg->num_nodes, edges, &s, sup);
			for (int i = 0; i < 2 && rc == 0; i++)
				rc = p->b[i]->set_support(p->ctx[i], m, k, sup, err, sizeof err);
		}
	}
	if (rc < 0)
		pair_free(p);
	free(buf);
	return rc;
}

/* Model m's params or grads of both backends into a and b. */
static void
fetch(Pair *p, int grads, float *a, float *b)
{
	char		err[256];

	for (int m = 0; m < N_MODELS; m++)
	{
		float	   *dst[2] = {a + m * p->np, b + m * p->np};

		for (int i = 0; i < 2; i++)
			if ((grads ? p->b[i]->store_grads : p->b[i]->store_params)
				(p->ctx[i], m, dst[i], err, sizeof err) < 0)
				printf("# %s: %s\n", p->b[i]->name, err);
	}
}

static void
parity_case(const DcrnnConfig *cfg, int batch, double edges, uint64_t seed)
{
	Pair		p;
	char		err[256], what[200], tag[120];
	size_t		nx = (size_t) N_MODELS * cfg->history * batch * cfg->num_nodes * cfg->input_dim;
	size_t		ny = (size_t) N_MODELS * cfg->horizon * batch * cfg->num_nodes * cfg->output_dim;
	uint64_t	s = seed ^ 0xABCDEF;
	unsigned char teacher[64];
	double		norms[2][N_MODELS];

	snprintf(tag, sizeof tag, "N=%d U=%d L=%d K=%d S=%d in=%d out=%d %s batch=%d edges=%g",
			 cfg->num_nodes, cfg->units, cfg->layers, cfg->max_diffusion,
			 cfg->num_supports, cfg->input_dim, cfg->output_dim,
			 cfg->diffusion ? "reference" : "powers", batch, edges);
	if (pair_make(&p, cfg, edges, seed, 0) < 0)
	{
		printf("not ok - %s: setup\n", tag);
		failures++;
		return;
	}
	float	   *x = malloc((nx + 6 * ny + 4 * N_MODELS * p.np) * sizeof(float));
	float	   *labels = x + nx, *pred[2] = {labels + ny, labels + 2 * ny};
	float	   *dpred = labels + 3 * ny;
	float	   *g[2] = {labels + 6 * ny, labels + 6 * ny + N_MODELS * p.np};

	fill(x, nx, 1.5, &s);
	fill(labels, ny, 1.5, &s);
	fill(dpred, ny, 0.1, &s);
	for (int j = 0; j < cfg->horizon; j++)
		teacher[j] = urand(&s) < 0.5;
	for (int i = 0; i < 2; i++)
		if (p.b[i]->forward(p.ctx[i], x, batch, labels, teacher, pred[i], err, sizeof err) < 0 ||
			p.b[i]->backward(p.ctx[i], dpred, err, sizeof err) < 0)
			printf("# %s: %s\n", p.b[i]->name, err);
	snprintf(what, sizeof what, "%s: forward output", tag);
	check(what, pred[1], pred[0], ny, FWD_TOL);
	fetch(&p, 1, g[0], g[1]);
	snprintf(what, sizeof what, "%s: gradients", tag);
	check(what, g[1], g[0], N_MODELS * p.np, GRAD_TOL);

	/* clip at half the smallest norm, so every model is clipped */
	double		limit = 1e30;

	for (int m = 0; m < N_MODELS; m++)
	{
		double		sq = 0.0;

		for (size_t i = 0; i < p.np; i++)
			sq += (double) g[0][m * p.np + i] * g[0][m * p.np + i];
		limit = fmin(limit, 0.5 * sqrt(sq));
	}
	for (int i = 0; i < 2; i++)
		p.b[i]->clip(p.ctx[i], limit, norms[i], err, sizeof err);
	float		fn[2][N_MODELS];

	for (int m = 0; m < N_MODELS; m++)
		for (int i = 0; i < 2; i++)
			fn[i][m] = (float) norms[i][m];
	snprintf(what, sizeof what, "%s: gradient norms", tag);
	check(what, fn[1], fn[0], N_MODELS, GRAD_TOL);
	fetch(&p, 1, g[0], g[1]);
	snprintf(what, sizeof what, "%s: clipped gradients", tag);
	check(what, g[1], g[0], N_MODELS * p.np, GRAD_TOL);

	int			mode = (int) (seed % 2);

	for (int i = 0; i < 2; i++)
		p.b[i]->adam_step(p.ctx[i], 0.01, mode, 1e-3, err, sizeof err);
	fetch(&p, 0, g[0], g[1]);
	snprintf(what, sizeof what, "%s: parameters after one Adam step (%s eps)", tag,
			 mode ? "TensorFlow" : "torch");
	check(what, g[1], g[0], N_MODELS * p.np, FWD_TOL);
	free(x);
	pair_free(&p);
}

static void
test_parity(void)
{
	/* edges per node: 3 sparse, 31 the widest sparse rows, 40 dense */
	static const int shapes[][11] = {
		/* N, U, L, K, S, in, out, mode, history, batch, edges */
		{5, 4, 2, 2, 2, 1, 1, 1, 3, 2, 3},
		{13, 8, 1, 1, 1, 2, 1, 0, 4, 3, 3},
		{40, 16, 2, 2, 2, 1, 1, 0, 6, 4, 40},
		{31, 12, 3, 3, 2, 2, 2, 1, 5, 1, 31},
		{9, 5, 2, 0, 1, 1, 1, 0, 3, 5, 3},
		{64, 32, 2, 2, 2, 1, 1, 0, 12, 2, 3},
		{48, 8, 2, 2, 2, 1, 1, 1, 4, 3, 48},
	};

	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
	{
		const int  *v = shapes[i];
		DcrnnConfig cfg;

		dcrnn_config_default(&cfg, v[0]);
		cfg.units = v[1];
		cfg.layers = v[2];
		cfg.max_diffusion = v[3];
		cfg.num_supports = v[4];
		cfg.input_dim = v[5];
		cfg.output_dim = v[6];
		cfg.diffusion = v[7];
		cfg.history = v[8];
		cfg.horizon = 1 + (int) i % 4;
		cfg.batch = v[9] + 2;
		parity_case(&cfg, v[9], v[10], 1000 + i);
	}
}

/* Sine waves with noise, windows cut as the data path does. */
static void
windows(const DcrnnConfig *cfg, int batch, int step, uint64_t *s, float *x, float *y)
{
	int			n = cfg->num_nodes;

	for (int m = 0; m < N_MODELS; m++)
		for (int t = 0; t < cfg->history + cfg->horizon; t++)
			for (int b = 0; b < batch; b++)
				for (int i = 0; i < n; i++)
				{
					double		v = sin(0.3 * (step * batch + b + t) + i + m) +
						0.1 * (urand(s) - 0.5);
					float	   *dst = t < cfg->history ?
						x + (((size_t) m * cfg->history + t) * batch + b) * n :
						y + (((size_t) m * cfg->horizon + t - cfg->history) * batch + b) * n;

					dst[i] = (float) v;
				}
}

/* steps training steps on both contexts of p. */
static int
train_curves(Pair *p, int steps, double loss[][2][N_MODELS])
{
	const DcrnnConfig *cfg = &p->cfg;
	int			batch = cfg->batch;
	size_t		nx = (size_t) N_MODELS * cfg->history * batch * cfg->num_nodes;
	size_t		ny = (size_t) N_MODELS * cfg->horizon * batch * cfg->num_nodes;
	float	   *x = malloc((nx + ny) * sizeof(float));
	DcrnnStepOptions o = {0.01, 5.0, DCRNN_ADAM_EPS_TORCH, 1e-3, 0};
	char		err[256];
	uint64_t	s = 99;
	int			rc = x ? 0 : -1;

	for (int step = 0; step < steps && rc == 0; step++)
	{
		unsigned char teacher[16];

		windows(cfg, batch, step, &s, x, x + nx);
		for (int j = 0; j < cfg->horizon; j++)
			teacher[j] = urand(&s) < 0.5;
		for (int i = 0; i < 2 && rc == 0; i++)
			if ((rc = p->b[i]->train_step(p->ctx[i], x, batch, x + nx, teacher, &o,
										  loss[step][i], NULL, err, sizeof err)) < 0)
				printf("# %s: %s\n", p->b[i]->name, err);
	}
	free(x);
	return rc;
}

#define CURVE_STEPS 40

static DcrnnConfig
curve_config(void)
{
	DcrnnConfig cfg;

	dcrnn_config_default(&cfg, 12);
	cfg.units = 16;
	cfg.history = 6;
	cfg.horizon = 3;
	cfg.batch = 8;
	return cfg;
}

static void
test_curve(void)
{
	DcrnnConfig cfg = curve_config();
	Pair		p;
	static double loss[CURVE_STEPS][2][N_MODELS];
	float		l[2][CURVE_STEPS * N_MODELS];

	if (pair_make(&p, &cfg, 3.0, 5, 0) < 0 || train_curves(&p, CURVE_STEPS, loss) < 0)
	{
		expect(0, "training loss curve: setup");
		return;
	}
	for (int t = 0; t < CURVE_STEPS; t++)
		for (int m = 0; m < N_MODELS; m++)
			for (int i = 0; i < 2; i++)
				l[i][t * N_MODELS + m] = (float) loss[t][i][m];
	check("training loss curve, 40 steps of 3 models", l[1], l[0],
		  CURVE_STEPS * N_MODELS, CURVE_TOL);
	for (int m = 0; m < N_MODELS; m++)
	{
		char		what[100];

		snprintf(what, sizeof what, "model %d's loss falls on the GPU (%.3f -> %.3f)", m,
				 loss[0][1][m], loss[CURVE_STEPS - 1][1][m]);
		expect(loss[CURVE_STEPS - 1][1][m] < 0.7 * loss[0][1][m], what);
	}
	pair_free(&p);
}

/* The same steps with graphs and with INFORMER_CUDA_GRAPHS=0: equal bits. */
static void
test_graphs(void)
{
	DcrnnConfig cfg = curve_config();
	Pair		p;
	static double loss[8][2][N_MODELS];

	if (pair_make(&p, &cfg, 3.0, 6, 1) < 0)
	{
		expect(0, "graph replay: setup");
		return;
	}
	int			same = train_curves(&p, 8, loss) == 0;

	for (int t = 0; t < 8; t++)
		for (int m = 0; m < N_MODELS; m++)
			same &= loss[t][0][m] == loss[t][1][m];
	expect(same, "8 training steps (the first eager, then replayed from a CUDA graph) "
		   "equal eager launches bit for bit");
	pair_free(&p);
}

/*
 * One step with mask_zero_targets: every other target de-normalises to
 * exactly 0 on the CPU (-mean / std, rounded), the others are random.  A
 * GPU that rounded the de-normalisation differently would keep some of
 * them, and its loss would move by their errors.
 */
static void
test_mask(void)
{
	DcrnnConfig cfg = curve_config();
	size_t		width = (size_t) cfg.num_nodes * cfg.output_dim;
	size_t		nx = (size_t) N_MODELS * cfg.history * cfg.batch * cfg.num_nodes;
	size_t		ny = (size_t) N_MODELS * cfg.horizon * cfg.batch * width;
	DcrnnStepOptions o = {0.01, 5.0, DCRNN_ADAM_EPS_TORCH, 1e-3, 1};
	unsigned char teacher[16] = {0};
	float	   *x = malloc((nx + ny + 2 * width) * sizeof(float));
	float	   *y = x + nx, *mean = y + ny, *std = mean + width;
	float		loss[2][N_MODELS];
	double		l[N_MODELS];
	char		err[256];
	uint64_t	s = 77;
	Pair		p;

	if (!x || pair_make(&p, &cfg, 3.0, 8, 0) < 0)
	{
		expect(0, "zero-target mask: setup");
		free(x);
		return;
	}
	fill(x, nx, 1.5, &s);
	fill(mean, width, 3.0, &s);
	fill(std, width, 1.0, &s);
	for (size_t i = 0; i < width; i++)
		std[i] += 1.5f;
	for (size_t i = 0; i < ny; i++)
		y[i] = i % 2 ? (float) (2.0 * urand(&s) - 1.0) : -mean[i % width] / std[i % width];
	for (int i = 0; i < 2; i++)
	{
		for (int m = 0; m < N_MODELS; m++)
			p.b[i]->set_scaler(p.ctx[i], m, mean, std, err, sizeof err);
		if (p.b[i]->train_step(p.ctx[i], x, cfg.batch, y, teacher, &o, l, NULL, err,
							   sizeof err) < 0)
			printf("# %s: %s\n", p.b[i]->name, err);
		for (int m = 0; m < N_MODELS; m++)
			loss[i][m] = (float) l[m];
	}
	check("loss of a step with mask_zero_targets, 3 models", loss[1], loss[0], N_MODELS,
		  FWD_TOL);
	free(x);
	pair_free(&p);
}

static void
test_fixtures(const char *data)
{
	static const char *const dirs[] = {"tiny_f32", "tiny_f64"};

	for (int i = 0; i < 2; i++)
	{
		char		path[1024];

		snprintf(path, sizeof path, "%s/dcrnn-parity/%s", data, dirs[i]);
		printf("# %s\n", path);
		int			rc = parity_run_backend(path, informer_cuda_backend(), stdout);

		if (rc < 0)
			expect(0, "parity fixture readable");
		failures += rc > 0 ? rc : 0;
	}
}

static void
test_errors(void)
{
	const DcrnnBackend *b = informer_cuda_backend();
	DcrnnConfig cfg;
	char		err[256] = "";
	float		dummy[64] = {0};

	dcrnn_config_default(&cfg, 207);
	/* 2.2 GB each: 20000 models (within the 65535 a context takes) fit no GPU */
	DcrnnBackendCtx *ctx = b->create(&cfg, 20000, err, sizeof err);

	printf("# %s\n", err);
	expect(!ctx && strncmp(err, "out of GPU memory: 20000 models need", 36) == 0,
		   "20000 models of N = 207 give an out-of-memory error with the numbers");
	if (ctx)
		b->destroy(ctx);
	ctx = b->create(&cfg, 100000, err, sizeof err);
	expect(!ctx && strcmp(err, "n_models must be between 1 and 65535") == 0,
		   "100000 models in one context are refused (a launch's grid.y is 65535 at most)");
	if (ctx)
		b->destroy(ctx);

	cfg = curve_config();
	ctx = b->create(&cfg, 1, err, sizeof err);
	expect(ctx != NULL, "a context is created after an out-of-memory failure");
	if (!ctx)
		return;
	expect(b->backward(ctx, dummy, err, sizeof err) < 0 &&
		   strcmp(err, "backward called before any forward") == 0,
		   "backward before forward is refused");
	expect(b->forward(ctx, dummy, 0, NULL, NULL, dummy, err, sizeof err) < 0 &&
		   strcmp(err, "batch 0 is not in 1..8") == 0, "batch 0 is refused");
	expect(b->load_params(ctx, 1, dummy, err, sizeof err) < 0 &&
		   strcmp(err, "model 1 is not in 0..0") == 0, "a bad model index is refused");
	expect(b->clip(ctx, NAN, NULL, err, sizeof err) < 0 &&
		   strcmp(err, "max_grad_norm must be a positive finite number") == 0,
		   "a NaN clipping norm is refused");
	b->destroy(ctx);
}

static const char *data_dir;

static void
test_fixtures_here(void)
{
	if (data_dir)
		test_fixtures(data_dir);
	else
		expect(0, "parity fixtures: give DATA_DIR or set INFORMER_DATA");
}

/* The tests in order: a short name (to choose them), the function. */
static const struct
{
	const char *name;
	void		(*run) (void);
}			tests[] = {
	{"parity", test_parity},
	{"curve", test_curve},
	{"graphs", test_graphs},
	{"mask", test_mask},
	{"fixtures", test_fixtures_here},
	{"errors", test_errors},
};

static int
chosen(const char *name, int argc, char **argv)
{
	if (argc < 3)
		return 1;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	char		why[256] = "";
	int			n = (int) (sizeof tests / sizeof tests[0]);

	data_dir = argc > 1 && argv[1][0] ? argv[1] : getenv("INFORMER_DATA");
	if (informer_cuda_probe(why, sizeof why) < 1)
	{
		for (int i = 0; i < n; i++)
			printf("ok - %s # SKIP no CUDA device: %s\n", test_names[i], why);
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (chosen(tests[i].name, argc, argv))
		{
			printf("# %s\n", test_names[i]);
			tests[i].run();
		}
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}
