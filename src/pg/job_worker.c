/*
 * job_worker.c -- the dynamic background worker that runs one job.
 *
 * The launcher claims a job (status 'starting', committed) and starts this
 * worker, which connects as the job's owner, so the job reads only what
 * that role may read.  It marks the job 'running', runs the kind's function
 * in one transaction and records 'succeeded' with the result in the same
 * transaction; an error rolls the work back and records 'failed' (or
 * 'cancelled' after informer_cancel() or SIGTERM) with the message.  Both
 * SIGINT (sent by informer_cancel) and SIGTERM cancel the running statement.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "informer.h"

PGDLLEXPORT void informer_job_main(Datum main_arg);

typedef struct JobKind
{
	const char *kind;
	InformerJobRunner run;
} JobKind;

/* one line per kind; each kind lives in its own job_<kind>.c */
static const JobKind job_kinds[] = {
	{"refresh", informer_job_refresh_run},
	{"train", informer_job_train_run},
	{"train_group", informer_job_train_group_run},
	{"infer", informer_job_infer_run},
};

/* what the launcher passes in bgw_extra */
typedef struct JobWorkerArgs
{
	int64		job_id;
	Oid			database;
	Oid			owner;
} JobWorkerArgs;

static volatile sig_atomic_t got_sigterm = false;

/* SIGTERM: cancel the statement in progress, then record and exit. */
static void
job_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/*
 * Starts the worker for a claimed job; the launcher is told (SIGUSR1, which
 * sets its latch) when it stops.  False when no background worker slot is
 * free.
 */
bool
informer_start_job_worker(int64 job_id, Oid owner, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	JobWorkerArgs args = {job_id, MyDatabaseId, owner};

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "informer", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "informer_job_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "informer job " INT64_FORMAT, job_id);
	strlcpy(worker.bgw_type, "informer job", BGW_MAXLEN);
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

static const JobKind *
find_kind(const char *kind)
{
	for (size_t i = 0; i < lengthof(job_kinds); i++)
		if (strcmp(job_kinds[i].kind, kind) == 0)
			return &job_kinds[i];
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("unknown job kind \"%s\"", kind)));
	return NULL;				/* keep the compiler quiet */
}

/*
 * Marks the job running in a committed transaction and reads it into
 * TopMemoryContext.  NULL when the job is no longer ours to run (cancelled
 * before it started, or failed by a restarted launcher).
 */
static InformerJob *
begin_job(int64 job_id)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2] = {Int64GetDatum(job_id), Int32GetDatum(MyProcPid)};
	InformerJob *job = NULL;

	informer_xact_begin();
	informer_jobs_execute("UPDATE informer.jobs SET status = 'running', worker_pid = $2, "
						  "started_at = pg_catalog.now(), progress = '{\"phase\": \"running\"}' "
						  "WHERE job_id = $1 AND status = 'starting' AND NOT cancel_requested "
						  "RETURNING kind, source_name, pattern_id, options::text",
						  2, types, values, NULL);
	if (SPI_processed == 1)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		HeapTuple	row = SPI_tuptable->vals[0];
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		job = palloc0(sizeof(InformerJob));
		job->job_id = job_id;
		job->kind = pstrdup(SPI_getvalue(row, desc, 1));
		job->source_name = SPI_getvalue(row, desc, 2);
		if (job->source_name)
			job->source_name = pstrdup(job->source_name);
		job->pattern_id = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
		job->has_pattern = !isnull;
		job->options = pstrdup(SPI_getvalue(row, desc, 4));
		MemoryContextSwitchTo(old);
	}
	else
		informer_jobs_execute("UPDATE informer.jobs SET status = 'cancelled', "
							  "finished_at = pg_catalog.now(), error = 'cancelled before it started' "
							  "WHERE job_id = $1 AND status = 'starting' AND cancel_requested",
							  1, types, values, NULL);
	informer_xact_commit();
	return job;
}

/* Runs the job and records success, all in one transaction. */
static void
run_job(const InformerJob *job)
{
	const JobKind *kind;
	char	   *result;
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	informer_xact_begin();
	kind = find_kind(job->kind);
	result = kind->run(job);
	values[0] = Int64GetDatum(job->job_id);
	values[1] = CStringGetTextDatum(result);
	informer_jobs_execute("UPDATE informer.jobs SET status = 'succeeded', "
						  "finished_at = pg_catalog.now(), progress = $2::jsonb "
						  "WHERE job_id = $1", 2, types, values, NULL);
	informer_xact_commit();
}

/* After an error: 'cancelled' when asked to stop, else 'failed'; logged. */
static void
record_failure(const InformerJob *job, ErrorData *edata)
{
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, BOOLOID};
	Datum		values[4];
	char	   *outcome;

	values[0] = Int64GetDatum(job->job_id);
	values[1] = CStringGetTextDatum(edata->message ? edata->message : "unknown error");
	values[2] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	values[3] = BoolGetDatum(got_sigterm);

	HOLD_INTERRUPTS();
	informer_xact_begin();
	informer_jobs_execute("UPDATE informer.jobs SET "
						  "status = CASE WHEN cancel_requested OR $4 THEN 'cancelled' ELSE 'failed' END, "
						  "error = CASE WHEN cancel_requested THEN 'cancelled by informer_cancel()' "
						  "             WHEN $4 THEN 'job worker was terminated (SIGTERM)' ELSE $2 END, "
						  "progress = progress || pg_catalog.jsonb_build_object('sqlstate', $3), "
						  "finished_at = pg_catalog.now() WHERE job_id = $1 "
						  "RETURNING status || ': ' || error",
						  4, types, values, NULL);
	outcome = SPI_processed == 1 ?
		MemoryContextStrdup(TopMemoryContext,
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)) :
		"no longer in informer.jobs";
	informer_xact_commit();
	RESUME_INTERRUPTS();
	ereport(LOG,
			(errmsg("informer job " INT64_FORMAT " (%s) %s", job->job_id, job->kind, outcome)));
}

void
informer_job_main(Datum main_arg)
{
	JobWorkerArgs args;
	InformerJob *job;
	MemoryContext cxt;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, job_sigterm);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, args.owner, 0);
	pgstat_report_appname(MyBgworkerEntry->bgw_name);

	job = begin_job(args.job_id);
	if (job == NULL)
		proc_exit(0);

	cxt = CurrentMemoryContext;
	PG_TRY();
	{
		run_job(job);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		record_failure(job, edata);
	}
	PG_END_TRY();
	proc_exit(0);
}
