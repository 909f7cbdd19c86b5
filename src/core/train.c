/*
 * train.c -- the training loop of train.h: batches, the scheduled-sampling
 * coins, Adam with step decay and clipping, early stopping, run through a
 * DCRNN backend (backend.h) holding a group of models in lockstep (one
 * model is the group of one).
 *
 * Models of a group differ only in their graphs: smaller graphs are padded
 * to the largest with nodes that have no edges (zero rows and columns in
 * every support), no traffic (zero inputs and labels) and no loss (a NaN
 * scale, which the masked MAE leaves out).  No real node reads a padded
 * one, and a padded node's error never reaches the loss, so every model
 * gets the gradients it would get alone, up to float rounding.  They share
 * the seed, hence the initial weights, the shuffles and the coins.
 *
 * The driver keeps the data, the coins and the schedule on the host; the
 * backend does every step (forward, masked MAE, backward, clipping, Adam)
 * and the validation forwards, and hands back the best weights.  Every
 * buffer and the backend's context are allocated once before the first
 * epoch; the loop itself allocates nothing.  All randomness (initial
 * weights, shuffles, coins) comes from o->seed, and OpenBLAS gives the same
 * sums for the same thread count, so a seed fixes the model on the CPU.
 */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splitmix.h"

/* Share of a run's batches after which teacher forcing falls to 1/2. */
#define TRAIN_HALF_TEACHER_AT 0.4

typedef struct Trainer
{
	const DcrnnBackend *be;
	DcrnnBackendCtx *ctx;		/* k models, padded to n nodes */
	DcrnnModel *const *models;
	const Series *const *series;
	TrainResult *r;				/* k */
	int			k;
	int			n;				/* the largest N: every model's padded width */
	const Series *s;			/* series[0]: the shared windows and steps */
	const TrainOptions *o;
	int			batch;
	float	   *x;				/* k x (history, batch, n) */
	float	   *y;				/* k x (horizon, batch, n) */
	float	   *pred;
	float	   *one_x;			/* one model's unpadded batch */
	float	   *one_y;
	float	   *mean;			/* k x n, for the loss; padding: 0 and NaN */
	float	   *std;
	float	   *best;			/* k x n_params: best weights so far */
	double	   *loss;			/* k: the step's losses */
	double	   *sum;			/* k: the epoch's or validation's sums */
	int		   *wait;			/* k: epochs without a better loss */
	unsigned char *training;	/* k: not yet stopped, diverged or cancelled */
	int		   *order;			/* training windows, shuffled */
	int		   *val_windows;	/* validation windows, in order */
	unsigned char *teacher;		/* coins, one per decoder step */
	DcrnnStepOptions step;		/* lr set per epoch */
	uint64_t	rng;
	double		tau;
	long		batches_seen;
	char	   *err;
	size_t		errlen;
} Trainer;

void
train_options_default(TrainOptions *o)
{
	static const int milestones[] = {20, 30, 40, 50};

	memset(o, 0, sizeof *o);
	o->max_epochs = 100;
	o->batch = 64;
	o->lr = 0.01;
	o->lr_decay = 0.1;
	o->n_milestones = 4;
	memcpy(o->milestones, milestones, sizeof milestones);
	o->max_grad_norm = 5.0;
	o->patience = 10;
	o->curriculum = 1;
	o->adam_eps_mode = DCRNN_ADAM_EPS_TORCH;
	o->adam_eps = 1e-3;
	o->seed = 1;
}

double
train_lr_at(const TrainOptions *o, int epoch)
{
	double		lr = o->lr;

	for (int i = 0; i < o->n_milestones; i++)
		if (o->milestones[i] <= epoch)
			lr *= o->lr_decay;
	return lr;
}

double
train_scaled_decay(long total_batches)
{
	double		target = TRAIN_HALF_TEACHER_AT * (double) total_batches;
	double		lo = 1.0, hi = target + 2.0;

	/* tau ln tau grows on [1, inf): bisect for tau ln tau = target */
	if (target <= 0)
		return 1.0;
	for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (mid * log(mid) < target)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* uniform on [0, 1) from a splitmix64 stream, for shuffles and coins */
static double
next_uniform(uint64_t *state)
{
	return (double) (splitmix64_next(state) >> 11) * 0x1.0p-53;
}

static void
shuffle(int *v, int n, uint64_t *state)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) (splitmix64_next(state) % (uint64_t) (i + 1));
		int			t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static const char *
