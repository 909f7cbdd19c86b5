/*
 * synthetic.c -- SQL face of the synthetic RPC log generator:
 *
 *   informer_synthetic_logs(...)      the log rows (ts, chain_id, src, dst) in time order
 *   informer_synthetic_labels(...)    the ground truth of the injected events
 *   informer_synthetic_topology(...)  the functionalities' call trees
 *
 * All three take the same parameters, so a test can ask for the rows and
 * for what is behind them.  The rows are returned in value-per-call mode,
 * one bucket held at a time, so runs of any length stream.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "informer.h"
#include "synth_gen.h"

PG_FUNCTION_INFO_V1(informer_synthetic_logs);
PG_FUNCTION_INFO_V1(informer_synthetic_labels);
PG_FUNCTION_INFO_V1(informer_synthetic_topology);

/* microseconds from the Unix epoch to the PostgreSQL epoch (2000-01-01) */
#define UNIX_TO_PG_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* ---- memory for the core, from the SRF's multi-call context ---- */

static void *
ctx_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, Max(size, 1),
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void *
ctx_realloc(void *ctx, void *ptr, size_t size)
{
	return repalloc_huge(ptr, Max(size, 1));
}

static void
ctx_free(void *ctx, void *ptr)
{
	pfree(ptr);
}

static SynthAllocator
context_allocator(MemoryContext ctx)
{
	SynthAllocator a = {ctx_alloc, ctx_realloc, ctx_free, ctx};

	return a;
}

/* ---- parameters: the same 21 arguments for the three functions ---- */

static int64
bucket_width_usecs(Interval *width)
{
	int64		usecs = width->time + (int64) width->day * USECS_PER_DAY;

	if (width->month != 0 || width->day < 0 || width->time < 0 ||
		usecs < SYNTH_MIN_WIDTH_US || usecs > SYNTH_MAX_WIDTH_US)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bucket_width must be between 1 minute and 1 day"),
				 errhint("The paper counts calls per 20 minutes: interval '20 minutes'.")));
	return usecs;
}

static void
check_bounds(const SynthParams *p)
{
	double		value;
	const SynthBound *b = synth_params_invalid(p, &value);
	double		peak;

	if (b != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %g and %g", b->name, b->min, b->max),
				 errdetail("The value given was %g.", value),
				 errhint("%s", b->hint)));

	peak = synth_peak_bucket_chains(p);
	if (peak > SYNTH_MAX_BUCKET_CHAINS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a bucket would hold about %.0f chains at its peak, at most %.0f are allowed",
						peak, SYNTH_MAX_BUCKET_CHAINS),
				 errdetail("The generator holds one bucket of chains in memory at a time."),
				 errhint("Lower chains_per_day or sampling_rate, or use narrower buckets.")));
}

static void
check_time_range(TimestampTz start, const SynthParams *p)
{
	if (TIMESTAMP_NOT_FINITE(start) ||
		!IS_VALID_TIMESTAMP((double) start + p->buckets * (double) p->width_us))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("start_time and buckets give a run outside the timestamp range"),
				 errhint("Start the run at a finite time, for example '2026-01-05 00:00+00'.")));
}

/* The arguments in declaration order (sql/src/10_generator.sql). */
static void
read_params(FunctionCallInfo fcinfo, SynthParams *p, TimestampTz *start)
{
	synth_params_default(p);
	p->seed = (uint64) PG_GETARG_INT64(0);
	p->buckets = PG_GETARG_INT32(1);
	p->width_us = bucket_width_usecs(PG_GETARG_INTERVAL_P(2));
	*start = PG_GETARG_TIMESTAMPTZ(3);
	p->start_us = *start + UNIX_TO_PG_USECS;
	p->services = PG_GETARG_INT32(4);
	p->methods = PG_GETARG_INT32(5);
	p->functionalities = PG_GETARG_INT32(6);
	p->registration_rpcs = PG_GETARG_INT32(7);
	p->chains_per_day = PG_GETARG_FLOAT8(8);
	p->sampling_rate = PG_GETARG_FLOAT8(9);
	p->zipf = PG_GETARG_FLOAT8(10);
	p->daily_amplitude = PG_GETARG_FLOAT8(11);
	p->weekly_amplitude = PG_GETARG_FLOAT8(12);
	p->trend = PG_GETARG_FLOAT8(13);
	p->dispersion = PG_GETARG_FLOAT8(14);
	p->drop_prob = PG_GETARG_FLOAT8(15);
	p->retry_prob = PG_GETARG_FLOAT8(16);
	p->attack_factor = PG_GETARG_FLOAT8(17);
	p->cracking_factor = PG_GETARG_FLOAT8(18);
	p->outage_factor = PG_GETARG_FLOAT8(19);
	p->events = PG_GETARG_BOOL(20);
	check_bounds(p);
	check_time_range(*start, p);
}

