/*
 * dbscan.h -- DBSCAN of chain instances under the overlap distance
 * d(A,B) = 1 - |A n B| / min(|A|,|B|) (Algorithm 2), without comparing all
 * pairs, and the union-find it and the connected-components baseline use.
 */
#ifndef INFORMER_DBSCAN_H
#define INFORMER_DBSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "chains.h"

typedef enum DbscanRole
{
	DBSCAN_NOISE = 0,			/* also: an empty chain */
	DBSCAN_CORE,
	DBSCAN_BORDER,
	DBSCAN_DUPLICATE,			/* identical to an earlier chain: takes its cluster */
	DBSCAN_SUBSET				/* strict subset of another chain: set aside */
} DbscanRole;

typedef enum DbscanStatus
{
	DBSCAN_OK = 0,
	DBSCAN_STOPPED,				/* should_stop said so */
	DBSCAN_NO_MEMORY,			/* malloc failed */
	DBSCAN_OVER_LIMIT			/* would need more than max_bytes */
} DbscanStatus;

/* Denominator of the exact eps: eps is taken to 9 decimal places. */
#define DBSCAN_EPS_DEN INT64_C(1000000000)

typedef struct DbscanParams
{
	int64_t		eps_num;		/* eps = eps_num / DBSCAN_EPS_DEN, 0 <= eps < 1 */
	int64_t		min_pts;		/* >= 1, duplicates count as points */
	size_t		max_bytes;		/* memory the run may use, 0 = no limit */
	int			(*should_stop) (void *arg);	/* polled every few thousand steps; may be NULL */
	void	   *stop_arg;
} DbscanParams;

/*
 * eps as eps_num / DBSCAN_EPS_DEN (rounded to 9 decimals).  Returns -1 when
 * eps is NaN or outside [0, 1).
 */
int			dbscan_eps_num(double eps, int64_t *eps_num);

/*
 * 1 if two sets with |A n B| = common and min(|A|,|B|) = smaller are
 * neighbours, d <= eps, decided in exact integer arithmetic.
 */
int			dbscan_is_neighbour(size_t common, size_t smaller, int64_t eps_num);

typedef struct DbscanStats
{
	int32_t		clusters;
	size_t		distinct;		/* distinct non-empty chains */
	size_t		subsets;		/* distinct chains set aside */
	size_t		bytes;			/* memory the run needs (an upper bound) */
} DbscanStats;

/*
 * Cluster the chains: cluster[i] is 1.. for chains in a cluster and -1 for
 * noise and set-aside chains; role[i] a DbscanRole.  Clusters are numbered
 * in the input order of their first core chain; a border chain joins the
 * lowest-numbered cluster among its core neighbours.  stats is filled as
 * far as the run got (bytes as soon as the chains are de-duplicated).
 */
DbscanStatus dbscan_run(const ChainSet *cs, const DbscanParams *p,
						int32_t *cluster, uint8_t *role, DbscanStats *stats);

/* union-find over parent[]: parent[x] == x for roots */
uint32_t	uf_find(uint32_t *parent, uint32_t x);
void		uf_union(uint32_t *parent, uint32_t a, uint32_t b);

/*
 * The paper's baseline: connected components of the Algorithm 1 graph of
 * n RPCs (src[k] -> dst[k], service numbers in [0, nservices)).  Two RPCs
 * are adjacent when they share a service, so the components are those of
 * the service graph.  comp[k] gets 1.. numbered by first RPC; returns the
 * number of components, or -1 when out of memory.
 */
int32_t		components_of_rpcs(const int32_t *src, const int32_t *dst, size_t n,
							   int32_t nservices, int32_t *comp);

#endif
