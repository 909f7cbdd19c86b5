/*
 * model_train.c -- training a pattern's DCRNN: options, the pattern's
 * zero-filled traffic, the Algorithm 1 graph and its supports, the core's
 * training driver, detection statistics and metrics on the held-out test
 * windows, and one new row of informer.models at the very end.
 *
 * In a job worker the training runs outside any transaction: the data is
 * read and the device recorded in the worker's first transaction, which is
 * committed; each epoch's progress is committed in a short transaction of
 * its own; the model row is written in a new transaction that the worker
 * commits together with the job's success.  A worker killed on the way
 * leaves no model row.  In the calling backend (informer_train_now) it all
 * happens inside the caller's transaction.  Core memory (malloc) is freed
 * on every path, errors and cancels included.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "detect_stats.h"
#include "forecast.h"
#include "informer.h"
#include "model_io.h"
#include "model_pack.h"
#include "models.h"
#include "rpcgraph.h"
#include "series.h"
#include "train.h"

/* the paper's split of windows: 70 % train, 10 % validation, 20 % test */
#define TRAIN_FRACTION	0.7
#define VAL_FRACTION	0.1

typedef struct TrainOpts
{
	char	   *json;			/* every option, defaults filled in */
	int			units, layers, diffusion_steps, history, horizon;
	int			epochs, batch, patience, threads;
	double		lr;
	int64		seed;
	bool		has_from, has_to;
	TimestampTz from, to;
} TrainOpts;

/* Everything one training holds; core parts are freed by train_state_free. */
typedef struct TrainState
{
	int64		job_id;			/* 0: in the calling backend */
	MemoryContext cxt;			/* the training's own memory */
	MemoryContext home;			/* where the caller's memory is now */
	TrainOpts	opts;
	PatternData pd;
	const DcrnnBackend *backend;	/* the device it trains on */
	const char *device;			/* the backend's name */
	char	   *device_reason;
	TimestampTz from, to;
	int			n_buckets;
	DcrnnConfig cfg;
	double	   *counts;
	DcrnnModel *net;
	Series		series;
	bool		has_series;
	ModelImage	img;
	bool		has_img;
	TrainResult result;
	bytea	   *weights;
	char	   *metrics;
} TrainState;

static void
train_state_free(TrainState *st)
{
	if (st->net)
		dcrnn_free(st->net);
	if (st->has_series)
		series_free(&st->series);
	if (st->has_img)
		model_image_free(&st->img);
	st->net = NULL;
	st->has_series = st->has_img = false;
}

static int
int_opt(int c)
{
	bool		isnull;

	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, c, &isnull));
}

static void
read_options(const char *options, TrainOpts *o)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(options)};
	MemoryContext caller = CurrentMemoryContext;
	bool		isnull;

	SPI_connect();
	if (SPI_execute_with_args("SELECT o::text, (o->>'units')::int4, (o->>'layers')::int4, "
							  "(o->>'diffusion_steps')::int4, (o->>'history')::int4, "
							  "(o->>'horizon')::int4, (o->>'epochs')::int4, (o->>'batch')::int4, "
							  "(o->>'patience')::int4, (o->>'threads')::int4, (o->>'lr')::float8, "
							  "(o->>'seed')::int8, (o->>'train_from')::timestamptz, "
							  "(o->>'train_to')::timestamptz "
							  "FROM informer._train_options($1::jsonb) o",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not check the training options");
	o->json = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1));
	o->units = int_opt(2);
	o->layers = int_opt(3);
	o->diffusion_steps = int_opt(4);
	o->history = int_opt(5);
	o->horizon = int_opt(6);
	o->epochs = int_opt(7);
	o->batch = int_opt(8);
	o->patience = int_opt(9);
	o->threads = int_opt(10);
	o->lr = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 11, &isnull));
	o->seed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 12, &isnull));
	o->from = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 13, &isnull));
	o->has_from = !isnull;
	o->to = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 14, &isnull));
	o->has_to = !isnull;
	SPI_finish();
}

/* start of the bucket of width w that holds t (buckets aligned to 2000-01-01 UTC, t = 0) */
static TimestampTz
bucket_of(TimestampTz t, int64 w)
{
	TimestampTz b = (t / w) * w;

	return b > t ? b - w : b;
}

/*
 * Host memory: one model and the traffic.  On the CPU the backend trains a
 * copy of the model, but the workspace of the one kept for forecasts is
 * first written after that copy is freed (bench/train_driver.sh measures
 * the peak).
 */
