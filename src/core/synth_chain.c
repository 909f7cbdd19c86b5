/*
 * synth_chain.c -- one chain instance of a call tree.
 *
 * Each node takes one 64-bit draw whether or not it is called, so the draws
 * of a node do not depend on which calls happened before it: a run with an
 * outage or a legitimate change draws the same chains elsewhere.
 */
#include "synth_chain.h"

#define STEP_MIN_US 100			/* a call starts 0.1 to 2 ms after the previous one */
#define STEP_SPAN_US 1900

int64_t
synth_chain_max_span(const SynthTopology *t)
{
	return (int64_t) t->max_tree_nodes * 2 * (STEP_MIN_US + STEP_SPAN_US);
}

static void
append(const SynthAllocator *mem, SynthRows *out, int64_t ts, uint64_t chain,
	   int32_t rpc, int32_t tree)
{
	if (out->n == out->cap)
	{
		out->cap = out->cap ? out->cap * 2 : 4096;
		out->rows = out->rows ? mem->realloc(mem->ctx, out->rows, out->cap * sizeof(SynthRow))
			: mem->alloc(mem->ctx, out->cap * sizeof(SynthRow));
	}
	out->rows[out->n] = (SynthRow) {ts, chain, rpc, tree, (uint32_t) out->n};
	out->n++;
}

void
synth_chain_sample(const SynthTopology *t, int32_t tree, int64_t bucket,
				   double retry_prob, int32_t cut_rpc, double cut_keep,
				   SynthRng *rng, int64_t ts0, uint64_t chain_id,
				   unsigned char *present, SynthRows *out)
{
	const SynthTree *tr = &t->trees[tree];
	const SynthNode *nodes = &t->nodes[tr->first];
	int64_t		ts = ts0;

	present[0] = 1;
	for (int32_t k = 1; k < tr->n; k++)
	{
		const SynthNode *node = &nodes[k];
		uint64_t	x = synth_rng_next(rng);
		double		u_keep = (double) (x >> 40) * 0x1.0p-24;
		double		u_retry = (double) ((x >> 16) & 0xFFFFFF) * 0x1.0p-24;
		int64_t		step = STEP_MIN_US + (int64_t) ((x & 0xFFFF) % STEP_SPAN_US);
		double		keep = node->rpc == cut_rpc ? node->keep * cut_keep : node->keep;

		present[k] = present[node->parent] && synth_node_active(node, bucket) && u_keep < keep;
		if (!present[k])
			continue;
		ts += step;
		append(&t->mem, out, ts, chain_id, node->rpc, tree);
		if (u_retry < retry_prob)
		{
			ts += step;
			append(&t->mem, out, ts, chain_id, node->rpc, tree);
		}
	}
}
