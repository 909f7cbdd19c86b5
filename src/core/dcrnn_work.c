/*
 * dcrnn_work.c -- the DCRNN's workspace: the arena of activations cut into
 * shards (shares of the batch that threads carry through forward and
 * backward side by side), each shard's cells and gradient buffer, and the
 * thread setting with the pool that runs the shards.
 *
 * Every buffer of a shard is proportional to its samples, so any number of
 * shards whose sizes add up to cfg.batch fits the arena made for one.
 */
#include "dcrnn_internal.h"

#include <stdlib.h>

#include "blas.h"

#define DCRNN_MAX_THREADS 64

static int	dcrnn_threads = 1;

void
dcrnn_set_threads(int n)
{
	dcrnn_threads = n < 1 ? 1 : n > DCRNN_MAX_THREADS ? DCRNN_MAX_THREADS : n;
	/* each shard's GEMMs run on its own thread: OpenBLAS must not add more */
	openblas_set_num_threads(1);
}

/* Floats of one shard of `batch` samples; lays it out when sh is not NULL. */
static size_t
layout_shard(const DcrnnConfig *cfg, int batch, DcrnnShard *sh, float *base)
{
	size_t		bn = (size_t) batch * cfg->num_nodes;
	size_t		ub = (size_t) cfg->units * bn;
	int			steps = cfg->history + cfg->horizon;
	int			fio = cfg->input_dim > cfg->output_dim ? cfg->input_dim : cfg->output_dim;
	int			fmax = (fio > cfg->units ? fio : cfg->units) + cfg->units;
	int			m = dcrnn_n_terms(cfg);
	size_t		off = 0;

#define TAKE(ptr, count) do { if (sh) (ptr) = base + off; off += (count); } while (0)

	for (int t = 0; t < steps; t++)
		for (int l = 0; l < cfg->layers; l++)
		{
			DcgruSaved *s = sh ? &sh->saved[t * cfg->layers + l] : NULL;
			size_t		terms = (size_t) m *
				(dcrnn_layer_input(cfg, t >= cfg->history, l) + cfg->units) * bn;

			TAKE(s->xg, terms);
			TAKE(s->xc, terms);
			TAKE(s->v, 2 * ub);
			TAKE(s->c, ub);
			TAKE(s->h, ub);
		}
	if (sh)
		sh->io_stride = fio * bn;
	TAKE(sh->inputs, steps * fio * bn);
	TAKE(sh->pred, (size_t) cfg->horizon * cfg->output_dim * bn);
	TAKE(sh->zeros, ub);
	TAKE(sh->dh, cfg->layers * ub);
	TAKE(sh->dh_next, ub);
	TAKE(sh->dfeed, fio * bn);
	TAKE(sh->dy, (size_t) cfg->output_dim * bn);
	TAKE(sh->dgate, 2 * ub);
	TAKE(sh->dcand, ub);
	TAKE(sh->dterms, (size_t) m * fmax * bn);
#undef TAKE
	return off;
}

size_t
dcrnn_work_floats(const DcrnnConfig *cfg)
{
	return layout_shard(cfg, cfg->batch, NULL, NULL);
}

/* Points a shard's cells into the parameters and its gradient buffer. */
static void
bind_cells(const DcrnnModel *m, DcrnnShard *sh)
{
	for (int c = 0; c < 2 * m->cfg.layers; c++)
	{
		DcgruCell  *cell = &sh->cells[c];
		const DcrnnTensor *t = &m->tensors[4 * c];

		cell->fin = dcrnn_layer_input(&m->cfg, c >= m->cfg.layers, c % m->cfg.layers);
		cell->wg = m->params + t[0].offset;
		cell->bg = m->params + t[1].offset;
		cell->wc = m->params + t[2].offset;
		cell->bc = m->params + t[3].offset;
		cell->dwg = sh->grads + t[0].offset;
		cell->dbg = sh->grads + t[1].offset;
		cell->dwc = sh->grads + t[2].offset;
		cell->dbc = sh->grads + t[3].offset;
	}
}

static void
free_layout(DcrnnWork *w)
{
	free(w->shards);
	free(w->cells);
	free(w->saved);
	free(w->shard_grads);
	w->shards = NULL;
	w->cells = NULL;
	w->saved = NULL;
	w->shard_grads = NULL;
	w->n_shards = 0;
}

int
dcrnn_work_layout(DcrnnModel *m, int shards)
{
	const DcrnnConfig *cfg = &m->cfg;
	DcrnnWork  *w = m->work;
	DcrnnWork	new = {0};
	size_t		steps = (size_t) (cfg->history + cfg->horizon) * cfg->layers;
	float	   *base = w->arena;

	new.shards = calloc(shards, sizeof(DcrnnShard));
	new.cells = calloc((size_t) shards * 2 * cfg->layers, sizeof(DcgruCell));
	new.saved = calloc(shards * steps, sizeof(DcgruSaved));
	if (shards > 1)
		new.shard_grads = malloc((shards - 1) * m->n_params * sizeof(float));
	if (!new.shards || !new.cells || !new.saved || (shards > 1 && !new.shard_grads))
	{
		free_layout(&new);
		return -1;
	}
	free_layout(w);
	w->batch = 0;				/* no forward to go back through */
	w->n_shards = shards;
	w->shards = new.shards;
	w->cells = new.cells;
	w->saved = new.saved;
	w->shard_grads = new.shard_grads;
	for (int s = 0; s < shards; s++)
	{
		DcrnnShard *sh = &w->shards[s];

		sh->cells = w->cells + (size_t) s * 2 * cfg->layers;
		sh->saved = w->saved + s * steps;
		sh->grads = s == 0 ? m->grads : w->shard_grads + (s - 1) * m->n_params;
		bind_cells(m, sh);
		base += layout_shard(cfg, cfg->batch / shards + (s < cfg->batch % shards),
							 sh, base);
	}
	return 0;
}

int
dcrnn_work_shards(DcrnnModel *m)
{
	DcrnnWork  *w = m->work;
	int			want = dcrnn_threads < m->cfg.batch ? dcrnn_threads : m->cfg.batch;

	/* short of memory for more shards, the current ones do */
	if (want != w->n_shards)
		(void) dcrnn_work_layout(m, want);
	if (w->n_shards > 1 && task_pool_threads(w->pool) != w->n_shards)
	{
		/* short of threads, the caller runs the shards one by one */
		task_pool_free(w->pool);
		w->pool = task_pool_create(w->n_shards);
	}
	return w->n_shards;
}

void
dcrnn_work_free(DcrnnWork *w)
{
	task_pool_free(w->pool);
	free_layout(w);
}
