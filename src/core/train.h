/*
 * train.h -- the training driver: fits a DCRNN to the windows of a Series.
 *
 * Mini-batches of training windows in a seeded shuffle; Adam with a step
 * learning-rate decay at epoch milestones; global gradient-norm clipping;
 * scheduled sampling whose inverse-sigmoid decay is scaled to the number of
 * batches the run can take; early stopping on the validation loss with the
 * best weights restored.  The same seed gives the same model.  A progress
 * callback after each epoch and a cancel flag checked between batches let a
 * background worker report and stop a run.
 */
#ifndef INFORMER_TRAIN_H
#define INFORMER_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "backend.h"
#include "dcrnn.h"
#include "series.h"

#define TRAIN_MAX_MILESTONES 8

/* train_run_on's return when a call of the backend failed */
#define TRAIN_BACKEND_FAILED (-2)

typedef struct TrainProgress
{
	int			epoch;			/* 1-based, just finished */
	long		batches_seen;
	double		train_loss;		/* mean over the epoch's batches (and over
								 * the group's models that trained in it) */
	double		val_loss;		/* likewise; NAN without a validation part */
	double		lr;				/* used in this epoch */
	double		teacher_prob;	/* teacher-forcing probability at the end */
	int			training;		/* models of the group still training */
} TrainProgress;

typedef struct TrainOptions
{
	int			max_epochs;		/* 100 */
	int			batch;			/* 64, at most the model's cfg.batch */
	double		lr;				/* 0.01 */
	double		lr_decay;		/* 0.1 at each milestone */
	int			n_milestones;
	int			milestones[TRAIN_MAX_MILESTONES];	/* 20, 30, 40, 50 */
	double		max_grad_norm;	/* 5 */
	int			patience;		/* epochs without a better validation loss; 10 */
	int			curriculum;		/* 1: scheduled sampling; 0: never teacher-force */
	double		cl_decay_steps; /* tau; 0: scaled to the run (train.c) */
	int			adam_eps_mode;	/* DcrnnAdamEps, DCRNN_ADAM_EPS_TORCH */
	double		adam_eps;		/* 1e-3 */
	int			mask_zero_targets;	/* 0: zero calls are data, not missing */
	uint64_t	seed;			/* weights, shuffles and coins */
	void		(*progress) (void *arg, const TrainProgress *p);
	void	   *progress_arg;
	const volatile sig_atomic_t *cancel;	/* nonzero stops between batches */
} TrainOptions;

typedef enum TrainStop
{
	TRAIN_MAX_EPOCHS = 0,		/* ran every epoch */
	TRAIN_EARLY_STOPPED,		/* validation loss stopped improving */
	TRAIN_CANCELLED,			/* *cancel was set; best weights restored
								 * if an epoch finished (best_epoch > 0) */
	TRAIN_DIVERGED				/* the loss stopped being finite in epoch
								 * `epochs` (in a group: this model only) */
} TrainStop;

typedef struct TrainResult
{
	TrainStop	stop;
	int			epochs;			/* epochs finished */
	int			best_epoch;		/* whose weights the model now holds */
	double		best_loss;		/* its validation (or training) loss */
	long		batches_seen;
	double		cl_decay_steps; /* the tau used */
} TrainResult;

/* The paper's and the reference's defaults (values in the comments above). */
void		train_options_default(TrainOptions *o);

/*
 * The learning rate in epoch e (0-based): lr * lr_decay^(milestones <= e).
 */
double		train_lr_at(const TrainOptions *o, int epoch);

/*
 * tau for a run of total_batches: the teacher-forcing probability
 * tau / (tau + exp(b / tau)) falls to one half at b = tau ln tau, which is
 * placed at 40 % of the run (at least tau = 1).
 */
double		train_scaled_decay(long total_batches);

/*
 * Initialise m's weights from o->seed and train it on s through backend
 * (a context of one model with m's configuration and supports); the
 * trained weights end in m->params (m->grads is left alone).  m's
 * num_nodes, history and horizon must match s, and o->batch must not
 * exceed m's batch.  Returns 0 with *r filled (also when cancelled); -1
 * with a message in err on bad options, a loss that is no longer finite or
 * a shortage of host memory; TRAIN_BACKEND_FAILED with the backend's
 * message in err when a backend call fails (e.g. out of GPU memory, a CUDA
 * error).  The backend's context is freed on every path.
 */
int			train_run_on(const DcrnnBackend *backend, DcrnnModel *m, const Series *s,
						 const TrainOptions *o, TrainResult *r, char *err, size_t errlen);

/*
 * Train k models together on one backend context, models[i] on series[i],
 * each from the same seed and options as train_run_on would (the same
 * initial weights, shuffles and coins).  The models share every DcrnnConfig
 * field but num_nodes; the series share n_train and n_val.  Smaller graphs
 * are padded to the largest N with nodes that take no part, so each model
 * trains as it would alone, up to float rounding (train.c).  Early stopping
 * is per model: a stopped model's best weights stay while the others go
 * on.  Returns 0 with results[i] filled, and each model's best (else last)
 * weights in models[i]->params; results[i].stop == TRAIN_DIVERGED marks a
 * model whose loss stopped being finite (its weights are its best epoch's,
 * if any).  Errors as train_run_on's.  train_run_on is the group of one,
 * with -1 and "training diverged: ..." in err for divergence.
 */
int			train_group_run_on(const DcrnnBackend *backend, DcrnnModel *const *models,
							   const Series *const *series, int k, const TrainOptions *o,
							   TrainResult *results, char *err, size_t errlen);

/* train_run_on with the CPU backend. */
int			train_run(DcrnnModel *m, const Series *s, const TrainOptions *o,
					  TrainResult *r, char *err, size_t errlen);

/*
 * Forecast windows [first, first + count) of s into pred, laid out
 * (horizon, count, N) in model space, in batches of the model's cfg.batch;
 * inference feeds back its own forecasts.  Returns 0, or -1 with a message
 * in err when memory runs short.
 */
int			train_predict(DcrnnModel *m, const Series *s, int first, int count,
						  float *pred, char *err, size_t errlen);

#endif