check_options(const DcrnnModel *m, const Series *s, const TrainOptions *o)
{
	const DcrnnConfig *c = &m->cfg;

	if (c->num_nodes != s->n_nodes || c->history != s->history ||
		c->horizon != s->horizon || c->input_dim != 1 || c->output_dim != 1)
		return "the model's nodes, history, horizon or feature counts do not match the series";
	if (o->batch < 1 || o->batch > c->batch)
		return "batch must be between 1 and the model's batch";
	if (o->max_epochs < 1 || o->patience < 1)
		return "max_epochs and patience must be positive";
	if (!(o->lr > 0 && isfinite(o->lr)) || !(o->lr_decay > 0 && o->lr_decay <= 1) ||
		!(o->max_grad_norm > 0 && isfinite(o->max_grad_norm)) ||
		!(o->adam_eps > 0 && isfinite(o->adam_eps)) ||
		!(o->cl_decay_steps >= 0 && isfinite(o->cl_decay_steps)))
		return "lr, lr_decay (at most 1), max_grad_norm, adam_eps must be positive and finite, cl_decay_steps finite and not negative";
	if (o->n_milestones < 0 || o->n_milestones > TRAIN_MAX_MILESTONES)
		return "there can be at most 8 milestones";
	if (o->adam_eps_mode != DCRNN_ADAM_EPS_TORCH && o->adam_eps_mode != DCRNN_ADAM_EPS_TF)
		return "adam_eps_mode must be DCRNN_ADAM_EPS_TORCH or DCRNN_ADAM_EPS_TF";
	return NULL;
}

/* Whether a and b differ in anything but their node counts. */
static int
other_shape(const DcrnnConfig *a, const DcrnnConfig *b)
{
	return a->input_dim != b->input_dim || a->output_dim != b->output_dim ||
		a->units != b->units || a->layers != b->layers ||
		a->max_diffusion != b->max_diffusion || a->num_supports != b->num_supports ||
		a->history != b->history || a->horizon != b->horizon ||
		a->batch != b->batch || a->diffusion != b->diffusion;
}

static const char *
check_group(DcrnnModel *const *models, const Series *const *series, int k,
			const TrainOptions *o)
{
	if (k < 1)
		return "a group needs at least one model";
	for (int i = 0; i < k; i++)
	{
		const char *bad = check_options(models[i], series[i], o);

		if (bad)
			return bad;
		if (other_shape(&models[i]->cfg, &models[0]->cfg))
			return "the models of a group may differ only in their numbers of nodes";
		if (models[i]->n_params != models[0]->n_params)
			return "the models of a group must have the same parameters";
		if (series[i]->n_train != series[0]->n_train || series[i]->n_val != series[0]->n_val)
			return "the series of a group must have the same training and validation windows";
	}
	return NULL;
}

static void
trainer_free(Trainer *t)
{
	if (t->ctx)
		t->be->destroy(t->ctx);
	free(t->x);
	free(t->y);
	free(t->pred);
	free(t->one_x);
	free(t->one_y);
	free(t->mean);
	free(t->std);
	free(t->best);
	free(t->loss);
	free(t->sum);
	free(t->wait);
	free(t->training);
	free(t->order);
	free(t->val_windows);
	free(t->teacher);
}

/* Each model's scaler, padded with nodes whose targets never count. */
static void
fill_scalers(Trainer *t)
{
	for (int i = 0; i < t->k; i++)
	{
		const Series *s = t->series[i];

		for (int v = 0; v < t->n; v++)
		{
			t->mean[(size_t) i * t->n + v] = v < s->n_nodes ? (float) s->mean[v] : 0.0f;
			t->std[(size_t) i * t->n + v] = v < s->n_nodes ? (float) s->std[v] : NAN;
		}
	}
}