/* ---- informer_synthetic_logs ---- */

typedef struct LogsState
{
	SynthGen   *gen;
	TimestampTz start;
	text	  **names;			/* text of each method, "service.method" */
	text	   *chain;			/* room for one chain id */
} LogsState;

static text **
method_texts(const SynthTopology *t)
{
	text	  **names = palloc(sizeof(text *) * t->n_methods);

	for (int32 i = 0; i < t->n_methods; i++)
		names[i] = cstring_to_text(t->methods[i]);
	return names;
}

static TupleDesc
result_desc(FunctionCallInfo fcinfo)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	return BlessTupleDesc(desc);
}

static LogsState *
logs_start(FunctionCallInfo fcinfo, FuncCallContext *fctx)
{
	LogsState  *st = palloc0(sizeof(LogsState));
	SynthParams p;
	SynthAllocator mem = context_allocator(fctx->multi_call_memory_ctx);

	read_params(fcinfo, &p, &st->start);
	st->gen = synth_gen_create(&p, &mem);
	st->names = method_texts(st->gen->topo);
	st->chain = palloc(VARHDRSZ + 16);
	SET_VARSIZE(st->chain, VARHDRSZ + 16);
	fctx->tuple_desc = result_desc(fcinfo);
	return st;
}

static void
format_chain_id(text *out, uint64 id)
{
	static const char hex[] = "0123456789abcdef";
	char	   *d = VARDATA(out);

	for (int i = 15; i >= 0; i--, id >>= 4)
		d[i] = hex[id & 0xF];
}

/*
 * informer_synthetic_logs(seed, buckets, bucket_width, start_time, ...)
 * RETURNS TABLE (ts timestamptz, chain_id text, src text, dst text)
 */
Datum
informer_synthetic_logs(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	LogsState  *st;
	const SynthRow *row;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		fctx->user_fctx = logs_start(fcinfo, fctx);
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	st = fctx->user_fctx;
	CHECK_FOR_INTERRUPTS();

	row = synth_gen_next(st->gen);
	if (row == NULL)
		SRF_RETURN_DONE(fctx);
	{
		const SynthTopology *t = st->gen->topo;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		format_chain_id(st->chain, row->chain);
		values[0] = TimestampTzGetDatum(st->start + row->ts);
		values[1] = PointerGetDatum(st->chain);
		values[2] = PointerGetDatum(st->names[t->rpc_src[row->rpc]]);
		values[3] = PointerGetDatum(st->names[t->rpc_dst[row->rpc]]);
		SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
	}
}

/* ---- labels and topology: computed on the first call, then handed out ---- */

typedef struct ListState
{
	SynthTopology *topo;
	SynthParams params;
	TimestampTz start;
	SynthLabel *labels;
	size_t		n;				/* labels, or nodes of the topology */
	size_t		next;
	int32		tree;			/* topology: current tree */
	int32		node;			/* topology: next node within it */
} ListState;

static ListState *
list_start(FunctionCallInfo fcinfo, FuncCallContext *fctx)
{
	ListState  *st = palloc0(sizeof(ListState));
	SynthAllocator mem = context_allocator(fctx->multi_call_memory_ctx);

	read_params(fcinfo, &st->params, &st->start);
	st->topo = synth_topology_build(&st->params, &mem);
	fctx->tuple_desc = result_desc(fcinfo);
	return st;
}

