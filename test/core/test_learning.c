/*
 * test_learning.c -- the DCRNN learns: on generated RPC traffic its test
 * MAE beats both naive forecasts, the last value and the same bucket one
 * day earlier, by a clear margin.  Prints a per-horizon MAE / MAPE / RMSE
 * table in call counts, like Table 1 of the paper.
 *
 * The traffic: 1008 buckets of 20 minutes (two weeks), 8 RPCs of one
 * chain.  The entry RPC's rate has a daily cycle and quieter weekends;
 * each callee's calls are Poisson around a fixed share of its caller's
 * actual calls in the same bucket, so the graph carries information.
 */
#include "unit.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>

#define LN 8					/* RPCs */
#define LT 1008					/* buckets */
#define DAY 72					/* buckets per day */
#define PI 3.14159265358979323846

/* RPC i goes from service src[i] to service dst[i] */
static const int src[LN] = {0, 1, 1, 1, 2, 3, 3, 4};
static const int dst[LN] = {1, 2, 3, 4, 5, 5, 6, 6};
/* caller RPC of each RPC (-1: entry) and the calls it makes per call */
static const int caller[LN] = {-1, 0, 0, 0, 1, 2, 2, 3};
static const double share[LN] = {1, 0.8, 1.5, 0.4, 2.0, 0.7, 1.2, 3.0};

static uint64_t rng_state = 12345;

