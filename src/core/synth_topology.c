/*
 * synth_topology.c -- builds the synthetic system from a seed: generic
 * services and their methods, the fixed services that every demo needs
 * (gateway, auth, profile, logging, captcha, sms, account, risk), the
 * registration and SMS-login trees, and random call trees of depth 2-6 and
 * fan-out 1-5 for the other functionalities.
 */
#include "synth_topology.h"
#include "synth_rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TREE_CAP 256			/* nodes of one tree while it is built */
#define GENERIC_TREE_NODES 48	/* generic trees stop growing here */

static const char *const service_pool[] = {
	"order", "payment", "cart", "inventory", "catalog", "search", "recommend",
	"shipping", "pricing", "coupon", "review", "message", "media", "geo", "ticket",
	"seat", "route", "train", "station", "config", "billing", "invoice", "wallet",
	"points", "feed", "comment", "friend", "group", "report", "audit", "favorite",
	"address", "delivery", "refund", "store", "ads", "video", "live", "chat", "survey",
};
#define N_POOL ((int) (sizeof(service_pool) / sizeof(service_pool[0])))

static const char *const verbs[] = {
	"get", "list", "create", "update", "delete", "query", "check", "sync",
	"notify", "validate", "render", "batch_get",
};

#define N_FIXED_SERVICES 8

/* A tree under construction: nodes in insertion order. */
typedef struct TmpTree
{
	int			n;
	int32_t		method[TREE_CAP];
	int32_t		parent[TREE_CAP];
	int32_t		nchildren[TREE_CAP];
	int32_t		depth[TREE_CAP];
	double		keep[TREE_CAP];
	int64_t		from[TREE_CAP];
	int64_t		until[TREE_CAP];
} TmpTree;

typedef struct Builder
{
	SynthTopology *t;
	const SynthParams *p;
	SynthRng	rng;
	TmpTree		tmp;
	/* fixed methods */
	int32_t		verify_token,
				profile_get,
				logging_write;
} Builder;

static void *
grow_array(SynthTopology *t, void *arr, int32_t *cap, int32_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	int32_t		ncap = *cap ? *cap : 64;

	while (ncap < need)
		ncap *= 2;
	arr = arr ? t->mem.realloc(t->mem.ctx, arr, (size_t) ncap * elem)
		: t->mem.alloc(t->mem.ctx, (size_t) ncap * elem);
	*cap = ncap;
	return arr;
}

static int32_t
add_method(SynthTopology *t, const char *service, const char *method)
{
	size_t		len = strlen(service) + strlen(method) + 2;
	char	   *name = t->mem.alloc(t->mem.ctx, len);

	snprintf(name, len, "%s.%s", service, method);
	t->methods = grow_array(t, t->methods, &t->cap_methods, t->n_methods + 1, sizeof(char *));
	t->methods[t->n_methods] = name;
	return t->n_methods++;
}

int32_t
synth_topology_find_method(const SynthTopology *t, const char *name)
{
	for (int32_t i = 0; i < t->n_methods; i++)
		if (strcmp(t->methods[i], name) == 0)
			return i;
	return -1;
}

/* The method "service.method", created on first use. */
static int32_t
method(SynthTopology *t, const char *service, const char *name)
{
	char		full[128];

	snprintf(full, sizeof(full), "%s.%s", service, name);
	int32_t		id = synth_topology_find_method(t, full);

	return id >= 0 ? id : add_method(t, service, name);
}

static uint32_t
rpc_slot(uint32_t cap, int32_t src, int32_t dst)
{
	return (uint32_t) splitmix64(((uint64_t) (uint32_t) src << 32) | (uint32_t) dst) & (cap - 1);
}

int32_t
synth_topology_find_rpc(const SynthTopology *t, int32_t src, int32_t dst)
{
	for (uint32_t i = rpc_slot(t->hash_cap, src, dst);; i = (i + 1) & (t->hash_cap - 1))
	{
		int32_t		id = t->hash[i];

		if (id < 0 || (t->rpc_src[id] == src && t->rpc_dst[id] == dst))
			return id;
	}
}

static void
hash_put(SynthTopology *t, int32_t id)
{
	uint32_t	i = rpc_slot(t->hash_cap, t->rpc_src[id], t->rpc_dst[id]);

	while (t->hash[i] >= 0)
		i = (i + 1) & (t->hash_cap - 1);
	t->hash[i] = id;
}

