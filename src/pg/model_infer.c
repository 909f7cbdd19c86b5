/*
 * model_infer.c -- forecasts of a pattern's active model into
 * informer.predictions: the next horizon buckets after the source's last
 * complete bucket, or every bucket of a past range (each forecast made
 * from the buckets before its origin only).  The band holds the counts
 * whose square-root scale value lies in stable(predicted) + M +- k * S,
 * with the model's detection statistics (M, S) for the RPC and step
 * (detect_stats.h) and k = informer.threshold_sigma, raised for a pattern
 * of several RPCs so that a bucket of the whole pattern has the false-alarm
 * rate k gives one RPC (informer.threshold_scope).  The history a forecast
 * starts from has its anomalous buckets replaced by their forecasts.
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "detect_stats.h"
#include "forecast.h"
#include "informer.h"
#include "model_io.h"
#include "model_pack.h"
#include "models.h"

double		informer_threshold_sigma = 3.0;
int			informer_threshold_scope = INFORMER_SCOPE_PATTERN;
int			informer_max_model_memory = 1024;

static const struct config_enum_entry scope_options[] = {
	{"pattern", INFORMER_SCOPE_PATTERN, false},
	{"rpc", INFORMER_SCOPE_RPC, false},
	{NULL, 0, false}
};

void
informer_define_model_gucs(void)
{
	DefineCustomIntVariable("informer.max_model_memory",
							"Most memory one model may take to train or forecast.",
							"Weights, gradients, supports, a batch's activations and the traffic.",
							&informer_max_model_memory, 1024, 1, INT_MAX / 1024,
							PGC_USERSET, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomRealVariable("informer.threshold_sigma",
							 "k of the band predicted + M +- k*S stored with each forecast.",
							 "M and S are the mean and standard deviation of the model's "
							 "forecast errors for the RPC and horizon step, on the square-root "
							 "scale; the paper uses 3.",
							 &informer_threshold_sigma, 3.0, 0.0, 1000.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("informer.threshold_scope",
							 "Whose false-alarm rate k sets: a pattern's bucket, or each RPC's.",
							 "pattern raises k for a pattern of n RPCs until n RPCs together "
							 "raise as few false alarms as one RPC at k; rpc uses k as it is.",
							 &informer_threshold_scope, INFORMER_SCOPE_PATTERN, scope_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

/* The active model, loaded; core parts freed by infer_state_free. */
typedef struct InferState
{
	int64		model_id;
	ModelImage	img;
	bool		has_img;
	DcrnnModel *net;
	int32	   *rpc_ids;		/* the model's nodes, from its config */
	int			n_nodes;
} InferState;

static void
infer_state_free(InferState *st)
{
	if (st->net)
		dcrnn_free(st->net);
	if (st->has_img)
		model_image_free(&st->img);
	st->net = NULL;
	st->has_img = false;
}

/* Read the pattern's active model visible to the caller and load it. */
static void
load_active(int32 pattern_id, int batch, InferState *st)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pattern_id)};
	MemoryContext caller = CurrentMemoryContext;
	bool		isnull;
	bytea	   *w;
	ArrayType  *ids;
	char		err[256];

	SPI_connect();
	if (SPI_execute_with_args("SELECT model_id, weights, "
							  "  ARRAY(SELECT pg_catalog.jsonb_array_elements_text(config->'rpc_ids'))::int4[] "
							  "FROM informer.models WHERE pattern_id OPERATOR(pg_catalog.=) $1 AND active",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read informer.models");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pattern %d has no active model", pattern_id),
				 errhint("Train one with informer_train() or informer_train_now(), "
						 "or activate a version with informer_deploy_model().")));
	st->model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	w = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	ids = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	st->n_nodes = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));
	st->rpc_ids = MemoryContextAlloc(caller, sizeof(int32) * (st->n_nodes + 1));
	memcpy(st->rpc_ids, ARR_DATA_PTR(ids), sizeof(int32) * st->n_nodes);
	if (model_io_load((const uint8_t *) VARDATA_ANY(w), VARSIZE_ANY_EXHDR(w), &st->img,
					  err, sizeof err) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not load model " INT64_FORMAT ": %s", st->model_id, err),
				 errhint("Retrain the pattern, or deploy another version.")));
	st->has_img = true;
	SPI_finish();
	if (st->img.n_nodes != st->n_nodes || !st->img.has_stats)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model " INT64_FORMAT " does not match its configuration", st->model_id),
				 errdetail("Its weights have %d nodes%s, its configuration lists %d RPCs.",
						   st->img.n_nodes, st->img.has_stats ? "" : " and no detection statistics",
						   st->n_nodes)));
	st->net = model_unpack(&st->img, batch, (size_t) informer_max_model_memory * 1024 * 1024,
						   err, sizeof err);
	if (st->net == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not load model " INT64_FORMAT ": %s", st->model_id, err),
				 errhint("A model larger than informer.max_model_memory needs it raised.")));
}