/* Host buffers, allocated once; -1 when memory runs short. */
static int
trainer_alloc(Trainer *t)
{
	const Series *s = t->s;
	size_t		k = (size_t) t->k;
	size_t		xs = (size_t) s->history * t->batch * t->n;
	size_t		ys = (size_t) s->horizon * t->batch * t->n;
	size_t		np = t->models[0]->n_params;

	t->x = malloc(k * xs * sizeof(float));
	t->y = malloc(k * ys * sizeof(float));
	t->pred = malloc(k * ys * sizeof(float));
	t->one_x = malloc(xs * sizeof(float));
	t->one_y = malloc(ys * sizeof(float));
	t->mean = malloc(k * t->n * sizeof(float));
	t->std = malloc(k * t->n * sizeof(float));
	t->best = malloc(k * np * sizeof(float));
	t->loss = calloc(k, sizeof(double));
	t->sum = calloc(k, sizeof(double));
	t->wait = calloc(k, sizeof(int));
	t->training = malloc(k);
	t->order = malloc((size_t) s->n_train * sizeof(int));
	t->val_windows = malloc((size_t) (s->n_val ? s->n_val : 1) * sizeof(int));
	t->teacher = calloc((size_t) s->horizon, 1);
	if (!t->x || !t->y || !t->pred || !t->one_x || !t->one_y || !t->mean || !t->std ||
		!t->best || !t->loss || !t->sum || !t->wait || !t->training || !t->order ||
		!t->val_windows || !t->teacher)
	{
		snprintf(t->err, t->errlen, "out of memory for training %d models of %zu parameters",
				 t->k, np);
		return -1;
	}
	fill_scalers(t);
	memset(t->training, 1, k);
	for (int i = 0; i < s->n_train; i++)
		t->order[i] = i;
	for (int i = 0; i < s->n_val; i++)
		t->val_windows[i] = s->n_train + i;
	return 0;
}

/* src (rows x from) into dst (rows x to), the extra columns zero. */
static void
pad_rows(float *dst, const float *src, size_t rows, int from, int to)
{
	for (size_t r = 0; r < rows; r++)
	{
		memcpy(dst + r * to, src + r * from, (size_t) from * sizeof(float));
		memset(dst + r * to + from, 0, (size_t) (to - from) * sizeof(float));
	}
}

/*
 * One model's supports, padded with nodes that have no edges, then its
 * scaler and weights.  Returns 0, or TRAIN_BACKEND_FAILED with the
 * backend's message in err.
 */
static int
load_model(Trainer *t, int i, float *support)
{
	const DcrnnModel *m = t->models[i];
	int			mn = m->cfg.num_nodes;
	size_t		nn = (size_t) mn * mn;

	for (int k = 0; k < m->cfg.num_supports; k++)
	{
		pad_rows(support, m->supports + k * nn, (size_t) mn, mn, t->n);
		memset(support + (size_t) mn * t->n, 0,
			   (size_t) (t->n - mn) * t->n * sizeof(float));
		if (t->be->set_support(t->ctx, i, k, support, t->err, t->errlen) < 0)
			return TRAIN_BACKEND_FAILED;
	}
	if (t->be->set_scaler(t->ctx, i, t->mean + (size_t) i * t->n, t->std + (size_t) i * t->n,
						  t->err, t->errlen) < 0 ||
		t->be->load_params(t->ctx, i, m->params, t->err, t->errlen) < 0)
		return TRAIN_BACKEND_FAILED;
	return 0;
}

/*
 * The backend's context: every model's supports, scaler and weights.
 * Returns 0, -1 when memory runs short, or TRAIN_BACKEND_FAILED with the
 * backend's message in err.
 */
static int
trainer_open(Trainer *t)
{
	DcrnnConfig cfg = t->models[0]->cfg;
	float	   *support = malloc((size_t) t->n * t->n * sizeof(float));
	int			rc = 0;

	if (!support)
	{
		snprintf(t->err, t->errlen, "out of memory for the supports of %d nodes", t->n);
		return -1;
	}
	cfg.num_nodes = t->n;
	t->ctx = t->be->create(&cfg, t->k, t->err, t->errlen);
	if (!t->ctx)
		rc = TRAIN_BACKEND_FAILED;
	for (int i = 0; rc == 0 && i < t->k; i++)
		rc = load_model(t, i, support);
	free(support);
	return rc;
}