static void
rehash(SynthTopology *t, uint32_t cap)
{
	if (t->hash)
		t->mem.free(t->mem.ctx, t->hash);
	t->hash_cap = cap;
	t->hash = t->mem.alloc(t->mem.ctx, cap * sizeof(int32_t));
	memset(t->hash, 0xff, cap * sizeof(int32_t));
	for (int32_t id = 0; id < t->n_rpcs; id++)
		hash_put(t, id);
}

static int32_t
intern_rpc(SynthTopology *t, int32_t src, int32_t dst)
{
	int32_t		id = synth_topology_find_rpc(t, src, dst);

	if (id >= 0)
		return id;
	id = t->n_rpcs;
	if (id >= t->cap_rpcs)
	{
		int32_t		cap = t->cap_rpcs;

		t->rpc_src = grow_array(t, t->rpc_src, &cap, id + 1, sizeof(int32_t));
		t->rpc_dst = grow_array(t, t->rpc_dst, &t->cap_rpcs, id + 1, sizeof(int32_t));
	}
	t->n_rpcs++;
	t->rpc_src[id] = src;
	t->rpc_dst[id] = dst;
	if ((uint32_t) t->n_rpcs * 2 > t->hash_cap)
		rehash(t, t->hash_cap * 2);
	else
		hash_put(t, id);
	return id;
}

/* ---- trees under construction ---- */

static int
tmp_add(Builder *b, int32_t parent, int32_t m, double keep)
{
	TmpTree    *tt = &b->tmp;

	if (tt->n >= TREE_CAP)
		return -1;
	int			i = tt->n++;

	tt->method[i] = m;
	tt->parent[i] = parent;
	tt->nchildren[i] = 0;
	tt->depth[i] = parent < 0 ? 0 : tt->depth[parent] + 1;
	tt->keep[i] = keep;
	tt->from[i] = 0;
	tt->until[i] = SYNTH_ALWAYS;
	if (parent >= 0)
		tt->nchildren[parent]++;
	return i;
}

/* Whether parent already calls method m (one RPC appears once per caller). */
static int
tmp_calls(const TmpTree *tt, int parent, int32_t m)
{
	for (int i = 0; i < tt->n; i++)
		if (tt->parent[i] == parent && tt->method[i] == m)
			return 1;
	return 0;
}

static double
optional_keep(Builder *b, double share)
{
	return synth_rng_uniform(&b->rng) < share ? 1.0 - b->p->drop_prob : 1.0;
}

static int32_t
random_generic_method(Builder *b, int32_t not_this)
{
	int32_t		m;

	do
		m = (int32_t) synth_rng_below(&b->rng, (uint32_t) b->t->n_generic);
	while (m == not_this);
	return m;
}

/* Appends the tree in pre-order (children in insertion order) to the topology. */
static void
tmp_commit(Builder *b, const char *name)
{
	SynthTopology *t = b->t;
	TmpTree    *tt = &b->tmp;
	int32_t		order[TREE_CAP],
				newidx[TREE_CAP],
				stack[TREE_CAP];
	int			nstack = 0,
				n = 0;

	stack[nstack++] = 0;
	while (nstack > 0)
	{
		int			i = stack[--nstack];

		order[n++] = i;
		for (int c = tt->n - 1; c > i; c--)	/* push in reverse: first child on top */
			if (tt->parent[c] == i)
				stack[nstack++] = c;
	}

	SynthTree  *tree = &t->trees[t->n_trees++];

	snprintf(tree->name, sizeof(tree->name), "%s", name);
	tree->first = t->n_nodes;
	tree->n = n;
	t->nodes = grow_array(t, t->nodes, &t->cap_nodes, t->n_nodes + n, sizeof(SynthNode));
	for (int k = 0; k < n; k++)
	{
		int			i = order[k];
		SynthNode  *node = &t->nodes[t->n_nodes + k];

		newidx[i] = k;
		node->method = tt->method[i];
		node->parent = i == 0 ? -1 : newidx[tt->parent[i]];
		node->rpc = i == 0 ? -1 : intern_rpc(t, tt->method[tt->parent[i]], tt->method[i]);
		node->depth = tt->depth[i];
		node->keep = tt->keep[i];
		node->from_bucket = tt->from[i];
		node->until_bucket = tt->until[i];
	}
	t->n_nodes += n;
	if (n > t->max_tree_nodes)
		t->max_tree_nodes = n;
}

