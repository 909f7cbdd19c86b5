/*
 * test_train.c -- the training driver: learning-rate steps and the scaled
 * scheduled-sampling decay by hand, a fixed seed giving the same model,
 * early stopping restoring the best epoch's weights (checked by recomputing
 * the validation loss), cancellation, and bad options.
 */
#include "unit.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>

#define TN 3					/* nodes */
#define TT 80					/* buckets */

TEST(train_lr_steps_at_milestones)
{
	TrainOptions o;

	train_options_default(&o);
	CHECK(o.max_epochs == 100 && o.batch == 64 && o.lr == 0.01);
	CHECK_CLOSE(train_lr_at(&o, 0), 0.01, 1e-15, 0);
	CHECK_CLOSE(train_lr_at(&o, 19), 0.01, 1e-15, 0);
	CHECK_CLOSE(train_lr_at(&o, 20), 0.001, 1e-15, 0);
	CHECK_CLOSE(train_lr_at(&o, 29), 0.001, 1e-15, 0);
	CHECK_CLOSE(train_lr_at(&o, 30), 1e-4, 1e-15, 0);
	CHECK_CLOSE(train_lr_at(&o, 99), 1e-6, 1e-12, 0);
}

TEST(train_scaled_decay_halves_teacher_forcing_at_40_percent)
{
	long		totals[] = {1, 100, 1300, 37500, 1000000};

	for (int i = 0; i < 5; i++)
	{
		double		tau = train_scaled_decay(totals[i]);
		double		b = 0.4 * totals[i];

		/* p(b) = tau / (tau + exp(b / tau)) = 1/2 */
		CHECK_CLOSE(tau / (tau + exp(b / tau)), 0.5, 1e-6, 0);
	}
	/* the reference's own run (375 batches x 100 epochs) gets about its 2000 */
	CHECK_CLOSE(train_scaled_decay(37500), 2000, 0.03, 0);
	CHECK(train_scaled_decay(0) == 1.0);
}

/* Three linked sine waves with a trend; counts are whole numbers. */
static void
make_series(Series *s, int history, int horizon)
{
	double		c[TT * TN];
	char		err[200];

	for (int t = 0; t < TT; t++)
		for (int n = 0; n < TN; n++)
			c[t * TN + n] = floor(20 + 10 * sin(0.5 * t + n) + 0.1 * t);
	if (series_init(s, c, TT, TN, history, horizon, 0.6, 0.2, err, sizeof err) < 0)
		unit_fail(__FILE__, __LINE__, err);
}

