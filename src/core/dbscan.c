/*
 * dbscan.c -- DBSCAN of chains under the overlap distance without an
 * all-pairs comparison.
 *
 * Identical chains are merged (their count is the point's weight) and
 * strict subsets set aside (chains.c).  The eps-neighbour pairs of the
 * rest are found by a prefix-filtered join: with 1 - eps = t, a pair needs
 * |A n B| >= o = ceil(t * |B|) for the smaller set B, so B must share one
 * of its first |B| - o + 1 rarest RPCs with A.  Only those prefixes are
 * indexed; chains are processed smallest first and probe the index with
 * all their RPCs, so each candidate pair is met once, at its rarest common
 * RPC.  A positional bound (the overlap left after that RPC) drops
 * candidates before the exact check.  With min_pts = 1 every point is core
 * and the clusters are the connected components of the pair graph
 * (union-find); otherwise the join runs once to count neighbours, once to
 * join core points and once to attach border points.
 */
#include "dbscan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
dbscan_eps_num(double eps, int64_t *eps_num)
{
	if (isnan(eps) || eps < 0.0 || eps >= 1.0)
		return -1;
	*eps_num = llround(eps * (double) DBSCAN_EPS_DEN);
	return *eps_num < DBSCAN_EPS_DEN ? 0 : -1;
}

int
dbscan_is_neighbour(size_t common, size_t smaller, int64_t eps_num)
{
	/* 1 - common/smaller <= eps_num/DEN  <=>  (smaller - common) DEN <= eps_num smaller */
	return (int64_t) (smaller - common) * DBSCAN_EPS_DEN <= eps_num * (int64_t) smaller;
}

/* the smallest overlap a set of size m needs with a larger-or-equal set */
static size_t
min_overlap(size_t m, int64_t eps_num)
{
	int64_t		t = DBSCAN_EPS_DEN - eps_num;

	return (size_t) (((int64_t) m * t + DBSCAN_EPS_DEN - 1) / DBSCAN_EPS_DEN);
}

uint32_t
uf_find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

void
uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	/* the lower index becomes the root: deterministic, and order-free */
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* ---- the prefix-filtered join ---- */

typedef struct Join
{
	const RankedChains *rc;
	int64_t		eps_num;
	uint32_t	nodes;			/* chains taking part (not set aside) */
	uint32_t   *order;			/* nodes by (size, input order) */
	uint32_t   *pos_of;			/* unique index -> position in order */
	size_t	   *pstart;			/* per rank: index entries [pstart[r], pstart[r+1]) */
	uint32_t   *enode;			/* entry: the chain, in processing order */
	uint32_t   *epos;			/* entry: position of the rank in that chain */
	uint32_t   *seen;			/* last probe (position + 1) that met a chain */
} Join;

typedef void (*PairFn) (void *arg, uint32_t a, uint32_t b);

#define RC_LEN(rc, u) ((rc)->off[(u) + 1] - (rc)->off[(u)])
#define RC_SET(rc, u) ((rc)->ranks + (rc)->off[(u)])

static int
cmp_uint64(const void *pa, const void *pb)
{
	uint64_t	a = *(const uint64_t *) pa, b = *(const uint64_t *) pb;

	return (a > b) - (a < b);
}

/* order := the chains not set aside, by (size, input order) */
static int
order_by_size(Join *j, const uint8_t *subset)
{
	uint64_t   *key = malloc(sizeof(uint64_t) * (j->rc->n ? j->rc->n : 1));

	if (key == NULL)
		return -1;
	for (uint32_t u = 0; u < j->rc->n; u++)
		if (!subset[u])
			key[j->nodes++] = ((uint64_t) RC_LEN(j->rc, u) << 32) | u;
	qsort(key, j->nodes, sizeof(uint64_t), cmp_uint64);
	for (uint32_t t = 0; t < j->nodes; t++)
	{
		j->order[t] = (uint32_t) key[t];
		j->pos_of[j->order[t]] = t;
	}
	free(key);
	return 0;
}

static void
join_free(Join *j)
{
	free(j->order);
	free(j->pos_of);
	free(j->pstart);
	free(j->enode);
	free(j->epos);
	free(j->seen);
}

