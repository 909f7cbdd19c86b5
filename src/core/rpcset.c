/*
 * rpcset.c -- sorted, duplicate-free RPC id sets and the overlap distance.
 */
#include "rpcset.h"

#include <stdlib.h>

static int
cmp_int32(const void *pa, const void *pb)
{
	int32_t a = *(const int32_t *) pa;
	int32_t b = *(const int32_t *) pb;

	return (a > b) - (a < b);
}

size_t
rpcset_normalize(int32_t *ids, size_t n)
{
	size_t out = 0;

	if (n < 2)
		return n;
	if (!rpcset_is_normalized(ids, n))
		qsort(ids, n, sizeof(int32_t), cmp_int32);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || ids[out - 1] != ids[i])
			ids[out++] = ids[i];
	return out;
}

int
rpcset_is_normalized(const int32_t *ids, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (ids[i - 1] >= ids[i])
			return 0;
	return 1;
}

size_t
rpcset_intersection_size(const int32_t *a, size_t na,
                         const int32_t *b, size_t nb)
{
	size_t i = 0, j = 0, common = 0;

	while (i < na && j < nb)
	{
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else
		{
			common++;
			i++;
			j++;
		}
	}
	return common;
}

double
rpcset_overlap_distance(const int32_t *a, size_t na,
                        const int32_t *b, size_t nb)
{
	size_t smaller = na < nb ? na : nb;

	return 1.0 - (double) rpcset_intersection_size(a, na, b, nb) / (double) smaller;
}

size_t
rpcset_union(const int32_t *a, size_t na, const int32_t *b, size_t nb,
             int32_t *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na || j < nb)
	{
		if (j == nb || (i < na && a[i] < b[j]))
			out[k++] = a[i++];
		else if (i == na || b[j] < a[i])
			out[k++] = b[j++];
		else
		{
			out[k++] = a[i++];
			j++;
		}
	}
	return k;
}
