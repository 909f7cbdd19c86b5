/*
 * test_train_lockstep.c -- several models trained together on one backend
 * context (train_group_run_on): each model ends as it would trained alone
 * with train_run_on (bit for bit when the graphs have equal sizes, within
 * float rounding when smaller graphs are padded), early stopping and
 * divergence are per model, progress reports the means over the models
 * still training, and groups of unequal shapes are refused.  Where a GPU
 * is usable, a padded group on the CUDA backend follows the CPU one.
 */
#include "unit.h"
#include "unit_cuda.h"
#include "backend.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>

#define LT 110					/* buckets */
#define LK 4					/* models in the tests' groups */
#define LE 12					/* epochs at most */

/* Traffic of n RPCs with a phase and level of its own per seed. */
static void
lock_series(Series *s, int n, int seed, int buckets)
{
	double	   *c = malloc(sizeof(double) * buckets * n);
	char		err[200];

	for (int t = 0; t < buckets; t++)
		for (int v = 0; v < n; v++)
			c[t * n + v] = floor(20 + 3 * seed + 11 * sin(0.35 * t + seed + 1.7 * v) +
								 (t * (seed + 3) + v) % 4);
	if (series_init(s, c, buckets, n, 4, 2, 0.6, 0.2, err, sizeof err) < 0)
		unit_fail(__FILE__, __LINE__, err);
	free(c);
}

/* A model of n nodes: a ring plus one chord per node, both directions. */
static DcrnnModel *
lock_model(int n, int seed, int units)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	float	   *fw = calloc((size_t) n * n, sizeof(float));
	float	   *bw = calloc((size_t) n * n, sizeof(float));
	char		err[200];

	dcrnn_config_default(&cfg, n);
	cfg.units = units;
	cfg.layers = 2;
	cfg.history = 4;
	cfg.horizon = 2;
	cfg.batch = 8;
	m = dcrnn_create(&cfg, err, sizeof err);
	for (int v = 0; m && v < n; v++)
	{
		int			a = (v + 1) % n, b = (v * 3 + seed) % n;

		fw[v * n + a] += 0.5f;
		fw[v * n + b] += 0.5f;
		bw[a * n + v] += 0.5f;
		bw[b * n + v] += 0.5f;
	}
	if (m)
	{
		dcrnn_set_support(m, 0, fw);
		dcrnn_set_support(m, 1, bw);
	}
	free(fw);
	free(bw);
	return m;
}

static void
lock_options(TrainOptions *o)
{
	train_options_default(o);
	o->max_epochs = LE;
	o->batch = 8;
	o->lr = 0.02;
	o->n_milestones = 1;
	o->milestones[0] = 6;
	o->patience = 2;
	o->seed = 11;
}

/* Per-epoch losses of a run (a model alone, or a group's means). */
typedef struct LockCurve
{
	int			n;
	double		train[LE];
	double		val[LE];
	int			training[LE];
} LockCurve;

static void
lock_record(void *arg, const TrainProgress *p)
{
	LockCurve  *c = arg;

	if (c->n < LE)
	{
		c->train[c->n] = p->train_loss;
		c->val[c->n] = p->val_loss;
		c->training[c->n] = p->training;
		c->n++;
	}
}

typedef struct LockSet
{
	int			k;
	Series		s[LK];
	DcrnnModel *m[LK];
	const Series *sp[LK];
	TrainResult r[LK];
	LockCurve	curve[LK];
} LockSet;

static void
lock_set(LockSet *g, const int *nodes, int k)
{
	g->k = k;
	for (int i = 0; i < k; i++)
	{
		lock_series(&g->s[i], nodes[i], i, LT);
		g->sp[i] = &g->s[i];
		g->m[i] = lock_model(nodes[i], i, 5);
		if (!g->m[i])
			unit_fail(__FILE__, __LINE__, "model");
		memset(&g->curve[i], 0, sizeof g->curve[i]);
	}
}

static void
lock_free(LockSet *g)
{
	for (int i = 0; i < g->k; i++)
	{
		dcrnn_free(g->m[i]);
		series_free(&g->s[i]);
	}
}

/* Each model of g trained alone on the CPU, with its curve. */
static void
train_alone(LockSet *g, TrainOptions o)
{
	char		err[256];

	for (int i = 0; i < g->k; i++)
	{
		o.progress = lock_record;
		o.progress_arg = &g->curve[i];
		if (train_run(g->m[i], g->sp[i], &o, &g->r[i], err, sizeof err) != 0)
			unit_fail(__FILE__, __LINE__, err);
	}
}

static void
train_together(LockSet *g, const DcrnnBackend *be, TrainOptions o, LockCurve *curve)
{
	char		err[256];

	o.progress = lock_record;
	o.progress_arg = curve;
	if (train_group_run_on(be, g->m, g->sp, g->k, &o, g->r, err, sizeof err) != 0)
		unit_fail(__FILE__, __LINE__, err);
}

