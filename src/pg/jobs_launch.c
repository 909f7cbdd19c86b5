/*
 * jobs_launch.c -- the job queue seen from the launcher: on each wake-up it
 * fails jobs whose worker is gone, trims the history, and claims queued
 * jobs and starts a worker for each, up to informer.max_workers.
 *
 * A job is claimed (FOR UPDATE SKIP LOCKED) and marked 'starting' in a
 * committed transaction before its worker is started, so a job whose worker
 * dies without an end mark is always found.  The states are described in
 * src/pg/README.md.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "informer.h"

typedef struct RunningJob
{
	int64		job_id;
	BackgroundWorkerHandle *handle;
} RunningJob;

static RunningJob running[INFORMER_MAX_WORKERS_LIMIT];
static int	nrunning = 0;
static bool recovered = false;	/* orphans of a crash were looked for */
static bool out_of_slots = false;	/* jobs wait for a slot; logged */

static bool
extension_installed(void)
{
	return SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'informer' "
					   "AND pg_catalog.to_regclass('informer.jobs') IS NOT NULL",
					   true, 1) == SPI_OK_SELECT && SPI_processed == 1;
}

static int64
int64_result(const char *sql, int nargs, Oid *types, Datum *values)
{
	bool		isnull;

	if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) < 0 ||
		SPI_processed != 1)
		elog(ERROR, "informer launcher: query returned no row: %s", sql);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Jobs whose worker is gone without recording an end: killed, or cut off
 * by a crash or a restart.  A running job's worker is alive from before it
 * marked the job running until after it recorded the end, so a running job
 * without a live worker is always an orphan; a starting job is one only
 * when the launcher has just started (later, reap_workers() finds them).
 *
 * pg_stat_activity names a background worker's type from its slot, which
 * the postmaster fills in after fork(): a worker that got to mark its job
 * running first shows a NULL backend_type for that moment, and is alive.
 */
static void
fail_orphans(bool at_start)
{
	Oid			types[1] = {BOOLOID};
	Datum		values[1] = {BoolGetDatum(at_start)};
	int64		n = int64_result(
		"WITH f AS (UPDATE informer.jobs j SET status = 'failed', finished_at = pg_catalog.now(), "
		"  error = 'job worker ended without recording a result (killed, or the server crashed or "
		"restarted, while the job was ' || j.status || ')' "
		" WHERE (j.status = 'running' OR ($1 AND j.status = 'starting')) AND NOT EXISTS ("
		"   SELECT FROM pg_catalog.pg_stat_activity a "
		"    WHERE a.pid = j.worker_pid AND (a.backend_type = 'informer job' OR a.backend_type IS NULL)) "
		"RETURNING 1) "
		"SELECT pg_catalog.count(*) FROM f", 1, types, values);

	if (n > 0)
		ereport(LOG,
				(errmsg("informer launcher marked " INT64_FORMAT " unfinished jobs as failed", n),
				 errdetail("Their workers ended without recording a result.")));
}

/* Jobs whose worker has exited without recording an end are failed. */
static void
reap_workers(void)
{
	int			kept = 0;

	for (int i = 0; i < nrunning; i++)
	{
		pid_t		pid;
		BgwHandleStatus st = GetBackgroundWorkerPid(running[i].handle, &pid);

		if (st == BGWH_POSTMASTER_DIED)
			proc_exit(1);
		if (st == BGWH_STOPPED)
		{
			Oid			types[1] = {INT8OID};
			Datum		values[1] = {Int64GetDatum(running[i].job_id)};

			SPI_execute_with_args("UPDATE informer.jobs SET status = 'failed', finished_at = pg_catalog.now(), "
								  "error = 'job worker exited without recording a result; the server log has its last message' "
								  "WHERE job_id = $1 AND status IN ('starting', 'running')",
								  1, types, values, NULL, false, 0);
			pfree(running[i].handle);
		}
		else
			running[kept++] = running[i];
	}
	nrunning = kept;
}

static void
trim_history(void)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(informer_job_retention)};

	if (informer_job_retention < 0)
		return;
	SPI_execute_with_args("DELETE FROM informer.jobs WHERE finished_at < "
						  "pg_catalog.now() - pg_catalog.make_interval(secs => $1)",
						  1, types, values, NULL, false, 0);
}

/*
 * Claims the oldest queued job: marks it 'starting', or 'failed' when its
 * owner can no longer log in.  Returns the job id (0 when none is queued)
 * and sets *owner when the job is to be started.
 */