static void
check_memory(const TrainState *st, const DcrnnConfig *cfg)
{
	double		need = (double) dcrnn_memory_bytes(cfg) +
		(double) st->n_buckets * st->pd.n_nodes * (sizeof(double) * 2 + sizeof(float));
	double		limit = (double) informer_max_model_memory * 1024.0 * 1024.0;

	if (need > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training pattern %d needs %.0f MB of memory, informer.max_model_memory is %d MB",
						st->pd.pattern_id, ceil(need / (1024.0 * 1024.0)), informer_max_model_memory),
				 errdetail("%d RPCs, %d buckets, %d units, %d layers, batches of %d windows.",
						   st->pd.n_nodes, st->n_buckets, cfg->units, cfg->layers, cfg->batch),
				 errhint("Raise informer.max_model_memory, or train a smaller model (units, layers, batch) "
						 "or a shorter range (train_from, train_to).")));
}

/* The pattern's data and the device, read as the calling role. */
static void
load_inputs(int32 pattern_id, const char *options, TrainState *st)
{
	TimestampTz from, to;
	int64		n;

	read_options(options, &st->opts);
	st->backend = informer_device_choose(&st->device_reason);
	st->device = st->backend->name;
	informer_pattern_load(pattern_id, true, &st->pd);
	informer_pattern_range(&st->pd, &from, &to);
	st->from = st->opts.has_from ? bucket_of(st->opts.from, st->pd.width) : from;
	st->to = st->opts.has_to ? bucket_of(st->opts.to, st->pd.width) : to;
	n = st->to > st->from ? (st->to - st->from) / st->pd.width : 0;
	if (n < st->opts.history + st->opts.horizon + 2 || n > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pattern %d has " INT64_FORMAT " buckets to train on, %s",
						pattern_id, n, n > INT_MAX / 2 ? "too many" : "too few"),
				 errdetail("A history of %d and a horizon of %d buckets need at least %d buckets "
						   "for training, validation and test windows.",
						   st->opts.history, st->opts.horizon, st->opts.history + st->opts.horizon + 2),
				 errhint("Count more traffic, or choose train_from, train_to, history and horizon to fit.")));
	st->n_buckets = (int) n;

	dcrnn_config_default(&st->cfg, st->pd.n_nodes);
	st->cfg.units = st->opts.units;
	st->cfg.layers = st->opts.layers;
	st->cfg.max_diffusion = st->opts.diffusion_steps;
	st->cfg.history = st->opts.history;
	st->cfg.horizon = st->opts.horizon;
	st->cfg.batch = st->opts.batch;
	check_memory(st, &st->cfg);
	st->counts = informer_pattern_counts(&st->pd, st->from, st->n_buckets);
}

static void
record_device(const TrainState *st)
{
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = Int64GetDatum(st->job_id);
	values[1] = CStringGetTextDatum(st->device);
	values[2] = CStringGetTextDatum(st->device_reason);
	SPI_connect();
	informer_jobs_execute("UPDATE informer.jobs SET device = $2, device_reason = $3, "
						  "progress = progress || '{\"phase\": \"training\"}' WHERE job_id = $1",
						  3, types, values, NULL);
	SPI_finish();
}

/* After each epoch: committed into the job's progress, or logged at DEBUG1. */
static void
report_progress(void *arg, const TrainProgress *p)
{
	TrainState *st = arg;
	Oid			types[5] = {INT8OID, INT4OID, INT4OID, FLOAT8OID, FLOAT8OID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', isfinite(p->val_loss) ? ' ' : 'n'};

	if (st->job_id == 0)
	{
		ereport(DEBUG1,
				(errmsg("informer training pattern %d: epoch %d, train loss %g, validation loss %g",
						st->pd.pattern_id, p->epoch, p->train_loss, p->val_loss)));
		return;
	}
	values[0] = Int64GetDatum(st->job_id);
	values[1] = Int32GetDatum(p->epoch);
	values[2] = Int32GetDatum(st->opts.epochs);
	values[3] = Float8GetDatum(p->train_loss);
	values[4] = Float8GetDatum(p->val_loss);
	/* a cancel arriving now is seen by the driver's flag, not here */
	HOLD_INTERRUPTS();
	informer_xact_begin();
	informer_jobs_execute("UPDATE informer.jobs SET progress = pg_catalog.jsonb_build_object("
						  "'phase', 'training', 'epoch', $2, 'max_epochs', $3, "
						  "'train_loss', $4, 'val_loss', $5) WHERE job_id = $1",
						  5, types, values, nulls);
	informer_xact_commit();
	RESUME_INTERRUPTS();
	MemoryContextSwitchTo(st->cxt);
}

static void
core_error(const TrainState *st, const char *what, const char *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("could not %s pattern %d: %s", what, st->pd.pattern_id, err)));
}

/*
 * A call of the training's backend failed.  After a failure on the GPU this
 * process trains no more on it (its CUDA context cannot be trusted); a job
 * worker ends with the job anyway.
 */
