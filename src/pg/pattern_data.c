/*
 * pattern_data.c -- what training and inference read about a pattern, as
 * the calling role: its source (bucket width, last complete bucket), its
 * RPCs with their services numbered (for the Algorithm 1 graph), and its
 * traffic as a zero-filled bucket x RPC count matrix.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "informer.h"
#include "models.h"
#include "series.h"

static const char *const source_sql =
"SELECT r.source_name, s.log_table::oid, "
"       (pg_catalog.extract('epoch', s.bucket_width) * 1000000)::int8, "
"       informer._bucket(s.bucket_width, st.watermark) "
"  FROM informer.pattern p JOIN informer.mining_run r ON r.run_id = p.run_id "
"  LEFT JOIN informer.source s ON s.source_name = r.source_name "
"  LEFT JOIN informer.source_state st ON st.source_name = s.source_name "
" WHERE p.pattern_id = $1";

static const char *const rpcs_sql =
"WITH r AS (SELECT x.rpc_id, x.src, x.dst FROM informer.pattern_rpc pr "
"             JOIN informer.rpc x ON x.rpc_id = pr.rpc_id WHERE pr.pattern_id = $1), "
"     s AS (SELECT u.name, (pg_catalog.row_number() OVER (ORDER BY u.name) - 1)::int4 AS sid "
"             FROM (SELECT r.src AS name FROM r UNION SELECT r.dst FROM r) u) "
"SELECT r.rpc_id, a.sid, b.sid FROM r "
"  JOIN s a ON a.name = r.src JOIN s b ON b.name = r.dst ORDER BY r.rpc_id";

static Datum
col(int row, int c, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, c, isnull);
}

/* The role must be able to read the log the traffic was counted from. */
static void
check_log_readable(Oid log_table, const char *source_name)
{
	char	   *relname = get_rel_name(log_table);

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the log table of source \"%s\" no longer exists", source_name)));
	if (pg_class_aclcheck(log_table, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", relname),
				 errdetail("The pattern's traffic was counted from source \"%s\"; "
						   "only roles that may read its log table may model it.", source_name)));
}

static void
load_source(int32 pattern_id, bool check_source_read, PatternData *d)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pattern_id)};
	bool		isnull;

	if (SPI_execute_with_args(source_sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.pattern");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pattern %d does not exist", pattern_id),
				 errhint("SELECT pattern_id FROM informer.pattern lists the mined patterns.")));
	d->pattern_id = pattern_id;
	d->source_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	(void) col(0, 2, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" of pattern %d is no longer registered",
						d->source_name, pattern_id)));
	if (check_source_read)
		check_log_readable(DatumGetObjectId(col(0, 2, &isnull)), d->source_name);
	d->width = DatumGetInt64(col(0, 3, &isnull));
	d->complete_end = DatumGetTimestampTz(col(0, 4, &d->has_watermark));
	d->has_watermark = !d->has_watermark;
	if (d->width <= 0)
		elog(ERROR, "source \"%s\" has bucket width " INT64_FORMAT " us", d->source_name, d->width);
}

