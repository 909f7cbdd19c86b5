/*
 * test_rpcset.c -- RPC id sets and the overlap distance, against hand
 * computed cases and a brute-force reference on random sets.
 */
#include "unit.h"
#include "rpcset.h"

#include <stdlib.h>

/* Brute force: membership by linear scan, no sortedness assumed. */
static double
brute_distance(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	size_t common = 0;

	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (a[i] == b[j])
			{
				common++;
				break;
			}
	return 1.0 - (double) common / (double) (na < nb ? na : nb);
}

TEST(rpcset_normalize_sorts_and_dedups)
{
	int32_t v[] = {5, 3, 5, -1, 3, 3, 9};
	size_t n = rpcset_normalize(v, 7);

	REQUIRE(n == 4);
	CHECK(v[0] == -1 && v[1] == 3 && v[2] == 5 && v[3] == 9);
	CHECK(rpcset_is_normalized(v, n));
	CHECK(rpcset_normalize(v, 0) == 0);
}

TEST(rpcset_distance_hand_cases)
{
	int32_t a[] = {1, 2, 3, 4}, b[] = {3, 4, 5}, c[] = {7}, d[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, e[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 21};

	CHECK_CLOSE(rpcset_overlap_distance(a, 4, b, 3), 1.0 - 2.0 / 3.0, 0, 1e-15);
	CHECK(rpcset_overlap_distance(a, 4, a, 4) == 0.0);
	CHECK(rpcset_overlap_distance(a, 4, c, 1) == 1.0);
	CHECK(rpcset_overlap_distance(b, 2, a, 4) == 0.0);	/* {3,4} is a subset */
	CHECK_CLOSE(rpcset_overlap_distance(d, 20, e, 20), 0.05, 0, 1e-15);
}

TEST(rpcset_distance_matches_brute_force)
{
	int32_t a[64], b[64];

	srand(42);
	for (int trial = 0; trial < 5000; trial++)
	{
		size_t na = 1 + rand() % 40, nb = 1 + rand() % 40;
		int universe = 2 + rand() % 80;

		for (size_t i = 0; i < na; i++)
			a[i] = rand() % universe;
		for (size_t i = 0; i < nb; i++)
			b[i] = rand() % universe;
		na = rpcset_normalize(a, na);
		nb = rpcset_normalize(b, nb);
		CHECK(rpcset_overlap_distance(a, na, b, nb) == brute_distance(a, na, b, nb));
		CHECK(rpcset_overlap_distance(a, na, b, nb) == rpcset_overlap_distance(b, nb, a, na));
	}
}

TEST(rpcset_union_merges)
{
	int32_t a[] = {1, 4, 6}, b[] = {2, 4, 7, 9}, out[7];
	size_t n = rpcset_union(a, 3, b, 4, out);

	REQUIRE(n == 6);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 6 && out[4] == 7 && out[5] == 9);
	CHECK(rpcset_union(a, 3, NULL, 0, out) == 3);
}