/* Predictions gathered column by column for one INSERT. */
typedef struct Rows
{
	int			n, cap;
	Datum	   *rpc, *bucket, *step, *pred, *lower, *upper, *sigma;
} Rows;

/* One prediction with its band stable(pred) + m +- k * s (detect_band). */
static void
rows_add(Rows *r, int32 rpc, TimestampTz bucket, int step, double pred, double m, double s,
		 double k)
{
	double		lower, upper;

	if (r->n == r->cap)
	{
		r->cap = r->cap ? r->cap * 2 : 256;
#define GROW(f) r->f = r->f ? repalloc_huge(r->f, sizeof(Datum) * r->cap) : palloc(sizeof(Datum) * r->cap)
		GROW(rpc);
		GROW(bucket);
		GROW(step);
		GROW(pred);
		GROW(lower);
		GROW(upper);
		GROW(sigma);
#undef GROW
	}
	r->rpc[r->n] = Int32GetDatum(rpc);
	r->bucket[r->n] = TimestampTzGetDatum(bucket);
	r->step[r->n] = Int32GetDatum(step);
	r->pred[r->n] = Float8GetDatum(pred);
	detect_band(pred, m, s, k, &lower, &upper);
	r->lower[r->n] = Float8GetDatum(lower);
	r->upper[r->n] = Float8GetDatum(upper);
	r->sigma[r->n] = Float8GetDatum(s);
	r->n++;
}

static Datum
array_of(Datum *d, int n, Oid type)
{
	int16		len;
	bool		byval;
	char		align;

	get_typlenbyvalalign(type, &len, &byval, &align);
	return PointerGetDatum(construct_array(d, n, type, len, byval, align));
}

static void
store_rows(int64 model_id, const Rows *r)
{
	Oid			types[8] = {INT8OID, INT4ARRAYOID, TIMESTAMPTZARRAYOID, INT4ARRAYOID,
	FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		values[8];

	values[0] = Int64GetDatum(model_id);
	values[1] = array_of(r->rpc, r->n, INT4OID);
	values[2] = array_of(r->bucket, r->n, TIMESTAMPTZOID);
	values[3] = array_of(r->step, r->n, INT4OID);
	values[4] = array_of(r->pred, r->n, FLOAT8OID);
	values[5] = array_of(r->lower, r->n, FLOAT8OID);
	values[6] = array_of(r->upper, r->n, FLOAT8OID);
	values[7] = array_of(r->sigma, r->n, FLOAT8OID);
	SPI_connect();
	informer_jobs_execute("INSERT INTO informer.predictions AS p "
						  "  (model_id, rpc_id, bucket, step, predicted, lower, upper, sigma) "
						  "SELECT $1, u.* FROM unnest($2, $3, $4, $5, $6, $7, $8) u "
						  "ON CONFLICT (model_id, rpc_id, bucket, step) DO UPDATE SET "
						  "  predicted = EXCLUDED.predicted, lower = EXCLUDED.lower, "
						  "  upper = EXCLUDED.upper, sigma = EXCLUDED.sigma, "
						  "  made_at = EXCLUDED.made_at",
						  8, types, values, NULL);
	SPI_finish();
}

/*
 * Forecasts from origins first, first + width, ... (count of them); rows
 * for buckets in [lo, hi) only.  Each origin is forecast after the one
 * before it, from the WARMUP buckets before first on, with the anomalous
 * buckets of the history replaced by their forecasts
 * (forecast_counts_robust): an attack or an outage that has just ended does
 * not drag the forecasts after it, and a forecast is the same whether made
 * now or in a backfill.  A node outside its band for more than history
 * buckets in a row is taken as changed and its counts are used as they are.
 */
#define WARMUP(c) (2 * (c)->history)

static void
forecast_origins(InferState *st, const PatternData *d, TimestampTz first, int count,
				 TimestampTz lo, TimestampTz hi, Rows *rows)
{
	const DcrnnConfig *c = &st->net->cfg;
	int			all = WARMUP(c) + count;
	TimestampTz start = first - d->width * (c->history + WARMUP(c));
	int			n_buckets = c->history + all - 1;
	double	   *counts = informer_pattern_counts(d, start, n_buckets);
	double	   *out = palloc_extended(sizeof(double) * c->horizon * all * d->n_nodes, MCXT_ALLOC_HUGE);
	double		kf = informer_threshold_scope == INFORMER_SCOPE_PATTERN
		? detect_family_k(informer_threshold_sigma, d->n_nodes) : informer_threshold_sigma;
	char		err[256];

	if (forecast_counts_robust(st->net, st->img.norm_mean, st->img.norm_std,
							   st->img.stats_mean, st->img.stats_std, kf, c->history,
							   counts, n_buckets, c->history, all, out, err, sizeof err) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("could not forecast pattern %d: %s", d->pattern_id, err)));
	for (int h = 0; h < c->horizon; h++)
		for (int i = WARMUP(c); i < all; i++)
		{
			TimestampTz b = first + d->width * (i - WARMUP(c) + h);

			if (b < lo || b >= hi)
				continue;
			for (int n = 0; n < d->n_nodes; n++)
			{
				size_t		k = (size_t) n * c->horizon + h;

				rows_add(rows, d->rpc_id[n], b, h + 1, out[((size_t) h * all + i) * d->n_nodes + n],
						 st->img.stats_mean[k], st->img.stats_std[k], kf);
			}
		}
	CHECK_FOR_INTERRUPTS();
}

