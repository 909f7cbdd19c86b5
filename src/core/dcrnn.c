/*
 * dcrnn.c -- the DCRNN model object: configuration checks, the parameter
 * buffer and its named-tensor table, initialisation, and the supports with
 * the choice between the dense and the sparse diffusion kernel.  The
 * workspace that forward and backward use without allocating is
 * dcrnn_work.c's.
 */
#include "dcrnn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splitmix.h"

/* Keeps every GEMM dimension and index product inside int. */
#define DCRNN_MAX_GEMM_ELEMS 2147483647.0

void
dcrnn_config_default(DcrnnConfig *cfg, int num_nodes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->num_nodes = num_nodes;
	cfg->input_dim = 1;
	cfg->output_dim = 1;
	cfg->units = 64;
	cfg->layers = 2;
	cfg->max_diffusion = 2;
	cfg->num_supports = 2;
	cfg->history = 12;
	cfg->horizon = 5;
	cfg->batch = 64;
	cfg->diffusion = DCRNN_DIFFUSION_POWERS;
}

int
dcrnn_layer_input(const DcrnnConfig *cfg, int decoder, int layer)
{
	if (layer > 0)
		return cfg->units;
	return decoder ? cfg->output_dim : cfg->input_dim;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

int
dcrnn_n_terms(const DcrnnConfig *cfg)
{
	return 1 + cfg->num_supports * cfg->max_diffusion;
}

const char *
dcrnn_config_check(const DcrnnConfig *cfg)
{
	if (cfg->num_nodes < 1 || cfg->num_nodes > 1000000)
		return "num_nodes must be between 1 and 1000000";
	if (cfg->input_dim < 1 || cfg->input_dim > 64)
		return "input_dim must be between 1 and 64";
	if (cfg->output_dim < 1 || cfg->output_dim > 64)
		return "output_dim must be between 1 and 64";
	if (cfg->units < 1 || cfg->units > 4096)
		return "units must be between 1 and 4096";
	if (cfg->layers < 1 || cfg->layers > 16)
		return "layers must be between 1 and 16";
	if (cfg->max_diffusion < 0 || cfg->max_diffusion > DCRNN_MAX_DIFFUSION)
		return "max_diffusion must be between 0 and 8";
	if (cfg->num_supports < 1 || cfg->num_supports > DCRNN_MAX_SUPPORTS)
		return "num_supports must be 1 or 2";
	if (cfg->history < 1 || cfg->history > 10000)
		return "history must be between 1 and 10000";
	if (cfg->horizon < 1 || cfg->horizon > 10000)
		return "horizon must be between 1 and 10000";
	if (cfg->batch < 1 || cfg->batch > 1000000)
		return "batch must be between 1 and 1000000";
	if (cfg->diffusion != DCRNN_DIFFUSION_POWERS &&
		cfg->diffusion != DCRNN_DIFFUSION_REFERENCE)
		return "diffusion must be DCRNN_DIFFUSION_POWERS or DCRNN_DIFFUSION_REFERENCE";

	int			fmax = cfg->units + imax(cfg->units, imax(cfg->input_dim, cfg->output_dim));
	double		bn = (double) cfg->batch * cfg->num_nodes;

	if ((double) dcrnn_n_terms(cfg) * fmax * bn > DCRNN_MAX_GEMM_ELEMS ||
		(double) cfg->num_nodes * cfg->num_nodes > DCRNN_MAX_GEMM_ELEMS)
		return "num_nodes * batch * units is too large for one model";
	return NULL;
}

/* Visits every tensor in buffer order; returns the total float count. */
static size_t
walk_tensors(const DcrnnConfig *cfg, DcrnnTensor *out)
{
	static const char *const part[] = {"encoder", "decoder"};
	size_t		off = 0;
	int			i = 0;
	int			u = cfg->units;

#define ADD(r, c, ...) do { \
		if (out) { \
			snprintf(out[i].name, sizeof(out[i].name), __VA_ARGS__); \
			out[i].offset = off; out[i].rows = (r); out[i].cols = (c); } \
		off += (size_t) (r) * (c); i++; } while (0)

	for (int d = 0; d < 2; d++)
		for (int l = 0; l < cfg->layers; l++)
		{
			int			mf = dcrnn_n_terms(cfg) * (dcrnn_layer_input(cfg, d, l) + u);

			ADD(mf, 2 * u, "%s.%d.gate.weight", part[d], l);
			ADD(1, 2 * u, "%s.%d.gate.bias", part[d], l);
			ADD(mf, u, "%s.%d.cand.weight", part[d], l);
			ADD(1, u, "%s.%d.cand.bias", part[d], l);
		}
	ADD(cfg->output_dim, u, "projection.weight");
	ADD(1, cfg->output_dim, "projection.bias");
#undef ADD
	return off;
}

