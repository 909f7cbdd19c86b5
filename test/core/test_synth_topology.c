/*
 * test_synth_topology.c -- the synthetic system: tree shapes, RPC naming,
 * shared RPCs that merge connected components, popularity, and the
 * expected calls per chain against Monte Carlo draws of chains.
 */
#include "unit.h"
#include "synth_chain.h"
#include "synth_events.h"

#include <stdlib.h>
#include <string.h>

static SynthTopology *
default_topology(void)
{
	SynthParams p;

	synth_params_default(&p);
	return synth_topology_build(&p, &synth_malloc_allocator);
}

static int
tree_uses_method(const SynthTopology *t, int32_t tree, int32_t m)
{
	const SynthTree *tr = &t->trees[tree];

	for (int32_t k = 0; k < tr->n; k++)
		if (t->nodes[tr->first + k].method == m)
			return 1;
	return 0;
}

static int
tree_has_rpc(const SynthTopology *t, int32_t tree, int32_t rpc)
{
	const SynthTree *tr = &t->trees[tree];

	for (int32_t k = 1; k < tr->n; k++)
		if (t->nodes[tr->first + k].rpc == rpc)
			return 1;
	return 0;
}

TEST(synth_topology_trees_are_well_formed)
{
	SynthTopology *t = default_topology();

	REQUIRE(t->n_trees == 40);
	for (int32_t i = 0; i < t->n_trees; i++)
	{
		const SynthTree *tr = &t->trees[i];
		const SynthNode *nodes = &t->nodes[tr->first];
		int			children[256] = {0};
		int			depth = 0;

		REQUIRE(tr->n >= 2 && tr->n <= 256);
		CHECK(nodes[0].parent == -1 && nodes[0].rpc == -1);
		CHECK(strncmp(t->methods[nodes[0].method], "gateway.", 8) == 0);
		for (int32_t k = 1; k < tr->n; k++)
		{
			const SynthNode *n = &nodes[k];

			REQUIRE(n->parent >= 0 && n->parent < k);	/* pre-order */
			CHECK(n->depth == nodes[n->parent].depth + 1);
			/* the RPC is (caller's method, callee's method) */
			CHECK(t->rpc_src[n->rpc] == nodes[n->parent].method);
			CHECK(t->rpc_dst[n->rpc] == n->method);
			CHECK(strchr(t->methods[n->method], '.') != NULL);
			if (n->from_bucket == 0)	/* a change adds one sibling more */
				children[n->parent]++;
			if (n->depth > depth)
				depth = n->depth;
		}
		for (int32_t k = 0; k < tr->n; k++)
			CHECK(children[k] <= 5);
		CHECK(children[0] >= 1);
		if (i >= 2)
			CHECK(depth >= 2 && depth <= 6);
	}
	synth_topology_free(t);
}

TEST(synth_topology_registration_and_sms)
{
	SynthTopology *t = default_topology();
	const SynthTree *reg = &t->trees[t->registration];
	int32_t		rpcs[256];
	int			n = 0;

	REQUIRE(strcmp(reg->name, "register") == 0);
	CHECK(reg->n - 1 == 50);	/* registration_rpcs calls ... */
	for (int32_t k = 1; k < reg->n; k++)
	{
		int32_t		r = t->nodes[reg->first + k].rpc;
		int			dup = 0;

		for (int j = 0; j < n; j++)
			dup |= rpcs[j] == r;
		if (!dup)
			rpcs[n++] = r;
	}
	CHECK(n == 50);				/* ... and as many distinct RPCs */
	CHECK(strcmp(t->methods[t->rpc_src[t->captcha_rpc]], "gateway.register") == 0);
	CHECK(strcmp(t->methods[t->rpc_dst[t->captcha_rpc]], "captcha.verify") == 0);
	CHECK(strcmp(t->methods[t->rpc_dst[t->sms_rpc]], "sms.send_code") == 0);
	CHECK(tree_has_rpc(t, t->registration, t->captcha_rpc));
	CHECK(tree_has_rpc(t, t->registration, t->sms_rpc));
	CHECK(tree_has_rpc(t, t->sms_login, t->sms_rpc));	/* shared by both */
	CHECK(!tree_has_rpc(t, t->sms_login, t->captcha_rpc));
	CHECK(t->n_rpcs >= 300);	/* hundreds of RPCs */
	synth_topology_free(t);
}

