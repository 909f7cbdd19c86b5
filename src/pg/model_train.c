/*
 * model_train.c -- training the DCRNNs of a list of patterns with one set
 * of options: each pattern's zero-filled traffic, its Algorithm 1 graph
 * and supports; the patterns split into groups that train together
 * (train_group.h), one call of the core's group driver per group;
 * detection statistics and metrics on each model's held-out test windows,
 * and one new row of informer.models per model at the very end.  A single
 * pattern (job kind 'train', informer_train_now) is the list of one.
 *
 * In a job worker the training runs outside any transaction: the patterns
 * (and the role's right to read their sources) are checked and the device
 * recorded in the worker's first transaction, which is committed; a
 * group's traffic is read in a short transaction of its own before it
 * trains, so only one group's traffic is held at a time; each epoch's
 * progress is committed in a short transaction of its own; the model rows
 * are written in a new transaction that the worker commits together with
 * the job's success.  A worker killed on the way leaves no model row.  In
 * the calling backend (informer_train_group_now, informer_train_now) it
 * all happens inside the caller's transaction.  A group's networks and
 * scratch memory are freed when it is done; core memory (malloc) is freed
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
#include "train_group.h"

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

/* One pattern's training; core parts are freed by pattern_free. */
typedef struct PatternTraining
{
	PatternData pd;
	TimestampTz from, to;
	int			n_buckets;
	double	   *counts;
	DcrnnModel *net;
	Series		series;
	bool		has_series;
	ModelImage	img;
	bool		has_img;
	TrainResult result;
	int			group_size;		/* models it trained with, itself included */
	char	   *failure;		/* why it has no model; NULL: it has one */
	bytea	   *weights;
	char	   *metrics;
} PatternTraining;

/* Everything a list's training holds. */
typedef struct TrainState
{
	int64		job_id;			/* 0: in the calling backend */
	bool		grouped;		/* failures reported per pattern, not raised */
	MemoryContext cxt;			/* the training's own memory */
	MemoryContext home;			/* where the caller's memory is now */
	TrainOpts	opts;
	DcrnnConfig cfg;			/* every field but num_nodes */
	const DcrnnBackend *backend;	/* the device it trains on */
	const char *device;			/* the backend's name */
	char	   *device_reason;
	int			k;
	PatternTraining *pats;
	const char *training;		/* "pattern 3" or "patterns 3, 5": the group now */
	int			group, groups, group_size;	/* for the progress */
} TrainState;

static void
pattern_free(PatternTraining *pt)
{
	if (pt->net)
		dcrnn_free(pt->net);
	if (pt->has_series)
		series_free(&pt->series);
	if (pt->has_img)
		model_image_free(&pt->img);
	pt->net = NULL;
	pt->has_series = pt->has_img = false;
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

static double
memory_limit(void)
{
	return (double) informer_max_model_memory * 1024.0 * 1024.0;
}

/*
 * Host memory of a pattern's training alone: one model and the traffic
 * (train_group_member_bytes).  On the CPU the backend trains a copy of the
 * model, but the workspace of the one kept for forecasts is first written
 * after that copy is freed (bench/train_driver.sh measures the peak).  The
 * patterns of a group, each counted at the group's largest N, need at most
 * the same limit together (train_group_split).
 */
static void
check_memory(const TrainState *st, const PatternTraining *pt)
{
	int			n = pt->pd.n_nodes;
	double		need = train_group_member_bytes(&st->cfg, n, pt->n_buckets, n);

	if (need > memory_limit())
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training pattern %d needs %.0f MB of memory, informer.max_model_memory is %d MB",
						pt->pd.pattern_id, ceil(need / (1024.0 * 1024.0)), informer_max_model_memory),
				 errdetail("%d RPCs, %d buckets, %d units, %d layers, batches of %d windows.",
						   n, pt->n_buckets, st->cfg.units, st->cfg.layers, st->cfg.batch),
				 errhint("Raise informer.max_model_memory, or train a smaller model (units, layers, batch) "
						 "or a shorter range (train_from, train_to).")));
}

/* The options, the device and the configuration every pattern shares. */
static void
load_options(const char *options, TrainState *st)
{
	read_options(options, &st->opts);
	st->backend = informer_device_choose(&st->device_reason);
	st->device = st->backend->name;
	dcrnn_config_default(&st->cfg, 1);
	st->cfg.units = st->opts.units;
	st->cfg.layers = st->opts.layers;
	st->cfg.max_diffusion = st->opts.diffusion_steps;
	st->cfg.history = st->opts.history;
	st->cfg.horizon = st->opts.horizon;
	st->cfg.batch = st->opts.batch;
}

