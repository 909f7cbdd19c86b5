/*
 * test_dbscan_ref.c -- the all-pairs DBSCAN reference and chain generators
 * for the DBSCAN tests and benchmark (no TEST here).
 */
#include "test_dbscan_ref.h"

#include <stdlib.h>
#include <string.h>

#include "dbscan.h"
#include "rpcset.h"

static uint64_t
next_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t	z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int
rand_below(uint64_t *s, int n)
{
	return (int) (next_rand(s) % (uint64_t) n);
}

void
owned_chains_free(OwnedChains *oc)
{
	free(oc->off);
	free(oc->ids);
	memset(oc, 0, sizeof(*oc));
}

static void
owned_init(OwnedChains *oc, size_t n, size_t max_len)
{
	oc->off = malloc(sizeof(size_t) * (n + 1));
	oc->ids = malloc(sizeof(int32_t) * (n * max_len + 1));
	oc->off[0] = 0;
	oc->cs.n = 0;
	oc->cs.off = oc->off;
	oc->cs.ids = oc->ids;
}

/* append a chain (normalised here) */
static void
owned_push(OwnedChains *oc, int32_t *ids, size_t len)
{
	size_t		n = oc->cs.n;

	len = rpcset_normalize(ids, len);
	memcpy(oc->ids + oc->off[n], ids, len * sizeof(int32_t));
	oc->off[n + 1] = oc->off[n] + len;
	oc->cs.n++;
}

void
ref_random_chains(OwnedChains *oc, size_t n, int max_len, int universe, uint64_t seed)
{
	int32_t		buf[256];

	owned_init(oc, n, (size_t) max_len);
	for (size_t i = 0; i < n; i++)
	{
		size_t		len;

		if (i > 0 && rand_below(&seed, 5) == 0)
		{
			size_t		j = (size_t) rand_below(&seed, (int) i);

			len = CHAIN_LEN(&oc->cs, j);
			memcpy(buf, CHAIN_IDS(&oc->cs, j), len * sizeof(int32_t));
		}
		else
		{
			len = 1 + (size_t) rand_below(&seed, max_len);
			for (size_t k = 0; k < len; k++)
				buf[k] = 1 + rand_below(&seed, universe);
		}
		owned_push(oc, buf, len);
	}
}

void
ref_generated_chains(OwnedChains *oc, size_t n, int nfunc, uint64_t seed)
{
	int32_t		buf[128];

	owned_init(oc, n, 128);
	for (size_t i = 0; i < n; i++)
	{
		int			f = rand_below(&seed, nfunc);
		uint64_t	fs = 1000003ULL * (uint64_t) (f + 1);	/* the functionality's shape */
		int			trunk = 20 + rand_below(&fs, 21);
		int32_t		base = 1000 + 100 * f;
		size_t		len = 0;

		for (int k = 0; k < trunk; k++)
			buf[len++] = base + k;
		for (int b = 0; b < 3; b++)		/* branches of 3 RPCs */
			if (rand_below(&seed, 2))
				for (int k = 0; k < 3; k++)
					buf[len++] = base + 60 + 3 * b + k;
		for (int c = 0; c < 4; c++)		/* common RPCs (auth, cache, ...) */
			if (rand_below(&seed, 3) == 0)
				buf[len++] = 1 + c;
		if (rand_below(&seed, 10) == 0)	/* a rare alternative call */
			buf[len++] = base + 80 + rand_below(&seed, 5);
		owned_push(oc, buf, len);
	}
}

/* ---- the all-pairs reference ---- */

static int
same(const ChainSet *cs, size_t a, size_t b)
{
	return CHAIN_LEN(cs, a) == CHAIN_LEN(cs, b) &&
		rpcset_intersection_size(CHAIN_IDS(cs, a), CHAIN_LEN(cs, a),
								 CHAIN_IDS(cs, b), CHAIN_LEN(cs, b)) == CHAIN_LEN(cs, a);
}

static int
strict_subset(const ChainSet *cs, size_t a, size_t b)
{
	return CHAIN_LEN(cs, a) < CHAIN_LEN(cs, b) &&
		rpcset_intersection_size(CHAIN_IDS(cs, a), CHAIN_LEN(cs, a),
								 CHAIN_IDS(cs, b), CHAIN_LEN(cs, b)) == CHAIN_LEN(cs, a);
}

static int
near(const ChainSet *cs, size_t a, size_t b, double eps)
{
	/* the distance in floating point, with slack for pairs exactly on eps */
	return rpcset_overlap_distance(CHAIN_IDS(cs, a), CHAIN_LEN(cs, a),
								   CHAIN_IDS(cs, b), CHAIN_LEN(cs, b)) <= eps + 1e-12;
}

static void
label_from(const ChainSet *cs, const uint8_t *core, double eps, size_t start,
		   int32_t id, int32_t *cluster, size_t *stack)
{
	size_t		top = 0;

	cluster[start] = id;
	stack[top++] = start;
	while (top > 0)
	{
		size_t		a = stack[--top];

		for (size_t b = 0; b < cs->n; b++)
			if (core[b] && cluster[b] < 0 && near(cs, a, b, eps))
			{
				cluster[b] = id;
				stack[top++] = b;
			}
	}
}

void
ref_dbscan(const ChainSet *cs, double eps, int64_t min_pts,
		   int32_t *cluster, uint8_t *role)
{
	size_t		n = cs->n;
	uint8_t    *point = calloc(n + 1, 1);
	uint8_t    *core = calloc(n + 1, 1);
	size_t	   *stack = malloc(sizeof(size_t) * (n + 1));
	int32_t		next = 0;

	for (size_t i = 0; i < n; i++)
	{
		point[i] = CHAIN_LEN(cs, i) > 0;
		for (size_t j = 0; j < n && point[i]; j++)
			if (strict_subset(cs, i, j))
				point[i] = 0;
		cluster[i] = -1;
	}
	for (size_t i = 0; i < n; i++)
	{
		int64_t		count = 0;

		for (size_t j = 0; j < n && point[i]; j++)
			count += point[j] && near(cs, i, j, eps);
		core[i] = point[i] && count >= min_pts;
	}
	for (size_t i = 0; i < n; i++)
		if (core[i] && cluster[i] < 0)
			label_from(cs, core, eps, i, ++next, cluster, stack);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n && point[i] && !core[i]; j++)
			if (core[j] && near(cs, i, j, eps) && (cluster[i] < 0 || cluster[j] < cluster[i]))
				cluster[i] = cluster[j];
	for (size_t i = 0; i < n; i++)
	{
		int			dup = 0;

		for (size_t j = 0; j < i && !dup; j++)
			dup = CHAIN_LEN(cs, i) > 0 && same(cs, i, j);
		if (dup)
			role[i] = DBSCAN_DUPLICATE;
		else if (CHAIN_LEN(cs, i) > 0 && !point[i])
			role[i] = DBSCAN_SUBSET;
		else if (core[i])
			role[i] = DBSCAN_CORE;
		else
			role[i] = cluster[i] > 0 ? DBSCAN_BORDER : DBSCAN_NOISE;
	}
	free(point);
	free(core);
	free(stack);
}
