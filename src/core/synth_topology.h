/*
 * synth_topology.h -- the synthetic system: services with methods, RPCs
 * (caller method -> callee method) and functionalities, each a call tree over
 * methods.
 *
 * Nodes of a tree are stored root first in pre-order, so a node's parent
 * always comes before it.  Methods are named "service.method".  Some RPCs
 * are shared by many trees (auth.verify_token, profile.get, logging.write),
 * so the connected components of the whole RPC graph merge everything.
 */
#ifndef INFORMER_SYNTH_TOPOLOGY_H
#define INFORMER_SYNTH_TOPOLOGY_H

#include "synth_params.h"

#define SYNTH_ALWAYS INT64_MAX

typedef struct SynthNode
{
	int32_t		method;
	int32_t		parent;			/* index within the tree; -1 for the root */
	int32_t		rpc;			/* (parent's method, method); -1 for the root */
	int32_t		depth;			/* root 0 */
	double		keep;			/* chance of the call when the parent's call happens */
	int64_t		from_bucket;	/* the call exists in buckets [from, until) */
	int64_t		until_bucket;
} SynthNode;

typedef struct SynthTree
{
	char		name[48];
	int32_t		first;			/* nodes[first .. first + n) */
	int32_t		n;
	double		weight;			/* popularity share; the weights sum to 1 */
} SynthTree;

typedef struct SynthTopology
{
	SynthAllocator mem;
	int32_t		n_methods;
	int32_t		n_generic;		/* methods [0, n_generic) belong to generic services */
	char	  **methods;		/* "service.method" */
	int32_t		n_rpcs;
	int32_t    *rpc_src;		/* method ids */
	int32_t    *rpc_dst;
	int32_t		n_trees;
	SynthTree  *trees;
	int32_t		n_nodes;
	SynthNode  *nodes;
	int32_t		max_tree_nodes;
	/* the trees and RPCs the labelled events use */
	int32_t		registration;	/* tree */
	int32_t		sms_login;		/* tree */
	int32_t		captcha_rpc;	/* gateway.register -> captcha.verify */
	int32_t		sms_rpc;		/* account.send_sms -> sms.send_code */
	int32_t		outage_rpc;		/* a first-level call of the most popular tree */
	int32_t		new_rpc;		/* appears at change_bucket; -1 without events */
	int32_t		retired_rpc;	/* retired at change_bucket; -1 without events */
	int64_t		change_bucket;
	/* RPC lookup (open addressing on (src, dst)) */
	uint32_t	hash_cap;
	int32_t    *hash;
	int32_t		cap_methods;
	int32_t		cap_rpcs;
	int32_t		cap_nodes;
} SynthTopology;

/* Builds the topology for valid parameters. */
SynthTopology *synth_topology_build(const SynthParams *p, const SynthAllocator *mem);
void synth_topology_free(SynthTopology *t);

/* The RPC id of (src, dst) method ids, or -1. */
int32_t synth_topology_find_rpc(const SynthTopology *t, int32_t src, int32_t dst);

/* The method id of a "service.method" name, or -1 (linear search). */
int32_t synth_topology_find_method(const SynthTopology *t, const char *name);

/* Whether a node's call exists in a bucket. */
static inline int
synth_node_active(const SynthNode *n, int64_t bucket)
{
	return bucket >= n->from_bucket && bucket < n->until_bucket;
}

/*
 * Expected calls of every RPC in one chain of tree `tree` at `bucket`, added
 * to out[n_rpcs] times `scale`.  Calls of RPC `cut_rpc` happen only with
 * chance `cut_keep` (an outage), and so does everything beneath them.
 */
void synth_tree_expected_calls(const SynthTopology *t, int32_t tree, int64_t bucket,
							   double retry_prob, int32_t cut_rpc, double cut_keep,
							   double scale, double *out);

#endif
