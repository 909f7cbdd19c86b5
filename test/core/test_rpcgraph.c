/*
 * test_rpcgraph.c -- Algorithm 1 on hand-made RPC sets, and the random-walk
 * supports against the DCRNN reference fixture (dcrnn-parity/tiny_f32) and
 * against their definition on a graph with a zero-degree node.
 */
#include "unit.h"

#include <stdlib.h>

#include "rpcgraph.h"

/* raw little-endian float32 file of exactly n values; 0 on success */
static int
read_f32(const char *name, float *out, size_t n)
{
	char		path[1024];
	FILE	   *f;
	size_t		got;

	snprintf(path, sizeof path, "%s/dcrnn-parity/tiny_f32/%s", unit_data_dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	got = fread(out, sizeof(float), n, f);
	got += fread(out, 1, 1, f); /* one byte more means a longer file */
	fclose(f);
	return got == n ? 0 : -1;
}

TEST(rpcgraph_supports_match_dcrnn_fixture)
{
	float		w[25], s0[25], s1[25], ref0[25], ref1[25];

	if (read_f32("adjacency.bin", w, 25) != 0)
		SKIP("dcrnn-parity/tiny_f32 not found");
	REQUIRE(read_f32("support_0.bin", ref0, 25) == 0);
	REQUIRE(read_f32("support_1.bin", ref1, 25) == 0);
	rpcgraph_supports(w, 5, s0, s1);
	for (int k = 0; k < 25; k++)
	{
		CHECK_CLOSE(s0[k], ref0[k], 0, 1e-7);
		CHECK_CLOSE(s1[k], ref1[k], 0, 1e-7);
	}
}

TEST(rpcgraph_supports_zero_degree_gives_zero_rows)
{
	/* 0 -> 1 (2.0), 0 -> 2 (1.0), 2 -> 1 (4.0); node 3 isolated */
	float		w[16] = {0, 2, 1, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0};
	float		s0[16], s1[16];

	rpcgraph_supports(w, 4, s0, s1);
	/* D_O^-1 W: row 0 = (0, 2/3, 1/3, 0), row 2 = (0, 1, 0, 0); S0 is its transpose */
	CHECK_CLOSE(s0[1 * 4 + 0], 2.0 / 3.0, 1e-6, 0);
	CHECK_CLOSE(s0[2 * 4 + 0], 1.0 / 3.0, 1e-6, 0);
	CHECK_CLOSE(s0[1 * 4 + 2], 1.0, 1e-6, 0);
	/* D_I^-1 W^T: in(1) = 6, in(2) = 1: row 1 = (2/6, 0, 4/6, 0), row 2 = (1, 0, 0, 0) */
	CHECK_CLOSE(s1[0 * 4 + 1], 2.0 / 6.0, 1e-6, 0);
	CHECK_CLOSE(s1[2 * 4 + 1], 4.0 / 6.0, 1e-6, 0);
	CHECK_CLOSE(s1[0 * 4 + 2], 1.0, 1e-6, 0);
	double		total = 0;

	for (int k = 0; k < 16; k++)
	{
		CHECK(s0[k] == s0[k] && s1[k] == s1[k]);	/* no NaN from 0/0 */
		total += s0[k] + s1[k];
	}
	CHECK_CLOSE(total, 4.0, 1e-6, 0);	/* two non-zero rows in each walk */
	for (int k = 0; k < 4; k++)
		CHECK(s0[k * 4 + 3] == 0 && s0[3 * 4 + k] == 0 && s1[k * 4 + 3] == 0);
}

TEST(rpcgraph_adjacency_follows_algorithm_1)
{
	/*
	 * services: a=0 b=1 c=2 d=3.  RPCs: 0 a->b, 1 b->c, 2 a->c, 3 c->a, 4 d->d.
	 * 0,1: b is 0's dst and 1's src: 0 -> 1 weight 1.
	 * 0,2: same src a: 0.5 both ways.
	 * 0,3: 3's dst is 0's src: 3 -> 0 weight 1.
	 * 1,2: same dst c: 0.5 both.  1,3: 1's dst c is 3's src: 1 -> 3 weight 1.
	 * 2,3: 2's dst is 3's src (2 -> 3 = 1), 3's dst is 2's src (3 -> 2 = 1).
	 * 4 shares nothing, and nobody gets a self-loop.
	 */
	static const int32_t src[] = {0, 1, 0, 2, 3};
	static const int32_t dst[] = {1, 2, 2, 0, 3};
	static const float expect[25] = {
		0, 1, 0.5f, 0, 0,
		0, 0, 0.5f, 1, 0,
		0.5f, 0.5f, 0, 1, 0,
		1, 0, 1, 0, 0,
		0, 0, 0, 0, 0};
	float		w[25];

	rpcgraph_adjacency(src, dst, 5, w);
	for (int k = 0; k < 25; k++)
		CHECK(w[k] == expect[k]);
}