static int
trainer_init(Trainer *t, const DcrnnBackend *be, DcrnnModel *const *models,
			 const Series *const *series, int k, const TrainOptions *o, TrainResult *r,
			 char *err, size_t errlen)
{
	const Series *s = series[0];
	long		per_epoch = (s->n_train + o->batch - 1) / o->batch;

	memset(t, 0, sizeof *t);
	t->be = be;
	t->models = models;
	t->series = series;
	t->r = r;
	t->k = k;
	t->s = s;
	t->o = o;
	t->batch = o->batch;
	t->err = err;
	t->errlen = errlen;
	t->rng = o->seed;
	t->tau = o->cl_decay_steps > 0 ? o->cl_decay_steps :
		train_scaled_decay(per_epoch * o->max_epochs);
	t->step.max_grad_norm = o->max_grad_norm;
	t->step.adam_eps_mode = o->adam_eps_mode;
	t->step.adam_eps = o->adam_eps;
	t->step.mask_zero_targets = o->mask_zero_targets;
	for (int i = 0; i < k; i++)
	{
		if (models[i]->cfg.num_nodes > t->n)
			t->n = models[i]->cfg.num_nodes;
		r[i].cl_decay_steps = t->tau;
		dcrnn_init_params(models[i], o->seed);
	}
	return trainer_alloc(t) < 0 ? -1 : trainer_open(t);
}

static double
teacher_prob(const Trainer *t)
{
	if (!t->o->curriculum)
		return 0.0;
	return t->tau / (t->tau + exp((double) t->batches_seen / t->tau));
}

/* Every model's windows[0..b) into x and y, padded to n nodes. */
static void
fill_batch(Trainer *t, const int *windows, int b)
{
	const Series *s = t->s;
	size_t		xs = (size_t) s->history * b * t->n;
	size_t		ys = (size_t) s->horizon * b * t->n;

	for (int i = 0; i < t->k; i++)
	{
		const Series *si = t->series[i];

		if (si->n_nodes == t->n)
		{
			series_batch(si, windows, b, t->x + i * xs, t->y + i * ys);
			continue;
		}
		series_batch(si, windows, b, t->one_x, t->one_y);
		pad_rows(t->x + i * xs, t->one_x, (size_t) s->history * b, si->n_nodes, t->n);
		pad_rows(t->y + i * ys, t->one_y, (size_t) s->horizon * b, si->n_nodes, t->n);
	}
}

/* Whether any model is still training. */
static int
any_training(const Trainer *t)
{
	for (int i = 0; i < t->k; i++)
		if (t->training[i])
			return 1;
	return 0;
}

/*
 * One optimisation step of every model on windows[0..b): the backend's
 * forward, masked MAE, backward, clipping and Adam.  A model whose loss is
 * no longer finite stops as diverged in epoch.  Returns 0 with the losses
 * added to sum, or TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
train_step(Trainer *t, int epoch, const int *windows, int b)
{
	double		p = teacher_prob(t);

	fill_batch(t, windows, b);
	for (int j = 0; j < t->s->horizon; j++)
		t->teacher[j] = next_uniform(&t->rng) < p;
	if (t->be->train_step(t->ctx, t->x, b, t->y, t->teacher, &t->step, t->loss, NULL,
						  t->err, t->errlen) < 0)
		return TRAIN_BACKEND_FAILED;
	t->batches_seen++;
	for (int i = 0; i < t->k; i++)
	{
		if (!t->training[i])
			continue;
		if (isfinite(t->loss[i]))
		{
			t->sum[i] += t->loss[i];
			continue;
		}
		t->training[i] = 0;
		t->r[i].stop = TRAIN_DIVERGED;
		t->r[i].epochs = epoch + 1;
	}
	return 0;
}

/*
 * Each model's mean loss over n windows into sum (inference, no teacher
 * forcing); 0, or TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
eval_loss(Trainer *t, const int *windows, int n)
{
	size_t		width = (size_t) t->n;

	memset(t->sum, 0, t->k * sizeof(double));
	for (int start = 0; start < n; start += t->batch)
	{
		int			b = n - start < t->batch ? n - start : t->batch;
		size_t		ys = (size_t) t->s->horizon * b * width;

		fill_batch(t, windows + start, b);
		if (t->be->forward(t->ctx, t->x, b, NULL, NULL, t->pred, t->err, t->errlen) < 0)
			return TRAIN_BACKEND_FAILED;
		for (int i = 0; i < t->k; i++)
			t->sum[i] += b * dcrnn_masked_mae(t->pred + i * ys, t->y + i * ys, ys,
											  t->mean + i * width, t->std + i * width,
											  width, t->o->mask_zero_targets, NULL);
	}
	for (int i = 0; i < t->k; i++)
		t->sum[i] /= n;
	return 0;
}

/*
 * One epoch (0-based) over the shuffled training windows; sum ends with
 * each model's mean batch loss.  Returns 1 when cancelled, 0 when it ran
 * to its end or every model stopped, TRAIN_BACKEND_FAILED when the backend
 * fails.
 */