static size_t
prefix_len(const Join *j, uint32_t u)
{
	size_t		m = RC_LEN(j->rc, u);

	return m - min_overlap(m, j->eps_num) + 1;
}

/* Index every node's prefix, entries of each rank in processing order. */
static void
join_index(Join *j)
{
	const RankedChains *rc = j->rc;

	for (uint32_t t = 0; t < j->nodes; t++)
	{
		uint32_t	u = j->order[t];

		for (size_t k = 0; k < prefix_len(j, u); k++)
			j->pstart[RC_SET(rc, u)[k] + 1]++;
	}
	for (uint32_t r = 0; r < rc->nranks; r++)
		j->pstart[r + 1] += j->pstart[r];
	for (uint32_t t = 0; t < j->nodes; t++)
	{
		uint32_t	u = j->order[t];

		for (size_t k = 0; k < prefix_len(j, u); k++)
		{
			size_t		e = j->pstart[RC_SET(rc, u)[k]]++;

			j->enode[e] = u;
			j->epos[e] = (uint32_t) k;
		}
	}
	for (uint32_t r = rc->nranks; r > 0; r--)
		j->pstart[r] = j->pstart[r - 1];
	j->pstart[0] = 0;
}

static int
join_init(Join *j, const RankedChains *rc, const uint8_t *subset, int64_t eps_num)
{
	size_t		n = rc->n ? rc->n : 1;

	memset(j, 0, sizeof(*j));
	j->rc = rc;
	j->eps_num = eps_num;
	j->order = malloc(sizeof(uint32_t) * n);
	j->pos_of = malloc(sizeof(uint32_t) * n);
	j->seen = calloc(n, sizeof(uint32_t));
	j->pstart = calloc((size_t) rc->nranks + 1, sizeof(size_t));
	j->enode = malloc(sizeof(uint32_t) * (rc->off[rc->n] + 1));
	j->epos = malloc(sizeof(uint32_t) * (rc->off[rc->n] + 1));
	if (!j->order || !j->pos_of || !j->seen || !j->pstart || !j->enode || !j->epos ||
		order_by_size(j, subset) != 0)
	{
		join_free(j);
		return -1;
	}
	join_index(j);
	return 0;
}

/*
 * Exact check of a candidate met first at a[q] == b[p] (nothing in common
 * before): b is the smaller set.
 */
static int
verify(const Join *j, const uint32_t *a, size_t na, size_t q,
	   const uint32_t *b, size_t nb, size_t p)
{
	size_t		need = min_overlap(nb, j->eps_num);
	size_t		common = 1;
	size_t		i = q + 1, k = p + 1;

	while (i < na && k < nb)
	{
		size_t		left = (na - i < nb - k) ? na - i : nb - k;

		if (common + left < need)
			return 0;
		if (a[i] < b[k])
			i++;
		else if (a[i] > b[k])
			k++;
		else
		{
			common++;
			i++;
			k++;
		}
	}
	return dbscan_is_neighbour(common, nb, j->eps_num);
}

/* Probe the index with node order[t]; fn for each neighbour met. */
static size_t
join_probe(Join *j, uint32_t t, PairFn fn, void *arg)
{
	const RankedChains *rc = j->rc;
	uint32_t	u = j->order[t];
	const uint32_t *a = RC_SET(rc, u);
	size_t		na = RC_LEN(rc, u), steps = 0;

	for (size_t q = 0; q < na; q++)
		for (size_t e = j->pstart[a[q]]; e < j->pstart[a[q] + 1]; e++)
		{
			uint32_t	v = j->enode[e];

			if (j->pos_of[v] >= t)
				break;			/* entries after this come later in order */
			steps++;
			if (j->seen[v] == t + 1)
				continue;
			j->seen[v] = t + 1;
			if (verify(j, a, na, q, RC_SET(rc, v), RC_LEN(rc, v), j->epos[e]))
				fn(arg, u, v);
		}
	return steps;
}

