/*
 * test_dbscan.c -- DBSCAN of chains against the all-pairs reference
 * (random and generated chains), the exact eps boundary, edge cases,
 * stopping, and the connected-components baseline.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "dbscan.h"
#include "test_dbscan_ref.h"

/* dbscan_run and ref_dbscan agree chain by chain; returns clusters found */
static int32_t
check_against_ref(const ChainSet *cs, double eps, int64_t min_pts)
{
	size_t		n = cs->n ? cs->n : 1;
	int32_t    *cl = malloc(sizeof(int32_t) * n), *ref_cl = malloc(sizeof(int32_t) * n);
	uint8_t    *role = malloc(n), *ref_role = malloc(n);
	DbscanParams p = {0};
	DbscanStats st;

	CHECK(dbscan_eps_num(eps, &p.eps_num) == 0);
	p.min_pts = min_pts;
	CHECK(dbscan_run(cs, &p, cl, role, &st) == DBSCAN_OK);
	ref_dbscan(cs, eps, min_pts, ref_cl, ref_role);
	size_t		subsets = 0, distinct = 0;

	for (size_t i = 0; i < cs->n; i++)
	{
		subsets += ref_role[i] == DBSCAN_SUBSET;
		distinct += ref_role[i] != DBSCAN_DUPLICATE && CHAIN_LEN(cs, i) > 0;
	}
	CHECK(st.subsets == subsets && st.distinct == distinct);
	for (size_t i = 0; i < cs->n; i++)
		if (cl[i] != ref_cl[i] || role[i] != ref_role[i])
		{
			char		m[160];

			snprintf(m, sizeof m, "eps %g min_pts %lld chain %zu: cluster %d role %d, reference %d role %d",
					 eps, (long long) min_pts, i, cl[i], role[i], ref_cl[i], ref_role[i]);
			unit_fail(__FILE__, __LINE__, m);
			break;
		}
	free(cl);
	free(ref_cl);
	free(role);
	free(ref_role);
	return st.clusters;
}

static const double test_eps[] = {0.0, 0.05, 0.2, 0.34, 0.5, 0.75, 0.99};
static const int64_t test_min_pts[] = {1, 2, 3, 5, 40};

static void
check_grid(const ChainSet *cs)
{
	for (size_t e = 0; e < sizeof test_eps / sizeof test_eps[0]; e++)
		for (size_t m = 0; m < sizeof test_min_pts / sizeof test_min_pts[0]; m++)
			check_against_ref(cs, test_eps[e], test_min_pts[m]);
}

TEST(dbscan_random_sets_match_all_pairs)
{
	for (uint64_t seed = 1; seed <= 6; seed++)
	{
		OwnedChains oc;

		ref_random_chains(&oc, 150, 2 + (int) seed, 10 + 5 * (int) seed, seed);
		check_grid(&oc.cs);
		owned_chains_free(&oc);
	}
}

TEST(dbscan_generated_chains_match_all_pairs)
{
	OwnedChains oc;

	ref_generated_chains(&oc, 1500, 12, 42);
	CHECK(check_against_ref(&oc.cs, 0.05, 1) >= 12);
	check_against_ref(&oc.cs, 0.05, 3);
	check_against_ref(&oc.cs, 0.1, 2);
	check_against_ref(&oc.cs, 0.3, 1);
	owned_chains_free(&oc);
}

/* chains given as literal id lists, -1 terminated; 0 ends a chain */
static void
chains_of(OwnedChains *oc, const int32_t *spec)
{
	size_t		n = 0, k = 0;

	for (const int32_t *s = spec; *s != -1; s++)
		n += *s == 0;
	oc->off = malloc(sizeof(size_t) * (n + 1));
	oc->ids = malloc(sizeof(int32_t) * 64);
	oc->off[0] = 0;
	n = 0;
	for (const int32_t *s = spec; *s != -1; s++)
		if (*s == 0)
			oc->off[++n] = k;
		else
			oc->ids[k++] = *s;
	oc->cs.n = n;
	oc->cs.off = oc->off;
	oc->cs.ids = oc->ids;
}

static void
run(const ChainSet *cs, double eps, int64_t min_pts, int32_t *cl, uint8_t *role, int32_t *k)
{
	DbscanParams p = {0};
	DbscanStats st;

	dbscan_eps_num(eps, &p.eps_num);
	p.min_pts = min_pts;
	CHECK(dbscan_run(cs, &p, cl, role, &st) == DBSCAN_OK);
	*k = st.clusters;
}