/* max |a - b| / max |b| over n floats */
static double
rel_diff(const float *a, const float *b, size_t n)
{
	double		d = 0, scale = 0;

	for (size_t i = 0; i < n; i++)
	{
		d = fmax(d, fabs((double) a[i] - b[i]));
		scale = fmax(scale, fabs((double) b[i]));
	}
	return scale > 0 ? d / scale : d;
}

/*
 * Compares a group's results and weights with the models trained alone
 * (alone: their weights and results); tol 0 asks for equal bits.
 */
static void
check_as_alone(const LockSet *g, float *const *alone_params, const TrainResult *alone,
			   double tol)
{
	for (int i = 0; i < g->k; i++)
	{
		const TrainResult *a = &alone[i], *b = &g->r[i];
		double		d = rel_diff(g->m[i]->params, alone_params[i], g->m[i]->n_params);

		printf("    model %d (%d nodes): epochs %d, best %d, stop %d, weights differ by %.2g\n",
			   i, g->m[i]->cfg.num_nodes, b->epochs, b->best_epoch, (int) b->stop, d);
		CHECK(a->stop == b->stop && a->epochs == b->epochs && a->best_epoch == b->best_epoch);
		CHECK(a->batches_seen == b->batches_seen);
		CHECK(a->cl_decay_steps == b->cl_decay_steps);
		if (tol == 0)
		{
			CHECK(a->best_loss == b->best_loss);
			CHECK(memcmp(g->m[i]->params, alone_params[i],
						 g->m[i]->n_params * sizeof(float)) == 0);
		}
		else
		{
			CHECK_CLOSE(b->best_loss, a->best_loss, tol, 0);
			CHECK(d <= tol);
		}
	}
}

static float *
copy_params(const DcrnnModel *m)
{
	float	   *p = malloc(m->n_params * sizeof(float));

	memcpy(p, m->params, m->n_params * sizeof(float));
	return p;
}

/* Trains g alone, then together on be; checks each against alone. */
static void
alone_then_together(LockSet *g, const DcrnnBackend *be, double tol, LockCurve *group)
{
	TrainOptions o;
	TrainResult alone[LK];
	float	   *params[LK];

	lock_options(&o);
	train_alone(g, o);
	for (int i = 0; i < g->k; i++)
	{
		alone[i] = g->r[i];
		params[i] = copy_params(g->m[i]);
		dcrnn_init_params(g->m[i], 99);	/* the group must start afresh */
	}
	train_together(g, be, o, group);
	check_as_alone(g, params, alone, tol);
	for (int i = 0; i < g->k; i++)
		free(params[i]);
}

TEST(train_group_of_equal_graphs_equals_training_alone_bit_for_bit)
{
	static const int nodes[] = {6, 6, 6};
	LockSet		g;
	LockCurve	group = {0};

	lock_set(&g, nodes, 3);
	alone_then_together(&g, dcrnn_backend_cpu(), 0, &group);
	lock_free(&g);
}

/*
 * Graphs of 7, 5, 3 and 2 nodes padded to 7: each model's weights and
 * losses as alone within float rounding (float32 sums of other lengths);
 * the group's curve is the mean over the models that trained in each
 * epoch, its count of models training follows their early stops.
 */
TEST(train_group_pads_smaller_graphs_to_the_largest)
{
	static const int nodes[] = {7, 5, 3, 2};
	LockSet		g;
	LockCurve	group = {0};
	int			stops_differ = 0;

	lock_set(&g, nodes, LK);
	alone_then_together(&g, dcrnn_backend_cpu(), 1e-5, &group);
	for (int e = 0; e < group.n; e++)
	{
		double		train = 0, val = 0;
		int			ran = 0, left = 0;

		for (int i = 0; i < LK; i++)
		{
			if (g.r[i].epochs > e)
			{
				ran++;
				train += g.curve[i].train[e];
				val += g.curve[i].val[e];
			}
			left += g.r[i].epochs > e + 1 ||
				(g.r[i].epochs == e + 1 && g.r[i].stop == TRAIN_MAX_EPOCHS);
		}
		CHECK_CLOSE(group.train[e], train / ran, 1e-4, 0);
		CHECK_CLOSE(group.val[e], val / ran, 1e-4, 0);
		CHECK(group.training[e] == left);
	}
	for (int i = 1; i < LK; i++)
		stops_differ |= g.r[i].epochs != g.r[0].epochs;
	CHECK(stops_differ);		/* early stopping acted per model */
	lock_free(&g);
}

/* ---- a CPU backend whose model 1 stops having a finite loss at step nan_step ---- */

static int	nan_step;
static int	steps;

static int
nan_train_step(DcrnnBackendCtx *c, const float *x, int b, const float *y,
			   const unsigned char *t, const DcrnnStepOptions *o, double *loss,
			   double *norms, char *err, size_t errlen)
{
	if (dcrnn_backend_cpu()->train_step(c, x, b, y, t, o, loss, norms, err, errlen) < 0)
		return -1;
	if (++steps >= nan_step)
		loss[1] = NAN;
	return 0;
}

