/*
 * model_info.c -- a model bytea decoded for SQL: informer_model_info()
 * (configuration and sizes as jsonb) and informer._model_stats() (the
 * detection statistics, behind the informer.model_stats view).  A damaged
 * bytea is an error carrying the loader's message.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "model_io.h"

PG_FUNCTION_INFO_V1(informer_model_info);
PG_FUNCTION_INFO_V1(informer_model_stats);

/* Load weights into img (core memory: free with model_image_free). */
static void
load_image(bytea *weights, ModelImage *img)
{
	char		err[256];

	if (model_io_load((const uint8_t *) VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights),
					  img, err, sizeof err) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not load model: %s", err),
				 errdetail("The bytea is %zu bytes long.", (size_t) VARSIZE_ANY_EXHDR(weights)),
				 errhint("Use the weights column of informer.models; a damaged model must be retrained.")));
}

static void
describe(const ModelImage *img, size_t bytes, StringInfo s)
{
	appendStringInfoString(s, "{\"config\": {");
	for (int i = 0; i < img->n_config; i++)
		appendStringInfo(s, "%s\"%s\": " INT64_FORMAT, i ? ", " : "", img->config[i].name,
						 (int64) img->config[i].value);
	appendStringInfo(s, "}, \"bytes\": %zu, \"nodes\": %d, \"supports\": %d, \"tensors\": %d, "
					 "\"parameters\": %zu, \"has_stats\": %s, \"stats_horizon\": %d}",
					 bytes, img->n_nodes, img->n_supports, img->n_tensors, img->n_weights,
					 img->has_stats ? "true" : "false", img->stats_horizon);
}

/* informer_model_info(weights bytea) RETURNS jsonb */
Datum
informer_model_info(PG_FUNCTION_ARGS)
{
	bytea	   *weights = PG_GETARG_BYTEA_PP(0);
	ModelImage	img;
	StringInfoData s;

	initStringInfo(&s);
	load_image(weights, &img);
	PG_TRY();
	{
		describe(&img, VARSIZE_ANY_EXHDR(weights), &s);
	}
	PG_FINALLY();
	{
		model_image_free(&img);
	}
	PG_END_TRY();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

static void
put_stats(const ModelImage *img, ReturnSetInfo *rsinfo)
{
	for (int n = 0; img->has_stats && n < img->n_nodes; n++)
		for (int h = 0; h < img->stats_horizon; h++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};
			size_t		i = (size_t) n * img->stats_horizon + h;

			values[0] = Int32GetDatum(n);
			values[1] = Int32GetDatum(h + 1);
			values[2] = Float8GetDatum(img->stats_mean[i]);
			values[3] = Float8GetDatum(img->stats_std[i]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
}

/* informer._model_stats(weights bytea) RETURNS TABLE (node, step, err_mean, err_std) */
Datum
informer_model_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *weights = PG_GETARG_BYTEA_PP(0);
	ModelImage	img;

	InitMaterializedSRF(fcinfo, 0);
	load_image(weights, &img);
	PG_TRY();
	{
		put_stats(&img, rsinfo);
	}
	PG_FINALLY();
	{
		model_image_free(&img);
	}
	PG_END_TRY();
	return (Datum) 0;
}
