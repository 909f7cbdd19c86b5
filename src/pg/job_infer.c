/*
 * job_infer.c -- the 'infer' job kind: informer_infer() queues a forecast
 * with a pattern's active model, a job worker runs it as the submitting
 * role; informer_infer_now() forecasts in the calling backend, the next
 * buckets or a backfill over a past range.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "informer.h"
#include "models.h"

PG_FUNCTION_INFO_V1(informer_infer);
PG_FUNCTION_INFO_V1(informer_infer_now);
PG_FUNCTION_INFO_V1(informer_infer_range);

/* informer_infer(pattern_id int, options jsonb) RETURNS bigint */
Datum
informer_infer(PG_FUNCTION_ARGS)
{
	InformerJob job = {0};

	job.kind = "infer";
	job.has_pattern = true;
	job.pattern_id = PG_GETARG_INT32(0);
	job.options = informer_checked_options("_infer_options", PG_GETARG_JSONB_P(1));
	PG_RETURN_INT64(informer_job_submit(&job));
}

/* informer_infer_now(pattern_id int) RETURNS bigint */
Datum
informer_infer_now(PG_FUNCTION_ARGS)
{
	int64		model_id;

	PG_RETURN_INT64(informer_infer_pattern(PG_GETARG_INT32(0), NULL, NULL, &model_id));
}

/* informer_infer_now(pattern_id int, from_ts timestamptz, to_ts timestamptz) RETURNS bigint */
Datum
informer_infer_range(PG_FUNCTION_ARGS)
{
	TimestampTz from = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz to = PG_GETARG_TIMESTAMPTZ(2);
	int64		model_id;

	if (TIMESTAMP_NOT_FINITE(from) || TIMESTAMP_NOT_FINITE(to))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_ts and to_ts must be finite")));
	PG_RETURN_INT64(informer_infer_pattern(PG_GETARG_INT32(0), &from, &to, &model_id));
}

/* The range of a backfill job's options ("from", "to"), if it has one. */
static bool
job_range(const InformerJob *job, TimestampTz *from, TimestampTz *to)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(job->options)};
	bool		isnull;

	SPI_connect();
	if (SPI_execute_with_args("SELECT (o->>'from')::timestamptz, (o->>'to')::timestamptz "
							  "FROM informer._infer_options($1::jsonb) o",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the options of job " INT64_FORMAT, job->job_id);
	*from = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!isnull)
		*to = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	return !isnull;
}

/* Runs the forecast as the job's owner; the count becomes the progress. */
char *
informer_job_infer_run(const InformerJob *job)
{
	TimestampTz from, to;
	int64		model_id;
	int64		n;

	if (!job->has_pattern)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("infer job " INT64_FORMAT " names no pattern", job->job_id)));
	if (job_range(job, &from, &to))
		n = informer_infer_pattern(job->pattern_id, &from, &to, &model_id);
	else
		n = informer_infer_pattern(job->pattern_id, NULL, NULL, &model_id);
	return psprintf("{\"phase\": \"done\", \"model_id\": " INT64_FORMAT ", \"predictions\": " INT64_FORMAT "}",
					model_id, n);
}
