/*
 * job_refresh.c -- the 'refresh' job kind: informer_refresh_traffic() of a
 * source, queued with informer_submit_refresh() and run by a job worker as
 * the submitting role.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "informer.h"

PG_FUNCTION_INFO_V1(informer_submit_refresh);

static void
check_source_exists(text *source_name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {PointerGetDatum(source_name)};
	bool		found;

	SPI_connect();
	informer_jobs_execute("SELECT 1 FROM informer.source WHERE source_name = $1",
						  1, types, values, NULL);
	found = SPI_processed > 0;
	SPI_finish();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" does not exist", text_to_cstring(source_name)),
				 errhint("Register the log table first with informer_register_source().")));
}

/*
 * informer_submit_refresh(source_name text) RETURNS bigint
 *
 * Whether the role may read the source's table is checked when the job
 * runs, as that role: the job then fails with the permission error.
 */
Datum
informer_submit_refresh(PG_FUNCTION_ARGS)
{
	text	   *source_name = PG_GETARG_TEXT_PP(0);
	InformerJob job = {0};

	check_source_exists(source_name);
	job.kind = "refresh";
	job.source_name = text_to_cstring(source_name);
	job.options = "{}";
	PG_RETURN_INT64(informer_job_submit(&job));
}

/* Runs the refresh as the job's owner; the result row becomes the progress. */
char *
informer_job_refresh_run(const InformerJob *job)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *sql;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *result;

	if (job->source_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("refresh job " INT64_FORMAT " names no source", job->job_id)));
	sql = psprintf("SELECT pg_catalog.to_jsonb(r)::text FROM %s.informer_refresh_traffic($1) r",
				   informer_extension_schema());
	values[0] = CStringGetTextDatum(job->source_name);
	if (SPI_execute_with_args(sql, 1, types, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "informer_refresh_traffic returned no row");
	result = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1));
	return result;
}
