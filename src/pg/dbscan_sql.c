/*
 * dbscan_sql.c -- informer_dbscan(chains_sql, eps, min_pts): DBSCAN of the
 * chains a query returns, one row per chain (chain_id, cluster_id, role).
 *
 * The query runs through SPI with the caller's privileges, read through a
 * cursor into compact arrays (chain ids as text, RPC ids as normalised
 * sets) in a memory context of this call.  A NULL or empty rpcs array is a
 * chain without RPCs: noise.  informer_dbscan_cluster() is the same as a
 * window function over each partition.  The clustering itself is
 * src/core/dbscan.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "dbscan.h"
#include "informer.h"

PG_FUNCTION_INFO_V1(informer_dbscan);
PG_FUNCTION_INFO_V1(informer_dbscan_window);

#define FETCH_ROWS 10000

/* the chains read from the query */
typedef struct InputChains
{
	size_t		n,
				cap;
	size_t	   *off;			/* cap + 1 */
	int32	   *ids;
	size_t		ids_cap;
	size_t	   *name_off;		/* cap + 1, into names */
	StringInfoData names;		/* chain ids, each '\0'-terminated */
} InputChains;

static const char *const role_names[] = {
	[DBSCAN_NOISE] = "noise",
	[DBSCAN_CORE] = "core",
	[DBSCAN_BORDER] = "border",
	[DBSCAN_DUPLICATE] = "duplicate",
	[DBSCAN_SUBSET] = "subset",
};

static Size
input_bytes(const InputChains *in)
{
	return in->cap * 2 * sizeof(size_t) + in->ids_cap * sizeof(int32) + in->names.maxlen;
}

static void
input_init(InputChains *in)
{
	in->n = 0;
	in->cap = 1024;
	in->off = palloc(sizeof(size_t) * (in->cap + 1));
	in->name_off = palloc(sizeof(size_t) * (in->cap + 1));
	in->ids_cap = 8192;
	in->ids = palloc(sizeof(int32) * in->ids_cap);
	in->off[0] = in->name_off[0] = 0;
	initStringInfo(&in->names);
}

static void
input_grow(InputChains *in, const char *name, const int32 *ids, int nids)
{
	size_t		used = in->off[in->n];

	if (in->n == in->cap)
	{
		in->cap *= 2;
		in->off = repalloc_huge(in->off, sizeof(size_t) * (in->cap + 1));
		in->name_off = repalloc_huge(in->name_off, sizeof(size_t) * (in->cap + 1));
	}
	while (used + nids > in->ids_cap)
	{
		in->ids_cap *= 2;
		in->ids = repalloc_huge(in->ids, sizeof(int32) * in->ids_cap);
	}
	memcpy(in->ids + used, ids, sizeof(int32) * nids);
	appendBinaryStringInfo(&in->names, name, strlen(name) + 1);
	in->n++;
	in->off[in->n] = used + nids;
	in->name_off[in->n] = in->names.len;
}

/*
 * Append a chain given as an int4[] datum (NULL: no RPCs); the normalised
 * copy is made in the current (per-row) context, the kept one in keep.
 */
static void
input_append(InputChains *in, const char *name, Datum rpcs, bool isnull, MemoryContext keep)
{
	int32	   *ids = NULL;
	int			nids = 0;
	MemoryContext old;

	if (!isnull)
		ids = informer_array_to_rpcset(DatumGetArrayTypeP(rpcs), "rpcs", &nids);
	old = MemoryContextSwitchTo(keep);
	input_grow(in, name, ids, nids);
	MemoryContextSwitchTo(old);
}

static void
check_columns(TupleDesc desc)
{
	if (desc->natts != 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("chains query must return 2 columns, not %d", desc->natts),
				 errdetail("The columns are the chain id and its RPC ids as int4[]."),
				 errhint("Write the query as SELECT chain_id, rpcs FROM ..., for example with informer_chain_agg(rpc_id) for rpcs.")));
	if (TupleDescAttr(desc, 1)->atttypid != INT4ARRAYOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("second column of chains query has type %s, not integer[]",
						format_type_be(TupleDescAttr(desc, 1)->atttypid)),
				 errhint("Cast it, for example rpcs::int4[].")));
}