static void
backend_failed(const TrainState *st, const char *err)
{
	bool		gpu = st->backend != dcrnn_backend_cpu();

	if (gpu)
		informer_device_failed(err);
	ereport(ERROR,
			(errcode(gpu ? ERRCODE_SYSTEM_ERROR : ERRCODE_OUT_OF_MEMORY),
			 errmsg("could not train pattern %d on the %s backend: %s",
					st->pd.pattern_id, st->backend->name, err),
			 errdetail("The training ran on %s because %s.", st->device, st->device_reason),
			 gpu ? errhint("Set informer.device to cpu to train on the CPU; if the GPU ran out of memory, "
						   "train a smaller model (units, layers, batch) or free GPU memory.") :
			 errhint("Train a smaller model (units, layers, batch), or lower informer.max_model_memory "
					 "so that trainings this large are refused before they start.")));
}

/* Build the network with the pattern's graph, and train it. */
static void
fit(TrainState *st)
{
	const DcrnnConfig *cfg = &st->cfg;
	TrainOptions to;
	int			n = st->pd.n_nodes;
	float	   *w = palloc(sizeof(float) * n * n);
	float	   *s0 = palloc(sizeof(float) * n * n);
	float	   *s1 = palloc(sizeof(float) * n * n);
	char		err[256];
	int			rc;

	if ((st->net = dcrnn_create(cfg, err, sizeof err)) == NULL)
		core_error(st, "build the network of", err);
	rpcgraph_adjacency(st->pd.src, st->pd.dst, n, w);
	rpcgraph_supports(w, n, s0, s1);
	dcrnn_set_support(st->net, 0, s0);
	dcrnn_set_support(st->net, 1, s1);

	if (series_init(&st->series, st->counts, st->n_buckets, n, cfg->history, cfg->horizon,
					TRAIN_FRACTION, VAL_FRACTION, err, sizeof err) < 0)
		core_error(st, "split the traffic of", err);
	st->has_series = true;

	train_options_default(&to);
	to.max_epochs = st->opts.epochs;
	to.batch = st->opts.batch;
	to.lr = st->opts.lr;
	to.patience = st->opts.patience;
	to.seed = (uint64_t) st->opts.seed;
	to.progress = report_progress;
	to.progress_arg = st;
	to.cancel = &QueryCancelPending;
	dcrnn_set_threads(st->opts.threads);
	rc = train_run_on(st->backend, st->net, &st->series, &to, &st->result, err, sizeof err);
	if (rc == TRAIN_BACKEND_FAILED)
		backend_failed(st, err);
	if (rc < 0)
		core_error(st, "train the model of", err);
	dcrnn_set_threads(1);
	if (st->result.stop == TRAIN_CANCELLED || ProcDiePending)
		informer_raise_stopped();	/* the caller frees the network */
}

static void
append_number(StringInfo s, double v)
{
	if (isfinite(v))
		appendStringInfo(s, "%.10g", v);
	else
		appendStringInfoString(s, "null");
}

