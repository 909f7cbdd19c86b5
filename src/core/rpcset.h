/*
 * rpcset.h -- sets of RPC ids: sorted, duplicate-free int32 arrays.
 *
 * A chain (all RPCs sharing a trace id) is represented by the set of its
 * RPC ids.  The overlap distance d(A,B) = 1 - |A n B| / min(|A|,|B|) is the
 * metric that pattern mining clusters chains with.
 */
#ifndef INFORMER_RPCSET_H
#define INFORMER_RPCSET_H

#include <stddef.h>
#include <stdint.h>

/* Sort ids in place and drop duplicates; returns the new length. */
size_t rpcset_normalize(int32_t *ids, size_t n);

/* 1 if ids[0..n) is strictly increasing (a normalised set), else 0. */
int rpcset_is_normalized(const int32_t *ids, size_t n);

/* |A n B| for two normalised sets (merge walk, O(|A| + |B|)). */
size_t rpcset_intersection_size(const int32_t *a, size_t na,
                                const int32_t *b, size_t nb);

/*
 * Overlap distance of two normalised, non-empty sets.  Both sizes must be
 * positive; the caller decides what an empty set means.
 */
double rpcset_overlap_distance(const int32_t *a, size_t na,
                               const int32_t *b, size_t nb);

/*
 * Merge two normalised sets into out (room for na + nb ids); returns the
 * size of the union.
 */
size_t rpcset_union(const int32_t *a, size_t na, const int32_t *b, size_t nb,
                    int32_t *out);

#endif