/* one fetched row into in; per-row garbage goes to the caller's context */
static void
read_row(InputChains *in, HeapTuple tup, TupleDesc desc, MemoryContext keep)
{
	bool		isnull;
	Datum		rpcs = SPI_getbinval(tup, desc, 2, &isnull);
	char	   *name = SPI_getvalue(tup, desc, 1);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("chain id must not be NULL"),
				 errdetail("Row %zu of the chains query has a NULL chain id.", in->n + 1),
				 errhint("Filter the rows, for example WHERE chain_id IS NOT NULL.")));
	input_append(in, name, rpcs, isnull, keep);
}

/* Run the query and read every row into in (allocated in keep). */
static void
read_chains(const char *sql, InputChains *in, MemoryContext keep)
{
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "informer_dbscan row",
												  ALLOCSET_DEFAULT_SIZES);
	SPIPlanPtr	plan;
	Portal		portal;

	SPI_connect();
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chains query must be a single SELECT that returns rows"),
				 errhint("Pass a query such as SELECT chain_id, rpcs FROM my_chains.")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	check_columns(portal->tupDesc);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			MemoryContext old = MemoryContextSwitchTo(row_ctx);

			read_row(in, SPI_tuptable->vals[r], SPI_tuptable->tupdesc, keep);
			MemoryContextSwitchTo(old);
			MemoryContextReset(row_ctx);
		}
		SPI_freetuptable(SPI_tuptable);
		informer_check_work_mem(input_bytes(in), true, "informer_dbscan");
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(row_ctx);
}

static void
null_argument(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be NULL", name),
			 errhint("The paper uses eps 0.05 and min_pts 1.")));
}

static DbscanParams
make_params(bool eps_null, float8 eps, bool min_pts_null, int32 min_pts)
{
	DbscanParams p = {0};

	if (eps_null)
		null_argument("eps");
	if (min_pts_null)
		null_argument("min_pts");
	if (dbscan_eps_num(eps, &p.eps_num) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("eps must be at least 0 and less than 1, not %g", eps),
				 errdetail("eps bounds the overlap distance 1 - |A n B| / min(|A|,|B|), which lies in [0, 1]; eps is used to 9 decimal places."),
				 errhint("The paper uses eps 0.05.")));
	if (min_pts < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_pts must be at least 1, not %d", min_pts),
				 errhint("With min_pts 1, as in the paper, every chain is a core point.")));
	p.min_pts = min_pts;
	p.should_stop = informer_should_stop;
	return p;
}

static void
run_dbscan(const InputChains *in, DbscanParams *p, int32 *cluster, uint8 *role)
{
	ChainSet	cs = {in->n, in->off, in->ids};
	Size		have = input_bytes(in) + in->n * (sizeof(int32) + 1);
	Size		limit = (Size) work_mem * 1024;
	DbscanStats stats;
	DbscanStatus st;

	if (in->n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many chains: %zu", in->n),
				 errhint("Cluster a sample, for example with informer_sample_chains().")));
	p->max_bytes = limit > have ? limit - have : 1;
	st = dbscan_run(&cs, p, cluster, role, &stats);
	if (st == DBSCAN_STOPPED)
		informer_raise_stopped();
	if (st == DBSCAN_OVER_LIMIT)
		informer_check_work_mem(have + stats.bytes, false, "informer_dbscan");
	if (st == DBSCAN_NO_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Clustering %zu chains needs about %zu kB.",
						   in->n, (have + stats.bytes) / 1024)));
	if (st != DBSCAN_OK)
		elog(ERROR, "dbscan_run failed with status %d", (int) st);
}

/*
 * informer_dbscan(chains_sql text, eps float8, min_pts int)
 *     RETURNS TABLE (chain_id text, cluster_id int, role text)
 */
