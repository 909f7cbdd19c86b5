/*
 * launcher.c -- the informer launcher, a background worker started through
 * shared_preload_libraries.
 *
 * It starts once recovery has finished, connects to informer.database and
 * sleeps on its latch, waking when signalled or after
 * informer.launcher_naptime.  SIGHUP reloads the configuration; SIGTERM
 * ends it with exit code 0, so the postmaster does not restart it.  A crash
 * (any other exit) is restarted after LAUNCHER_RESTART_SECS.  On each
 * wake-up it serves the job queue (jobs_launch.c); its states and the
 * jobs' are described in src/pg/README.md.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

#include "informer.h"

#define LAUNCHER_RESTART_SECS 10

PGDLLEXPORT void informer_launcher_main(Datum main_arg);

static volatile sig_atomic_t got_sigterm = false;

static void
launcher_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

void
informer_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = LAUNCHER_RESTART_SECS;
	strlcpy(worker.bgw_library_name, "informer", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "informer_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "informer launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "informer launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * One look at the job queue.  An error (a dropped table mid-query, say) is
 * logged and the launcher carries on; it never stops over one bad job.
 */
static void
serve_jobs(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		informer_launcher_serve_jobs();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

void
informer_launcher_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, launcher_sigterm);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(informer_database, NULL, 0);
	/* it runs as a superuser: no database setting may put objects first */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	informer_shmem_set_launcher();
	ereport(LOG,
			(errmsg("informer launcher started in database \"%s\"", informer_database)));

	while (!got_sigterm)
	{
		serve_jobs();
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 informer_launcher_naptime,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			ereport(LOG,
					(errmsg("informer launcher reloaded its configuration, naptime is %d ms",
							informer_launcher_naptime)));
		}
	}

	ereport(LOG, (errmsg("informer launcher shutting down")));
	proc_exit(0);
}