static int64
infer_in(int32 pattern_id, const TimestampTz *range_from, const TimestampTz *range_to,
		 InferState *st)
{
	PatternData d;
	TimestampTz first, last, lo, hi;
	int64		count;
	Rows		rows = {0};

	if (range_from != NULL && *range_to <= *range_from)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_ts must be before to_ts")));
	informer_pattern_load(pattern_id, true, &d);
	if (!d.has_watermark)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("source \"%s\" of pattern %d has not been refreshed", d.source_name, pattern_id),
				 errhint("Count its calls with informer_refresh_traffic('%s').", d.source_name)));
	load_active(pattern_id, 64, st);
	/* the model's nodes, not the pattern's current ones */
	d.n_nodes = st->n_nodes;
	d.rpc_id = st->rpc_ids;
	last = d.complete_end;		/* the newest origin with complete history */
	if (range_from == NULL)
	{
		first = last;
		lo = last;
		hi = last + d.width * st->net->cfg.horizon;
	}
	else
	{
		lo = *range_from - ((*range_from % d.width) + d.width) % d.width;
		hi = *range_to;
		first = lo - d.width * (st->net->cfg.horizon - 1);
		if (last > hi - 1 - ((hi - 1) % d.width + d.width) % d.width)
			last = hi - 1 - ((hi - 1) % d.width + d.width) % d.width;
	}
	count = first <= last ? (last - first) / d.width + 1 : 0;
	if (count > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a backfill of " INT64_FORMAT " forecasts is too large", count),
				 errhint("Backfill at most 100000 buckets at a time.")));
	/* in batches of a bounded number of origins, so memory stays small */
	for (int64 i = 0; i < count; i += 4096)
	{
		int			n = (int) Min(4096, count - i);

		forecast_origins(st, &d, first + d.width * i, n, lo, hi, &rows);
	}
	if (rows.n > 0)
		store_rows(st->model_id, &rows);
	return rows.n;
}

/*
 * Forecast pattern_id with its active model; range_from/range_to NULL for
 * the next horizon buckets.  Returns the predictions stored.
 */
int64
informer_infer_pattern(int32 pattern_id, const TimestampTz *range_from,
					   const TimestampTz *range_to, int64 *model_id)
{
	InferState	st = {0};
	int64		n = 0;

	PG_TRY();
	{
		n = infer_in(pattern_id, range_from, range_to, &st);
	}
	PG_FINALLY();
	{
		infer_state_free(&st);
	}
	PG_END_TRY();
	*model_id = st.model_id;
	return n;
}
