/*
 * test_dbscan_ref.h -- what the DBSCAN tests and benchmark compare with:
 * a plain all-pairs DBSCAN over every input chain, and generators of
 * random and of realistic (functionality-tree) chains.
 */
#ifndef INFORMER_TEST_DBSCAN_REF_H
#define INFORMER_TEST_DBSCAN_REF_H

#include <stddef.h>
#include <stdint.h>

#include "chains.h"

/* a ChainSet that owns its arrays */
typedef struct OwnedChains
{
	ChainSet	cs;
	size_t	   *off;
	int32_t    *ids;
} OwnedChains;

void		owned_chains_free(OwnedChains *oc);

/*
 * n chains of chain_len in [1, max_len] random ids in [1, universe] (some
 * chains repeat an earlier one), seeded.
 */
void		ref_random_chains(OwnedChains *oc, size_t n, int max_len, int universe, uint64_t seed);

/*
 * n chains from nfunc functionalities: each has a fixed trunk of 20-40
 * RPCs, optional branches (taken together or not), a few shared common
 * RPCs and rare alternative calls, as services calling services do.
 */
void		ref_generated_chains(OwnedChains *oc, size_t n, int nfunc, uint64_t seed);

/*
 * The textbook O(n^2) DBSCAN with the same conventions as dbscan_run
 * (duplicates are points; subsets and empty chains left out; clusters
 * numbered by first core chain; borders join their lowest cluster).
 */
void		ref_dbscan(const ChainSet *cs, double eps, int64_t min_pts,
					   int32_t *cluster, uint8_t *role);

#endif
