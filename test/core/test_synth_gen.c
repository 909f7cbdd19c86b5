/*
 * test_synth_gen.c -- the generated log: determinism, time order, chains
 * that are subsets of their functionality's tree and causal (every caller
 * was called first), seasonality against an independent formula, and the
 * labelled events measured against a run without events.
 */
#include "unit.h"
#include "synth_gen.h"

#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586477

static void
small_params(SynthParams *p)
{
	synth_params_default(p);
	p->buckets = 96;
	p->functionalities = 12;
	p->chains_per_day = 60000;
	p->sampling_rate = 1.0;
	p->seed = 42;
}

/* A digest of every field of every row. */
static uint64_t
digest(const SynthParams *p, size_t *nrows)
{
	SynthGen   *g = synth_gen_create(p, &synth_malloc_allocator);
	uint64_t	h = 0;
	const SynthRow *r;

	*nrows = 0;
	while ((r = synth_gen_next(g)) != NULL)
	{
		h = splitmix64(h ^ (uint64_t) r->ts);
		h = splitmix64(h ^ r->chain);
		h = splitmix64(h ^ (uint64_t) r->rpc);
		(*nrows)++;
	}
	synth_gen_free(g);
	return h;
}

TEST(synth_gen_is_deterministic)
{
	SynthParams p;
	size_t		n1,
				n2,
				n3;

	small_params(&p);
	p.buckets = 48;
	uint64_t	a = digest(&p, &n1),
				b = digest(&p, &n2);

	p.seed = 43;
	uint64_t	c = digest(&p, &n3);

	CHECK(n1 > 10000);
	CHECK(a == b && n1 == n2);
	CHECK(a != c);
}

/* Per chain: one tree, RPCs of that tree, every caller called before. */
TEST(synth_gen_chains_are_subsets_of_their_tree)
{
	SynthParams p;

	small_params(&p);
	p.buckets = 48;
	SynthGen   *g = synth_gen_create(&p, &synth_malloc_allocator);
	const SynthTopology *t = g->topo;
	int64_t		last = -1;
	size_t		checked = 0;

	for (int64_t b = 0; b < 48; b++)
	{
		synth_gen_fill_bucket(g, b);
		SynthRows  *rs = &g->rows;

		for (size_t i = 0; i < rs->n; i++)
		{
			const SynthRow *r = &rs->rows[i];
			const SynthTree *tr = &t->trees[r->tree];
			int			in_tree = 0,
						caller_seen = t->rpc_src[r->rpc] == t->nodes[tr->first].method;

			CHECK(r->ts >= last && r->ts >= b * p.width_us && r->ts < (b + 1) * p.width_us);
			last = r->ts;
			for (int32_t k = 1; k < tr->n; k++)
				in_tree |= t->nodes[tr->first + k].rpc == r->rpc;
			CHECK(in_tree);
			/* earlier rows of the same chain: same tree, and one called the caller */
			for (size_t j = i; j-- > 0 && rs->rows[j].ts > r->ts - 2000000;)
				if (rs->rows[j].chain == r->chain)
				{
					CHECK(rs->rows[j].tree == r->tree);
					caller_seen |= t->rpc_dst[rs->rows[j].rpc] == t->rpc_src[r->rpc];
				}
			CHECK(caller_seen);
			checked++;
		}
	}
	CHECK(checked > 10000);
	synth_gen_free(g);
}

/* Rows per bucket follow the daily and weekly shape (Poisson noise only). */
TEST(synth_gen_seasonality)
{
	SynthParams p;

	small_params(&p);
	p.buckets = 7 * 72;
	p.chains_per_day = 20000;
	p.dispersion = 1e6;
	p.trend = 0;
	p.events = 0;
	SynthGen   *g = synth_gen_create(&p, &synth_malloc_allocator);
	double		peak = 0,
				trough = 0,
				peak_shape = 0,
				trough_shape = 0,
				weekday = 0,
				weekend = 0;

	for (int64_t b = 0; b < (int64_t) p.buckets; b++)
	{
		synth_gen_fill_bucket(g, b);
		/* start is a Monday 00:00 UTC */
		double		hour = fmod((b + 0.5) * 20.0 / 60.0, 24.0);
		int			day = (int) (b / 72);
		double		shape = 1 + p.daily_amplitude * cos(TWO_PI * (hour - 14) / 24);

		if (fabs(hour - 14) < 2)
			peak += (double) g->rows.n, peak_shape += shape;
		if (fabs(hour - 2) < 2)
			trough += (double) g->rows.n, trough_shape += shape;
		if (day < 5)
			weekday += (double) g->rows.n / 5;
		else
			weekend += (double) g->rows.n / 2;
	}
	CHECK_CLOSE(peak / trough, peak_shape / trough_shape, 0.05, 0);
	CHECK_CLOSE(weekend / weekday, 1 - p.weekly_amplitude, 0.05, 0);
	synth_gen_free(g);
}