TEST(train_group_divergence_stops_only_that_model)
{
	static const int nodes[] = {5, 4, 3};
	DcrnnBackend nb = *dcrnn_backend_cpu();
	LockSet		g;
	LockCurve	clean = {0}, sick = {0};
	TrainOptions o;
	TrainResult healthy[3];
	float	   *params[3];

	nb.train_step = nan_train_step;
	lock_set(&g, nodes, 3);
	lock_options(&o);
	nan_step = 1 << 30;
	train_together(&g, &nb, o, &clean);
	for (int i = 0; i < 3; i++)
	{
		healthy[i] = g.r[i];
		params[i] = copy_params(g.m[i]);
	}
	/* the loss of model 1 is NaN from the first step of epoch 3 on */
	steps = 0;
	nan_step = 2 * ((g.s[0].n_train + o.batch - 1) / o.batch) + 1;
	train_together(&g, &nb, o, &sick);
	CHECK(g.r[1].stop == TRAIN_DIVERGED && g.r[1].epochs == 3);
	CHECK(g.r[1].best_epoch >= 1 && g.r[1].best_epoch <= 2);
	for (int i = 0; i < 3; i += 2)
	{
		CHECK(g.r[i].stop == healthy[i].stop && g.r[i].epochs == healthy[i].epochs);
		CHECK(memcmp(g.m[i]->params, params[i], g.m[i]->n_params * sizeof(float)) == 0);
	}
	CHECK(sick.n >= 3 && clean.n >= 3 && sick.training[2] == clean.training[2] - 1);
	for (int i = 0; i < 3; i++)
		free(params[i]);
	lock_free(&g);
}

TEST(train_group_refuses_models_of_other_shapes)
{
	static const int nodes[] = {5, 4};
	LockSet		g;
	TrainOptions o;
	TrainResult r[2];
	Series		shorter;
	DcrnnModel *wide = lock_model(4, 1, 7);
	DcrnnModel *ms[2];
	const Series *ss[2];
	char		err[256];

	REQUIRE(wide);
	lock_set(&g, nodes, 2);
	lock_options(&o);
	ms[0] = g.m[0];
	ms[1] = wide;
	ss[0] = g.sp[0];
	ss[1] = g.sp[1];
	CHECK(train_group_run_on(dcrnn_backend_cpu(), ms, ss, 2, &o, r, err, sizeof err) == -1);
	CHECK(strstr(err, "may differ only in their numbers of nodes") != NULL);
	lock_series(&shorter, 4, 1, LT - 20);
	ms[1] = g.m[1];
	ss[1] = &shorter;
	CHECK(train_group_run_on(dcrnn_backend_cpu(), ms, ss, 2, &o, r, err, sizeof err) == -1);
	CHECK(strstr(err, "same training and validation windows") != NULL);
	CHECK(train_group_run_on(dcrnn_backend_cpu(), ms, ss, 0, &o, r, err, sizeof err) == -1);
	CHECK(strstr(err, "at least one model") != NULL);
	ss[1] = g.sp[0];			/* 5 nodes of series for a 4-node model */
	CHECK(train_group_run_on(dcrnn_backend_cpu(), ms, ss, 2, &o, r, err, sizeof err) == -1);
	CHECK(strstr(err, "do not match the series") != NULL);
	series_free(&shorter);
	dcrnn_free(wide);
	lock_free(&g);
}

/*
 * A padded group on the CUDA backend follows the same group on the CPU:
 * the same epochs and early stops, the group's losses per epoch within
 * 1e-3 (float32 with another summation order).  Skips without a device.
 */
TEST(train_group_cuda_follows_cpu)
{
	static const int nodes[] = {7, 5, 3, 2};
	char		why[512];
	const DcrnnBackend *gpu = unit_cuda_backend(why, sizeof why);

	if (!gpu)
		SKIP(why);				/* no module, or "no usable CUDA device: ..." */

	LockSet		g;
	LockCurve	cpu = {0}, cuda = {0};
	TrainOptions o;
	TrainResult on_cpu[LK];

	lock_set(&g, nodes, LK);
	lock_options(&o);
	train_together(&g, dcrnn_backend_cpu(), o, &cpu);
	memcpy(on_cpu, g.r, sizeof on_cpu);
	train_together(&g, gpu, o, &cuda);
	CHECK(cuda.n == cpu.n);
	for (int e = 0; e < cpu.n && e < cuda.n; e++)
	{
		CHECK_CLOSE(cuda.train[e], cpu.train[e], 1e-3, 0);
		CHECK_CLOSE(cuda.val[e], cpu.val[e], 1e-3, 0);
		CHECK(cuda.training[e] == cpu.training[e]);
	}
	for (int i = 0; i < LK; i++)
		CHECK(g.r[i].epochs == on_cpu[i].epochs && g.r[i].best_epoch == on_cpu[i].best_epoch);
	lock_free(&g);
}