static DbscanStatus
join_each_pair(Join *j, PairFn fn, void *arg, const DbscanParams *p)
{
	size_t		steps = 0, polled = 0;

	memset(j->seen, 0, sizeof(uint32_t) * (j->rc->n ? j->rc->n : 1));
	for (uint32_t t = 0; t < j->nodes; t++)
	{
		steps += join_probe(j, t, fn, arg) + 1;
		if (p->should_stop && steps - polled >= 4096)
		{
			polled = steps;
			if (p->should_stop(p->stop_arg))
				return DBSCAN_STOPPED;
		}
	}
	return DBSCAN_OK;
}

/* ---- DBSCAN over the join ---- */

typedef struct Scan
{
	const RankedChains *rc;
	uint32_t   *parent;			/* union-find over unique chains */
	uint64_t   *weight_sum;		/* neighbours' weight, self included */
	uint8_t    *core;
	int32_t    *cl;				/* cluster of each unique chain, -1 none */
} Scan;

static void
pair_count(void *arg, uint32_t a, uint32_t b)
{
	Scan	   *s = arg;

	s->weight_sum[a] += s->rc->weight[b];
	s->weight_sum[b] += s->rc->weight[a];
}

static void
pair_join_cores(void *arg, uint32_t a, uint32_t b)
{
	Scan	   *s = arg;

	if (s->core[a] && s->core[b])
		uf_union(s->parent, a, b);
}

static void
border_of(Scan *s, uint32_t core, uint32_t other)
{
	if (s->core[core] && !s->core[other] &&
		(s->cl[other] < 0 || s->cl[core] < s->cl[other]))
		s->cl[other] = s->cl[core];
}

static void
pair_attach_border(void *arg, uint32_t a, uint32_t b)
{
	border_of(arg, a, b);
	border_of(arg, b, a);
}

/* clusters numbered in input order of their first core chain */
static int32_t
number_clusters(Scan *s, const uint8_t *subset)
{
	int32_t    *root_id = malloc(sizeof(int32_t) * (s->rc->n ? s->rc->n : 1));
	int32_t		k = 0;

	if (root_id == NULL)
		return -1;
	for (uint32_t u = 0; u < s->rc->n; u++)
		root_id[u] = -1;
	for (uint32_t u = 0; u < s->rc->n; u++)
	{
		s->cl[u] = -1;
		if (subset[u] || !s->core[u])
			continue;
		uint32_t	r = uf_find(s->parent, u);

		if (root_id[r] < 0)
			root_id[r] = ++k;
		s->cl[u] = root_id[r];
	}
	free(root_id);
	return k;
}

static DbscanStatus
scan(Scan *s, Join *j, const uint8_t *subset, const DbscanParams *p, int32_t *nclusters)
{
	DbscanStatus st = DBSCAN_OK;
	int			all_core = p->min_pts <= 1;

	for (uint32_t u = 0; u < s->rc->n; u++)
	{
		s->parent[u] = u;
		s->weight_sum[u] = s->rc->weight[u];
	}
	if (!all_core)
		st = join_each_pair(j, pair_count, s, p);
	for (uint32_t u = 0; u < s->rc->n; u++)
		s->core[u] = !subset[u] && (all_core || s->weight_sum[u] >= (uint64_t) p->min_pts);
	if (st == DBSCAN_OK)
		st = join_each_pair(j, pair_join_cores, s, p);
	if (st != DBSCAN_OK)
		return st;
	if ((*nclusters = number_clusters(s, subset)) < 0)
		return DBSCAN_NO_MEMORY;
	return all_core ? DBSCAN_OK : join_each_pair(j, pair_attach_border, s, p);
}

static DbscanRole
unique_role(const Scan *s, const uint8_t *subset, uint32_t u)
{
	if (subset[u])
		return DBSCAN_SUBSET;
	if (s->core[u])
		return DBSCAN_CORE;
	return s->cl[u] > 0 ? DBSCAN_BORDER : DBSCAN_NOISE;
}

static void
write_result(const ChainSet *cs, const size_t *rep, const Scan *s,
			 const uint8_t *subset, int32_t *cluster, uint8_t *role)
{
	for (size_t i = 0; i < cs->n; i++)
	{
		size_t		u = chains_unique_index(s->rc, rep[i]);

		cluster[i] = -1;
		role[i] = DBSCAN_NOISE;
		if (u == (size_t) -1)
			continue;			/* an empty chain */
		role[i] = rep[i] != i ? DBSCAN_DUPLICATE : unique_role(s, subset, (uint32_t) u);
		if (!subset[u])
			cluster[i] = s->cl[u];
	}
}