/* A pattern's RPCs and range, read as the calling role; its traffic comes later. */
static void
load_pattern(const TrainState *st, int32 pattern_id, PatternTraining *pt)
{
	TimestampTz from, to;
	int64		n;

	informer_pattern_load(pattern_id, true, &pt->pd);
	informer_pattern_range(&pt->pd, &from, &to);
	pt->from = st->opts.has_from ? bucket_of(st->opts.from, pt->pd.width) : from;
	pt->to = st->opts.has_to ? bucket_of(st->opts.to, pt->pd.width) : to;
	n = pt->to > pt->from ? (pt->to - pt->from) / pt->pd.width : 0;
	if (n < st->opts.history + st->opts.horizon + 2 || n > INT_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pattern %d has " INT64_FORMAT " buckets to train on, %s",
						pattern_id, n, n > INT_MAX / 2 ? "too many" : "too few"),
				 errdetail("A history of %d and a horizon of %d buckets need at least %d buckets "
						   "for training, validation and test windows.",
						   st->opts.history, st->opts.horizon, st->opts.history + st->opts.horizon + 2),
				 errhint("Count more traffic, or choose train_from, train_to, history and horizon to fit.")));
	pt->n_buckets = (int) n;
	check_memory(st, pt);
}

/* A group's traffic: in a job worker, in a short transaction of its own. */
static void
load_counts(const TrainState *st, PatternTraining **group, int m)
{
	MemoryContext here = CurrentMemoryContext;

	if (st->job_id != 0)
	{
		informer_xact_begin();
		MemoryContextSwitchTo(here);
	}
	for (int i = 0; i < m; i++)
	{
		CHECK_FOR_INTERRUPTS();
		group[i]->counts = informer_pattern_counts(&group[i]->pd, group[i]->from, group[i]->n_buckets);
	}
	if (st->job_id != 0)
	{
		informer_xact_commit();
		MemoryContextSwitchTo(here);
	}
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

/*
 * After each epoch: committed into the job's progress, or logged at DEBUG1.
 * A list's progress also says which group trains, its size, and how many of
 * its models still train.
 */
static void
report_progress(void *arg, const TrainProgress *p)
{
	TrainState *st = arg;
	MemoryContext here = CurrentMemoryContext;
	Oid			types[6] = {INT8OID, INT4OID, INT4OID, FLOAT8OID, FLOAT8OID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', isfinite(p->train_loss) ? ' ' : 'n',
	isfinite(p->val_loss) ? ' ' : 'n', ' '};
	char		group[128] = "{}";

	if (st->grouped)
		snprintf(group, sizeof group, "{\"models\": %d, \"training\": %d, \"group\": %d, \"groups\": %d}",
				 st->group_size, p->training, st->group + 1, st->groups);
	if (st->job_id == 0)
	{
		ereport(DEBUG1,
				(errmsg("informer training %s: epoch %d, train loss %g, validation loss %g%s",
						st->training, p->epoch, p->train_loss, p->val_loss, st->grouped ? group : "")));
		return;
	}
	values[0] = Int64GetDatum(st->job_id);
	values[1] = Int32GetDatum(p->epoch);
	values[2] = Int32GetDatum(st->opts.epochs);
	values[3] = Float8GetDatum(p->train_loss);
	values[4] = Float8GetDatum(p->val_loss);
	values[5] = CStringGetTextDatum(group);
	/* a cancel arriving now is seen by the driver's flag, not here */
	HOLD_INTERRUPTS();
	informer_xact_begin();
	informer_jobs_execute("UPDATE informer.jobs SET progress = pg_catalog.jsonb_build_object("
						  "'phase', 'training', 'epoch', $2, 'max_epochs', $3, "
						  "'train_loss', $4, 'val_loss', $5) OPERATOR(pg_catalog.||) $6::jsonb "
						  "WHERE job_id = $1",
						  6, types, values, nulls);
	informer_xact_commit();
	RESUME_INTERRUPTS();
	MemoryContextSwitchTo(here);
}

/* "pattern 3" */
static char *
pattern_name(const PatternTraining *pt)
{
	return psprintf("pattern %d", pt->pd.pattern_id);
}

/* "pattern 3" or "patterns 3, 5, 8" */
static char *
group_name(PatternTraining *const *group, int m)
{
	StringInfoData s;

	if (m == 1)
		return pattern_name(group[0]);
	initStringInfo(&s);
	appendStringInfoString(&s, "patterns ");
	for (int i = 0; i < m; i++)
		appendStringInfo(&s, "%s%d", i ? ", " : "", group[i]->pd.pattern_id);
	return s.data;
}

static void
core_error(const char *what, const char *who, const char *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("could not %s %s: %s", what, who, err)));
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
			 errmsg("could not train %s on the %s backend: %s",
					st->training, st->backend->name, err),
			 errdetail("The training ran on %s because %s.", st->device, st->device_reason),
			 gpu ? errhint("Set informer.device to cpu to train on the CPU; if the GPU ran out of memory, "
						   "train a smaller model (units, layers, batch) or free GPU memory.") :
			 errhint("Train a smaller model (units, layers, batch), or lower informer.max_model_memory "
					 "so that trainings this large are refused before they start.")));
}