static void
load_rpcs(int32 pattern_id, PatternData *d, MemoryContext cxt)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pattern_id)};
	bool		isnull;

	if (SPI_execute_with_args(rpcs_sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.pattern_rpc");
	d->n_nodes = (int) SPI_processed;
	if (d->n_nodes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pattern %d has no RPCs", pattern_id)));
	d->rpc_id = MemoryContextAlloc(cxt, sizeof(int32) * d->n_nodes);
	d->src = MemoryContextAlloc(cxt, sizeof(int32) * d->n_nodes);
	d->dst = MemoryContextAlloc(cxt, sizeof(int32) * d->n_nodes);
	for (int i = 0; i < d->n_nodes; i++)
	{
		d->rpc_id[i] = DatumGetInt32(col(i, 1, &isnull));
		d->src[i] = DatumGetInt32(col(i, 2, &isnull));
		d->dst[i] = DatumGetInt32(col(i, 3, &isnull));
	}
}

/*
 * Read pattern_id's source and RPCs into d, allocated in the caller's
 * memory context.  check_source_read: refuse a role that may not read the
 * source's log table.
 */
void
informer_pattern_load(int32 pattern_id, bool check_source_read, PatternData *d)
{
	MemoryContext caller = CurrentMemoryContext;

	memset(d, 0, sizeof(*d));
	SPI_connect();
	load_source(pattern_id, check_source_read, d);
	d->source_name = MemoryContextStrdup(caller, d->source_name);
	load_rpcs(pattern_id, d, caller);
	SPI_finish();
}

static ArrayType *
rpc_array(const PatternData *d)
{
	Datum	   *e = palloc(sizeof(Datum) * d->n_nodes);

	for (int i = 0; i < d->n_nodes; i++)
		e[i] = Int32GetDatum(d->rpc_id[i]);
	return construct_array(e, d->n_nodes, INT4OID, sizeof(int32), true, TYPALIGN_INT);
}

/*
 * [*from, *to): the first bucket with traffic of the pattern's RPCs, and
 * the end of its source's last complete bucket (the one before the bucket
 * that holds the watermark), or of its last bucket with traffic.
 */
void
informer_pattern_range(const PatternData *d, TimestampTz *from, TimestampTz *to)
{
	Oid			types[1] = {INT4ARRAYOID};
	Datum		values[1];
	bool		isnull;

	SPI_connect();
	values[0] = PointerGetDatum(rpc_array(d));
	if (SPI_execute_with_args("SELECT pg_catalog.min(bucket), pg_catalog.max(bucket) "
							  "FROM informer.traffic WHERE rpc_id OPERATOR(pg_catalog.=) ANY ($1)",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.traffic");
	*from = DatumGetTimestampTz(col(0, 1, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pattern %d has no traffic", d->pattern_id),
				 errhint("Count its source's calls with informer_refresh_traffic('%s').",
						 d->source_name)));
	*to = d->has_watermark ? d->complete_end : DatumGetTimestampTz(col(0, 2, &isnull)) + d->width;
	SPI_finish();
}

/*
 * The calls of d's RPCs in the n_buckets buckets from `from` (aligned), as
 * a zero-filled bucket-major matrix palloc'd in the caller's context.
 */
double *
informer_pattern_counts(const PatternData *d, TimestampTz from, int n_buckets)
{
	Oid			types[4] = {INT4ARRAYOID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID};
	Datum		values[4];
	double	   *counts;
	int32	   *node;
	int64	   *bucket;
	double	   *calls;
	char		err[256];
	bool		isnull;

	counts = palloc_extended(sizeof(double) * (Size) n_buckets * d->n_nodes,
							 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	values[0] = PointerGetDatum(rpc_array(d));
	values[1] = TimestampTzGetDatum(from);
	values[2] = Int64GetDatum(d->width);
	values[3] = TimestampTzGetDatum(from + d->width * n_buckets);
	SPI_connect();
	if (SPI_execute_with_args("SELECT pg_catalog.array_position($1, t.rpc_id) - 1, "
							  "  ((pg_catalog.extract('epoch', t.bucket - $2) * 1000000)::int8 / $3), "
							  "  t.calls::float8 FROM informer.traffic t "
							  " WHERE t.rpc_id OPERATOR(pg_catalog.=) ANY ($1) "
							  "   AND t.bucket >= $2 AND t.bucket < $4",
							  4, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.traffic");
	node = palloc(sizeof(int32) * (SPI_processed + 1));
	bucket = palloc(sizeof(int64) * (SPI_processed + 1));
	calls = palloc(sizeof(double) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		node[i] = DatumGetInt32(col(i, 1, &isnull));
		bucket[i] = DatumGetInt64(col(i, 2, &isnull));
		calls[i] = DatumGetFloat8(col(i, 3, &isnull));
	}
	if (series_scatter(counts, n_buckets, d->n_nodes, node, bucket, calls, SPI_processed,
					   err, sizeof err) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("traffic of pattern %d is unusable: %s", d->pattern_id, err)));
	SPI_finish();
	return counts;
}