size_t
dcrnn_param_count(const DcrnnConfig *cfg)
{
	return dcrnn_config_check(cfg) ? 0 : walk_tensors(cfg, NULL);
}

int
dcrnn_tensor_count(const DcrnnConfig *cfg)
{
	return 8 * cfg->layers + 2;
}

size_t
dcrnn_memory_bytes(const DcrnnConfig *cfg)
{
	if (dcrnn_config_check(cfg))
		return 0;
	return sizeof(float) * (2 * walk_tensors(cfg, NULL) + dcrnn_work_floats(cfg) +
							(size_t) cfg->num_supports * cfg->num_nodes * cfg->num_nodes);
}

/*
 * The most nonzeros a support may have for the sparse kernel to beat the
 * dense GEMM, from timing both (docs/dcrnn.md, "Speed").
 */
static int
sparse_cap(int n)
{
	double		cap = (double) n * n / 6;

	return cap < n ? n : (int) cap;
}

/* The sparse kernel runs when every support is sparse enough for it. */
static void
use_sparse_if_cheaper(DcrnnModel *m)
{
	DcrnnWork  *w = m->work;

	w->sup.sparse = w->sparse;
	w->sup.sparse_t = w->sparse_t;
	for (int k = 0; k < m->cfg.num_supports; k++)
		if (w->sparse[k].nnz < 0)
			w->sup.sparse = w->sup.sparse_t = NULL;
}

/* Support k (n x n) and its transpose in compressed rows. */
static void
build_sparse(DcrnnWork *w, int k, const float *s, int n)
{
	sparse_support_build(&w->sparse[k], s, n, 0);
	sparse_support_build(&w->sparse_t[k], s, n, 1);
}

/* Room for supports sparse enough that the sparse kernel beats a GEMM. */
static int
alloc_sparse(DcrnnWork *w, int n)
{
	int			cap = sparse_cap(n);

	for (int k = 0; k < 2 * DCRNN_MAX_SUPPORTS; k++)
	{
		SparseSupport *sp = k < DCRNN_MAX_SUPPORTS ? &w->sparse[k] :
			&w->sparse_t[k - DCRNN_MAX_SUPPORTS];

		sp->cap = cap;
		sp->nnz = -1;
		sp->rowptr = calloc((size_t) n + 1, sizeof(int));
		sp->col = calloc(cap, sizeof(int));
		sp->val = calloc(cap, sizeof(float));
		if (!sp->rowptr || !sp->col || !sp->val)
			return -1;
	}
	return 0;
}