/* A pattern's network with its graph's supports, and its windows. */
static void
build_network(const TrainState *st, PatternTraining *pt)
{
	DcrnnConfig cfg = st->cfg;
	int			n = pt->pd.n_nodes;
	float	   *w = palloc(sizeof(float) * n * n);
	float	   *s0 = palloc(sizeof(float) * n * n);
	float	   *s1 = palloc(sizeof(float) * n * n);
	char		err[256];

	cfg.num_nodes = n;
	if ((pt->net = dcrnn_create(&cfg, err, sizeof err)) == NULL)
		core_error("build the network of", pattern_name(pt), err);
	rpcgraph_adjacency(pt->pd.src, pt->pd.dst, n, w);
	rpcgraph_supports(w, n, s0, s1);
	dcrnn_set_support(pt->net, 0, s0);
	dcrnn_set_support(pt->net, 1, s1);
	pfree(w);
	pfree(s0);
	pfree(s1);

	if (series_init(&pt->series, pt->counts, pt->n_buckets, n, cfg.history, cfg.horizon,
					TRAIN_FRACTION, VAL_FRACTION, err, sizeof err) < 0)
		core_error("split the traffic of", pattern_name(pt), err);
	pt->has_series = true;
}

/*
 * Train a group's networks together.  A model whose loss stopped being
 * finite gets its failure; a cancel stops them all.
 */