/* counts[bucket * n_rpcs + rpc] of a whole run */
static long *
count_calls(const SynthParams *p, int32_t *n_rpcs)
{
	SynthGen   *g = synth_gen_create(p, &synth_malloc_allocator);
	long	   *c;
	const SynthRow *r;

	*n_rpcs = g->topo->n_rpcs;
	c = calloc((size_t) p->buckets * (size_t) *n_rpcs, sizeof(long));
	while ((r = synth_gen_next(g)) != NULL)
		c[(r->ts / p->width_us) * *n_rpcs + r->rpc]++;
	synth_gen_free(g);
	return c;
}

static long
sum_over(const long *c, int32_t n_rpcs, int32_t rpc, int64_t first, int64_t last)
{
	long		s = 0;

	for (int64_t b = first; b <= last; b++)
		s += c[b * n_rpcs + rpc];
	return s;
}

/*
 * The labelled RPCs change by the labelled factor against the same run
 * without events; before the first event both runs are identical.
 */
TEST(synth_gen_labelled_events_are_visible)
{
	SynthParams p;
	int32_t		n_rpcs,
				n2;

	small_params(&p);
	long	   *with = count_calls(&p, &n_rpcs);

	p.events = 0;
	long	   *without = count_calls(&p, &n2);

	p.events = 1;
	REQUIRE(n_rpcs == n2);

	SynthTopology *t = synth_topology_build(&p, &synth_malloc_allocator);
	SynthEvents ev;
	SynthLabel *labels;

	synth_events_plan(&p, t, &ev);
	size_t		nl = synth_labels(&p, t, &ev, &labels);
	int			kinds[5] = {0},
				measured = 0;

	REQUIRE(nl > 0);
	CHECK(memcmp(with, without, sizeof(long) * (size_t) (t->change_bucket * n_rpcs)) == 0);
	for (size_t i = 0; i < nl; i++)
	{
		const SynthLabel *l = &labels[i];
		double		w = (double) sum_over(with, n_rpcs, l->rpc, l->first, l->last);
		double		wo = (double) sum_over(without, n_rpcs, l->rpc, l->first, l->last);

		kinds[l->kind]++;
		if (l->kind == SYNTH_NEW_RPC)
		{
			CHECK(w > 0 && wo == 0);
			CHECK(sum_over(with, n_rpcs, l->rpc, 0, l->first - 1) == 0);
			continue;
		}
		if (l->kind == SYNTH_RETIRED_RPC)
		{
			CHECK(w == 0 && wo > 0);
			CHECK(sum_over(with, n_rpcs, l->rpc, 0, l->first - 1) > 0);
			continue;
		}
		if (wo < 200)
			continue;
		measured++;
		double		e = l->factor * wo;

		CHECK_CLOSE(w, e, 0.1, 4 * sqrt(e + 1));
	}
	CHECK(kinds[SYNTH_BATCH_REGISTRATION] >= 40);
	CHECK(kinds[SYNTH_ACCOUNT_CRACKING] >= 5);
	CHECK(kinds[SYNTH_OUTAGE] >= 1);
	CHECK(kinds[SYNTH_NEW_RPC] == 1 && kinds[SYNTH_RETIRED_RPC] == 1);
	CHECK(measured >= 20);

	/* the captcha RPC, bucket by bucket, by the attack factor */
	for (int64_t b = ev.ev[0].first; b <= ev.ev[0].last; b++)
	{
		double		wo = (double) without[b * n_rpcs + t->captcha_rpc];

		CHECK_CLOSE((double) with[b * n_rpcs + t->captcha_rpc], p.attack_factor * wo, 0.25, 0);
	}
	free(labels);
	free(with);
	free(without);
	synth_topology_free(t);
}

TEST(synth_params_bounds)
{
	SynthParams p;
	double		v;

	synth_params_default(&p);
	CHECK(synth_params_invalid(&p, &v) == NULL);
	p.sampling_rate = NAN;
	CHECK(strcmp(synth_params_invalid(&p, &v)->name, "sampling_rate") == 0);
	p.sampling_rate = 0.2;
	p.buckets = 47;
	CHECK(strcmp(synth_params_invalid(&p, &v)->name, "buckets") == 0 && v == 47);
	p.buckets = 100.5;
	CHECK(strcmp(synth_params_invalid(&p, &v)->name, "buckets") == 0);
	p.buckets = 1008;
	p.outage_factor = 1.5;
	CHECK(strcmp(synth_params_invalid(&p, &v)->name, "outage_factor") == 0);
	p.outage_factor = 0;
	CHECK(synth_params_invalid(&p, &v) == NULL);
	/* 100000 a day, sampled 0.2, 72 buckets a day, peak 1.6 x 1.1 */
	CHECK_CLOSE(synth_peak_bucket_chains(&p), 100000 * 0.2 / 72 * 1.6 * 1.1, 1e-12, 0);
}
