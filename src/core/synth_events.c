/*
 * synth_events.c -- where the labelled events happen, how they change the
 * traffic, and the labels computed from the expected calls per RPC.
 */
#include "synth_events.h"

#include <math.h>

static const char *const kind_names[] = {
	"batch_registration", "account_cracking", "outage", "new_rpc", "retired_rpc",
};

const char *
synth_event_kind_name(SynthEventKind kind)
{
	return kind_names[kind];
}

static SynthEvent
event_at(const SynthParams *p, SynthEventKind kind, double at, int64_t len,
		 int32_t tree, int32_t rpc, double factor)
{
	SynthEvent	e;

	e.kind = kind;
	e.first = (int64_t) floor(at * p->buckets);
	e.last = e.first + len - 1;
	e.tree = tree;
	e.rpc = rpc;
	e.factor = factor;
	return e;
}

void
synth_events_plan(const SynthParams *p, const SynthTopology *t, SynthEvents *out)
{
	out->n = 0;
	if (!p->events)
		return;
	out->ev[0] = event_at(p, SYNTH_BATCH_REGISTRATION, 0.55, 4, t->registration, -1,
						  p->attack_factor);
	out->ev[1] = event_at(p, SYNTH_ACCOUNT_CRACKING, 0.70, 3, t->sms_login, -1,
						  p->cracking_factor);
	out->ev[2] = event_at(p, SYNTH_OUTAGE, 0.85, 3, -1, t->outage_rpc, p->outage_factor);
	out->n = 3;
}

static int
active(const SynthEvent *e, int64_t bucket)
{
	return bucket >= e->first && bucket <= e->last;
}

double
synth_events_surge(const SynthEvents *e, int32_t tree, int64_t bucket)
{
	double		m = 1.0;

	for (int i = 0; i < e->n; i++)
		if (e->ev[i].tree == tree && active(&e->ev[i], bucket))
			m *= e->ev[i].factor;
	return m;
}

int32_t
synth_events_cut(const SynthEvents *e, int64_t bucket, double *keep)
{
	for (int i = 0; i < e->n; i++)
		if (e->ev[i].kind == SYNTH_OUTAGE && active(&e->ev[i], bucket))
		{
			*keep = e->ev[i].factor;
			return e->ev[i].rpc;
		}
	*keep = 1.0;
	return -1;
}

void
synth_expected_calls(const SynthParams *p, const SynthTopology *t,
					 const SynthEvent *event, int64_t bucket, double *out)
{
	int32_t		cut = event && event->kind == SYNTH_OUTAGE ? event->rpc : -1;
	double		keep = cut >= 0 ? event->factor : 1.0;

	for (int32_t r = 0; r < t->n_rpcs; r++)
		out[r] = 0.0;
	for (int32_t tree = 0; tree < t->n_trees; tree++)
	{
		double		m = event && event->tree == tree ? event->factor : 1.0;

		synth_tree_expected_calls(t, tree, bucket, p->retry_prob, cut, keep,
								  t->trees[tree].weight * m, out);
	}
}

static void
push(SynthLabel **out, size_t *n, size_t *cap, const SynthAllocator *mem, SynthLabel l)
{
	if (*n == *cap)
	{
		*cap = *cap ? *cap * 2 : 32;
		*out = *out ? mem->realloc(mem->ctx, *out, *cap * sizeof(SynthLabel))
			: mem->alloc(mem->ctx, *cap * sizeof(SynthLabel));
	}
	(*out)[(*n)++] = l;
}

size_t
synth_labels(const SynthParams *p, const SynthTopology *t, const SynthEvents *e,
			 SynthLabel **out)
{
	const SynthAllocator *mem = &t->mem;
	size_t		n = 0,
				cap = 0;
	double	   *base = mem->alloc(mem->ctx, sizeof(double) * (size_t) (t->n_rpcs + 1));
	double	   *with = mem->alloc(mem->ctx, sizeof(double) * (size_t) (t->n_rpcs + 1));

	*out = NULL;
	for (int i = 0; i < e->n; i++)
	{
		const SynthEvent *ev = &e->ev[i];

		synth_expected_calls(p, t, NULL, ev->first, base);
		synth_expected_calls(p, t, ev, ev->first, with);
		for (int32_t r = 0; r < t->n_rpcs; r++)
		{
			double		ratio = with[r] / base[r];

			if (base[r] > 0 && (ratio >= SYNTH_LABEL_MIN_CHANGE ||
								ratio <= 1.0 / SYNTH_LABEL_MIN_CHANGE))
				push(out, &n, &cap, mem,
					 (SynthLabel) {ev->kind, r, ev->first, ev->last, ratio});
		}
	}
	if (p->events && t->new_rpc >= 0)
	{
		int64_t		last = (int64_t) p->buckets - 1;

		push(out, &n, &cap, mem,
			 (SynthLabel) {SYNTH_NEW_RPC, t->new_rpc, t->change_bucket, last, NAN});
		push(out, &n, &cap, mem,
			 (SynthLabel) {SYNTH_RETIRED_RPC, t->retired_rpc, t->change_bucket, last, 0.0});
	}
	mem->free(mem->ctx, base);
	mem->free(mem->ctx, with);
	return n;
}
