/*
 * synth_gen.c -- the synthetic RPC log, one bucket at a time: chain counts
 * from the traffic model and the events, chain instances from the trees,
 * rows sorted by time.
 */
#include "synth_gen.h"
#include "synth_traffic.h"

#include <stdlib.h>

#define STREAM_NOISE (UINT64_C(1) << 62)
#define STREAM_EXTRA (UINT64_C(1) << 61)

SynthGen *
synth_gen_create(const SynthParams *p, const SynthAllocator *mem)
{
	SynthGen   *g = mem->alloc(mem->ctx, sizeof(SynthGen));

	g->p = *p;
	g->topo = synth_topology_build(p, mem);
	synth_events_plan(p, g->topo, &g->events);
	g->span_room = synth_chain_max_span(g->topo);
	g->present = mem->alloc(mem->ctx, (size_t) g->topo->max_tree_nodes);
	return g;
}

void
synth_gen_free(SynthGen *g)
{
	SynthAllocator mem = g->topo->mem;

	if (g->rows.rows)
		mem.free(mem.ctx, g->rows.rows);
	mem.free(mem.ctx, g->present);
	synth_topology_free(g->topo);
	mem.free(mem.ctx, g);
}

static int
row_cmp(const void *a, const void *b)
{
	const SynthRow *x = a,
			   *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Draws `count` chains of a tree; `extra` marks the chains an event adds. */
static void
draw_chains(SynthGen *g, int32_t tree, int64_t bucket, uint64_t count, uint64_t extra,
			int32_t cut_rpc, double cut_keep)
{
	int64_t		t0 = bucket * g->p.width_us;
	double		room = (double) (g->p.width_us - g->span_room);
	uint64_t	key = splitmix64(((uint64_t) bucket << 24 | (uint64_t) tree) ^ extra);

	for (uint64_t i = 0; i < count; i++)
	{
		SynthRng	rng;

		synth_rng_seed(&rng, g->p.seed, key + i);
		uint64_t	chain_id = synth_rng_next(&rng);
		int64_t		ts0 = t0 + (int64_t) (synth_rng_uniform(&rng) * room);

		synth_chain_sample(g->topo, tree, bucket, g->p.retry_prob, cut_rpc, cut_keep,
						   &rng, ts0, chain_id, g->present, &g->rows);
	}
}

void
synth_gen_fill_bucket(SynthGen *g, int64_t bucket)
{
	const SynthParams *p = &g->p;
	double		rate = synth_traffic_base(p) * synth_traffic_shape(p, bucket);
	double		cut_keep;
	int32_t		cut_rpc = synth_events_cut(&g->events, bucket, &cut_keep);

	g->rows.n = 0;
	g->pos = 0;
	for (int32_t tree = 0; tree < g->topo->n_trees; tree++)
	{
		SynthRng	rng;

		synth_rng_seed(&rng, p->seed, STREAM_NOISE | (uint64_t) bucket << 24 | (uint64_t) tree);
		double		lambda = rate * g->topo->trees[tree].weight * synth_traffic_noise(p, &rng);
		uint64_t	count = synth_rng_poisson(&rng, lambda);
		double		surge = synth_events_surge(&g->events, tree, bucket);

		draw_chains(g, tree, bucket, count, 0, cut_rpc, cut_keep);
		if (surge > 1.0)
		{
			/* a stream of its own, so the usual chains stay as they were */
			synth_rng_seed(&rng, p->seed, STREAM_EXTRA | (uint64_t) bucket << 24 | (uint64_t) tree);
			draw_chains(g, tree, bucket, synth_rng_poisson(&rng, (surge - 1.0) * lambda),
						STREAM_EXTRA, cut_rpc, cut_keep);
		}
	}
	qsort(g->rows.rows, g->rows.n, sizeof(SynthRow), row_cmp);
}

const SynthRow *
synth_gen_next(SynthGen *g)
{
	while (g->pos >= g->rows.n)
	{
		if (g->next_bucket >= (int64_t) g->p.buckets)
			return NULL;
		synth_gen_fill_bucket(g, g->next_bucket++);
	}
	return &g->rows.rows[g->pos++];
}
