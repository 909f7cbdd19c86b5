/*
 * rpcgraph.h -- the static RPC graph of a pattern (paper, Algorithm 1) and
 * the dual random-walk supports the DCRNN diffuses over.
 */
#ifndef INFORMER_RPCGRAPH_H
#define INFORMER_RPCGRAPH_H

#include <stdint.h>

/*
 * Weighted adjacency of n RPCs src[k] -> dst[k] (service numbers), n x n
 * row-major, w[i*n+j] = weight of edge i -> j.  For distinct RPCs i < j:
 * 0.5 both ways when they share their source or their destination; then 1
 * from i to j when i's destination is j's source, and 1 from j to i when
 * j's destination is i's source (later rules overwrite).  No self-loops:
 * the diffusion already keeps each node's own signal (its k = 0 term).
 */
void		rpcgraph_adjacency(const int32_t *src, const int32_t *dst, int n, float *w);

/* Dual random-walk supports of a weighted adjacency W (n x n, row-major, W[i*n+j] = weight of
 * edge i -> j), in the layout the DCRNN multiplies node signals by (x' = S x, nodes as rows):
 *   S0 = (D_O^-1 W)^T,  S1 = (D_I^-1 W^T)^T,  D_O = row sums, D_I = column sums,
 * row-major n x n floats; a node with zero degree gives zero rows in D^-1 W (never a division
 * by zero). */
void		rpcgraph_supports(const float *w, int n, float *s0, float *s1);

#endif