static int32_t
find(int32_t *parent, int32_t x)
{
	while (parent[x] != x)
		x = parent[x] = parent[parent[x]];
	return x;
}

/* Naive connected components of the RPC graph give one giant component. */
TEST(synth_topology_shared_rpcs_merge_components)
{
	SynthTopology *t = default_topology();
	int32_t    *parent = malloc(sizeof(int32_t) * (size_t) t->n_methods);
	int32_t    *size = calloc((size_t) t->n_methods, sizeof(int32_t));
	int			with_auth = 0;
	int32_t		auth = synth_topology_find_method(t, "auth.verify_token");

	for (int32_t m = 0; m < t->n_methods; m++)
		parent[m] = m;
	for (int32_t r = 0; r < t->n_rpcs; r++)
		parent[find(parent, t->rpc_src[r])] = find(parent, t->rpc_dst[r]);
	int32_t		biggest = 0;

	for (int32_t r = 0; r < t->n_rpcs; r++)
		if (++size[find(parent, t->rpc_src[r])] > biggest)
			biggest = size[find(parent, t->rpc_src[r])];
	CHECK(biggest == t->n_rpcs);
	for (int32_t i = 0; i < t->n_trees; i++)
		with_auth += tree_uses_method(t, i, auth);
	CHECK(with_auth >= t->n_trees * 3 / 4);
	free(parent);
	free(size);
	synth_topology_free(t);
}

TEST(synth_topology_zipf_popularity)
{
	SynthParams p;

	synth_params_default(&p);
	p.zipf = 1.3;
	SynthTopology *t = synth_topology_build(&p, &synth_malloc_allocator);
	double		total = 0,
				h = 0;

	for (int32_t i = 0; i < t->n_trees; i++)
		total += t->trees[i].weight;
	for (int k = 1; k <= t->n_trees; k++)
		h += pow(k, -1.3);
	CHECK_CLOSE(total, 1.0, 0, 1e-12);
	CHECK_CLOSE(t->trees[t->registration].weight, pow(3, -1.3) / h, 1e-12, 0);
	CHECK_CLOSE(t->trees[t->sms_login].weight, pow(5, -1.3) / h, 1e-12, 0);
	synth_topology_free(t);
}

/* The analytic calls per chain against the mean over many drawn chains. */
TEST(synth_topology_expected_calls_match_draws)
{
	SynthParams p;

	synth_params_default(&p);
	p.drop_prob = 0.4;
	p.retry_prob = 0.1;
	SynthTopology *t = synth_topology_build(&p, &synth_malloc_allocator);
	double	   *expect = calloc((size_t) t->n_rpcs, sizeof(double));
	double	   *seen = calloc((size_t) t->n_rpcs, sizeof(double));
	unsigned char present[256];
	SynthRows	rows = {0};
	SynthRng	rng;
	const int	chains = 20000;
	/* registration with an outage cutting the captcha branch to 30 % */
	int32_t		cut = t->captcha_rpc;

	synth_tree_expected_calls(t, t->registration, 0, p.retry_prob, cut, 0.3, 1.0, expect);
	synth_rng_seed(&rng, 11, 0);
	for (int c = 0; c < chains; c++)
	{
		rows.n = 0;
		synth_chain_sample(t, t->registration, 0, p.retry_prob, cut, 0.3, &rng, 0, 1,
						   present, &rows);
		for (size_t i = 0; i < rows.n; i++)
			seen[rows.rows[i].rpc] += 1.0 / chains;
	}
	for (int32_t r = 0; r < t->n_rpcs; r++)
		CHECK_CLOSE(seen[r], expect[r], 0, 5 * sqrt((expect[r] + 1e-9) * 2 / chains));
	CHECK_CLOSE(expect[cut], 0.3 * 1.1, 1e-12, 0);
	free(expect);
	free(seen);
	free(rows.rows);
	synth_topology_free(t);
}