DcrnnModel *
dcrnn_create(const DcrnnConfig *cfg, char *err, size_t errlen)
{
	const char *bad = dcrnn_config_check(cfg);
	DcrnnModel *m;
	size_t		nn = (size_t) cfg->num_nodes * cfg->num_nodes;

	if (bad)
	{
		if (errlen > 0)
			snprintf(err, errlen, "%s", bad);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->cfg = *cfg;
	m->n_params = walk_tensors(cfg, NULL);
	m->n_tensors = dcrnn_tensor_count(cfg);
	m->tensors = calloc(m->n_tensors, sizeof(DcrnnTensor));
	m->params = calloc(m->n_params, sizeof(float));
	m->grads = calloc(m->n_params, sizeof(float));
	m->supports = calloc(cfg->num_supports * nn, sizeof(float));
	m->work = calloc(1, sizeof(DcrnnWork));
	if (!m->tensors || !m->params || !m->grads || !m->supports || !m->work)
		goto oom;
	walk_tensors(cfg, m->tensors);

	DcrnnWork  *w = m->work;

	w->teacher = calloc(cfg->horizon, 1);
	w->arena = calloc(dcrnn_work_floats(cfg), sizeof(float));
	if (!w->teacher || !w->arena || alloc_sparse(w, cfg->num_nodes) < 0 ||
		dcrnn_work_layout(m, 1) < 0)
		goto oom;
	diffusion_plan_build(&w->plan, cfg->max_diffusion, cfg->num_supports,
						 cfg->diffusion);
	w->sup.n = cfg->num_nodes;
	w->sup.dense = m->supports;
	for (int k = 0; k < cfg->num_supports; k++)
	{
		for (int i = 0; i < cfg->num_nodes; i++)
			m->supports[k * nn + (size_t) i * cfg->num_nodes + i] = 1.0f;
		build_sparse(w, k, m->supports + k * nn, cfg->num_nodes);
	}
	use_sparse_if_cheaper(m);
	return m;

oom:
	dcrnn_free(m);
	if (errlen > 0)
		snprintf(err, errlen, "out of memory: the model needs %zu bytes",
				 dcrnn_memory_bytes(cfg));
	return NULL;
}

static void
free_sparse(SparseSupport *sp)
{
	free(sp->rowptr);
	free(sp->col);
	free(sp->val);
}

void
dcrnn_free(DcrnnModel *m)
{
	if (!m)
		return;
	if (m->work)
	{
		dcrnn_work_free(m->work);
		free(m->work->teacher);
		free(m->work->arena);
		for (int k = 0; k < DCRNN_MAX_SUPPORTS; k++)
		{
			free_sparse(&m->work->sparse[k]);
			free_sparse(&m->work->sparse_t[k]);
		}
		free(m->work);
	}
	free(m->tensors);
	free(m->params);
	free(m->grads);
	free(m->supports);
	free(m);
}

const DcrnnTensor *
dcrnn_find_tensor(const DcrnnModel *m, const char *name)
{
	for (int i = 0; i < m->n_tensors; i++)
		if (strcmp(m->tensors[i].name, name) == 0)
			return &m->tensors[i];
	return NULL;
}

void
dcrnn_set_support(DcrnnModel *m, int k, const float *s)
{
	size_t		nn = (size_t) m->cfg.num_nodes * m->cfg.num_nodes;

	memcpy(m->supports + k * nn, s, nn * sizeof(float));
	build_sparse(m->work, k, s, m->cfg.num_nodes);
	use_sparse_if_cheaper(m);
}

/* uniform on (0, 1) from a splitmix64 stream, for weight initialisation */
static double
next_uniform(uint64_t *state)
{
	return ((splitmix64_next(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
next_normal(uint64_t *state)
{
	double		u1 = next_uniform(state);
	double		u2 = next_uniform(state);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void
dcrnn_init_params(DcrnnModel *m, uint64_t seed)
{
	uint64_t	state = seed;

	for (int i = 0; i < m->n_tensors; i++)
	{
		const DcrnnTensor *t = &m->tensors[i];
		float	   *p = m->params + t->offset;
		size_t		n = (size_t) t->rows * t->cols;
		int			is_bias = strstr(t->name, ".bias") != NULL;
		int			is_proj = strncmp(t->name, "projection", 10) == 0;

		for (size_t j = 0; j < n; j++)
		{
			if (is_proj)
			{
				double		bound = 1.0 / sqrt((double) m->cfg.units);

				p[j] = (float) ((2.0 * next_uniform(&state) - 1.0) * bound);
			}
			else if (is_bias)
				p[j] = strstr(t->name, ".gate.") ? 1.0f : 0.0f;
			else
				p[j] = (float) (next_normal(&state) *
								sqrt(2.0 / (t->rows + t->cols)));
		}
	}
}