static void
append_steps(StringInfo s, const char *name, const StepError *e, int horizon)
{
	appendStringInfo(s, ", \"%s\": [", name);
	for (int h = 0; h < horizon; h++)
	{
		appendStringInfo(s, "%s{\"step\": %d, \"mae\": ", h ? ", " : "", h + 1);
		append_number(s, e[h].mae);
		appendStringInfoString(s, ", \"mape\": ");
		append_number(s, e[h].mape);
		appendStringInfoString(s, ", \"rmse\": ");
		append_number(s, e[h].rmse);
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');
}

/*
 * Forecast the test windows, compute the detection statistics and the
 * metrics (the model's and the naive forecasts'), and pack the model.
 */
static void
evaluate_and_pack(TrainState *st)
{
	const Series *s = &st->series;
	int			n = s->n_nodes, hz = s->horizon, count = s->n_test;
	int		   *origins = palloc(sizeof(int) * count);
	size_t		cells = (size_t) hz * count * n;
	double	   *pred = palloc(sizeof(double) * cells);
	double	   *obs = palloc(sizeof(double) * cells);
	double	   *last = palloc(sizeof(double) * cells);
	double	   *avg = palloc(sizeof(double) * cells);
	double	   *mean = palloc(sizeof(double) * n * hz);
	double	   *std = palloc(sizeof(double) * n * hz);
	StepError  *e = palloc(sizeof(StepError) * hz);
	StringInfoData m;
	char		err[256];
	size_t		size;

	for (int i = 0; i < count; i++)
		origins[i] = s->n_train + s->n_val + i + s->history;
	if (forecast_counts(st->net, s->mean, s->std, st->counts, st->n_buckets, origins, count,
						pred, err, sizeof err) < 0)
		core_error(st, "forecast the test windows of", err);
	detect_observed(st->counts, n, hz, origins, count, obs);
	detect_stats(obs, pred, hz, count, n, mean, std);
	detect_naive(st->counts, n, s->history, hz, origins, count, last, avg);

	initStringInfo(&m);
	appendStringInfo(&m, "{\"train_windows\": %d, \"val_windows\": %d, \"test_windows\": %d, "
					 "\"epochs\": %d, \"best_epoch\": %d, \"stop\": \"%s\", \"best_val_loss\": ",
					 s->n_train, s->n_val, count, st->result.epochs, st->result.best_epoch,
					 st->result.stop == TRAIN_EARLY_STOPPED ? "early" : "max_epochs");
	append_number(&m, st->result.best_loss);
	detect_step_errors(obs, pred, hz, count, n, e);
	append_steps(&m, "test", e, hz);
	detect_step_errors(obs, last, hz, count, n, e);
	append_steps(&m, "naive_last_value", e, hz);
	detect_step_errors(obs, avg, hz, count, n, e);
	append_steps(&m, "naive_history_mean", e, hz);
	appendStringInfoChar(&m, '}');
	st->metrics = m.data;

	if (model_pack(st->net, s->mean, s->std, mean, std, &st->img, err, sizeof err) < 0)
		core_error(st, "pack the model of", err);
	st->has_img = true;
	size = model_io_size(&st->img);
	st->weights = palloc_extended(VARHDRSZ + size, MCXT_ALLOC_HUGE);
	if (model_io_save(&st->img, (uint8_t *) VARDATA(st->weights), size) != size)
		elog(ERROR, "model buffer of %zu bytes came out short", size);
	SET_VARSIZE(st->weights, VARHDRSZ + size);
}

/* the configuration: every option, plus what the model was trained on */
static char *
config_json(const TrainState *st)
{
	StringInfoData s;

	initStringInfo(&s);
	/* the options are a non-empty jsonb object: extend it before its brace */
	appendBinaryStringInfo(&s, st->opts.json, strlen(st->opts.json) - 1);
	appendStringInfoString(&s, ", \"source\": ");
	escape_json(&s, st->pd.source_name);
	appendStringInfo(&s, ", \"bucket_width_s\": %.6f, \"nodes\": %d, \"rpc_ids\": [",
					 st->pd.width / 1e6, st->pd.n_nodes);
	for (int i = 0; i < st->pd.n_nodes; i++)
		appendStringInfo(&s, "%s%d", i ? ", " : "", st->pd.rpc_id[i]);
	appendStringInfoString(&s, "], \"data_from\": ");
	escape_json(&s, timestamptz_to_str(st->from));
	appendStringInfoString(&s, ", \"data_to\": ");
	escape_json(&s, timestamptz_to_str(st->to));
	appendStringInfoString(&s, ", \"device\": ");
	escape_json(&s, st->device);
	appendStringInfoString(&s, ", \"device_reason\": ");
	escape_json(&s, st->device_reason);
	appendStringInfoChar(&s, '}');
	return s.data;
}

static void
train_in(int32 pattern_id, const char *options, TrainState *st, TrainOutcome *out)
{
	load_inputs(pattern_id, options, st);
	if (st->job_id != 0)
	{
		record_device(st);
		informer_xact_commit();
		st->home = TopMemoryContext;
		MemoryContextSwitchTo(st->cxt);
	}
	fit(st);
	evaluate_and_pack(st);
	if (st->job_id != 0)
	{
		informer_xact_begin();
		st->home = CurrentMemoryContext;
		MemoryContextSwitchTo(st->cxt);
	}
	out->model_id = informer_model_store(pattern_id, config_json(st), st->metrics,
										 st->weights, st->job_id);
	out->epochs = st->result.epochs;
	out->best_epoch = st->result.best_epoch;
	out->best_loss = st->result.best_loss;
}

/*
 * Train pattern_id's model with options (a jsonb object as text) and store
 * it as the pattern's new active version.  job_id: the job being run by
 * this worker, whose transaction is open; 0 in the calling backend.
 */
void
informer_train_pattern(int32 pattern_id, const char *options, int64 job_id, TrainOutcome *out)
{
	TrainState *st;
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "informer training",
											  ALLOCSET_DEFAULT_SIZES);

	st = MemoryContextAllocZero(cxt, sizeof(TrainState));
	st->job_id = job_id;
	st->cxt = cxt;
	st->home = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		train_in(pattern_id, options, st, out);
	}
	PG_FINALLY();
	{
		MemoryContext home = st->home;

		train_state_free(st);
		dcrnn_set_threads(1);
		MemoryContextSwitchTo(home);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
}
