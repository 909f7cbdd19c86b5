/*
 * components.c -- the paper's baseline for pattern mining: connected
 * components of the Algorithm 1 graph of all RPCs.  RPCs are adjacent in
 * that graph exactly when they share a service (as source or destination),
 * so a union-find over services joining each RPC's two ends finds them.
 */
#include "dbscan.h"

#include <stdlib.h>

int32_t
components_of_rpcs(const int32_t *src, const int32_t *dst, size_t n,
				   int32_t nservices, int32_t *comp)
{
	size_t		ns = nservices > 0 ? (size_t) nservices : 1;
	uint32_t   *parent = malloc(sizeof(uint32_t) * ns);
	int32_t    *root_id = malloc(sizeof(int32_t) * ns);
	int32_t		k = 0;

	if (parent == NULL || root_id == NULL)
	{
		free(parent);
		free(root_id);
		return -1;
	}
	for (size_t s = 0; s < ns; s++)
	{
		parent[s] = (uint32_t) s;
		root_id[s] = -1;
	}
	for (size_t i = 0; i < n; i++)
		uf_union(parent, (uint32_t) src[i], (uint32_t) dst[i]);
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	r = uf_find(parent, (uint32_t) src[i]);

		if (root_id[r] < 0)
			root_id[r] = ++k;
		comp[i] = root_id[r];
	}
	free(parent);
	free(root_id);
	return k;
}