static FuncCallContext *
list_setup(FunctionCallInfo fcinfo, bool labels)
{
	FuncCallContext *fctx;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		ListState  *st;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		st = list_start(fcinfo, fctx);
		if (labels)
		{
			SynthEvents ev;

			synth_events_plan(&st->params, st->topo, &ev);
			st->n = synth_labels(&st->params, st->topo, &ev, &st->labels);
		}
		fctx->user_fctx = st;
		MemoryContextSwitchTo(old);
	}
	return SRF_PERCALL_SETUP();
}

static Datum
method_text(const SynthTopology *t, int32 rpc, bool dst)
{
	return CStringGetTextDatum(t->methods[dst ? t->rpc_dst[rpc] : t->rpc_src[rpc]]);
}

/*
 * informer_synthetic_labels(same parameters)
 * RETURNS TABLE (kind text, src text, dst text, bucket_start int, bucket_end int,
 *                ts_start timestamptz, ts_end timestamptz, factor float8)
 */
Datum
informer_synthetic_labels(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx = list_setup(fcinfo, true);
	ListState  *st = fctx->user_fctx;
	const SynthLabel *l;
	Datum		values[8];
	bool		nulls[8] = {false};

	if (st->next >= st->n)
		SRF_RETURN_DONE(fctx);
	l = &st->labels[st->next++];
	values[0] = CStringGetTextDatum(synth_event_kind_name(l->kind));
	values[1] = method_text(st->topo, l->rpc, false);
	values[2] = method_text(st->topo, l->rpc, true);
	values[3] = Int32GetDatum((int32) l->first);
	values[4] = Int32GetDatum((int32) l->last);
	values[5] = TimestampTzGetDatum(st->start + l->first * st->params.width_us);
	values[6] = TimestampTzGetDatum(st->start + (l->last + 1) * st->params.width_us);
	values[7] = Float8GetDatum(l->factor);
	nulls[7] = isnan(l->factor);
	SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
}

/* The next call (non-root node) that exists in some bucket, or NULL. */
static const SynthNode *
next_node(ListState *st)
{
	const SynthTopology *t = st->topo;

	while (st->tree < t->n_trees)
	{
		const SynthTree *tr = &t->trees[st->tree];

		while (++st->node < tr->n)
		{
			const SynthNode *node = &t->nodes[tr->first + st->node];

			if (node->from_bucket < (int64) st->params.buckets)
				return node;
		}
		st->tree++;
		st->node = 0;
	}
	return NULL;
}

/*
 * informer_synthetic_topology(same parameters)
 * RETURNS TABLE (functionality int, name text, popularity float8, src text,
 *                dst text, depth int, optional bool, bucket_from int, bucket_until int)
 */
Datum
informer_synthetic_topology(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx = list_setup(fcinfo, false);
	ListState  *st = fctx->user_fctx;
	const SynthNode *node = next_node(st);
	const SynthTree *tr;
	Datum		values[9];
	bool		nulls[9] = {false};

	if (node == NULL)
		SRF_RETURN_DONE(fctx);
	tr = &st->topo->trees[st->tree];
	values[0] = Int32GetDatum(st->tree + 1);
	values[1] = CStringGetTextDatum(tr->name);
	values[2] = Float8GetDatum(tr->weight);
	values[3] = method_text(st->topo, node->rpc, false);
	values[4] = method_text(st->topo, node->rpc, true);
	values[5] = Int32GetDatum(node->depth);
	values[6] = BoolGetDatum(node->keep < 1.0);
	values[7] = Int32GetDatum((int32) node->from_bucket);
	nulls[7] = node->from_bucket == 0;
	values[8] = Int32GetDatum((int32) Min(node->until_bucket, PG_INT32_MAX));
	nulls[8] = node->until_bucket >= (int64) st->params.buckets;
	SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
}