TEST(dbscan_eps_is_inclusive_in_exact_arithmetic)
{
	int32_t		spec[64], cl[2], k;
	uint8_t		role[2];
	int64_t		e;
	size_t		s = 0;
	OwnedChains oc;

	/* two 20-RPC chains sharing 19: d = 1 - 19/20 = 0.05 exactly */
	for (int i = 1; i <= 20; i++)
		spec[s++] = i;
	spec[s++] = 0;
	for (int i = 2; i <= 21; i++)
		spec[s++] = i;
	spec[s++] = 0;
	spec[s] = -1;
	chains_of(&oc, spec);
	CHECK(1.0 - 19.0 / 20.0 > 0.05);	/* why a naive d <= eps fails */
	CHECK(dbscan_eps_num(0.05, &e) == 0 && e == 50000000);
	CHECK(dbscan_is_neighbour(19, 20, e));
	CHECK(!dbscan_is_neighbour(18, 20, e));
	run(&oc.cs, 0.05, 1, cl, role, &k);
	CHECK(k == 1 && cl[0] == 1 && cl[1] == 1);
	run(&oc.cs, 0.049, 1, cl, role, &k);
	CHECK(k == 2 && cl[0] == 1 && cl[1] == 2);
	run(&oc.cs, 0.05, 2, cl, role, &k);
	CHECK(k == 1 && role[0] == DBSCAN_CORE && role[1] == DBSCAN_CORE);
	run(&oc.cs, 0.05, 3, cl, role, &k);
	CHECK(k == 0 && cl[0] == -1 && role[0] == DBSCAN_NOISE && role[1] == DBSCAN_NOISE);
	owned_chains_free(&oc);
}

TEST(dbscan_bad_eps_is_refused)
{
	int64_t		e;

	CHECK(dbscan_eps_num(NAN, &e) == -1);
	CHECK(dbscan_eps_num(-0.01, &e) == -1);
	CHECK(dbscan_eps_num(1.0, &e) == -1);
	CHECK(dbscan_eps_num(0.9999999999, &e) == -1);	/* rounds to 1 */
	CHECK(dbscan_eps_num(INFINITY, &e) == -1);
	CHECK(dbscan_eps_num(0.0, &e) == 0 && e == 0);
	CHECK(dbscan_eps_num(0.999999999, &e) == 0 && e == 999999999);
}

TEST(dbscan_edge_cases)
{
	static const int32_t one[] = {3, 1, 2, 0, -1};
	static const int32_t same[] = {1, 2, 0, 1, 2, 0, 1, 2, 0, -1};
	static const int32_t disjoint[] = {1, 0, 2, 0, 3, 4, 0, 5, 6, 7, 0, -1};
	static const int32_t singles[] = {1, 0, 1, 0, 2, 0, 1, 2, 0, 0, -1};
	int32_t		cl[8], k;
	uint8_t		role[8];
	OwnedChains oc;

	chains_of(&oc, one);
	run(&oc.cs, 0.05, 1, cl, role, &k);
	CHECK(k == 1 && cl[0] == 1 && role[0] == DBSCAN_CORE);
	run(&oc.cs, 0.05, 2, cl, role, &k);	/* min_pts larger than the input */
	CHECK(k == 0 && cl[0] == -1 && role[0] == DBSCAN_NOISE);
	owned_chains_free(&oc);

	chains_of(&oc, same);		/* all identical: three points, one cluster */
	run(&oc.cs, 0.0, 3, cl, role, &k);
	CHECK(k == 1 && cl[0] == 1 && cl[1] == 1 && cl[2] == 1);
	CHECK(role[0] == DBSCAN_CORE && role[1] == DBSCAN_DUPLICATE && role[2] == DBSCAN_DUPLICATE);
	run(&oc.cs, 0.0, 4, cl, role, &k);
	CHECK(k == 0 && cl[2] == -1 && role[0] == DBSCAN_NOISE);
	owned_chains_free(&oc);

	chains_of(&oc, disjoint);	/* all disjoint: even eps near 1 keeps them apart */
	run(&oc.cs, 0.99, 1, cl, role, &k);
	CHECK(k == 4 && cl[0] == 1 && cl[1] == 2 && cl[2] == 3 && cl[3] == 4);
	owned_chains_free(&oc);

	chains_of(&oc, singles);	/* {1} {1} {2} {1,2} {}: singles are subsets */
	run(&oc.cs, 0.05, 1, cl, role, &k);
	CHECK(k == 1 && cl[3] == 1);
	CHECK(role[0] == DBSCAN_SUBSET && role[1] == DBSCAN_DUPLICATE && role[2] == DBSCAN_SUBSET);
	CHECK(cl[0] == -1 && cl[1] == -1 && cl[2] == -1);
	CHECK(role[4] == DBSCAN_NOISE && cl[4] == -1);	/* the empty chain */
	owned_chains_free(&oc);
}

