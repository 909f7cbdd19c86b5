/*
 * models.c -- rows of informer.models: storing a trained model as the
 * pattern's new active version, and deploying, rolling back and dropping
 * versions.
 *
 * Roles read models through a row-level policy (the models of roles whose
 * privileges they have); rows are written here with the rights of the
 * tables' owner (informer_jobs_execute), so that one active version per
 * pattern holds across roles.  A role changes only models it can see and
 * whose owner's privileges it has.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "informer.h"
#include "models.h"

PG_FUNCTION_INFO_V1(informer_deploy_model);
PG_FUNCTION_INFO_V1(informer_rollback_model);
PG_FUNCTION_INFO_V1(informer_drop_model);

/*
 * Insert one model row, the pattern's next version, and make it the active
 * one.  The table lock orders concurrent trainings of a pattern.
 */
int64
informer_model_store(int32 pattern_id, const char *config, const char *metrics,
					 bytea *weights, int64 job_id)
{
	Oid			types[6] = {INT4OID, TEXTOID, TEXTOID, BYTEAOID, OIDOID, INT8OID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', job_id ? ' ' : 'n'};
	bool		isnull;
	int64		model_id;

	values[0] = Int32GetDatum(pattern_id);
	values[1] = CStringGetTextDatum(config);
	values[2] = CStringGetTextDatum(metrics);
	values[3] = PointerGetDatum(weights);
	values[4] = ObjectIdGetDatum(GetUserId());
	values[5] = Int64GetDatum(job_id);
	SPI_connect();
	informer_jobs_execute("LOCK TABLE informer.models IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL, NULL);
	informer_jobs_execute("UPDATE informer.models SET active = false "
						  "WHERE pattern_id = $1 AND active", 1, types, values, NULL);
	informer_jobs_execute("INSERT INTO informer.models "
						  "  (pattern_id, version, config, metrics, weights, active, owner, job_id) "
						  "SELECT $1, COALESCE(max(version), 0) + 1, $2::jsonb, $3::jsonb, $4, true, "
						  "       $5::regrole, $6 FROM informer.models WHERE pattern_id = $1 "
						  "RETURNING model_id", 6, types, values, nulls);
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return model_id;
}

/*
 * The id of a version the caller can see (the row policy applies) and may
 * change; 0 when missing_ok and there is none.
 */
static int64
find_version(int32 pattern_id, int32 version, bool missing_ok)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(pattern_id), Int32GetDatum(version)};
	bool		isnull;
	int64		model_id;
	Oid			owner;

	if (SPI_execute_with_args("SELECT model_id, owner::oid FROM informer.models "
							  "WHERE pattern_id OPERATOR(pg_catalog.=) $1 "
							  "AND version OPERATOR(pg_catalog.=) $2",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.models");
	if (SPI_processed == 0)
	{
		if (missing_ok)
			return 0;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of the model of pattern %d does not exist", version, pattern_id),
				 errhint("SELECT version, active FROM informer.models WHERE pattern_id = %d "
						 "lists the versions you can see.", pattern_id)));
	}
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to change version %d of the model of pattern %d",
						version, pattern_id),
				 errdetail("Only the role that trained a model, its members and superusers may change it.")));
	return model_id;
}

static void
activate(int32 pattern_id, int64 model_id)
{
	Oid			types[2] = {INT4OID, INT8OID};
	Datum		values[2] = {Int32GetDatum(pattern_id), Int64GetDatum(model_id)};

	informer_jobs_execute("UPDATE informer.models SET active = false "
						  "WHERE pattern_id = $1 AND active AND model_id <> $2", 2, types, values, NULL);
	informer_jobs_execute("UPDATE informer.models SET active = true WHERE model_id = $2",
						  2, types, values, NULL);
}

/* informer_deploy_model(pattern_id int, version int) RETURNS bigint */
Datum
informer_deploy_model(PG_FUNCTION_ARGS)
{
	int32		pattern_id = PG_GETARG_INT32(0);
	int64		model_id;

	SPI_connect();
	model_id = find_version(pattern_id, PG_GETARG_INT32(1), false);
	activate(pattern_id, model_id);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}

/* informer_rollback_model(pattern_id int) RETURNS bigint */
Datum
informer_rollback_model(PG_FUNCTION_ARGS)
{
	int32		pattern_id = PG_GETARG_INT32(0);
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pattern_id)};
	bool		isnull;
	Datum		previous;
	int64		model_id;

	SPI_connect();
	if (SPI_execute_with_args("SELECT (SELECT max(o.version) FROM informer.models o "
							  "         WHERE o.pattern_id OPERATOR(pg_catalog.=) a.pattern_id "
							  "           AND o.version OPERATOR(pg_catalog.<) a.version) "
							  "FROM informer.models a WHERE a.pattern_id OPERATOR(pg_catalog.=) $1 AND a.active",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.models");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pattern %d has no active model to roll back", pattern_id),
				 errhint("Activate a version with informer_deploy_model().")));
	previous = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pattern %d has no model version older than its active one", pattern_id)));
	model_id = find_version(pattern_id, DatumGetInt32(previous), false);
	activate(pattern_id, model_id);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}

/* informer_drop_model(pattern_id int, version int) RETURNS boolean */
Datum
informer_drop_model(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int64		model_id;

	SPI_connect();
	model_id = find_version(PG_GETARG_INT32(0), PG_GETARG_INT32(1), true);
	if (model_id != 0)
	{
		values[0] = Int64GetDatum(model_id);
		informer_jobs_execute("DELETE FROM informer.models WHERE model_id = $1",
							  1, types, values, NULL);
	}
	SPI_finish();
	PG_RETURN_BOOL(model_id != 0);
}
