/*
 * synth_events.h -- the labelled events injected into synthetic traffic and
 * the ground truth (labels) a detector is scored against.
 *
 *   batch_registration  registration chains x attack_factor (captcha RPC and the
 *                       whole registration chain rise), 4 buckets from 55 % of the run
 *   account_cracking    SMS-login chains x cracking_factor (the SMS-sending RPC
 *                       bursts), 3 buckets from 70 %
 *   outage              one RPC keeps outage_factor of its calls, and the calls
 *                       beneath it go with it, 3 buckets from 85 %
 *   new_rpc, retired_rpc  a legitimate change at 45 %: a call is replaced by a
 *                       new version for the rest of the run
 *
 * A label is one (RPC, bucket range, kind) with the factor by which the RPC's
 * expected count changes.  Traffic events label every RPC whose expected
 * count changes by at least SYNTH_LABEL_MIN_CHANGE either way.
 */
#ifndef INFORMER_SYNTH_EVENTS_H
#define INFORMER_SYNTH_EVENTS_H

#include "synth_topology.h"

#define SYNTH_LABEL_MIN_CHANGE 1.2

typedef enum SynthEventKind
{
	SYNTH_BATCH_REGISTRATION,
	SYNTH_ACCOUNT_CRACKING,
	SYNTH_OUTAGE,
	SYNTH_NEW_RPC,
	SYNTH_RETIRED_RPC,
} SynthEventKind;

typedef struct SynthEvent
{
	SynthEventKind kind;
	int64_t		first;			/* buckets first..last, inclusive */
	int64_t		last;
	int32_t		tree;			/* surges: the tree whose chains multiply; else -1 */
	int32_t		rpc;			/* outage: the failing RPC; else -1 */
	double		factor;
} SynthEvent;

typedef struct SynthEvents
{
	int			n;				/* 0 without events */
	SynthEvent	ev[3];			/* the traffic events */
} SynthEvents;

typedef struct SynthLabel
{
	SynthEventKind kind;
	int32_t		rpc;
	int64_t		first;
	int64_t		last;
	double		factor;			/* NaN for a new RPC (no count before) */
} SynthLabel;

const char *synth_event_kind_name(SynthEventKind kind);

void synth_events_plan(const SynthParams *p, const SynthTopology *t, SynthEvents *out);

/* How many times its usual chains a tree makes at a bucket (>= 1). */
double synth_events_surge(const SynthEvents *e, int32_t tree, int64_t bucket);

/* The outage at a bucket, if any: returns its RPC and sets *keep, else -1. */
int32_t synth_events_cut(const SynthEvents *e, int64_t bucket, double *keep);

/*
 * Expected calls of every RPC per sampled chain at a bucket, out[n_rpcs],
 * over all trees weighted by popularity; with `event` applied when not NULL.
 * Multiply by synth_traffic_base() * synth_traffic_shape() for calls per bucket.
 */
void synth_expected_calls(const SynthParams *p, const SynthTopology *t,
						  const SynthEvent *event, int64_t bucket, double *out);

/* The ground truth; *out is allocated with the topology's allocator. */
size_t synth_labels(const SynthParams *p, const SynthTopology *t,
					const SynthEvents *e, SynthLabel **out);

#endif
