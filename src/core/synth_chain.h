/*
 * synth_chain.h -- drawing one chain instance from a functionality's call
 * tree: optional branches are dropped (and everything beneath them), calls
 * are sometimes retried, calls of a failing RPC mostly vanish.
 */
#ifndef INFORMER_SYNTH_CHAIN_H
#define INFORMER_SYNTH_CHAIN_H

#include "synth_rng.h"
#include "synth_topology.h"

/* One call of the log, before it becomes an SQL row. */
typedef struct SynthRow
{
	int64_t		ts;				/* microseconds after params.start */
	uint64_t	chain;			/* chain id */
	int32_t		rpc;
	int32_t		tree;			/* the functionality the chain came from */
	uint32_t	seq;			/* order of drawing, breaks ties in ts */
} SynthRow;

typedef struct SynthRows
{
	SynthRow   *rows;
	size_t		n;
	size_t		cap;
} SynthRows;

/* The longest a chain lasts, in microseconds. */
int64_t synth_chain_max_span(const SynthTopology *t);

/*
 * Appends the calls of one chain of `tree` (starting at ts0) to out, in call
 * order.  `present` is scratch room for the tree's nodes.
 */
void synth_chain_sample(const SynthTopology *t, int32_t tree, int64_t bucket,
						double retry_prob, int32_t cut_rpc, double cut_keep,
						SynthRng *rng, int64_t ts0, uint64_t chain_id,
						unsigned char *present, SynthRows *out);

#endif
