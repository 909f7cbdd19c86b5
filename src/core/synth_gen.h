/*
 * synth_gen.h -- the synthetic RPC log as a stream of rows ordered by time.
 *
 * The generator fills one bucket at a time (every chain of every
 * functionality, sorted by time) and hands its rows out one by one, so the
 * memory held is one bucket's, whatever the length of the run.  Every
 * bucket, tree and chain draws from a stream of its own (seed, bucket,
 * tree, chain), so the output is the same for the same parameters.
 */
#ifndef INFORMER_SYNTH_GEN_H
#define INFORMER_SYNTH_GEN_H

#include "synth_chain.h"
#include "synth_events.h"

typedef struct SynthGen
{
	SynthParams p;
	SynthTopology *topo;
	SynthEvents events;
	int64_t		span_room;		/* chains start in [0, width - span_room) of a bucket */
	int64_t		next_bucket;	/* the bucket to fill next */
	SynthRows	rows;			/* the current bucket, sorted */
	size_t		pos;			/* next row to hand out */
	unsigned char *present;		/* scratch for chain sampling */
} SynthGen;

/* For valid parameters (synth_params_invalid() gives NULL). */
SynthGen   *synth_gen_create(const SynthParams *p, const SynthAllocator *mem);
void		synth_gen_free(SynthGen *g);

/* The next row in time order, or NULL after the last bucket. */
const SynthRow *synth_gen_next(SynthGen *g);

/* Draws the rows of one bucket into g->rows, sorted by time. */
void		synth_gen_fill_bucket(SynthGen *g, int64_t bucket);

#endif
