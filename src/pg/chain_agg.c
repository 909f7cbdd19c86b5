/*
 * chain_agg.c -- informer_chain_agg(int4): the set of RPC ids of a chain as
 * a sorted, duplicate-free int4[].
 *
 * The state is an id buffer in the aggregate context that is compacted
 * (sorted, de-duplicated) whenever it fills, so a chain that repeats a few
 * RPCs many times stays small.  Combine, serial and deserial functions make
 * it usable as a partial (parallel) aggregate.  NULL ids are skipped; a
 * group with no ids gives NULL.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"
#include "utils/array.h"

#include "informer.h"
#include "rpcset.h"

typedef struct ChainState
{
	int32		n;				/* ids held */
	int32		cap;			/* room in ids */
	int32	   *ids;
} ChainState;

PG_FUNCTION_INFO_V1(informer_chain_agg_sfunc);
PG_FUNCTION_INFO_V1(informer_chain_agg_combine);
PG_FUNCTION_INFO_V1(informer_chain_agg_final);
PG_FUNCTION_INFO_V1(informer_chain_agg_serial);
PG_FUNCTION_INFO_V1(informer_chain_agg_deserial);

static MemoryContext
agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext ctx;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "informer_chain_agg support function called in non-aggregate context");
	return ctx;
}

static ChainState *
state_new(MemoryContext ctx, int32 cap)
{
	ChainState *st = MemoryContextAlloc(ctx, sizeof(ChainState));

	st->n = 0;
	st->cap = Max(cap, 8);
	st->ids = MemoryContextAlloc(ctx, sizeof(int32) * st->cap);
	return st;
}

/* Make room for extra more ids: compact first, grow only if still needed. */
static void
state_reserve(ChainState *st, int32 extra)
{
	if (st->n + extra <= st->cap)
		return;
	st->n = (int32) rpcset_normalize(st->ids, st->n);
	if (st->n + extra <= st->cap && st->n <= st->cap / 2)
		return;
	if ((Size) (st->n + extra) * 2 * sizeof(int32) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("chain has too many distinct RPCs"),
				 errdetail("A chain set holds at most %d RPC ids.",
						   (int) (MaxAllocSize / (2 * sizeof(int32))))));
	st->cap = Max(st->cap * 2, st->n + extra);
	st->ids = repalloc(st->ids, sizeof(int32) * st->cap);
}

Datum
informer_chain_agg_sfunc(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo);
	ChainState *st = PG_ARGISNULL(0) ? NULL : (ChainState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	if (st == NULL)
		st = state_new(ctx, 16);
	state_reserve(st, 1);
	st->ids[st->n++] = PG_GETARG_INT32(1);
	PG_RETURN_POINTER(st);
}

Datum
informer_chain_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo);
	ChainState *a = PG_ARGISNULL(0) ? NULL : (ChainState *) PG_GETARG_POINTER(0);
	ChainState *b = PG_ARGISNULL(1) ? NULL : (ChainState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = state_new(ctx, b->n);
	state_reserve(a, b->n);
	memcpy(a->ids + a->n, b->ids, sizeof(int32) * b->n);
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

Datum
informer_chain_agg_final(PG_FUNCTION_ARGS)
{
	ChainState *st = PG_ARGISNULL(0) ? NULL : (ChainState *) PG_GETARG_POINTER(0);

	agg_context(fcinfo);
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	/* Compacting in place is harmless: the final function may run again. */
	st->n = (int32) rpcset_normalize(st->ids, st->n);
	PG_RETURN_ARRAYTYPE_P(informer_rpcset_to_array(st->ids, st->n));
}

Datum
informer_chain_agg_serial(PG_FUNCTION_ARGS)
{
	ChainState *st = (ChainState *) PG_GETARG_POINTER(0);
	Size		nbytes;
	bytea	   *out;

	agg_context(fcinfo);
	st->n = (int32) rpcset_normalize(st->ids, st->n);
	nbytes = sizeof(int32) * (Size) st->n;
	out = palloc(VARHDRSZ + nbytes);
	SET_VARSIZE(out, VARHDRSZ + nbytes);
	memcpy(VARDATA(out), st->ids, nbytes);
	PG_RETURN_BYTEA_P(out);
}

Datum
informer_chain_agg_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo);
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	Size		nbytes = VARSIZE_ANY_EXHDR(in);
	ChainState *st;

	if (nbytes % sizeof(int32) != 0)
		elog(ERROR, "corrupt informer_chain_agg state of %zu bytes", nbytes);
	st = state_new(ctx, (int32) (nbytes / sizeof(int32)));
	memcpy(st->ids, VARDATA_ANY(in), nbytes);
	st->n = (int32) (nbytes / sizeof(int32));
	PG_RETURN_POINTER(st);
}
