/*
 * chains.c -- de-duplication, rarity ranking and subset set-aside of chain
 * instances (the steps of Algorithm 2 before DBSCAN).
 */
#include "chains.h"

#include <stdlib.h>
#include <string.h>

typedef struct HashedChain
{
	uint64_t	hash;
	size_t		index;
} HashedChain;

static uint64_t
hash_chain(const int32_t *ids, size_t n)
{
	uint64_t	h = 1469598103934665603ULL ^ (uint64_t) n;

	for (size_t i = 0; i < n; i++)
	{
		h ^= (uint32_t) ids[i];
		h *= 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

static int
cmp_hashed(const void *pa, const void *pb)
{
	const HashedChain *a = pa, *b = pb;

	if (a->hash != b->hash)
		return (a->hash > b->hash) - (a->hash < b->hash);
	return (a->index > b->index) - (a->index < b->index);
}

static int
same_chain(const ChainSet *cs, size_t a, size_t b)
{
	size_t		n = CHAIN_LEN(cs, a);

	return n == CHAIN_LEN(cs, b) &&
		(n == 0 || memcmp(CHAIN_IDS(cs, a), CHAIN_IDS(cs, b), n * sizeof(int32_t)) == 0);
}

/*
 * Within a run of equal hashes (sorted by input index), each chain's
 * representative is the first earlier chain of the run with the same ids.
 */
static size_t
dedup_run(const ChainSet *cs, const HashedChain *run, size_t len, size_t *rep)
{
	size_t		distinct = 0;

	for (size_t k = 0; k < len; k++)
	{
		size_t		i = run[k].index;

		rep[i] = i;
		for (size_t j = 0; j < k; j++)
		{
			size_t		first = run[j].index;

			if (rep[first] == first && same_chain(cs, first, i))
			{
				rep[i] = first;
				break;
			}
		}
		distinct += rep[i] == i;
	}
	return distinct;
}

size_t
chains_dedup(const ChainSet *cs, size_t *rep)
{
	HashedChain *h = malloc(sizeof(HashedChain) * (cs->n ? cs->n : 1));
	size_t		distinct = 0;

	if (h == NULL)
		return (size_t) -1;
	for (size_t i = 0; i < cs->n; i++)
	{
		h[i].hash = hash_chain(CHAIN_IDS(cs, i), CHAIN_LEN(cs, i));
		h[i].index = i;
	}
	qsort(h, cs->n, sizeof(HashedChain), cmp_hashed);
	for (size_t start = 0, end; start < cs->n; start = end)
	{
		for (end = start + 1; end < cs->n && h[end].hash == h[start].hash; end++)
			;
		distinct += dedup_run(cs, h + start, end - start, rep);
	}
	free(h);
	return distinct;
}

/* ---- rarity ranks ---- */

typedef struct IdCount
{
	int32_t		id;
	uint32_t	count;
} IdCount;

static int
cmp_int32(const void *pa, const void *pb)
{
	int32_t		a = *(const int32_t *) pa, b = *(const int32_t *) pb;

	return (a > b) - (a < b);
}

static int
cmp_rarity(const void *pa, const void *pb)
{
	const IdCount *a = pa, *b = pb;

	if (a->count != b->count)
		return (a->count > b->count) - (a->count < b->count);
	return (a->id > b->id) - (a->id < b->id);
}

static int
cmp_uint32(const void *pa, const void *pb)
{
	uint32_t	a = *(const uint32_t *) pa, b = *(const uint32_t *) pb;

	return (a > b) - (a < b);
}

static size_t
find_id(const int32_t *sorted, size_t n, int32_t id)
{
	const int32_t *p = bsearch(&id, sorted, n, sizeof(int32_t), cmp_int32);

	return (size_t) (p - sorted);
}

/* The distinct ids of the ranked chains, sorted, in rc->ranks' storage. */
static size_t
collect_ids(const ChainSet *cs, const RankedChains *rc, int32_t *ids)
{
	size_t		k = 0;

	for (size_t u = 0; u < rc->n; u++)
	{
		size_t		i = rc->chain[u];

		memcpy(ids + k, CHAIN_IDS(cs, i), CHAIN_LEN(cs, i) * sizeof(int32_t));
		k += CHAIN_LEN(cs, i);
	}
	qsort(ids, k, sizeof(int32_t), cmp_int32);
	size_t		out = 0;

	for (size_t j = 0; j < k; j++)
		if (out == 0 || ids[out - 1] != ids[j])
			ids[out++] = ids[j];
	return out;
}

/* rank_of[d] for each distinct id d (index into the sorted id list) */
static int
rank_ids(const ChainSet *cs, const RankedChains *rc, const int32_t *ids,
		 size_t nids, uint32_t *rank_of)
{
	IdCount    *c = calloc(nids ? nids : 1, sizeof(IdCount));

	if (c == NULL)
		return -1;
	for (size_t d = 0; d < nids; d++)
		c[d].id = ids[d];
	for (size_t u = 0; u < rc->n; u++)
	{
		size_t		i = rc->chain[u];

		for (size_t k = 0; k < CHAIN_LEN(cs, i); k++)
			c[find_id(ids, nids, CHAIN_IDS(cs, i)[k])].count++;
	}
	qsort(c, nids, sizeof(IdCount), cmp_rarity);
	for (size_t r = 0; r < nids; r++)
		rank_of[find_id(ids, nids, c[r].id)] = (uint32_t) r;
	free(c);
	return 0;
}

static int
alloc_ranked(RankedChains *rc, size_t n, size_t total)
{
	rc->chain = malloc(sizeof(size_t) * (n ? n : 1));
	rc->weight = calloc(n ? n : 1, sizeof(uint32_t));
	rc->off = malloc(sizeof(size_t) * (n + 1));
	rc->ranks = malloc(sizeof(uint32_t) * (total ? total : 1));
	return rc->chain && rc->weight && rc->off && rc->ranks ? 0 : -1;
}

int
chains_rank(const ChainSet *cs, const size_t *rep, RankedChains *rc)
{
	size_t		n = 0, total = 0;
	int32_t    *ids = NULL;
	uint32_t   *rank_of = NULL;
	int			rc_status = -1;

	memset(rc, 0, sizeof(*rc));
	for (size_t i = 0; i < cs->n; i++)
		if (rep[i] == i && CHAIN_LEN(cs, i) > 0)
		{
			n++;
			total += CHAIN_LEN(cs, i);
		}
	if (alloc_ranked(rc, n, total) != 0)
		goto done;

	/* distinct non-empty chains, in input order */
	rc->n = n;
	rc->off[0] = 0;
	for (size_t i = 0, u = 0; i < cs->n; i++)
		if (rep[i] == i && CHAIN_LEN(cs, i) > 0)
		{
			rc->chain[u] = i;
			rc->off[u + 1] = rc->off[u] + CHAIN_LEN(cs, i);
			u++;
		}

	ids = malloc(sizeof(int32_t) * (total ? total : 1));
	if (ids == NULL)
		goto done;
	size_t		nids = collect_ids(cs, rc, ids);

	rank_of = malloc(sizeof(uint32_t) * (nids ? nids : 1));
	if (rank_of == NULL || rank_ids(cs, rc, ids, nids, rank_of) != 0)
		goto done;
	rc->nranks = (uint32_t) nids;
	for (size_t u = 0; u < n; u++)
	{
		size_t		i = rc->chain[u];
		uint32_t   *r = rc->ranks + rc->off[u];

		for (size_t k = 0; k < CHAIN_LEN(cs, i); k++)
			r[k] = rank_of[find_id(ids, nids, CHAIN_IDS(cs, i)[k])];
		qsort(r, CHAIN_LEN(cs, i), sizeof(uint32_t), cmp_uint32);
	}
	for (size_t i = 0; i < cs->n; i++)
		if (CHAIN_LEN(cs, i) > 0)
			rc->weight[chains_unique_index(rc, rep[i])]++;
	rc_status = 0;
done:
	free(ids);
	free(rank_of);
	if (rc_status != 0)
		chains_rank_free(rc);
	return rc_status;
}

static int
cmp_size(const void *pa, const void *pb)
{
	size_t		a = *(const size_t *) pa, b = *(const size_t *) pb;

	return (a > b) - (a < b);
}

size_t
chains_unique_index(const RankedChains *rc, size_t input_index)
{
	const size_t *p = bsearch(&input_index, rc->chain, rc->n, sizeof(size_t), cmp_size);

	return p ? (size_t) (p - rc->chain) : (size_t) -1;
}

void
chains_rank_free(RankedChains *rc)
{
	free(rc->chain);
	free(rc->weight);
	free(rc->off);
	free(rc->ranks);
	memset(rc, 0, sizeof(*rc));
}

/* ---- subsets ---- */

/* 1 if rank-sorted a[0..na) is contained in b[0..nb) */
static int
is_contained(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t		j = 0;

	for (size_t i = 0; i < na; i++)
	{
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			return 0;
		j++;
	}
	return 1;
}

/*
 * Chains holding each rank: post[pstart[r] .. pstart[r+1]), in CSR form.
 * Returns NULL when out of memory.
 */
static uint32_t *
build_postings(const RankedChains *rc, size_t **pstart_out)
{
	size_t	   *pstart = calloc((size_t) rc->nranks + 1, sizeof(size_t));
	uint32_t   *post = malloc(sizeof(uint32_t) * (rc->off[rc->n] ? rc->off[rc->n] : 1));

	if (pstart == NULL || post == NULL)
	{
		free(pstart);
		free(post);
		return NULL;
	}
	for (size_t k = 0; k < rc->off[rc->n]; k++)
		pstart[rc->ranks[k] + 1]++;
	for (uint32_t r = 0; r < rc->nranks; r++)
		pstart[r + 1] += pstart[r];
	for (size_t u = 0; u < rc->n; u++)
		for (size_t k = rc->off[u]; k < rc->off[u + 1]; k++)
			post[pstart[rc->ranks[k]]++] = (uint32_t) u;
	for (uint32_t r = rc->nranks; r > 0; r--)
		pstart[r] = pstart[r - 1];
	pstart[0] = 0;
	*pstart_out = pstart;
	return post;
}

int
chains_mark_subsets(const RankedChains *rc, uint8_t *subset,
					int (*should_stop) (void *), void *stop_arg)
{
	size_t	   *pstart;
	uint32_t   *post = build_postings(rc, &pstart);
	size_t		steps = 0;

	if (post == NULL)
		return -1;
	for (size_t u = 0; u < rc->n; u++)
	{
		const uint32_t *a = rc->ranks + rc->off[u];
		size_t		na = rc->off[u + 1] - rc->off[u];

		/* a superset must hold a's rarest RPC */
		subset[u] = 0;
		for (size_t k = pstart[a[0]]; k < pstart[a[0] + 1] && !subset[u]; k++)
		{
			uint32_t	v = post[k];
			size_t		nb = rc->off[v + 1] - rc->off[v];

			subset[u] = nb > na && is_contained(a, na, rc->ranks + rc->off[v], nb);
			if (should_stop && (++steps & 4095) == 0 && should_stop(stop_arg))
			{
				free(pstart);
				free(post);
				return 1;
			}
		}
	}
	free(pstart);
	free(post);
	return 0;
}