static DcrnnModel *
small_model(int batch)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	char		err[200];
	float		s0[TN * TN] = {0, 0, 0, 1, 0, 0, 0, 1, 0};	/* 0 -> 1 -> 2 */
	float		s1[TN * TN] = {0, 1, 0, 0, 0, 1, 0, 0, 0};

	dcrnn_config_default(&cfg, TN);
	cfg.units = 4;
	cfg.layers = 1;
	cfg.history = 4;
	cfg.horizon = 2;
	cfg.batch = batch;
	if ((m = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		return NULL;
	dcrnn_set_support(m, 0, s0);
	dcrnn_set_support(m, 1, s1);
	return m;
}

static void
small_options(TrainOptions *o, int epochs)
{
	train_options_default(o);
	o->max_epochs = epochs;
	o->batch = 8;
	o->seed = 7;
	o->patience = 1000;
}

typedef struct Log
{
	int			n;
	double		val[64];
	double		teacher[64];
	long		batches[64];
	int			cancel_after;
	volatile sig_atomic_t cancel;
} Log;

static void
record(void *arg, const TrainProgress *p)
{
	Log		   *log = arg;

	log->val[log->n] = p->val_loss;
	log->teacher[log->n] = p->teacher_prob;
	log->batches[log->n] = p->batches_seen;
	log->n++;
	if (log->cancel_after && log->n >= log->cancel_after)
		log->cancel = 1;
}

TEST(train_same_seed_same_model)
{
	Series		s;
	DcrnnModel *a = small_model(8), *b = small_model(8);
	TrainOptions o;
	TrainResult r;
	char		err[200];

	REQUIRE(a && b);
	make_series(&s, 4, 2);
	small_options(&o, 3);
	REQUIRE(train_run(a, &s, &o, &r, err, sizeof err) == 0);
	CHECK(r.stop == TRAIN_MAX_EPOCHS && r.epochs == 3);
	/* 75 windows of 4 + 2 in 80 buckets: 60 % = 45 training, 6 batches */
	CHECK(s.n_train == 45 && r.batches_seen == 3 * 6);
	REQUIRE(train_run(b, &s, &o, &r, err, sizeof err) == 0);
	CHECK(memcmp(a->params, b->params, a->n_params * sizeof(float)) == 0);
	o.seed = 8;
	REQUIRE(train_run(b, &s, &o, &r, err, sizeof err) == 0);
	CHECK(memcmp(a->params, b->params, a->n_params * sizeof(float)) != 0);
	dcrnn_free(a);
	dcrnn_free(b);
	series_free(&s);
}

/* Validation MAE (log1p scale) of m's forecasts, computed here. */
static double
val_mae(DcrnnModel *m, const Series *s)
{
	size_t		n = (size_t) s->horizon * s->n_val * TN;
	float	   *pred = malloc(n * sizeof(float));
	double		sum = 0;
	char		err[200];

	if (train_predict(m, s, s->n_train, s->n_val, pred, err, sizeof err) < 0)
		return NAN;
	for (int h = 0; h < s->horizon; h++)
		for (int w = 0; w < s->n_val; w++)
			for (int k = 0; k < TN; k++)
			{
				double		p = pred[((size_t) h * s->n_val + w) * TN + k];
				double		y = s->z[(size_t) (s->n_train + w + s->history + h) * TN + k];

				sum += fabs(p - y) * s->std[k];
			}
	free(pred);
	return sum / (double) n;
}

TEST(train_early_stopping_restores_best_epoch)
{
	Series		s;
	DcrnnModel *m = small_model(8);
	TrainOptions o;
	TrainResult r;
	Log			log = {0};
	char		err[200];
	int			best = 0;

	REQUIRE(m);
	make_series(&s, 4, 2);
	small_options(&o, 40);
	o.lr = 0.05;				/* large steps: the validation loss goes up and down */
	o.patience = 3;
	o.progress = record;
	o.progress_arg = &log;
	REQUIRE(train_run(m, &s, &o, &r, err, sizeof err) == 0);
	REQUIRE(log.n == r.epochs && r.epochs >= 4);
	printf("    %d epochs, best %d, stop %d, validation loss %g .. %g\n",
		   r.epochs, r.best_epoch, (int) r.stop, log.val[0], log.val[r.best_epoch - 1]);
	for (int e = 1; e < log.n; e++)
		if (log.val[e] < log.val[best])
			best = e;
	CHECK(r.best_epoch == best + 1);
	CHECK(r.best_loss == log.val[best]);
	if (r.stop == TRAIN_EARLY_STOPPED)
		CHECK(r.epochs == r.best_epoch + 3);
	else
		CHECK(r.epochs == 40);
	/* the weights now in the model are the best epoch's */
	CHECK_CLOSE(val_mae(m, &s), log.val[best], 1e-5, 1e-6);
	/* the progress reports follow the inverse-sigmoid schedule */
	for (int e = 0; e < log.n; e++)
		CHECK_CLOSE(log.teacher[e], r.cl_decay_steps /
					(r.cl_decay_steps + exp(log.batches[e] / r.cl_decay_steps)), 1e-12, 0);
	dcrnn_free(m);
	series_free(&s);
}

TEST(train_cancel_stops_between_batches)
{
	Series		s;
	DcrnnModel *m = small_model(8);
	TrainOptions o;
	TrainResult r;
	Log			log = {0};
	char		err[200];

	REQUIRE(m);
	make_series(&s, 4, 2);
	small_options(&o, 50);
	log.cancel_after = 2;
	o.progress = record;
	o.progress_arg = &log;
	o.cancel = &log.cancel;
	REQUIRE(train_run(m, &s, &o, &r, err, sizeof err) == 0);
	CHECK(r.stop == TRAIN_CANCELLED && r.epochs == 2 && log.n == 2);
	CHECK(r.batches_seen == 2 * 6);
	CHECK(r.best_epoch >= 1 && r.best_epoch <= 2);
	CHECK_CLOSE(val_mae(m, &s), log.val[r.best_epoch - 1], 1e-5, 1e-6);
	dcrnn_free(m);
	series_free(&s);
}

TEST(train_rejects_bad_options)
{
	Series		s, s_other;
	DcrnnModel *m = small_model(8);
	TrainOptions o;
	TrainResult r;
	char		err[300];

	REQUIRE(m);
	make_series(&s, 4, 2);
	make_series(&s_other, 5, 2);
	small_options(&o, 1);
	CHECK(train_run(m, &s_other, &o, &r, err, sizeof err) == -1);
	CHECK(strstr(err, "do not match the series") != NULL);
	o.batch = 9;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	CHECK(strstr(err, "batch must be between 1 and the model's batch") != NULL);
	small_options(&o, 1);
	o.lr = NAN;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	CHECK(strstr(err, "must be positive and finite") != NULL);
	small_options(&o, 1);
	o.lr_decay = 2;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	small_options(&o, 0);
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	CHECK(strstr(err, "max_epochs and patience must be positive") != NULL);
	small_options(&o, 1);
	o.n_milestones = 9;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	small_options(&o, 1);
	o.adam_eps_mode = 7;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	/* a learning rate so large that the weights overflow */
	small_options(&o, 5);
	o.lr = 1e38;
	o.max_grad_norm = 1e30;
	CHECK(train_run(m, &s, &o, &r, err, sizeof err) == -1);
	CHECK(strstr(err, "training diverged") != NULL);
	dcrnn_free(m);
	series_free(&s);
	series_free(&s_other);
}

TEST(train_cancel_before_first_batch)
{
	Series		s;
	DcrnnModel *m = small_model(8);
	TrainOptions o;
	TrainResult r;
	volatile sig_atomic_t cancel = 1;
	char		err[200];

	REQUIRE(m);
	make_series(&s, 4, 2);
	small_options(&o, 5);
	o.cancel = &cancel;
	REQUIRE(train_run(m, &s, &o, &r, err, sizeof err) == 0);
	CHECK(r.stop == TRAIN_CANCELLED && r.epochs == 0 && r.best_epoch == 0);
	CHECK(r.batches_seen == 0);
	dcrnn_free(m);
	series_free(&s);
}

TEST(train_on_silent_traffic_forecasts_zero_calls)
{
	double		c[TT * TN] = {0};
	Series		s;
	DcrnnModel *m = small_model(8);
	TrainOptions o;
	TrainResult r;
	char		err[200];
	float		pred[2 * 5 * TN];

	/* no calls at all: std falls back to 1 and nothing divides by zero */
	REQUIRE(m);
	REQUIRE(series_init(&s, c, TT, TN, 4, 2, 0.6, 0.2, err, sizeof err) == 0);
	small_options(&o, 3);
	REQUIRE(train_run(m, &s, &o, &r, err, sizeof err) == 0);
	CHECK(isfinite(r.best_loss));
	REQUIRE(train_predict(m, &s, s.n_train + s.n_val, 5, pred, err, sizeof err) == 0);
	for (int i = 0; i < 2 * 5 * TN; i++)
		CHECK(isfinite(pred[i]) && series_count(&s, i % TN, pred[i]) < 1.0);
	dcrnn_free(m);
	series_free(&s);
}
