/*
 * job_train.c -- the 'train' job kind: informer_train() queues training of
 * a pattern's DCRNN, a job worker runs it as the submitting role;
 * informer_train_now() trains in the calling backend instead.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "informer.h"
#include "models.h"

PG_FUNCTION_INFO_V1(informer_train);
PG_FUNCTION_INFO_V1(informer_train_now);

/*
 * options (jsonb text) checked by the SQL function fn of schema informer,
 * which raises the error for NULL, an unknown key, a wrong type or a value
 * out of range; returns the options as given.
 */
char *
informer_checked_options(const char *fn, Jsonb *jb)
{
	char	   *options = jb ? JsonbToCString(NULL, &jb->root, VARSIZE(jb)) : NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {options ? CStringGetTextDatum(options) : (Datum) 0};
	char	   *sql = psprintf("SELECT informer.%s($1::jsonb)", fn);

	SPI_connect();
	if (SPI_execute_with_args(sql, 1, types, values, options ? NULL : "n", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check the options with informer.%s", fn);
	SPI_finish();
	return options;
}

/* Every one of the n pattern ids names a mined pattern. */
void
informer_check_patterns_exist(const int32 *ids, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	Oid			types[1] = {INT4ARRAYOID};
	Datum		values[1];
	bool		isnull;
	int32		missing = 0;
	bool		found;

	for (int i = 0; i < n; i++)
		elems[i] = Int32GetDatum(ids[i]);
	values[0] = PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	SPI_connect();
	if (SPI_execute_with_args("SELECT x FROM pg_catalog.unnest($1) WITH ORDINALITY u(x, i) "
							  "WHERE NOT EXISTS (SELECT FROM informer.pattern p "
							  "WHERE p.pattern_id OPERATOR(pg_catalog.=) u.x) ORDER BY u.i LIMIT 1",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.pattern");
	found = SPI_processed > 0;
	if (found)
		missing = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pattern %d does not exist", missing),
				 errhint("SELECT pattern_id FROM informer.pattern lists the mined patterns.")));
}

/*
 * informer_train(pattern_id int, options jsonb) RETURNS bigint
 *
 * The options and the pattern are checked now; whether the role may read
 * the pattern's source is checked when the job runs, as that role.
 */
Datum
informer_train(PG_FUNCTION_ARGS)
{
	InformerJob job = {0};

	job.kind = "train";
	job.has_pattern = true;
	job.pattern_id = PG_GETARG_INT32(0);
	job.options = informer_checked_options("_train_options", PG_GETARG_JSONB_P(1));
	informer_check_patterns_exist(&job.pattern_id, 1);
	PG_RETURN_INT64(informer_job_submit(&job));
}

/* informer_train_now(pattern_id int, options jsonb) RETURNS bigint (model id) */
Datum
informer_train_now(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	int32		pattern_id = PG_GETARG_INT32(0);
	TrainOutcome *out = informer_train_patterns(&pattern_id, 1,
												JsonbToCString(NULL, &jb->root, VARSIZE(jb)), 0, false);

	PG_RETURN_INT64(out->model_id);
}

/* Runs the training as the job's owner; the outcome becomes the progress. */
char *
informer_job_train_run(const InformerJob *job)
{
	TrainOutcome *out;

	if (!job->has_pattern)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("train job " INT64_FORMAT " names no pattern", job->job_id)));
	out = informer_train_patterns(&job->pattern_id, 1, job->options, job->job_id, false);
	return psprintf("{\"phase\": \"done\", \"model_id\": " INT64_FORMAT ", \"epochs\": %d, "
					"\"best_epoch\": %d, \"best_loss\": %s}",
					out->model_id, out->epochs, out->best_epoch,
					isfinite(out->best_loss) ? psprintf("%.10g", out->best_loss) : "null");
}