/* ---- the functionalities ---- */

/* Children of node: maybe a logging call, then 1-5 generic calls in total. */
static void
grow(Builder *b, int node, int depth_goal, int spine)
{
	TmpTree    *tt = &b->tmp;
	int			level = tt->depth[node] + 1;
	int			room = 5 - tt->nchildren[node];

	if (tt->n + 2 > GENERIC_TREE_NODES || room < 1)
		return;
	if (room > 1 && synth_rng_uniform(&b->rng) < 0.25)
	{
		tmp_add(b, node, b->logging_write, 1.0);
		room--;
	}

	int			k = 1 + (int) synth_rng_below(&b->rng, (uint32_t) room);

	for (int c = 0; c < k && tt->n < GENERIC_TREE_NODES; c++)
	{
		int32_t		m = random_generic_method(b, tt->method[node]);

		if (tmp_calls(tt, node, m))
			continue;

		int			child = tmp_add(b, node, m, c == 0 ? 1.0 : optional_keep(b, 0.4));
		int			on_spine = spine && c == 0;

		if (level < depth_goal && (on_spine || synth_rng_uniform(&b->rng) < 0.35))
			grow(b, child, depth_goal, on_spine);
	}
}

/* The last node in pre-order: follow the last child from the root. */
static int
tmp_last_in_preorder(const TmpTree *tt)
{
	int			i = 0;

	for (;;)
	{
		int			last = -1;

		for (int c = i + 1; c < tt->n; c++)
			if (tt->parent[c] == i)
				last = c;
		if (last < 0)
			return i;
		i = last;
	}
}

/*
 * A legitimate change: the tree's last call (a generic leaf) is replaced by a
 * new method "<service>.<verb>_v2" from change_bucket on.  The new node goes
 * last in pre-order, so chains drawn before the change are the same as in a
 * run without events.
 */
static void
add_change(Builder *b, int64_t change_bucket)
{
	TmpTree    *tt = &b->tmp;
	int			leaf = tmp_last_in_preorder(tt);
	char		service[64],
				verb[64];
	const char *name = b->t->methods[tt->method[leaf]];
	const char *dot = strchr(name, '.');

	snprintf(service, sizeof(service), "%.*s", (int) (dot - name), name);
	snprintf(verb, sizeof(verb), "%s_v2", dot + 1);

	int			v2 = tmp_add(b, tt->parent[leaf], method(b->t, service, verb), tt->keep[leaf]);

	if (b->p->events)
	{
		tt->until[leaf] = change_bucket;
		tt->from[v2] = change_bucket;
	}
	else
		tt->from[v2] = SYNTH_ALWAYS;	/* never called */
}

static void
build_generic(Builder *b, int is_change_tree)
{
	TmpTree    *tt = &b->tmp;
	char		name[48];
	int			root;

	tt->n = 0;
	root = tmp_add(b, -1, -1, 1.0);	/* the gateway method is named below */
	if (synth_rng_uniform(&b->rng) < 0.9)
		tmp_add(b, root, b->verify_token, 1.0);
	if (synth_rng_uniform(&b->rng) < 0.5)
		tmp_add(b, root, b->profile_get, optional_keep(b, 0.5));
	grow(b, root, 2 + (int) synth_rng_below(&b->rng, 5), 1);

	/* named after its first generic call: gateway.<service>_<verb>[_k] */
	int			first = 1;

	while (tt->method[first] >= b->t->n_generic)
		first++;
	char		base[32];

	snprintf(base, sizeof(base), "%s", b->t->methods[tt->method[first]]);
	*strchr(base, '.') = '_';
	snprintf(name, sizeof(name), "%s", base);
	for (int k = 2;; k++)
	{
		char		full[64];

		snprintf(full, sizeof(full), "gateway.%s", name);
		if (synth_topology_find_method(b->t, full) < 0)
			break;
		snprintf(name, sizeof(name), "%s_%d", base, k % 100000);
	}
	tt->method[root] = method(b->t, "gateway", name);
	if (is_change_tree)
		add_change(b, b->t->change_bucket);
	tmp_commit(b, name);
}