static void
fit_group(TrainState *st, PatternTraining **group, int m)
{
	DcrnnModel **nets = palloc(sizeof(DcrnnModel *) * m);
	const Series **series = palloc(sizeof(Series *) * m);
	TrainResult *results = palloc(sizeof(TrainResult) * m);
	TrainOptions to;
	char		err[256];
	int			rc;
	bool		cancelled = false;

	for (int i = 0; i < m; i++)
	{
		CHECK_FOR_INTERRUPTS();
		build_network(st, group[i]);
		nets[i] = group[i]->net;
		series[i] = &group[i]->series;
	}
	train_options_default(&to);
	to.max_epochs = st->opts.epochs;
	to.batch = st->opts.batch;
	to.lr = st->opts.lr;
	to.patience = st->opts.patience;
	to.seed = (uint64_t) st->opts.seed;
	to.progress = report_progress;
	to.progress_arg = st;
	to.cancel = &QueryCancelPending;
	st->training = group_name(group, m);
	st->group_size = m;
	dcrnn_set_threads(st->opts.threads);
	rc = train_group_run_on(st->backend, nets, series, m, &to, results, err, sizeof err);
	dcrnn_set_threads(1);
	if (rc == TRAIN_BACKEND_FAILED)
		backend_failed(st, err);
	if (rc < 0)
		core_error(m == 1 ? "train the model of" : "train the models of", st->training, err);
	for (int i = 0; i < m; i++)
	{
		group[i]->result = results[i];
		group[i]->group_size = m;
		cancelled |= results[i].stop == TRAIN_CANCELLED;
		if (results[i].stop == TRAIN_DIVERGED)
			group[i]->failure = MemoryContextStrdup(st->cxt,
													psprintf("training diverged: the loss is not finite in epoch %d",
															 results[i].epochs));
	}
	if (cancelled || ProcDiePending)
		informer_raise_stopped();	/* the caller frees the networks */
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
 * metrics (the model's and the naive forecasts'), and pack the model; the
 * metrics and the packed weights go to keep, the rest to the current
 * memory context.
 */
static void
evaluate_and_pack(PatternTraining *pt, MemoryContext keep)
{
	const Series *s = &pt->series;
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
	if (forecast_counts(pt->net, s->mean, s->std, pt->counts, pt->n_buckets, origins, count,
						pred, err, sizeof err) < 0)
		core_error("forecast the test windows of", pattern_name(pt), err);
	detect_observed(pt->counts, n, hz, origins, count, obs);
	detect_stats(obs, pred, hz, count, n, mean, std);
	detect_naive(pt->counts, n, s->history, hz, origins, count, last, avg);

	initStringInfo(&m);
	appendStringInfo(&m, "{\"train_windows\": %d, \"val_windows\": %d, \"test_windows\": %d, "
					 "\"epochs\": %d, \"best_epoch\": %d, \"stop\": \"%s\", \"best_val_loss\": ",
					 s->n_train, s->n_val, count, pt->result.epochs, pt->result.best_epoch,
					 pt->result.stop == TRAIN_EARLY_STOPPED ? "early" : "max_epochs");
	append_number(&m, pt->result.best_loss);
	detect_step_errors(obs, pred, hz, count, n, e);
	append_steps(&m, "test", e, hz);
	detect_step_errors(obs, last, hz, count, n, e);
	append_steps(&m, "naive_last_value", e, hz);
	detect_step_errors(obs, avg, hz, count, n, e);
	append_steps(&m, "naive_history_mean", e, hz);
	appendStringInfoChar(&m, '}');
	pt->metrics = MemoryContextStrdup(keep, m.data);

	if (model_pack(pt->net, s->mean, s->std, mean, std, &pt->img, err, sizeof err) < 0)
		core_error("pack the model of", pattern_name(pt), err);
	pt->has_img = true;
	size = model_io_size(&pt->img);
	pt->weights = MemoryContextAllocExtended(keep, VARHDRSZ + size, MCXT_ALLOC_HUGE);
	if (model_io_save(&pt->img, (uint8_t *) VARDATA(pt->weights), size) != size)
		elog(ERROR, "model buffer of %zu bytes came out short", size);
	SET_VARSIZE(pt->weights, VARHDRSZ + size);
}

/*
 * the configuration: every option, plus what the model was trained on and,
 * when it trained with others, the size of its group
 */
static char *
config_json(const TrainState *st, const PatternTraining *pt)
{
	StringInfoData s;

	initStringInfo(&s);
	/* the options are a non-empty jsonb object: extend it before its brace */
	appendBinaryStringInfo(&s, st->opts.json, strlen(st->opts.json) - 1);
	appendStringInfoString(&s, ", \"source\": ");
	escape_json(&s, pt->pd.source_name);
	appendStringInfo(&s, ", \"bucket_width_s\": %.6f, \"nodes\": %d, \"rpc_ids\": [",
					 pt->pd.width / 1e6, pt->pd.n_nodes);
	for (int i = 0; i < pt->pd.n_nodes; i++)
		appendStringInfo(&s, "%s%d", i ? ", " : "", pt->pd.rpc_id[i]);
	appendStringInfoString(&s, "], \"data_from\": ");
	escape_json(&s, timestamptz_to_str(pt->from));
	appendStringInfoString(&s, ", \"data_to\": ");
	escape_json(&s, timestamptz_to_str(pt->to));
	appendStringInfoString(&s, ", \"device\": ");
	escape_json(&s, st->device);
	appendStringInfoString(&s, ", \"device_reason\": ");
	escape_json(&s, st->device_reason);
	if (pt->group_size > 1)
		appendStringInfo(&s, ", \"group_size\": %d", pt->group_size);
	appendStringInfoChar(&s, '}');
	return s.data;
}

/*
 * A model that could not be trained: an error for a single training; a
 * warning for one of a list, whose other models are still stored.
 */
static void
report_failure(const TrainState *st, const PatternTraining *pt)
{
	if (!st->grouped)
		core_error("train the model of", pattern_name(pt), pt->failure);
	ereport(WARNING,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("could not train the model of pattern %d: %s", pt->pd.pattern_id, pt->failure),
			 errdetail("The pattern gets no new model; the models of the other patterns are stored."),
			 errhint("Train it alone with a smaller learning rate (lr), or check its traffic.")));
}

/*
 * One group: its traffic read, its models trained together, then each
 * evaluated and packed.  Only the metrics and weights outlive the group:
 * its networks, traffic and scratch are freed before the next is built.
 */
