/*
 * jobs.c -- the job queue seen from a user's session: queueing a job,
 * cancelling one, and waking the launcher when the transaction commits.
 *
 * Rows of informer.jobs are written as the table's owner (the role that
 * created the extension), so users need no write privilege on it; the
 * job's owner is always the role that called, never one it names.  Each
 * job kind has its own file with its submission function (job_refresh.c).
 * Also here: the statement runner and transaction helpers that the launcher
 * and the job workers share.
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "informer.h"

PG_FUNCTION_INFO_V1(informer_cancel);

/* what to do when the current transaction commits */
static bool wake_at_commit = false;
static List *cancel_pids = NIL;	/* in TopTransactionContext */
static bool callback_registered = false;

static void
jobs_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event == XACT_EVENT_COMMIT)
	{
		foreach(lc, cancel_pids)
			if (BackendPidGetProc(lfirst_int(lc)) != NULL)
				kill(lfirst_int(lc), SIGINT);
		if (wake_at_commit)
			informer_wake_launcher();
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT)
	{
		wake_at_commit = false;
		cancel_pids = NIL;
	}
}

static void
register_xact_callback_once(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(jobs_xact_callback, NULL);
		callback_registered = true;
	}
}

/* The worker of a running job gets SIGINT when this transaction commits. */
static void
cancel_at_commit(int pid)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	register_xact_callback_once();
	cancel_pids = lappend_int(cancel_pids, pid);
	MemoryContextSwitchTo(old);
}

/*
 * Runs one statement through SPI as the owner of informer.jobs.  The caller
 * is connected to SPI; an error restores the user with the transaction.
 * The statement runs with search_path = pg_catalog, so that the caller's
 * objects never run with the owner's rights.
 * A transaction that changes the queue commits synchronously whatever
 * synchronous_commit says: a crash must not forget that a job was queued
 * or started.
 */
int
informer_jobs_execute(const char *sql, int nargs, Oid *types, Datum *values,
					  const char *nulls)
{
	Oid			jobs_relid;
	HeapTuple	tup;
	Oid			owner;
	Oid			save_user;
	int			save_context;
	int			save_nestlevel;
	int			rc;

	jobs_relid = get_relname_relid("jobs", get_namespace_oid("informer", false));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(jobs_relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "informer.jobs does not exist");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	ForceSyncCommit();
	GetUserIdAndSecContext(&save_user, &save_context);
	SetUserIdAndSecContext(owner, save_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_user, save_context);
	if (rc < 0)
		elog(ERROR, "informer job queue statement failed: %s", SPI_result_code_string(rc));
	return rc;
}

/*
 * A transaction with a snapshot and an SPI connection, for background
 * workers (which must set the statement start time that now() reports).
 * Its commit is synchronous (see informer_jobs_execute).
 */
void
informer_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	ForceSyncCommit();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
informer_xact_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

/* The background worker connects as the job's owner: it must be able to. */
static void
check_owner_can_login(Oid owner)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	bool		canlogin;
	char	   *name;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", owner);
	canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (canlogin)
		return;
	name = GetUserNameFromId(owner, false);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" cannot log in, so it cannot own a background job", name),
			 errdetail("Jobs run in a background worker that connects as the role that submitted them."),
			 errhint("Submit the job as a role with LOGIN, or ALTER ROLE %s LOGIN.",
					 quote_identifier(name))));
}

static void
check_queue_served(void)
{
	if (!informer_shmem_attached())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the informer background worker is not running"),
				 errdetail("informer is not in shared_preload_libraries, so no launcher serves the job queue."),
				 errhint("Add informer to shared_preload_libraries and restart the server, or run the work in this session (for a refresh: informer_refresh_traffic()).")));
	if (get_database_oid(informer_database, true) != MyDatabaseId)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("informer jobs run only in database \"%s\"", informer_database),
				 errdetail("The launcher serves the job queue of the database named by informer.database."),
				 errhint("Connect to database \"%s\", or set informer.database to this database and restart the server.",
						 informer_database)));
}

/*
 * Queues a job (its kind, source or pattern and options; the id is ignored)
 * for the calling role; the launcher is woken when the transaction commits.
 * Returns the new job's id.
 */
int64
informer_job_submit(const InformerJob *job)
{
	Oid			types[5] = {TEXTOID, TEXTOID, INT4OID, TEXTOID, OIDOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		job_id;

	check_queue_served();
	check_owner_can_login(GetUserId());

	values[0] = CStringGetTextDatum(job->kind);
	values[1] = job->source_name ? CStringGetTextDatum(job->source_name) : (Datum) 0;
	nulls[1] = job->source_name ? ' ' : 'n';
	values[2] = Int32GetDatum(job->pattern_id);
	nulls[2] = job->has_pattern ? ' ' : 'n';
	values[3] = CStringGetTextDatum(job->options);
	values[4] = ObjectIdGetDatum(GetUserId());

	SPI_connect();
	informer_jobs_execute("INSERT INTO informer.jobs (kind, source_name, pattern_id, options, owner) "
						  "VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING job_id",
						  5, types, values, nulls);
	job_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	register_xact_callback_once();
	wake_at_commit = true;
	return job_id;
}

static void
check_may_cancel(int64 job_id, Oid owner)
{
	if (has_privs_of_role(GetUserId(), owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to cancel job " INT64_FORMAT, job_id),
			 errdetail("Only the role that submitted a job, its members and superusers may cancel it.")));
}

/*
 * informer_cancel(job_id bigint) RETURNS boolean
 *
 * A queued job is cancelled at once.  A starting or running job is marked,
 * and its worker gets SIGINT when this transaction commits; the worker then
 * records the job as cancelled.  False when the job had already ended.
 */
Datum
informer_cancel(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job_id)};
	TupleDesc	desc;
	HeapTuple	row;
	bool		isnull;
	Oid			owner;
	char	   *status;
	int32		pid;
	bool		result = true;

	SPI_connect();
	informer_jobs_execute("SELECT owner::oid, status, worker_pid FROM informer.jobs "
						  "WHERE job_id = $1 FOR UPDATE", 1, types, values, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job " INT64_FORMAT " does not exist", job_id),
				 errhint("SELECT job_id, status FROM informer.jobs lists the jobs you can see.")));
	desc = SPI_tuptable->tupdesc;
	row = SPI_tuptable->vals[0];
	owner = DatumGetObjectId(SPI_getbinval(row, desc, 1, &isnull));
	status = SPI_getvalue(row, desc, 2);
	pid = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	if (isnull)
		pid = 0;
	check_may_cancel(job_id, owner);

	if (strcmp(status, "queued") == 0)
		informer_jobs_execute("UPDATE informer.jobs SET status = 'cancelled', "
							  "finished_at = pg_catalog.now(), error = 'cancelled before it started' "
							  "WHERE job_id = $1", 1, types, values, NULL);
	else if (strcmp(status, "starting") == 0 || strcmp(status, "running") == 0)
	{
		informer_jobs_execute("UPDATE informer.jobs SET cancel_requested = true "
							  "WHERE job_id = $1", 1, types, values, NULL);
		if (pid != 0)
			cancel_at_commit(pid);
	}
	else
		result = false;
	SPI_finish();
	PG_RETURN_BOOL(result);
}

/* The schema informer was installed in, quoted for use in SQL text. */
char *
informer_extension_schema(void)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *schema;

	SPI_connect();
	if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname) "
					"FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n "
					"ON n.oid = e.extnamespace WHERE e.extname = 'informer'", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"informer\" is not installed in this database")));
	schema = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return schema;
}