/* The shared calls stay leaves. */
static int
is_shared(const Builder *b, int32_t m)
{
	return m == b->verify_token || m == b->profile_get || m == b->logging_write;
}

/*
 * Registration: a fixed skeleton (captcha, SMS code, account creation and the
 * shared calls) filled with generic calls up to registration_rpcs RPCs.
 */
static void
build_registration(Builder *b)
{
	SynthTopology *t = b->t;
	TmpTree    *tt = &b->tmp;
	int			want = (int) b->p->registration_rpcs;

	tt->n = 0;
	int			root = tmp_add(b, -1, method(t, "gateway", "register"), 1.0);

	tmp_add(b, root, b->verify_token, 1.0);
	int			captcha = tmp_add(b, root, method(t, "captcha", "verify"), 1.0);
	int			risk = tmp_add(b, captcha, method(t, "risk", "score"), 1.0);

	tmp_add(b, risk, b->logging_write, 1.0);
	int			send = tmp_add(b, root, method(t, "account", "send_sms"), 1.0);
	int			code = tmp_add(b, send, method(t, "sms", "send_code"), 1.0);

	tmp_add(b, code, b->logging_write, 1.0);
	tmp_add(b, root, method(t, "account", "check_name"), 1.0);
	int			create = tmp_add(b, root, method(t, "account", "create"), 1.0);

	tmp_add(b, create, method(t, "profile", "init"), 1.0);
	tmp_add(b, create, b->profile_get, 1.0);
	tmp_add(b, create, b->logging_write, 1.0);

	for (int tries = 0; tt->n - 1 < want && tries < 100000; tries++)
	{
		int			at = (int) synth_rng_below(&b->rng, (uint32_t) tt->n);
		int32_t		m = random_generic_method(b, tt->method[at]);

		if (tt->depth[at] >= 6 || tt->nchildren[at] >= 5 || is_shared(b, tt->method[at]) ||
			tmp_calls(tt, at, m))
			continue;
		tmp_add(b, at, m, optional_keep(b, 0.3));
	}
	tmp_commit(b, "register");
}

/* SMS login: the target of account cracking, sharing the SMS-sending RPC. */
static void
build_sms_login(Builder *b)
{
	SynthTopology *t = b->t;

	b->tmp.n = 0;
	int			root = tmp_add(b, -1, method(t, "gateway", "login_sms"), 1.0);

	tmp_add(b, root, b->verify_token, 1.0);
	int			risk = tmp_add(b, root, method(t, "risk", "score"), 1.0);

	tmp_add(b, risk, b->logging_write, 1.0);
	int			send = tmp_add(b, root, method(t, "account", "send_sms"), 1.0);
	int			code = tmp_add(b, send, method(t, "sms", "send_code"), 1.0);

	tmp_add(b, code, b->logging_write, 1.0);
	int			login = tmp_add(b, root, method(t, "account", "login"), 1.0);

	tmp_add(b, login, b->profile_get, 1.0);
	tmp_commit(b, "login_sms");
}

static void
add_generic_services(SynthTopology *t, const SynthParams *p)
{
	int			n = (int) p->services - N_FIXED_SERVICES;

	for (int g = 0; g < n; g++)
	{
		char		service[32];

		if (g < N_POOL)
			snprintf(service, sizeof(service), "%s", service_pool[g]);
		else
			snprintf(service, sizeof(service), "svc%d", g);
		for (int j = 0; j < (int) p->methods; j++)
			add_method(t, service, verbs[(j + g) % 12]);
	}
	t->n_generic = t->n_methods;
}

/*
 * Popularity ranks: registration 3rd, SMS login 5th, the generic trees
 * shuffled over the other ranks (1, 2, 4, 6, ...); share proportional to rank^-zipf.
 */
static void
assign_weights(Builder *b, int32_t *rank)
{
	int			n = b->t->n_trees;
	double		total = 0;
	int			k = 0;

	rank[0] = 3;
	rank[1] = 5;
	for (int r = 1; r <= n; r++)
		if (r != rank[0] && r != rank[1])
			rank[2 + k++] = r;
	for (int i = n - 1; i > 2; i--)
	{
		int			j = 2 + (int) synth_rng_below(&b->rng, (uint32_t) (i - 1));
		int32_t		tmp = rank[i];

		rank[i] = rank[j];
		rank[j] = tmp;
	}
	for (int i = 0; i < n; i++)
		total += pow(rank[i], -b->p->zipf);
	for (int i = 0; i < n; i++)
		b->t->trees[i].weight = pow(rank[i], -b->p->zipf) / total;
}

