/*
 * chains.h -- chain instances as a compact list of RPC id sets, and the
 * two steps of Algorithm 2 that come before clustering: de-duplication of
 * identical chains and setting aside chains that are a strict subset of
 * another chain.
 */
#ifndef INFORMER_CHAINS_H
#define INFORMER_CHAINS_H

#include <stddef.h>
#include <stdint.h>

/*
 * n chains; chain i is ids[off[i] .. off[i+1]), a normalised set (sorted,
 * duplicate-free, see rpcset.h).  A chain may be empty.
 */
typedef struct ChainSet
{
	size_t		n;
	const size_t *off;			/* n + 1 offsets */
	const int32_t *ids;
} ChainSet;

#define CHAIN_LEN(cs, i) ((cs)->off[(i) + 1] - (cs)->off[(i)])
#define CHAIN_IDS(cs, i) ((cs)->ids + (cs)->off[(i)])

/*
 * Unique chains re-coded in rarity order: every RPC id is replaced by its
 * rank (0 = the id in the fewest unique chains, ties by id) and each set is
 * sorted by rank, so a set's first elements are its rarest.
 */
typedef struct RankedChains
{
	size_t		n;				/* unique chains */
	size_t	   *chain;			/* n: the input index of each (its first copy) */
	uint32_t   *weight;			/* n: how many input chains are identical to it */
	size_t	   *off;			/* n + 1 */
	uint32_t   *ranks;			/* off[n] ranks */
	uint32_t	nranks;			/* distinct RPC ids */
} RankedChains;

/*
 * rep[i] := the input index of the first chain identical to chain i (so
 * rep[i] == i for first copies).  Returns the number of distinct chains,
 * or (size_t) -1 when out of memory.
 */
size_t		chains_dedup(const ChainSet *cs, size_t *rep);

/*
 * Build the rarity-ranked form of the distinct, non-empty chains given by
 * rep (from chains_dedup).  Returns 0, or -1 when out of memory.
 */
int			chains_rank(const ChainSet *cs, const size_t *rep, RankedChains *rc);
void		chains_rank_free(RankedChains *rc);

/* The unique index of a first copy (rep[i] == i), or (size_t) -1 if empty. */
size_t		chains_unique_index(const RankedChains *rc, size_t input_index);

/*
 * subset[u] := 1 if unique chain u is a strict subset of another unique
 * chain, else 0.  Polls should_stop (may be NULL) now and then; returns 0,
 * 1 when stopped, -1 when out of memory.
 */
int			chains_mark_subsets(const RankedChains *rc, uint8_t *subset,
								int (*should_stop) (void *), void *stop_arg);

#endif
