/*
 * train_group.c -- the grouping rule of train_group.h: sort the trainings
 * by buckets and descending N, then fill each group greedily from its
 * largest member while the next one is large enough, the group is not full
 * and the memory still fits.
 */
#include "train_group.h"

#include <stdlib.h>

double
train_group_member_bytes(const DcrnnConfig *cfg, int padded_nodes, int n_buckets, int n_nodes)
{
	DcrnnConfig c = *cfg;

	c.num_nodes = padded_nodes;
	return (double) dcrnn_memory_bytes(&c) +
		(double) n_buckets * n_nodes * (sizeof(double) * 2 + sizeof(float));
}

typedef struct Key
{
	int			n_buckets;
	int			n_nodes;
	int			index;
} Key;

static int
cmp_key(const void *a, const void *b)
{
	const Key  *x = a, *y = b;

	if (x->n_buckets != y->n_buckets)
		return x->n_buckets < y->n_buckets ? -1 : 1;
	if (x->n_nodes != y->n_nodes)
		return x->n_nodes > y->n_nodes ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* order: 0..k-1 sorted by the keys; -1 when memory runs short */
static int
sort_trainings(const int *n_buckets, const int *n_nodes, int k, int *order)
{
	Key		   *keys = malloc(sizeof(Key) * (size_t) (k > 0 ? k : 1));

	if (keys == NULL)
		return -1;
	for (int i = 0; i < k; i++)
		keys[i] = (Key) {n_buckets[i], n_nodes[i], i};
	qsort(keys, (size_t) k, sizeof(Key), cmp_key);
	for (int i = 0; i < k; i++)
		order[i] = keys[i].index;
	free(keys);
	return 0;
}

/* May training j join a group led by training lead that holds bytes already? */
static int
fits(const DcrnnConfig *cfg, const int *n_buckets, const int *n_nodes, int lead, int size,
	 int j, double bytes, double limit)
{
	int			nmax = n_nodes[lead];

	return n_buckets[j] == n_buckets[lead] &&
		(long) n_nodes[j] * TRAIN_GROUP_NODE_FILL_DEN >= (long) nmax * TRAIN_GROUP_NODE_FILL_NUM &&
		size < TRAIN_GROUP_MAX_SIZE &&
		bytes + train_group_member_bytes(cfg, nmax, n_buckets[j], n_nodes[j]) <= limit;
}

int
train_group_split(const DcrnnConfig *cfg, const int *n_buckets, const int *n_nodes, int k,
				  double limit, int *order, int *starts)
{
	int			groups = 0;

	if (sort_trainings(n_buckets, n_nodes, k, order) < 0)
		return -1;

	for (int i = 0; i < k;)
	{
		int			lead = order[i];
		double		bytes = train_group_member_bytes(cfg, n_nodes[lead], n_buckets[lead],
													 n_nodes[lead]);
		int			end = i + 1;

		while (end < k && fits(cfg, n_buckets, n_nodes, lead, end - i, order[end], bytes, limit))
		{
			bytes += train_group_member_bytes(cfg, n_nodes[lead], n_buckets[order[end]],
											  n_nodes[order[end]]);
			end++;
		}
		starts[groups++] = i;
		i = end;
	}
	starts[groups] = k;
	return groups;
}