Datum
informer_dbscan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DbscanParams p = make_params(PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_FLOAT8(1),
								 PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2));
	MemoryContext ctx;
	MemoryContext old;
	InputChains in;
	int32	   *cluster;
	uint8	   *role;

	if (PG_ARGISNULL(0))
		null_argument("chains_sql");
	ctx = AllocSetContextCreate(CurrentMemoryContext, "informer_dbscan", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(ctx);
	input_init(&in);
	MemoryContextSwitchTo(old);
	read_chains(text_to_cstring(PG_GETARG_TEXT_PP(0)), &in, ctx);
	cluster = MemoryContextAllocHuge(ctx, sizeof(int32) * (in.n + 1));
	role = MemoryContextAllocHuge(ctx, in.n + 1);
	run_dbscan(&in, &p, cluster, role);

	InitMaterializedSRF(fcinfo, 0);
	for (size_t i = 0; i < in.n; i++)
	{
		Datum		values[3] = {CStringGetTextDatum(in.names.data + in.name_off[i]),
		Int32GetDatum(cluster[i]), CStringGetTextDatum(role_names[role[i]])};
		bool		nulls[3] = {false, cluster[i] < 0, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(ctx);
	return (Datum) 0;
}

/* the clusters of a window partition, computed at its first row */
typedef struct WindowClusters
{
	bool		done;
	int32	   *cluster;
} WindowClusters;

static void
window_read(WindowObject win, InputChains *in, MemoryContext keep)
{
	MemoryContext row_ctx = AllocSetContextCreate(CurrentMemoryContext, "informer_dbscan_cluster row",
												  ALLOCSET_DEFAULT_SIZES);
	int64		n = WinGetPartitionRowCount(win);

	for (int64 i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(row_ctx);
		bool		isnull,
					isout;
		Datum		rpcs = WinGetFuncArgInPartition(win, 0, i, WINDOW_SEEK_HEAD, false,
													&isnull, &isout);

		input_append(in, "", rpcs, isnull, keep);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_ctx);
		if (i % FETCH_ROWS == FETCH_ROWS - 1)
		{
			informer_check_work_mem(input_bytes(in), true, "informer_dbscan_cluster");
			CHECK_FOR_INTERRUPTS();
		}
	}
	MemoryContextDelete(row_ctx);
}

static void
window_cluster(WindowObject win, WindowClusters *wc)
{
	bool		eps_null,
				min_pts_null;
	Datum		eps = WinGetFuncArgCurrent(win, 1, &eps_null);
	Datum		min_pts = WinGetFuncArgCurrent(win, 2, &min_pts_null);
	DbscanParams p = make_params(eps_null, eps_null ? 0 : DatumGetFloat8(eps),
								 min_pts_null, min_pts_null ? 0 : DatumGetInt32(min_pts));
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "informer_dbscan_cluster",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	InputChains in;

	input_init(&in);
	MemoryContextSwitchTo(old);
	window_read(win, &in, ctx);
	wc->cluster = MemoryContextAllocHuge(GetMemoryChunkContext(wc), sizeof(int32) * (in.n + 1));
	run_dbscan(&in, &p, wc->cluster, MemoryContextAllocHuge(ctx, in.n + 1));
	wc->done = true;
	MemoryContextDelete(ctx);
}

/*
 * informer_dbscan_cluster(rpcs int4[], eps float8, min_pts int) OVER (...)
 *     RETURNS int: the row's cluster in its window partition, NULL for
 *     noise and set-aside chains (eps and min_pts are read from the
 *     partition's first row)
 */
Datum
informer_dbscan_window(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	WindowClusters *wc = WinGetPartitionLocalMemory(win, sizeof(WindowClusters));
	int32		c;

	if (!wc->done)
		window_cluster(win, wc);
	c = wc->cluster[WinGetCurrentPosition(win)];
	if (c < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(c);
}