/* The outage hits the first generic call of the most popular tree. */
static int32_t
pick_outage_rpc(const SynthTopology *t, int32_t tree)
{
	const SynthTree *tr = &t->trees[tree];

	for (int32_t k = 1; k < tr->n; k++)
	{
		const SynthNode *node = &t->nodes[tr->first + k];

		if (node->method < t->n_generic)
			return node->rpc;
	}
	return t->nodes[tr->first + 1].rpc;
}

SynthTopology *
synth_topology_build(const SynthParams *p, const SynthAllocator *mem)
{
	SynthTopology *t = mem->alloc(mem->ctx, sizeof(SynthTopology));
	Builder    *b = mem->alloc(mem->ctx, sizeof(Builder));
	int			n = (int) p->functionalities;
	int32_t    *rank = mem->alloc(mem->ctx, sizeof(int32_t) * (size_t) n);

	t->mem = *mem;
	t->change_bucket = (int64_t) floor(0.45 * p->buckets);
	rehash(t, 1024);
	b->t = t;
	b->p = p;
	synth_rng_seed(&b->rng, p->seed, UINT64_C(0x746f706f));

	add_generic_services(t, p);
	b->verify_token = method(t, "auth", "verify_token");
	b->profile_get = method(t, "profile", "get");
	b->logging_write = method(t, "logging", "write");

	t->trees = mem->alloc(mem->ctx, sizeof(SynthTree) * (size_t) n);
	t->n_trees = n;
	assign_weights(b, rank);
	t->n_trees = 0;
	t->registration = 0;
	t->sms_login = 1;
	build_registration(b);
	build_sms_login(b);
	for (int i = 2; i < n; i++)
		build_generic(b, rank[i] == 2);

	t->captcha_rpc = synth_topology_find_rpc(t, method(t, "gateway", "register"),
											 method(t, "captcha", "verify"));
	t->sms_rpc = synth_topology_find_rpc(t, method(t, "account", "send_sms"),
										 method(t, "sms", "send_code"));
	t->new_rpc = t->retired_rpc = -1;
	for (int i = 2; i < n; i++)
	{
		const SynthTree *tr = &t->trees[i];

		if (rank[i] == 1)
			t->outage_rpc = pick_outage_rpc(t, i);
		if (rank[i] == 2 && p->events)
		{
			t->retired_rpc = t->nodes[tr->first + tr->n - 2].rpc;
			t->new_rpc = t->nodes[tr->first + tr->n - 1].rpc;
		}
	}

	mem->free(mem->ctx, rank);
	mem->free(mem->ctx, b);
	return t;
}

void
synth_topology_free(SynthTopology *t)
{
	SynthAllocator mem = t->mem;

	for (int32_t i = 0; i < t->n_methods; i++)
		mem.free(mem.ctx, t->methods[i]);
	mem.free(mem.ctx, t->methods);
	mem.free(mem.ctx, t->rpc_src);
	mem.free(mem.ctx, t->rpc_dst);
	mem.free(mem.ctx, t->trees);
	mem.free(mem.ctx, t->nodes);
	mem.free(mem.ctx, t->hash);
	mem.free(mem.ctx, t);
}

void
synth_tree_expected_calls(const SynthTopology *t, int32_t tree, int64_t bucket,
						  double retry_prob, int32_t cut_rpc, double cut_keep,
						  double scale, double *out)
{
	const SynthTree *tr = &t->trees[tree];
	const SynthNode *nodes = &t->nodes[tr->first];
	double		prob[TREE_CAP];

	prob[0] = 1.0;
	for (int32_t k = 1; k < tr->n; k++)
	{
		const SynthNode *node = &nodes[k];

		prob[k] = synth_node_active(node, bucket) ?
			prob[node->parent] * node->keep * (node->rpc == cut_rpc ? cut_keep : 1.0) : 0.0;
		out[node->rpc] += scale * prob[k] * (1.0 + retry_prob);
	}
}