TEST(dbscan_border_joins_lowest_cluster)
{
	/*
	 * a1..a3 and b1..b3 are mutually within 0.25; the bridge {3,4,12,13} is
	 * within 0.5 of a1 and b1 only.  With min_pts 4 only a1 and b1 are core
	 * (4 neighbours each, themselves included); the bridge has 3 and joins
	 * cluster 1, the lower of its two.
	 */
	static const int32_t spec[] = {1, 2, 3, 4, 0, 1, 2, 3, 5, 0, 1, 2, 3, 6, 0,
		12, 13, 14, 15, 0, 12, 14, 15, 16, 0, 12, 14, 15, 17, 0, 3, 4, 12, 13, 0, -1};
	int32_t		cl[7], k;
	uint8_t		role[7];
	OwnedChains oc;

	chains_of(&oc, spec);
	run(&oc.cs, 0.5, 4, cl, role, &k);
	CHECK(k == 2 && cl[0] == 1 && cl[3] == 2);
	CHECK(role[0] == DBSCAN_CORE && role[3] == DBSCAN_CORE);
	CHECK(role[1] == DBSCAN_BORDER && cl[1] == 1 && role[5] == DBSCAN_BORDER && cl[5] == 2);
	CHECK(role[6] == DBSCAN_BORDER && cl[6] == 1);
	check_against_ref(&oc.cs, 0.5, 4);
	owned_chains_free(&oc);
}

static int	stop_calls;

static int
stop_now(void *arg)
{
	stop_calls++;
	return *(int *) arg;
}

TEST(dbscan_stops_when_asked)
{
	OwnedChains oc;
	DbscanParams p = {0};
	int			yes = 1, no = 0;
	int32_t    *cl;
	uint8_t    *role;
	DbscanStats k;

	ref_generated_chains(&oc, 20000, 40, 7);
	cl = malloc(sizeof(int32_t) * oc.cs.n);
	role = malloc(oc.cs.n);
	dbscan_eps_num(0.3, &p.eps_num);
	p.min_pts = 2;
	p.should_stop = stop_now;
	p.stop_arg = &yes;
	stop_calls = 0;
	CHECK(dbscan_run(&oc.cs, &p, cl, role, &k) == DBSCAN_STOPPED);
	CHECK(stop_calls == 1);
	p.stop_arg = &no;
	stop_calls = 0;
	CHECK(dbscan_run(&oc.cs, &p, cl, role, &k) == DBSCAN_OK);
	CHECK(stop_calls > 1);

	/* a memory limit below what the run needs stops it before it starts */
	p.should_stop = NULL;
	p.max_bytes = k.bytes - 1;
	CHECK(dbscan_run(&oc.cs, &p, cl, role, &k) == DBSCAN_OVER_LIMIT);
	CHECK(k.bytes == p.max_bytes + 1 && k.distinct > 0 && k.clusters == 0);
	p.max_bytes = 100;
	CHECK(dbscan_run(&oc.cs, &p, cl, role, &k) == DBSCAN_OVER_LIMIT);
	free(cl);
	free(role);
	owned_chains_free(&oc);
}

TEST(dbscan_dedup_and_subsets)
{
	static const int32_t spec[] = {1, 2, 3, 0, 2, 3, 0, 1, 2, 3, 0, 3, 4, 0, 2, 3, 0, -1};
	size_t		rep[5];
	RankedChains rc;
	uint8_t		subset[4];
	OwnedChains oc;

	chains_of(&oc, spec);
	CHECK(chains_dedup(&oc.cs, rep) == 3);
	CHECK(rep[0] == 0 && rep[1] == 1 && rep[2] == 0 && rep[3] == 3 && rep[4] == 1);
	REQUIRE(chains_rank(&oc.cs, rep, &rc) == 0);
	CHECK(rc.n == 3 && rc.nranks == 4);
	CHECK(rc.weight[0] == 2 && rc.weight[1] == 2 && rc.weight[2] == 1);
	/* ids by (chains holding it, id): 1, 4, 2, 3 get ranks 0, 1, 2, 3 */
	CHECK(rc.ranks[rc.off[2]] == 1 && rc.ranks[rc.off[2] + 1] == 3);	/* {3,4} */
	CHECK(chains_mark_subsets(&rc, subset, NULL, NULL) == 0);
	CHECK(subset[0] == 0 && subset[1] == 1 && subset[2] == 0);
	chains_rank_free(&rc);
	owned_chains_free(&oc);
}

TEST(components_of_rpcs_by_shared_service)
{
	/* services 0..6: 0->1, 1->2 share 1; 3->4, 5->4 share 4; 6->6 alone */
	static const int32_t src[] = {0, 1, 3, 5, 6, 2};
	static const int32_t dst[] = {1, 2, 4, 4, 6, 0};
	int32_t		comp[6];

	CHECK(components_of_rpcs(src, dst, 6, 7, comp) == 3);
	CHECK(comp[0] == 1 && comp[1] == 1 && comp[5] == 1);
	CHECK(comp[2] == 2 && comp[3] == 2);
	CHECK(comp[4] == 3);
}