static double
uniform01(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (double) ((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* Knuth's Poisson sampler; rates here stay below a few hundred. */
static double
poisson(double lambda)
{
	double		l = exp(-lambda), p = 1;
	int			k = 0;

	do
	{
		k++;
		p *= uniform01();
	} while (p > l);
	return k - 1;
}

static void
generate(double *counts)
{
	for (int t = 0; t < LT; t++)
	{
		int			day = t / DAY;
		double		phase = 2 * PI * (t % DAY) / DAY;
		double		rate = 150 * (1.0 + 0.8 * sin(phase - PI / 2)) + 10;

		if (day % 7 >= 5)
			rate *= 0.5;		/* weekend */
		for (int i = 0; i < LN; i++)
			counts[t * LN + i] = caller[i] < 0 ? poisson(rate) :
				poisson(share[i] * counts[t * LN + caller[i]]);
	}
}

/*
 * The graph of the RPCs (paper, Algorithm 1): 0.5 both ways between RPCs
 * that share a source or destination, 1 from caller to callee; then the
 * two random-walk supports as the model applies them, S0 = (D_out^-1 W)^T
 * and S1 = (D_in^-1 W^T)^T.
 */
static void
supports(float *s0, float *s1)
{
	double		w[LN][LN] = {{0}}, out[LN] = {0}, in[LN] = {0};

	for (int i = 0; i < LN; i++)
		for (int j = 0; j < LN; j++)
		{
			if (i == j)
				continue;
			if (src[i] == src[j] || dst[i] == dst[j])
				w[i][j] = 0.5;
			if (dst[i] == src[j])
				w[i][j] = 1;
		}
	for (int i = 0; i < LN; i++)
		for (int j = 0; j < LN; j++)
			out[i] += w[i][j], in[j] += w[i][j];
	for (int i = 0; i < LN; i++)
		for (int j = 0; j < LN; j++)
		{
			s0[i * LN + j] = out[j] > 0 ? (float) (w[j][i] / out[j]) : 0;
			s1[i * LN + j] = in[j] > 0 ? (float) (w[i][j] / in[j]) : 0;
		}
}

typedef struct Score
{
	double		abs, sq, pct;
	long		n, n_pct;
} Score;

static void
score_add(Score *s, double pred, double truth)
{
	s->abs += fabs(pred - truth);
	s->sq += (pred - truth) * (pred - truth);
	s->n++;
	if (truth > 0)
		s->pct += fabs(pred - truth) / truth, s->n_pct++;
}

static double
mae(const Score *s)
{
	return s->abs / s->n;
}

/* Scores per horizon step: [0] model, [1] last value, [2] a day earlier. */
static void
score_test(const Series *s, const double *counts, const float *pred,
		   Score sc[][3])
{
	int			first = s->n_train + s->n_val;

	for (int h = 0; h < s->horizon; h++)
		for (int w = 0; w < s->n_test; w++)
		{
			int			win = first + w;
			int			target = win + s->history + h;

			for (int k = 0; k < LN; k++)
			{
				double		truth = counts[target * LN + k];
				float		z = pred[((size_t) h * s->n_test + w) * LN + k];

				score_add(&sc[h][0], series_count(s, k, z), truth);
				score_add(&sc[h][1], counts[(win + s->history - 1) * LN + k], truth);
				score_add(&sc[h][2], counts[(target - DAY) * LN + k], truth);
			}
		}
}

static void
print_table(const Score sc[][3], int horizon)
{
	static const char *names[] = {"DCRNN", "last value", "day before"};

	printf("    %-8s %-11s %8s %8s %8s\n", "horizon", "method", "MAE", "MAPE", "RMSE");
	for (int h = 0; h < horizon; h++)
		for (int m = 0; m < 3; m++)
			printf("    %-8d %-11s %8.3f %7.2f%% %8.3f\n", h + 1, names[m],
				   mae(&sc[h][m]), 100 * sc[h][m].pct / sc[h][m].n_pct,
				   sqrt(sc[h][m].sq / sc[h][m].n));
}

TEST(learning_beats_naive_forecasts)
{
	double	   *counts = malloc(sizeof(double) * LT * LN);
	float		s0[LN * LN], s1[LN * LN];
	Series		s;
	DcrnnConfig cfg;
	DcrnnModel *m;
	TrainOptions o;
	TrainResult r;
	char		err[300];
	Score		sc[5][3];
	float	   *pred;

	REQUIRE(counts != NULL);
	generate(counts);
	REQUIRE(series_init(&s, counts, LT, LN, 12, 5, 0.8, 0.1, err, sizeof err) == 0);
	dcrnn_config_default(&cfg, LN);
	cfg.units = 16;
	REQUIRE((m = dcrnn_create(&cfg, err, sizeof err)) != NULL);
	supports(s0, s1);
	dcrnn_set_support(m, 0, s0);
	dcrnn_set_support(m, 1, s1);
	dcrnn_set_threads(1);
	train_options_default(&o);
	o.max_epochs = 30;
	o.seed = 3;
	REQUIRE(train_run(m, &s, &o, &r, err, sizeof err) == 0);
	printf("    %d epochs, best %d (validation MAE %.4f in log1p), tau %.1f\n",
		   r.epochs, r.best_epoch, r.best_loss, r.cl_decay_steps);

	pred = malloc(sizeof(float) * 5 * s.n_test * LN);
	REQUIRE(pred != NULL);
	REQUIRE(train_predict(m, &s, s.n_train + s.n_val, s.n_test, pred, err, sizeof err) == 0);
	memset(sc, 0, sizeof sc);
	score_test(&s, counts, pred, sc);
	print_table(sc, 5);
	/*
	 * The margin: at least 10 % below the better naive forecast at every
	 * step, 15 % over all steps.  Poisson noise bounds what any forecast
	 * can do: the last value carries the noise of two buckets, so even the
	 * true rate would score only about 1/sqrt(2) of its MAE where the trend
	 * is flat.
	 */
	double		model_sum = 0, naive_sum = 0;

	for (int h = 0; h < 5; h++)
	{
		double		best_naive = fmin(mae(&sc[h][1]), mae(&sc[h][2]));

		CHECK(mae(&sc[h][0]) < 0.9 * best_naive);
		model_sum += mae(&sc[h][0]);
		naive_sum += best_naive;
	}
	printf("    DCRNN MAE / better naive MAE over all steps: %.3f\n", model_sum / naive_sum);
	CHECK(model_sum < 0.85 * naive_sum);
	free(pred);
	dcrnn_free(m);
	series_free(&s);
	free(counts);
}
