/*
 * job_train_group.c -- the 'train_group' job kind: informer_train_group()
 * queues training of several patterns' DCRNNs with one option set, which a
 * job worker runs as the submitting role, the models of similar patterns
 * trained together (model_train.c); informer_train_group_now() trains them
 * in the calling backend instead.
 *
 * The job's pattern ids are kept in its options, under "patterns", beside
 * the training options: informer.jobs and the worker's reading of a job
 * stay as they are for every kind, and the row shows the whole request.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "informer.h"
#include "models.h"

PG_FUNCTION_INFO_V1(informer_train_group);
PG_FUNCTION_INFO_V1(informer_train_group_now);

/* the most patterns one call trains */
#define TRAIN_GROUP_MAX_PATTERNS 10000

static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a, y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Each pattern at most once: the first id listed twice is an error. */
static void
check_no_duplicates(const int32 *ids, int n)
{
	int32	   *sorted = palloc(sizeof(int32) * n);

	memcpy(sorted, ids, sizeof(int32) * n);
	qsort(sorted, n, sizeof(int32), cmp_int32);
	for (int i = 1; i < n; i++)
		if (sorted[i] == sorted[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pattern %d is listed more than once in pattern_ids", sorted[i]),
					 errhint("List each pattern once.")));
	pfree(sorted);
}

/* The ids of argument 0, checked: not NULL, not empty, no NULL, no repeat, all mined. */
static int32 *
pattern_list(FunctionCallInfo fcinfo, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int32	   *ids;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pattern_ids must not be NULL"),
				 errhint("Pass the ids of the patterns to train, e.g. ARRAY[1, 2].")));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("pattern_ids must be a one-dimensional array")));
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, &nulls, n);
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pattern_ids is empty"),
				 errhint("Pass the ids of the patterns to train, e.g. ARRAY[1, 2].")));
	if (*n > TRAIN_GROUP_MAX_PATTERNS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pattern_ids lists %d patterns, at most %d train in one call",
						*n, TRAIN_GROUP_MAX_PATTERNS),
				 errhint("Split the list over several calls.")));
	ids = palloc(sizeof(int32) * *n);
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("pattern_ids must not contain NULL"),
					 errdetail("Element %d is NULL.", i + 1)));
		ids[i] = DatumGetInt32(elems[i]);
	}
	check_no_duplicates(ids, *n);
	informer_check_patterns_exist(ids, *n);
	return ids;
}

/* argument 1, checked by informer._train_options (NULL included) */
static char *
group_options(FunctionCallInfo fcinfo)
{
	return informer_checked_options("_train_options", PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1));
}

/*
 * informer_train_group(pattern_ids int[], options jsonb) RETURNS bigint
 *
 * The job's options: the training options and "patterns".  Whether the role
 * may read the patterns' sources is checked when the job runs, as that role.
 */
Datum
informer_train_group(PG_FUNCTION_ARGS)
{
	InformerJob job = {0};
	int			n;
	int32	   *ids = pattern_list(fcinfo, &n);
	char	   *options = group_options(fcinfo);
	StringInfoData s;

	/* options is a jsonb object's text: "{}" or "{...}" */
	initStringInfo(&s);
	appendStringInfoString(&s, "{\"patterns\": [");
	for (int i = 0; i < n; i++)
		appendStringInfo(&s, "%s%d", i ? ", " : "", ids[i]);
	appendStringInfo(&s, "]%s%s", strcmp(options, "{}") == 0 ? "" : ", ", options + 1);
	job.kind = "train_group";
	job.options = s.data;
	PG_RETURN_INT64(informer_job_submit(&job));
}

/*
 * informer_train_group_now(pattern_ids int[], options jsonb)
 * RETURNS TABLE (pattern_id int4, model_id bigint)
 *
 * One row per pattern in the order given; model_id NULL for a pattern whose
 * training diverged (with a warning).
 */
Datum
informer_train_group_now(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n;
	int32	   *ids = pattern_list(fcinfo, &n);
	char	   *options = group_options(fcinfo);
	TrainOutcome *out = informer_train_patterns(ids, n, options, 0, true);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		Datum		values[2] = {Int32GetDatum(out[i].pattern_id), Int64GetDatum(out[i].model_id)};
		bool		nulls[2] = {false, out[i].model_id == 0};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* the job's pattern ids and its training options without them */
static int32 *
job_patterns(const InformerJob *job, int *n, char **options)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(job->options)};
	MemoryContext caller = CurrentMemoryContext;
	Datum	   *elems;
	bool		isnull;
	int32	   *ids;
	ArrayType  *arr;

	SPI_connect();
	if (SPI_execute_with_args("SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(o->'patterns')::int4), "
							  "(o OPERATOR(pg_catalog.-) 'patterns')::text "
							  "FROM (SELECT $1::jsonb AS o) j",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the patterns of job " INT64_FORMAT, job->job_id);
	arr = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*options = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, NULL, n);
	ids = MemoryContextAlloc(caller, sizeof(int32) * (*n > 0 ? *n : 1));
	for (int i = 0; i < *n; i++)
		ids[i] = DatumGetInt32(elems[i]);
	SPI_finish();
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("train_group job " INT64_FORMAT " names no pattern", job->job_id)));
	return ids;
}

/*
 * Runs the training as the job's owner; the final progress lists the models
 * stored and the patterns that got none, with why.
 */
char *
informer_job_train_group_run(const InformerJob *job)
{
	int			n;
	char	   *options;
	int32	   *ids = job_patterns(job, &n, &options);
	TrainOutcome *out = informer_train_patterns(ids, n, options, job->job_id, true);
	StringInfoData models, failed;

	initStringInfo(&models);
	initStringInfo(&failed);
	for (int i = 0; i < n; i++)
	{
		if (out[i].model_id == 0)
		{
			appendStringInfo(&failed, "%s{\"pattern_id\": %d, \"error\": ", failed.len ? ", " : "",
							 out[i].pattern_id);
			escape_json(&failed, out[i].failure);
			appendStringInfoChar(&failed, '}');
			continue;
		}
		appendStringInfo(&models, "%s{\"pattern_id\": %d, \"model_id\": " INT64_FORMAT ", "
						 "\"epochs\": %d, \"best_epoch\": %d, \"group_size\": %d}",
						 models.len ? ", " : "", out[i].pattern_id, out[i].model_id,
						 out[i].epochs, out[i].best_epoch, out[i].group_size);
	}
	return psprintf("{\"phase\": \"done\", \"models\": [%s], \"failed\": [%s]}", models.data, failed.data);
}