static int
train_epoch(Trainer *t, int epoch)
{
	int			n = t->s->n_train;
	int			batches = 0;

	t->step.lr = train_lr_at(t->o, epoch);
	shuffle(t->order, n, &t->rng);
	memset(t->sum, 0, t->k * sizeof(double));
	for (int start = 0; start < n && any_training(t); start += t->batch)
	{
		int			b = n - start < t->batch ? n - start : t->batch;

		if (t->o->cancel && *t->o->cancel)
			return 1;
		if (train_step(t, epoch, t->order + start, b) < 0)
			return TRAIN_BACKEND_FAILED;
		batches++;
	}
	for (int i = 0; i < t->k; i++)
		t->sum[i] /= batches;
	return 0;
}

/* Means over the models still training into p (losses of this epoch). */
static void
epoch_means(const Trainer *t, const double *train_loss, const double *val_loss,
			TrainProgress *p)
{
	int			n = 0;

	p->train_loss = 0;
	p->val_loss = val_loss ? 0 : NAN;
	for (int i = 0; i < t->k; i++)
	{
		if (!t->training[i])
			continue;
		n++;
		p->train_loss += train_loss[i];
		if (val_loss)
			p->val_loss += val_loss[i];
	}
	p->train_loss /= n ? n : 1;
	if (val_loss)
		p->val_loss /= n ? n : 1;
}

/*
 * Model i after an epoch with this loss: its best weights kept, or one
 * more epoch without progress (early stopped at patience).  Returns 0, or
 * TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
judge_epoch(Trainer *t, int i, int epoch, double loss)
{
	TrainResult *r = &t->r[i];

	r->epochs = epoch + 1;
	r->batches_seen = t->batches_seen;
	if (loss < r->best_loss)
	{
		r->best_loss = loss;
		r->best_epoch = epoch + 1;
		t->wait[i] = 0;
		return t->be->store_params(t->ctx, i, t->best + i * t->models[0]->n_params,
								   t->err, t->errlen) < 0 ? TRAIN_BACKEND_FAILED : 0;
	}
	if (++t->wait[i] >= t->o->patience)
	{
		r->stop = TRAIN_EARLY_STOPPED;
		t->training[i] = 0;
	}
	return 0;
}

/* The models still training after a cancel. */
static void
mark_cancelled(Trainer *t)
{
	for (int i = 0; i < t->k; i++)
		if (t->training[i])
		{
			t->r[i].stop = TRAIN_CANCELLED;
			t->r[i].batches_seen = t->batches_seen;
		}
}

/*
 * Epochs until the last, every model stopped, or a cancel; t->best holds
 * each model's best epoch's weights.  Returns 0, or TRAIN_BACKEND_FAILED.
 */
