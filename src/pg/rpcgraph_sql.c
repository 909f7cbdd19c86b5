/*
 * rpcgraph_sql.c -- the SQL face of RPC graphs: informer_rpc_graph() and
 * informer_rpc_supports() of a mined pattern (Algorithm 1 and the DCRNN's
 * random-walk supports), and informer_rpc_components(), the paper's
 * connected-components baseline.
 *
 * RPCs are read from informer.rpc with their services numbered, nodes in
 * ascending rpc_id order; the graph code is src/core/rpcgraph.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "dbscan.h"
#include "informer.h"
#include "rpcgraph.h"

PG_FUNCTION_INFO_V1(informer_rpc_graph);
PG_FUNCTION_INFO_V1(informer_rpc_supports);
PG_FUNCTION_INFO_V1(informer_rpc_components);

/* RPCs by ascending id, src/dst as service numbers 0.. */
typedef struct RpcList
{
	int			n;
	int32	   *rpc_id;
	int32	   *src;
	int32	   *dst;
	int32		nservices;
} RpcList;

/* the RPCs whose ids are in $1 (all when $1 is NULL) */
static const char *const rpcs_sql =
"WITH r AS (SELECT x.rpc_id, x.src, x.dst FROM informer.rpc x "
"            WHERE $1 IS NULL OR x.rpc_id = ANY ($1)), "
"     s AS (SELECT u.name, (pg_catalog.row_number() OVER (ORDER BY u.name) - 1)::int4 AS sid "
"             FROM (SELECT r.src AS name FROM r UNION SELECT r.dst FROM r) u) "
"SELECT r.rpc_id, a.sid, b.sid FROM r "
"  JOIN s a ON a.name = r.src JOIN s b ON b.name = r.dst ORDER BY r.rpc_id";

static int32
int4_col(int row, int col)
{
	bool		isnull;

	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
									   col, &isnull));
}

/* Load the RPCs of ids (NULL: all) into l, allocated in the caller's context. */
static void
load_rpcs(Datum ids, bool ids_null, RpcList *l)
{
	Oid			argtypes[1] = {INT4ARRAYOID};
	char		nulls[1] = {ids_null ? 'n' : ' '};
	MemoryContext caller = CurrentMemoryContext;
	int			rc;

	SPI_connect();
	rc = SPI_execute_with_args(rpcs_sql, 1, argtypes, &ids, nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.rpc: %s", SPI_result_code_string(rc));
	l->n = (int) SPI_processed;
	l->nservices = 0;
	l->rpc_id = MemoryContextAlloc(caller, sizeof(int32) * (l->n + 1));
	l->src = MemoryContextAlloc(caller, sizeof(int32) * (l->n + 1));
	l->dst = MemoryContextAlloc(caller, sizeof(int32) * (l->n + 1));
	for (int i = 0; i < l->n; i++)
	{
		l->rpc_id[i] = int4_col(i, 1);
		l->src[i] = int4_col(i, 2);
		l->dst[i] = int4_col(i, 3);
		l->nservices = Max(l->nservices, Max(l->src[i], l->dst[i]) + 1);
	}
	SPI_finish();
}

/* the RPC ids of a pattern, or an error naming it */
static Datum
pattern_rpc_ids(int32 pattern_id)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(pattern_id)};
	bool		isnull;
	Datum		ids;

	SPI_connect();
	if (SPI_execute_with_args("SELECT pg_catalog.array_agg(pr.rpc_id ORDER BY pr.rpc_id) "
							  "FROM informer.pattern p LEFT JOIN informer.pattern_rpc pr "
							  "ON pr.pattern_id = p.pattern_id WHERE p.pattern_id = $1 "
							  "GROUP BY p.pattern_id",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.pattern");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pattern %d does not exist", pattern_id),
				 errhint("SELECT pattern_id FROM informer.pattern lists the mined patterns.")));
	ids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	ids = isnull ? PointerGetDatum(construct_empty_array(INT4OID)) : ids;
	ids = SPI_datumTransfer(ids, false, -1);
	SPI_finish();
	return ids;
}

/* the adjacency of a pattern's RPCs, n x n */
static float *
pattern_adjacency(int32 pattern_id, RpcList *l, int copies)
{
	Datum		ids = pattern_rpc_ids(pattern_id);
	float	   *w;

	load_rpcs(ids, false, l);
	informer_check_work_mem(sizeof(float) * (Size) l->n * l->n * copies, false, "the RPC graph");
	w = palloc_extended(sizeof(float) * (Size) l->n * l->n * copies + 1, MCXT_ALLOC_HUGE);
	rpcgraph_adjacency(l->src, l->dst, l->n, w);
	return w;
}

/*
 * The non-zero entries of an n x n matrix as rows (support, row rpc, col rpc,
 * value), or (row rpc, col rpc, value) when support < 0 (the graph itself).
 */
static void
emit_matrix(ReturnSetInfo *rsinfo, const RpcList *l, const float *m, int support)
{
	for (int i = 0; i < l->n; i++)
	{
		for (int j = 0; j < l->n; j++)
		{
			float		v = m[(Size) i * l->n + j];
			Datum		values[4] = {Int32GetDatum(support), Int32GetDatum(l->rpc_id[i]),
			Int32GetDatum(l->rpc_id[j]), Float8GetDatum(v)};
			bool		nulls[4] = {false, false, false, false};

			if (v == 0.0f)
				continue;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 support < 0 ? values + 1 : values, nulls);
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/* informer_rpc_graph(pattern_id int) RETURNS TABLE (from_rpc int, to_rpc int, weight float8) */
Datum
informer_rpc_graph(PG_FUNCTION_ARGS)
{
	RpcList		l;
	float	   *w = pattern_adjacency(PG_GETARG_INT32(0), &l, 1);

	InitMaterializedSRF(fcinfo, 0);
	emit_matrix((ReturnSetInfo *) fcinfo->resultinfo, &l, w, -1);
	return (Datum) 0;
}

/*
 * informer_rpc_supports(pattern_id int)
 *     RETURNS TABLE (support int, row_rpc int, col_rpc int, value float8)
 */
Datum
informer_rpc_supports(PG_FUNCTION_ARGS)
{
	RpcList		l;
	float	   *w = pattern_adjacency(PG_GETARG_INT32(0), &l, 3);
	float	   *s0 = w + (Size) l.n * l.n,
			   *s1 = s0 + (Size) l.n * l.n;

	rpcgraph_supports(w, l.n, s0, s1);
	InitMaterializedSRF(fcinfo, 0);
	emit_matrix((ReturnSetInfo *) fcinfo->resultinfo, &l, s0, 0);
	emit_matrix((ReturnSetInfo *) fcinfo->resultinfo, &l, s1, 1);
	return (Datum) 0;
}

/*
 * informer_rpc_components(rpc_ids int4[] DEFAULT NULL)
 *     RETURNS TABLE (rpc_id int, component_id int)
 */
Datum
informer_rpc_components(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RpcList		l;
	int32	   *comp;

	load_rpcs(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0), &l);
	comp = palloc(sizeof(int32) * (l.n + 1));
	if (components_of_rpcs(l.src, l.dst, l.n, l.nservices, comp) < 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < l.n; i++)
	{
		Datum		values[2] = {Int32GetDatum(l.rpc_id[i]), Int32GetDatum(comp[i])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