static void
train_one_group(TrainState *st, const int *members, int m)
{
	MemoryContext tmp = AllocSetContextCreate(st->cxt, "informer training group",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	PatternTraining **group = palloc(sizeof(PatternTraining *) * m);

	for (int i = 0; i < m; i++)
		group[i] = &st->pats[members[i]];
	load_counts(st, group, m);
	fit_group(st, group, m);
	for (int i = 0; i < m; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (group[i]->failure)
			report_failure(st, group[i]);
		else
			evaluate_and_pack(group[i], st->cxt);
		pattern_free(group[i]);
		group[i]->counts = NULL;
	}
	st->training = NULL;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
}

/* Split the patterns into groups (train_group.h) and train each. */
static void
train_groups(TrainState *st)
{
	int		   *n_buckets = palloc(sizeof(int) * st->k);
	int		   *n_nodes = palloc(sizeof(int) * st->k);
	int		   *order = palloc(sizeof(int) * st->k);
	int		   *starts = palloc(sizeof(int) * (st->k + 1));

	for (int i = 0; i < st->k; i++)
	{
		n_buckets[i] = st->pats[i].n_buckets;
		n_nodes[i] = st->pats[i].pd.n_nodes;
	}
	st->groups = train_group_split(&st->cfg, n_buckets, n_nodes, st->k, memory_limit(), order, starts);
	if (st->groups < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Grouping %d patterns' trainings failed.", st->k)));
	for (st->group = 0; st->group < st->groups; st->group++)
		train_one_group(st, order + starts[st->group], starts[st->group + 1] - starts[st->group]);
}

/* The model rows, and each pattern's outcome in the caller's memory. */
static TrainOutcome *
store_models(const TrainState *st)
{
	TrainOutcome *out = MemoryContextAllocZero(st->home, sizeof(TrainOutcome) * st->k);
	int			stored = 0;

	for (int i = 0; i < st->k; i++)
	{
		const PatternTraining *pt = &st->pats[i];

		out[i].pattern_id = pt->pd.pattern_id;
		out[i].group_size = pt->group_size;
		if (pt->failure)
		{
			out[i].failure = MemoryContextStrdup(st->home, pt->failure);
			continue;
		}
		out[i].model_id = informer_model_store(pt->pd.pattern_id, config_json(st, pt), pt->metrics,
											   pt->weights, st->job_id);
		out[i].epochs = pt->result.epochs;
		out[i].best_epoch = pt->result.best_epoch;
		out[i].best_loss = pt->result.best_loss;
		stored++;
	}
	if (stored == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("could not train the model of any of the %d patterns", st->k),
				 errdetail("Pattern %d: %s.", out[0].pattern_id, out[0].failure)));
	return out;
}

static TrainOutcome *
train_list(const int32 *pattern_ids, const char *options, TrainState *st)
{
	load_options(options, st);
	for (int i = 0; i < st->k; i++)
	{
		CHECK_FOR_INTERRUPTS();
		load_pattern(st, pattern_ids[i], &st->pats[i]);
	}
	if (st->job_id != 0)
	{
		record_device(st);
		informer_xact_commit();
		st->home = TopMemoryContext;
		MemoryContextSwitchTo(st->cxt);
	}
	train_groups(st);
	if (st->job_id != 0)
	{
		informer_xact_begin();
		st->home = CurrentMemoryContext;
		MemoryContextSwitchTo(st->cxt);
	}
	return store_models(st);
}

/*
 * Train the models of k patterns with options (a jsonb object as text) and
 * store each as its pattern's new active version; returns the outcome of
 * each pattern, in their order, palloc'd in the memory context current at
 * the return (in a job worker: that of the transaction opened for the
 * model rows; pattern_ids is read before the first commit).  job_id: the
 * job being run by this worker, whose transaction is open; 0 in the
 * calling backend.  grouped: a model that diverges is a
 * warning and an outcome without a model (an error only when no model is
 * left); else it is an error.
 */
TrainOutcome *
informer_train_patterns(const int32 *pattern_ids, int k, const char *options, int64 job_id,
						bool grouped)
{
	TrainOutcome *volatile out = NULL;
	TrainState *st;
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "informer training",
											  ALLOCSET_DEFAULT_SIZES);

	st = MemoryContextAllocZero(cxt, sizeof(TrainState));
	st->job_id = job_id;
	st->grouped = grouped;
	st->cxt = cxt;
	st->k = k;
	st->pats = MemoryContextAllocZero(cxt, sizeof(PatternTraining) * k);
	st->home = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		out = train_list(pattern_ids, options, st);
	}
	PG_FINALLY();
	{
		MemoryContext home = st->home;

		for (int i = 0; i < k; i++)
			pattern_free(&st->pats[i]);
		dcrnn_set_threads(1);
		MemoryContextSwitchTo(home);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	return out;
}
