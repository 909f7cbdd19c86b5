/*
 * train_group.c -- training many patterns' models: one after another
 * (train_run_on each) against all together in lockstep on one backend
 * context (train_group_run_on), through the real training driver, on made-up
 * series over random graphs of NMIN..NMAX nodes.  Prints one JSON line:
 * the time of the first pattern alone (one_s), of all alone (alone_s) and
 * together (together_s), and how far the weights trained together are
 * from those trained alone (max relative difference over the models),
 * and the peak resident memory (that of the group: on the CPU backend
 * every model of a context has its own workspace).
 *
 *   build/train_group cpu|cuda PATTERNS NMIN NMAX [EPOCHS] [BUCKETS] [UNITS]
 *
 * The paper's model otherwise: L = 2, K = 2, two supports, history 12,
 * horizon 5, batch 64.  cuda opens ./informer_cuda.so (make informer_cuda.so).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "train.h"

#include "bench_model.h"

typedef struct Patterns
{
	int			k;
	DcrnnModel **m;
	Series	   *s;
	const Series **sp;
	float	  **alone;			/* weights trained alone */
	TrainResult *r;
} Patterns;

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "%s: %s\n", what, err);
	exit(1);
}

static void
make_patterns(Patterns *p, int k, int nmin, int nmax, int buckets, int units)
{
	uint64_t	state = 7;
	char		err[256];

	p->k = k;
	p->m = calloc(k, sizeof *p->m);
	p->s = calloc(k, sizeof *p->s);
	p->sp = calloc(k, sizeof *p->sp);
	p->alone = calloc(k, sizeof *p->alone);
	p->r = calloc(k, sizeof *p->r);
	if (!p->m || !p->s || !p->sp || !p->alone || !p->r)
		die("patterns", "out of memory");
	for (int i = 0; i < k; i++)
	{
		int			n = nmin + (int) (bench_urand(&state) * (nmax - nmin + 1));
		double	   *counts = bench_counts(n, buckets, &state);
		DcrnnConfig cfg;

		dcrnn_config_default(&cfg, n);
		cfg.units = units;
		p->m[i] = bench_model(&cfg, &state);
		if (!counts || series_init(&p->s[i], counts, buckets, n, cfg.history, cfg.horizon,
								   0.7, 0.1, err, sizeof err) < 0)
			die("series", counts ? err : "out of memory");
		p->sp[i] = &p->s[i];
		p->alone[i] = malloc(p->m[i]->n_params * sizeof(float));
		free(counts);
	}
}

/* Seconds to train pattern i alone; keeps its weights. */
static double
train_one(Patterns *p, const DcrnnBackend *be, const TrainOptions *o, int i)
{
	char		err[256];
	double		t0 = bench_now();

	if (train_run_on(be, p->m[i], p->sp[i], o, &p->r[i], err, sizeof err) != 0)
		die("alone", err);
	memcpy(p->alone[i], p->m[i]->params, p->m[i]->n_params * sizeof(float));
	return bench_now() - t0;
}

/* max over models of max |together - alone| / max |alone| */
static double
weight_diff(const Patterns *p)
{
	double		worst = 0;

	for (int i = 0; i < p->k; i++)
	{
		double		d = 0, scale = 0;

		for (size_t j = 0; j < p->m[i]->n_params; j++)
		{
			d = fmax(d, fabs((double) p->m[i]->params[j] - p->alone[i][j]));
			scale = fmax(scale, fabs((double) p->alone[i][j]));
		}
		worst = fmax(worst, scale > 0 ? d / scale : d);
	}
	return worst;
}

int
main(int argc, char **argv)
{
	int			k = argc > 2 ? atoi(argv[2]) : 0;
	int			nmin = argc > 3 ? atoi(argv[3]) : 0;
	int			nmax = argc > 4 ? atoi(argv[4]) : 0;
	int			epochs = argc > 5 ? atoi(argv[5]) : 1;
	int			buckets = argc > 6 ? atoi(argv[6]) : 1008;
	int			units = argc > 7 ? atoi(argv[7]) : 64;
	const DcrnnBackend *be;
	char		why[512] = "";
	TrainOptions o;
	Patterns	p;
	double		one, alone, together, t0;

	if (argc < 5 || k < 1 || nmin < 2 || nmax < nmin || epochs < 1 || units < 1)
	{
		fprintf(stderr, "usage: %s cpu|cuda PATTERNS NMIN NMAX [EPOCHS] [BUCKETS] [UNITS]\n",
				argv[0]);
		return 2;
	}
	be = dcrnn_backend_for(strcmp(argv[1], "cuda") == 0 ? DCRNN_DEVICE_CUDA : DCRNN_DEVICE_CPU,
						   "./informer_cuda.so", why, sizeof why);
	if (!be)
	{
		printf("{\"bench\":\"train_group\",\"backend\":\"%s\",\"skipped\":\"%s\"}\n", argv[1], why);
		return 0;
	}
	make_patterns(&p, k, nmin, nmax, buckets, units);
	train_options_default(&o);
	o.max_epochs = epochs;
	o.patience = epochs;

	one = train_one(&p, be, &o, 0);
	alone = one;
	for (int i = 1; i < k; i++)
		alone += train_one(&p, be, &o, i);
	t0 = bench_now();
	if (train_group_run_on(be, p.m, p.sp, k, &o, p.r, why, sizeof why) != 0)
		die("together", why);
	together = bench_now() - t0;
	printf("{\"bench\":\"train_group\",\"backend\":\"%s\",\"patterns\":%d,\"nodes\":[%d,%d],"
		   "\"units\":%d,\"epochs\":%d,\"buckets\":%d,\"windows\":%d,\"one_s\":%.3f,"
		   "\"alone_s\":%.3f,\"together_s\":%.3f,\"speedup\":%.2f,\"together_over_one\":%.2f,"
		   "\"max_weight_rel_diff\":%.2g,\"peak_rss_mb\":%.0f}\n",
		   be->name, k, nmin, nmax, units, epochs, buckets, p.s[0].n_train, one, alone,
		   together, alone / together, together / one, weight_diff(&p), bench_peak_kb() / 1024.0);
	return 0;
}
