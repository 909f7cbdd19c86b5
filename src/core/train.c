/*
 * train.c -- the training loop of train.h: batches, the scheduled-sampling
 * coins, Adam with step decay and clipping, early stopping, run through a
 * DCRNN backend (backend.h) holding one model.
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
	DcrnnBackendCtx *ctx;		/* one model: m's configuration */
	DcrnnModel *m;
	const Series *s;
	const TrainOptions *o;
	int			batch;
	float	   *x;				/* history x batch x N */
	float	   *y;				/* horizon x batch x N */
	float	   *pred;
	float	   *mean;			/* N, for the loss */
	float	   *std;
	float	   *best;			/* best weights so far */
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

static void
trainer_free(Trainer *t)
{
	if (t->ctx)
		t->be->destroy(t->ctx);
	free(t->x);
	free(t->y);
	free(t->pred);
	free(t->mean);
	free(t->std);
	free(t->best);
	free(t->order);
	free(t->val_windows);
	free(t->teacher);
}

/* Host buffers, allocated once; -1 when memory runs short. */
static int
trainer_alloc(Trainer *t)
{
	const Series *s = t->s;
	size_t		n = (size_t) s->n_nodes;

	t->x = malloc((size_t) s->history * t->batch * n * sizeof(float));
	t->y = malloc((size_t) s->horizon * t->batch * n * sizeof(float));
	t->pred = malloc((size_t) s->horizon * t->batch * n * sizeof(float));
	t->mean = malloc(n * sizeof(float));
	t->std = malloc(n * sizeof(float));
	t->best = malloc(t->m->n_params * sizeof(float));
	t->order = malloc((size_t) s->n_train * sizeof(int));
	t->val_windows = malloc((size_t) (s->n_val ? s->n_val : 1) * sizeof(int));
	t->teacher = calloc((size_t) s->horizon, 1);
	if (!t->x || !t->y || !t->pred || !t->mean || !t->std || !t->best ||
		!t->order || !t->val_windows || !t->teacher)
	{
		snprintf(t->err, t->errlen, "out of memory for training %zu parameters", t->m->n_params);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
	{
		t->mean[i] = (float) s->mean[i];
		t->std[i] = (float) s->std[i];
	}
	for (int i = 0; i < s->n_train; i++)
		t->order[i] = i;
	for (int i = 0; i < s->n_val; i++)
		t->val_windows[i] = s->n_train + i;
	return 0;
}

/*
 * The backend's context: m's supports, the series' scaler, m's weights.
 * Returns 0, or TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
trainer_open(Trainer *t)
{
	const DcrnnBackend *be = t->be;
	const DcrnnModel *m = t->m;
	size_t		nn = (size_t) m->cfg.num_nodes * m->cfg.num_nodes;

	t->ctx = be->create(&m->cfg, 1, t->err, t->errlen);
	if (!t->ctx)
		return TRAIN_BACKEND_FAILED;
	for (int k = 0; k < m->cfg.num_supports; k++)
		if (be->set_support(t->ctx, 0, k, m->supports + k * nn, t->err, t->errlen) < 0)
			return TRAIN_BACKEND_FAILED;
	if (be->set_scaler(t->ctx, 0, t->mean, t->std, t->err, t->errlen) < 0 ||
		be->load_params(t->ctx, 0, m->params, t->err, t->errlen) < 0)
		return TRAIN_BACKEND_FAILED;
	return 0;
}

static int
trainer_init(Trainer *t, const DcrnnBackend *be, DcrnnModel *m, const Series *s,
			 const TrainOptions *o, char *err, size_t errlen)
{
	long		per_epoch = (s->n_train + o->batch - 1) / o->batch;

	memset(t, 0, sizeof *t);
	t->be = be;
	t->m = m;
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
	dcrnn_init_params(m, o->seed);
	return trainer_alloc(t) < 0 ? -1 : trainer_open(t);
}

static double
teacher_prob(const Trainer *t)
{
	if (!t->o->curriculum)
		return 0.0;
	return t->tau / (t->tau + exp((double) t->batches_seen / t->tau));
}

/*
 * One optimisation step on windows[0..b): the backend's forward, masked
 * MAE, backward, clipping and Adam.  Returns 0 with the batch loss, or
 * TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
train_step(Trainer *t, const int *windows, int b, double *loss)
{
	double		p = teacher_prob(t);

	series_batch(t->s, windows, b, t->x, t->y);
	for (int j = 0; j < t->s->horizon; j++)
		t->teacher[j] = next_uniform(&t->rng) < p;
	if (t->be->train_step(t->ctx, t->x, b, t->y, t->teacher, &t->step, loss, NULL,
						  t->err, t->errlen) < 0)
		return TRAIN_BACKEND_FAILED;
	t->batches_seen++;
	return 0;
}

/*
 * Mean loss over n windows (inference, no teacher forcing); 0, or
 * TRAIN_BACKEND_FAILED with the backend's message in err.
 */
static int
eval_loss(Trainer *t, const int *windows, int n, double *loss)
{
	double		sum = 0;

	for (int start = 0; start < n; start += t->batch)
	{
		int			b = n - start < t->batch ? n - start : t->batch;

		series_batch(t->s, windows + start, b, t->x, t->y);
		if (t->be->forward(t->ctx, t->x, b, NULL, NULL, t->pred, t->err, t->errlen) < 0)
			return TRAIN_BACKEND_FAILED;
		sum += b * dcrnn_masked_mae(t->pred, t->y, (size_t) t->s->horizon * b * t->s->n_nodes,
									t->mean, t->std, (size_t) t->s->n_nodes,
									t->o->mask_zero_targets, NULL);
	}
	*loss = sum / n;
	return 0;
}

/*
 * One epoch (0-based) over the shuffled training windows.  Returns 1 when
 * cancelled, -1 with a message in err when the loss is no longer finite,
 * TRAIN_BACKEND_FAILED when the backend fails, else 0 with the mean batch
 * loss.
 */
static int
train_epoch(Trainer *t, int epoch, double *loss)
{
	int			n = t->s->n_train;
	int			batches = 0;
	double		sum = 0;

	t->step.lr = train_lr_at(t->o, epoch);
	shuffle(t->order, n, &t->rng);
	for (int start = 0; start < n; start += t->batch)
	{
		int			b = n - start < t->batch ? n - start : t->batch;
		double		l;

		if (t->o->cancel && *t->o->cancel)
			return 1;
		if (train_step(t, t->order + start, b, &l) < 0)
			return TRAIN_BACKEND_FAILED;
		if (!isfinite(l))
		{
			snprintf(t->err, t->errlen, "training diverged: the loss is not finite in epoch %d",
					 epoch + 1);
			return -1;
		}
		sum += l;
		batches++;
	}
	*loss = sum / batches;
	return 0;
}

/*
 * Epochs until the last, early stopping or a cancel; t->best holds the
 * best epoch's weights.  Returns 0, or train_run_on's error codes.
 */
static int
train_epochs(Trainer *t, TrainResult *r)
{
	const TrainOptions *o = t->o;
	const Series *s = t->s;
	int			wait = 0;

	for (int epoch = 0; epoch < o->max_epochs; epoch++)
	{
		TrainProgress p = {epoch + 1, 0, 0, NAN, train_lr_at(o, epoch), 0};
		int			rc = train_epoch(t, epoch, &p.train_loss);

		if (rc < 0)
			return rc;
		r->batches_seen = p.batches_seen = t->batches_seen;
		if (rc > 0)
		{
			r->stop = TRAIN_CANCELLED;
			return 0;
		}
		if (s->n_val > 0 && eval_loss(t, t->val_windows, s->n_val, &p.val_loss) < 0)
			return TRAIN_BACKEND_FAILED;
		p.teacher_prob = teacher_prob(t);
		r->epochs = epoch + 1;
		if (o->progress)
			o->progress(o->progress_arg, &p);
		if ((s->n_val > 0 ? p.val_loss : p.train_loss) < r->best_loss)
		{
			r->best_loss = s->n_val > 0 ? p.val_loss : p.train_loss;
			r->best_epoch = epoch + 1;
			if (t->be->store_params(t->ctx, 0, t->best, t->err, t->errlen) < 0)
				return TRAIN_BACKEND_FAILED;
			wait = 0;
		}
		else if (++wait >= o->patience)
		{
			r->stop = TRAIN_EARLY_STOPPED;
			return 0;
		}
	}
	return 0;
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
	const char *bad = check_options(m, s, o);
	Trainer		t;
	int			rc;

	memset(r, 0, sizeof *r);
	r->best_loss = INFINITY;
	if (bad)
	{
		snprintf(err, errlen, "%s", bad);
		return -1;
	}
	rc = trainer_init(&t, backend, m, s, o, err, errlen);
	r->cl_decay_steps = t.tau;
	if (rc == 0)
		rc = train_epochs(&t, r);
	/* the best epoch's weights, or those of the last step when none ended */
	if (rc == 0 && r->best_epoch > 0)
		memcpy(m->params, t.best, m->n_params * sizeof(float));
	else if (rc == 0 && backend->store_params(t.ctx, 0, m->params, err, errlen) < 0)
		rc = TRAIN_BACKEND_FAILED;
	trainer_free(&t);
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
