/*
 * test_train_backend.c -- the training driver through a backend (backend.h):
 * on the CPU backend it gives, bit for bit, the model of a hand-written
 * reference loop of dcrnn.h calls (shuffle, coins, forward, masked MAE,
 * backward, clipping, Adam, validation, best weights); errors of a backend
 * come back through err with everything freed, and a loss that is not
 * finite is reported as divergence; where a GPU is usable, the CUDA
 * backend's loss curve under the driver follows the CPU one.
 */
#include "unit.h"
#include "unit_cuda.h"
#include "backend.h"
#include "splitmix.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>

#define RN 4					/* nodes */
#define RT 90					/* buckets */

static void
ref_series(Series *s)
{
	double		c[RT * RN];
	char		err[200];

	for (int t = 0; t < RT; t++)
		for (int n = 0; n < RN; n++)
			c[t * RN + n] = floor(15 + 9 * sin(0.4 * t + 2 * n) + 0.05 * t * n + (t * 7 + n) % 3);
	if (series_init(s, c, RT, RN, 5, 3, 0.6, 0.2, err, sizeof err) < 0)
		unit_fail(__FILE__, __LINE__, err);
}

static DcrnnModel *
ref_model(void)
{
	DcrnnConfig cfg;
	DcrnnModel *m;
	char		err[200];
	float		s0[RN * RN] = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0};
	float		s1[RN * RN] = {0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};

	dcrnn_config_default(&cfg, RN);
	cfg.units = 5;
	cfg.layers = 2;
	cfg.history = 5;
	cfg.horizon = 3;
	cfg.batch = 8;
	if ((m = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		return NULL;
	dcrnn_set_support(m, 0, s0);
	dcrnn_set_support(m, 1, s1);
	return m;
}

/* ---- the reference: train.h's loop written out from dcrnn.h calls ---- */

typedef struct Ref
{
	DcrnnModel *m;
	const Series *s;
	const TrainOptions *o;
	float		mean[RN], std[RN];
	float	   *x, *y, *pred, *dpred;
	uint64_t	rng;
	double		tau;
	long		seen;
} Ref;

static double
ref_teacher_prob(const Ref *r)
{
	return r->o->curriculum ? r->tau / (r->tau + exp((double) r->seen / r->tau)) : 0.0;
}

static double
ref_val_loss(Ref *r)
{
	const Series *s = r->s;
	int			win[64];
	double		sum = 0;

	for (int start = 0; start < s->n_val; start += r->o->batch)
	{
		int			b = s->n_val - start < r->o->batch ? s->n_val - start : r->o->batch;

		for (int i = 0; i < b; i++)
			win[i] = s->n_train + start + i;
		series_batch(s, win, b, r->x, r->y);
		dcrnn_forward(r->m, r->x, b, NULL, NULL, r->pred);
		sum += b * dcrnn_masked_mae(r->pred, r->y, (size_t) s->horizon * b * RN, r->mean, r->std,
									RN, r->o->mask_zero_targets, NULL);
	}
	return sum / s->n_val;
}

/* One epoch: a Fisher-Yates shuffle from the stream, then the steps. */
static void
ref_epoch(Ref *r, DcrnnAdam *adam, int *order, double lr)
{
	const Series *s = r->s;
	unsigned char teacher[8];

	for (int i = s->n_train - 1; i > 0; i--)
	{
		int			j = (int) (splitmix64_next(&r->rng) % (uint64_t) (i + 1));
		int			t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int start = 0; start < s->n_train; start += r->o->batch)
	{
		int			b = s->n_train - start < r->o->batch ? s->n_train - start : r->o->batch;
		double		p = ref_teacher_prob(r);

		series_batch(s, order + start, b, r->x, r->y);
		for (int j = 0; j < s->horizon; j++)
			teacher[j] = (double) (splitmix64_next(&r->rng) >> 11) * 0x1.0p-53 < p;
		dcrnn_forward(r->m, r->x, b, r->y, teacher, r->pred);
		dcrnn_masked_mae(r->pred, r->y, (size_t) s->horizon * b * RN, r->mean, r->std, RN,
						 r->o->mask_zero_targets, r->dpred);
		dcrnn_backward(r->m, r->dpred);
		dcrnn_clip_grad_norm(r->m->grads, r->m->n_params, r->o->max_grad_norm);
		dcrnn_adam_step(adam, r->m->params, r->m->grads, lr);
		r->seen++;
	}
}

/* Trains m as train_run does; returns the best epoch. */
static int
ref_train(DcrnnModel *m, const Series *s, const TrainOptions *o)
{
	size_t		out = (size_t) s->horizon * o->batch * RN;
	Ref			r = {m, s, o, {0}, {0}, NULL, NULL, NULL, NULL, o->seed, 0, 0};
	float	   *best = malloc(m->n_params * sizeof(float));
	int		   *order = malloc(s->n_train * sizeof(int));
	DcrnnAdam	adam;
	double		best_loss = INFINITY;
	int			best_epoch = 0, wait = 0;

	r.x = malloc((size_t) s->history * o->batch * RN * sizeof(float));
	r.y = malloc(out * sizeof(float));
	r.pred = malloc(out * sizeof(float));
	r.dpred = malloc(out * sizeof(float));
	if (!best || !order || !r.x || !r.y || !r.pred || !r.dpred || dcrnn_adam_init(&adam, m->n_params) < 0)
		abort();
	adam.eps = o->adam_eps;
	adam.eps_mode = o->adam_eps_mode;
	for (int i = 0; i < RN; i++)
	{
		r.mean[i] = (float) s->mean[i];
		r.std[i] = (float) s->std[i];
	}
	for (int i = 0; i < s->n_train; i++)
		order[i] = i;
	r.tau = o->cl_decay_steps > 0 ? o->cl_decay_steps :
		train_scaled_decay((long) ((s->n_train + o->batch - 1) / o->batch) * o->max_epochs);
	dcrnn_init_params(m, o->seed);
	for (int epoch = 0; epoch < o->max_epochs; epoch++)
	{
		ref_epoch(&r, &adam, order, train_lr_at(o, epoch));

		double		val = ref_val_loss(&r);

		if (val < best_loss)
		{
			best_loss = val;
			best_epoch = epoch + 1;
			memcpy(best, m->params, m->n_params * sizeof(float));
			wait = 0;
		}
		else if (++wait >= o->patience)
			break;
	}
	memcpy(m->params, best, m->n_params * sizeof(float));
	dcrnn_adam_free(&adam);
	free(best), free(order), free(r.x), free(r.y), free(r.pred), free(r.dpred);
	return best_epoch;
}

/* Two option sets: the defaults, and every option the step passes on changed. */
static void
ref_options(TrainOptions *o, int variant)
{
	train_options_default(o);
	o->max_epochs = 6;
	o->batch = 7;				/* a short last batch */
	o->seed = 11 + variant;
	o->n_milestones = 1;
	o->milestones[0] = 3;
	o->patience = 2;
	if (variant == 1)
	{
		o->lr = 0.03;
		o->max_grad_norm = 0.5;
		o->adam_eps_mode = DCRNN_ADAM_EPS_TF;
		o->adam_eps = 1e-7;
		o->mask_zero_targets = 1;
		o->cl_decay_steps = 4;
	}
}

TEST(train_cpu_backend_equals_reference_loop_bit_for_bit)
{
	Series		s;

	ref_series(&s);
	for (int variant = 0; variant < 2; variant++)
	{
		DcrnnModel *got = ref_model(), *want = ref_model();
		TrainOptions o;
		TrainResult r;
		char		err[256] = "";

		REQUIRE(got && want);
		ref_options(&o, variant);
		int			best = ref_train(want, &s, &o);

		CHECK(train_run_on(dcrnn_backend_cpu(), got, &s, &o, &r, err, sizeof err) == 0);
		CHECK(r.best_epoch == best && best > 0);
		CHECK(got->n_params == want->n_params);
		CHECK(memcmp(got->params, want->params, got->n_params * sizeof(float)) == 0);
		/* the weights moved away from their initial values */
		dcrnn_init_params(want, o.seed);
		CHECK(memcmp(got->params, want->params, got->n_params * sizeof(float)) != 0);
		dcrnn_free(got);
		dcrnn_free(want);
	}
	series_free(&s);
}

/* ---- a backend that fails on purpose: the CPU one, with one call broken ---- */

static int	fail_at;				/* the call number that fails, 1-based */
static int	nan_at;					/* the call whose step loss is NaN */
static int	last_step;				/* the call number of the last step */
static int	calls;
static int	live_contexts;

static int
failing(char *err, size_t errlen)
{
	if (++calls != fail_at)
		return 0;
	snprintf(err, errlen, "out of GPU memory: test backend, call %d", calls);
	return 1;
}

static DcrnnBackendCtx *
f_create(const DcrnnConfig *cfg, int n, char *err, size_t errlen)
{
	DcrnnBackendCtx *c;

	if (failing(err, errlen))
		return NULL;
	c = dcrnn_backend_cpu()->create(cfg, n, err, errlen);
	live_contexts += c != NULL;
	return c;
}

static void
f_destroy(DcrnnBackendCtx *c)
{
	live_contexts -= c != NULL;
	dcrnn_backend_cpu()->destroy(c);
}

static int
f_forward(DcrnnBackendCtx *c, const float *x, int b, const float *y,
		  const unsigned char *t, float *pred, char *err, size_t errlen)
{
	return failing(err, errlen) ? -1 : dcrnn_backend_cpu()->forward(c, x, b, y, t, pred, err, errlen);
}

static int
f_train_step(DcrnnBackendCtx *c, const float *x, int b, const float *y,
			 const unsigned char *t, const DcrnnStepOptions *o, double *loss,
			 double *norms, char *err, size_t errlen)
{
	if (failing(err, errlen) ||
		dcrnn_backend_cpu()->train_step(c, x, b, y, t, o, loss, norms, err, errlen) < 0)
		return -1;
	last_step = calls;
	if (calls == nan_at)
		loss[0] = NAN;
	return 0;
}

static int
f_store_params(DcrnnBackendCtx *c, int model, float *p, char *err, size_t errlen)
{
	return failing(err, errlen) ? -1 : dcrnn_backend_cpu()->store_params(c, model, p, err, errlen);
}

TEST(train_backend_errors_come_back_through_err)
{
	DcrnnBackend fb = *dcrnn_backend_cpu();
	Series		s;
	TrainOptions o;
	TrainResult r;
	char		err[256];
	int			total;

	fb.name = "failing";
	fb.create = f_create;
	fb.destroy = f_destroy;
	fb.forward = f_forward;
	fb.train_step = f_train_step;
	fb.store_params = f_store_params;
	ref_series(&s);
	ref_options(&o, 0);
	o.max_epochs = 2;
	o.patience = 100;

	/* count the calls of a whole run, then fail each one in turn */
	DcrnnModel *m = ref_model();

	REQUIRE(m);
	fail_at = 0;
	calls = 0;
	REQUIRE(train_run_on(&fb, m, &s, &o, &r, err, sizeof err) == 0);
	total = calls;
	int			final_step = last_step;

	CHECK(total > 10 && live_contexts == 0);
	for (fail_at = 1; fail_at <= total; fail_at++)
	{
		char		want[128];

		calls = 0;
		err[0] = '\0';
		snprintf(want, sizeof want, "out of GPU memory: test backend, call %d", fail_at);
		CHECK(train_run_on(&fb, m, &s, &o, &r, err, sizeof err) == TRAIN_BACKEND_FAILED);
		CHECK(strstr(err, want) != NULL);
		CHECK(live_contexts == 0);
	}
	/* a step whose loss is not finite is divergence, not a backend failure */
	fail_at = 0;
	calls = 0;
	nan_at = final_step;		/* the last step, in epoch 2 */
	CHECK(train_run_on(&fb, m, &s, &o, &r, err, sizeof err) == -1);
	CHECK(strcmp(err, "training diverged: the loss is not finite in epoch 2") == 0);
	CHECK(live_contexts == 0);
	nan_at = 0;
	dcrnn_free(m);
	series_free(&s);
}

/* ---- the CUDA backend under the same driver, where a GPU is usable ---- */

typedef struct Curve
{
	int			n;
	double		train[16];
	double		val[16];
} Curve;

static void
record_curve(void *arg, const TrainProgress *p)
{
	Curve	   *c = arg;

	if (c->n < 16)
	{
		c->train[c->n] = p->train_loss;
		c->val[c->n] = p->val_loss;
		c->n++;
	}
}

/*
 * The driver on the CUDA backend follows the CPU one: the same steps, and
 * training and validation losses per epoch within 1e-3 (relative; float32
 * with another summation order, as the CUDA parity tests' loss curves).
 * Skips where the module is not built or no device is usable.
 */
TEST(train_cuda_backend_follows_cpu)
{
	char		why[512];
	const DcrnnBackend *gpu = unit_cuda_backend(why, sizeof why);

	if (!gpu)
		SKIP(why);				/* no module, or "no usable CUDA device: ..." */

	Series		s;
	DcrnnModel *on_cpu = ref_model(), *on_gpu = ref_model();
	Curve		cc = {0}, gc = {0};
	TrainOptions o;
	TrainResult rc, rg;
	char		err[256] = "";

	REQUIRE(on_cpu && on_gpu);
	ref_series(&s);
	ref_options(&o, 0);
	o.patience = 100;
	o.progress = record_curve;
	o.progress_arg = &cc;
	REQUIRE(train_run_on(dcrnn_backend_cpu(), on_cpu, &s, &o, &rc, err, sizeof err) == 0);
	o.progress_arg = &gc;
	if (train_run_on(gpu, on_gpu, &s, &o, &rg, err, sizeof err) != 0)
		unit_fail(__FILE__, __LINE__, err);
	CHECK(rg.epochs == rc.epochs && rg.batches_seen == rc.batches_seen && gc.n == cc.n);
	for (int e = 0; e < cc.n && e < gc.n; e++)
	{
		CHECK_CLOSE(gc.train[e], cc.train[e], 1e-3, 0);
		CHECK_CLOSE(gc.val[e], cc.val[e], 1e-3, 0);
	}
	/* the GPU's best weights came back into the model */
	dcrnn_init_params(on_cpu, o.seed);
	CHECK(memcmp(on_gpu->params, on_cpu->params, on_gpu->n_params * sizeof(float)) != 0);
	dcrnn_free(on_cpu);
	dcrnn_free(on_gpu);
	series_free(&s);
}