/*
 * What the run holds at its peak for n chains of which u are distinct with
 * ids ids in all: the representatives (8 bytes a chain), per distinct chain
 * about 64 bytes of arrays, and per id the ranked copy (4) beside either
 * the id tables (up to 16), the postings (12) or the prefix index (16).
 */
static size_t
memory_bytes(size_t n, size_t u, size_t ids)
{
	return n * sizeof(size_t) + u * 64 + ids * 20 + 64;
}

static size_t
distinct_ids(const ChainSet *cs, const size_t *rep, size_t *distinct)
{
	size_t		ids = 0;

	*distinct = 0;
	for (size_t i = 0; i < cs->n; i++)
		if (rep[i] == i && CHAIN_LEN(cs, i) > 0)
		{
			ids += CHAIN_LEN(cs, i);
			(*distinct)++;
		}
	return ids;
}

static DbscanStatus
cluster_distinct(const ChainSet *cs, const size_t *rep, const DbscanParams *p,
				 int32_t *cluster, uint8_t *role, DbscanStats *stats)
{
	RankedChains rc = {0};
	Scan		s = {0};
	Join		j = {0};
	uint8_t    *subset = NULL;
	DbscanStatus st = DBSCAN_NO_MEMORY;
	int			r;

	if (chains_rank(cs, rep, &rc) != 0)
		return DBSCAN_NO_MEMORY;
	subset = malloc(rc.n + 1);
	if (subset == NULL || (r = chains_mark_subsets(&rc, subset, p->should_stop, p->stop_arg)) < 0)
		goto done;
	st = DBSCAN_STOPPED;
	if (r == 1)
		goto done;
	for (size_t u = 0; u < rc.n; u++)
		stats->subsets += subset[u];
	st = DBSCAN_NO_MEMORY;
	s.rc = &rc;
	s.parent = malloc(sizeof(uint32_t) * (rc.n + 1));
	s.weight_sum = malloc(sizeof(uint64_t) * (rc.n + 1));
	s.core = malloc(rc.n + 1);
	s.cl = malloc(sizeof(int32_t) * (rc.n + 1));
	if (!s.parent || !s.weight_sum || !s.core || !s.cl ||
		join_init(&j, &rc, subset, p->eps_num) != 0)
		goto done;
	st = scan(&s, &j, subset, p, &stats->clusters);
	if (st == DBSCAN_OK)
		write_result(cs, rep, &s, subset, cluster, role);
	join_free(&j);
done:
	free(s.parent);
	free(s.weight_sum);
	free(s.core);
	free(s.cl);
	free(subset);
	chains_rank_free(&rc);
	return st;
}

DbscanStatus
dbscan_run(const ChainSet *cs, const DbscanParams *p,
		   int32_t *cluster, uint8_t *role, DbscanStats *stats)
{
	size_t	   *rep;
	DbscanStatus st;

	memset(stats, 0, sizeof(*stats));
	if (cs->n >= UINT32_MAX)
		return DBSCAN_OVER_LIMIT;
	/* the de-duplication itself needs 24 bytes a chain */
	stats->bytes = memory_bytes(cs->n, cs->n, cs->off[cs->n]);
	if (p->max_bytes > 0 && cs->n * 24 > p->max_bytes)
		return DBSCAN_OVER_LIMIT;
	rep = malloc(sizeof(size_t) * (cs->n ? cs->n : 1));
	if (rep == NULL || chains_dedup(cs, rep) == (size_t) -1)
	{
		free(rep);
		return DBSCAN_NO_MEMORY;
	}
	size_t		ids = distinct_ids(cs, rep, &stats->distinct);

	stats->bytes = memory_bytes(cs->n, stats->distinct, ids);
	if (p->max_bytes > 0 && stats->bytes > p->max_bytes)
		st = DBSCAN_OVER_LIMIT;
	else
		st = cluster_distinct(cs, rep, p, cluster, role, stats);
	free(rep);
	return st;
}