static int
train_epochs(Trainer *t)
{
	const TrainOptions *o = t->o;
	int			has_val = t->s->n_val > 0;
	double	   *train_loss = t->loss;	/* free between epochs */

	for (int epoch = 0; epoch < o->max_epochs && any_training(t); epoch++)
	{
		TrainProgress p = {epoch + 1, 0, 0, NAN, train_lr_at(o, epoch), 0, 0};
		int			rc = train_epoch(t, epoch);

		if (rc > 0)
			mark_cancelled(t);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		if (!any_training(t))
			return 0;			/* every model left diverged in this epoch */
		memcpy(train_loss, t->sum, t->k * sizeof(double));
		if (has_val && eval_loss(t, t->val_windows, t->s->n_val) < 0)
			return TRAIN_BACKEND_FAILED;
		p.batches_seen = t->batches_seen;
		p.teacher_prob = teacher_prob(t);
		epoch_means(t, train_loss, has_val ? t->sum : NULL, &p);
		for (int i = 0; i < t->k; i++)
			if (t->training[i] &&
				judge_epoch(t, i, epoch, has_val ? t->sum[i] : train_loss[i]) < 0)
				return TRAIN_BACKEND_FAILED;
		for (int i = 0; i < t->k; i++)
			p.training += t->training[i];
		if (o->progress)
			o->progress(o->progress_arg, &p);
	}
	return 0;
}

/* Each model's best weights, or those of its last step when no epoch ended. */
static int
take_weights(Trainer *t)
{
	for (int i = 0; i < t->k; i++)
	{
		DcrnnModel *m = t->models[i];

		if (t->r[i].best_epoch > 0)
			memcpy(m->params, t->best + i * m->n_params, m->n_params * sizeof(float));
		else if (t->r[i].stop != TRAIN_DIVERGED &&
				 t->be->store_params(t->ctx, i, m->params, t->err, t->errlen) < 0)
			return TRAIN_BACKEND_FAILED;
	}
	return 0;
}

int
train_group_run_on(const DcrnnBackend *backend, DcrnnModel *const *models,
				   const Series *const *series, int k, const TrainOptions *o,
				   TrainResult *results, char *err, size_t errlen)
{
	const char *bad = check_group(models, series, k, o);
	Trainer		t;
	int			rc;

	for (int i = 0; i < k; i++)
	{
		memset(&results[i], 0, sizeof results[i]);
		results[i].best_loss = INFINITY;
	}
	if (bad)
	{
		snprintf(err, errlen, "%s", bad);
		return -1;
	}
	rc = trainer_init(&t, backend, models, series, k, o, results, err, errlen);
	if (rc == 0)
		rc = train_epochs(&t);
	if (rc == 0)
		rc = take_weights(&t);
	trainer_free(&t);
	return rc;
}

int
train_run(DcrnnModel *m, const Series *s, const TrainOptions *o,
		  TrainResult *r, char *err, size_t errlen)
{
	return train_run_on(dcrnn_backend_cpu(), m, s, o, r, err, errlen);
}

int
train_run_on(const DcrnnBackend *backend, DcrnnModel *m, const Series *s,
			 const TrainOptions *o, TrainResult *r, char *err, size_t errlen)
{
	int			rc = train_group_run_on(backend, &m, &s, 1, o, r, err, errlen);

	if (rc == 0 && r->stop == TRAIN_DIVERGED)
	{
		snprintf(err, errlen, "training diverged: the loss is not finite in epoch %d",
				 r->epochs);
		return -1;
	}
	return rc;
}

int
train_predict(DcrnnModel *m, const Series *s, int first, int count,
			  float *pred, char *err, size_t errlen)
{
	int			batch = m->cfg.batch;
	size_t		n = (size_t) s->n_nodes;
	float	   *x = malloc((size_t) s->history * batch * n * sizeof(float));
	float	   *out = malloc((size_t) s->horizon * batch * n * sizeof(float));
	int		   *windows = malloc((size_t) batch * sizeof(int));

	if (!x || !out || !windows)
	{
		snprintf(err, errlen, "out of memory for forecasting batches of %d windows", batch);
		free(x), free(out), free(windows);
		return -1;
	}
	for (int start = 0; start < count; start += batch)
	{
		int			b = count - start < batch ? count - start : batch;

		for (int i = 0; i < b; i++)
			windows[i] = first + start + i;
		series_batch(s, windows, b, x, NULL);
		dcrnn_forward(m, x, b, NULL, NULL, out);
		for (int h = 0; h < s->horizon; h++)
			memcpy(pred + ((size_t) h * count + start) * n,
				   out + (size_t) h * b * n, (size_t) b * n * sizeof(float));
	}
	free(x), free(out), free(windows);
	return 0;
}
