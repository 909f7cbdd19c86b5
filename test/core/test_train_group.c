/*
 * test_train_group.c -- the grouping rule of train_group.h: hand-worked
 * cases for each of its limits (node fill, buckets, size, memory), and
 * random lists checked member by member against the rule written out here.
 */
#include "unit.h"
#include "train_group.h"

#include <stdlib.h>
#include <string.h>

static DcrnnConfig
tiny_config(void)
{
	DcrnnConfig c;

	dcrnn_config_default(&c, 1);
	c.units = 4;
	c.layers = 1;
	c.batch = 8;
	return c;
}

TEST(train_group_node_fill_hand_case)
{
	DcrnnConfig c = tiny_config();
	int			nodes[] = {10, 8, 7, 10, 9, 5, 4};
	int			buckets[] = {50, 50, 50, 50, 50, 50, 50};
	int			order[7], starts[8];
	int			want_order[] = {0, 3, 4, 1, 2, 5, 6};
	int			want_starts[] = {0, 4, 5, 7};

	/* 8 >= 0.8 * 10 joins, 7 does not; 7 leads alone (5 < 5.6); 4 >= 0.8 * 5 */
	REQUIRE(train_group_split(&c, buckets, nodes, 7, 1e12, order, starts) == 3);
	CHECK(memcmp(order, want_order, sizeof want_order) == 0);
	CHECK(memcmp(starts, want_starts, sizeof want_starts) == 0);
}

TEST(train_group_buckets_split_groups)
{
	DcrnnConfig c = tiny_config();
	int			nodes[] = {6, 6, 6};
	int			buckets[] = {100, 90, 100};
	int			order[3], starts[4];

	REQUIRE(train_group_split(&c, buckets, nodes, 3, 1e12, order, starts) == 2);
	CHECK(order[0] == 1 && order[1] == 0 && order[2] == 2);
	CHECK(starts[0] == 0 && starts[1] == 1 && starts[2] == 3);
}

TEST(train_group_at_most_64_members)
{
	DcrnnConfig c = tiny_config();
	int			nodes[130], buckets[130], order[130], starts[131];

	for (int i = 0; i < 130; i++)
		nodes[i] = 3, buckets[i] = 40;
	REQUIRE(train_group_split(&c, buckets, nodes, 130, 1e12, order, starts) == 3);
	CHECK(starts[1] == TRAIN_GROUP_MAX_SIZE && starts[2] == 2 * TRAIN_GROUP_MAX_SIZE && starts[3] == 130);
	for (int i = 0; i < 130; i++)
		CHECK(order[i] == i);
}

TEST(train_group_memory_limit)
{
	DcrnnConfig c = tiny_config();
	int			nodes[] = {10, 9, 9, 8, 10};
	int			buckets[] = {30, 30, 30, 30, 30};
	int			order[5], starts[6];
	/* each member is counted at the group's largest N: 10 */
	double		at10 = train_group_member_bytes(&c, 10, 30, 10);
	double		at10_9 = train_group_member_bytes(&c, 10, 30, 9);

	CHECK(train_group_member_bytes(&c, 9, 30, 9) < at10_9);
	CHECK(at10_9 < at10);
	/*
	 * room for a 10-node leader and one 9-node member: 0 alone (two of 10
	 * do not fit), 4 with 1, then 2 leads (N = 9, less memory) and takes 3
	 */
	REQUIRE(train_group_split(&c, buckets, nodes, 5, at10 + at10_9 + 1, order, starts) == 3);
	CHECK(order[0] == 0 && order[1] == 4 && order[2] == 1 && order[3] == 2 && order[4] == 3);
	CHECK(starts[1] == 1 && starts[2] == 3 && starts[3] == 5);
	/* a limit each fits alone but no two together: one group each */
	REQUIRE(train_group_split(&c, buckets, nodes, 5, at10 + 1, order, starts) == 5);
	/* the traffic counts too: N * buckets * (2 doubles + 1 float) */
	CHECK_CLOSE(train_group_member_bytes(&c, 10, 31, 10) - at10, 10.0 * 20, 0, 1e-9);
}

TEST(train_group_empty_list)
{
	DcrnnConfig c = tiny_config();
	int			order[1], starts[1] = {-1};

	CHECK(train_group_split(&c, NULL, NULL, 0, 1e12, order, starts) == 0);
	CHECK(starts[0] == 0);
}

/* the rule, written out: may j join the group that order[s..e) forms? */
static int
may_join(const DcrnnConfig *c, const int *buckets, const int *nodes, const int *order,
		 int s, int e, int j, double limit)
{
	int			lead = order[s];
	double		bytes = 0;

	for (int i = s; i < e; i++)
		bytes += train_group_member_bytes(c, nodes[lead], buckets[order[i]], nodes[order[i]]);
	bytes += train_group_member_bytes(c, nodes[lead], buckets[j], nodes[j]);
	return buckets[j] == buckets[lead] && nodes[j] <= nodes[lead] &&
		5.0 * nodes[j] >= 4.0 * nodes[lead] && e - s < 64 && bytes <= limit;
}

TEST(train_group_random_lists_follow_the_rule)
{
	DcrnnConfig c = tiny_config();
	enum {K = 300};
	int			nodes[K], buckets[K], order[K], starts[K + 1], seen[K];
	unsigned	r = 12345;

	for (int round = 0; round < 40; round++)
	{
		int			k = 1 + round * 7 % K;
		double		limit = train_group_member_bytes(&c, 60, 40, 60) * (1 + round % 9);
		int			g;

		for (int i = 0; i < k; i++)
		{
			r = r * 1103515245u + 12345u;
			nodes[i] = 1 + (int) (r >> 16) % 60;
			buckets[i] = 20 + (int) (r >> 8) % 3 * 10;
		}
		g = train_group_split(&c, buckets, nodes, k, limit, order, starts);
		REQUIRE(g >= 1 && starts[0] == 0 && starts[g] == k);
		memset(seen, 0, sizeof seen);
		for (int i = 0; i < k; i++)
			seen[order[i]]++;
		for (int i = 0; i < k; i++)
			CHECK(seen[i] == 1);
		for (int q = 0; q < g; q++)
		{
			REQUIRE(starts[q] < starts[q + 1]);
			for (int e = starts[q] + 1; e < starts[q + 1]; e++)
				CHECK(may_join(&c, buckets, nodes, order, starts[q], e, order[e], limit));
			/* greedy: the next group's leader could not have joined this one */
			if (q + 1 < g)
				CHECK(!may_join(&c, buckets, nodes, order, starts[q], starts[q + 1],
								order[starts[q + 1]], limit));
		}
	}
}