static int64
claim_job(Oid *owner)
{
	bool		isnull;
	int64		job_id;
	TupleDesc	desc;
	HeapTuple	row;

	SPI_execute("WITH c AS (SELECT j.job_id, r.rolcanlogin FROM informer.jobs j "
				"  LEFT JOIN pg_catalog.pg_roles r ON r.oid = j.owner "
				"  WHERE j.status = 'queued' ORDER BY j.job_id LIMIT 1 FOR UPDATE OF j SKIP LOCKED) "
				"UPDATE informer.jobs u SET "
				"  status = CASE WHEN c.rolcanlogin THEN 'starting' ELSE 'failed' END, "
				"  started_at = pg_catalog.now(), "
				"  finished_at = CASE WHEN c.rolcanlogin THEN NULL ELSE pg_catalog.now() END, "
				"  error = CASE WHEN c.rolcanlogin IS NULL THEN 'the role that submitted the job (OID ' || u.owner::oid || ') no longer exists' "
				"               WHEN NOT c.rolcanlogin THEN 'role ' || u.owner || ' can no longer log in' END "
				"FROM c WHERE u.job_id = c.job_id RETURNING u.job_id, u.owner::oid, u.status",
				false, 0);
	if (SPI_processed == 0)
		return 0;
	desc = SPI_tuptable->tupdesc;
	row = SPI_tuptable->vals[0];
	job_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	*owner = DatumGetObjectId(SPI_getbinval(row, desc, 2, &isnull));
	if (strcmp(SPI_getvalue(row, desc, 3), "starting") != 0)
		*owner = InvalidOid;
	return job_id;
}

/* Back to the queue when the postmaster has no background worker slot. */
static void
requeue(int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job_id)};

	informer_xact_begin();
	SPI_execute_with_args("UPDATE informer.jobs SET status = 'queued', started_at = NULL "
						  "WHERE job_id = $1 AND status = 'starting'",
						  1, types, values, NULL, false, 0);
	informer_xact_commit();
}

/*
 * Logs when jobs start to wait for a slot; again only after the queue has
 * drained, so a long queue gives one line, not one per job.
 */
static void
note_slots(bool exhausted, int64 active, int64 queued, bool server_full)
{
	if (exhausted && !out_of_slots)
		ereport(LOG,
				(errmsg("informer launcher is out of worker slots"),
				 errdetail(INT64_FORMAT " jobs run and " INT64_FORMAT " wait; informer.max_workers is %d.",
						   active, queued, informer_max_workers),
				 server_full ? errhint("The server has no free background worker slot: raise max_worker_processes.") : 0));
	out_of_slots = exhausted;
}

/* Starts workers for queued jobs while slots are free; false when done. */
static bool
launch_one(void)
{
	int64		active;
	int64		queued;
	int64		job_id;
	Oid			owner = InvalidOid;
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	bool		started;

	informer_xact_begin();
	active = int64_result("SELECT pg_catalog.count(*) FROM informer.jobs "
						  "WHERE status IN ('starting', 'running')", 0, NULL, NULL);
	queued = int64_result("SELECT pg_catalog.count(*) FROM informer.jobs "
						  "WHERE status = 'queued'", 0, NULL, NULL);
	if (queued == 0 || active >= informer_max_workers || nrunning >= INFORMER_MAX_WORKERS_LIMIT)
	{
		informer_xact_commit();
		note_slots(queued > 0, active, queued, false);
		return false;
	}
	job_id = claim_job(&owner);
	informer_xact_commit();
	if (job_id == 0 || owner == InvalidOid)
		return job_id != 0;		/* none left, or failed at once: look again */

	old = MemoryContextSwitchTo(TopMemoryContext);
	started = informer_start_job_worker(job_id, owner, &handle);
	MemoryContextSwitchTo(old);
	if (!started)
	{
		requeue(job_id);
		note_slots(true, active, queued, true);
		return false;
	}
	running[nrunning].job_id = job_id;
	running[nrunning].handle = handle;
	nrunning++;
	return true;
}

/* One wake-up of the launcher; quiet when the extension is not installed. */
void
informer_launcher_serve_jobs(void)
{
	bool		installed;

	informer_xact_begin();
	installed = extension_installed();
	if (installed)
	{
		reap_workers();
		fail_orphans(!recovered);
		recovered = true;
		trim_history();
	}
	informer_xact_commit();
	while (installed && launch_one())
		CHECK_FOR_INTERRUPTS();
}
