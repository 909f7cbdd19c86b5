/*
 * informer.c -- module entry point: the settings (GUCs), the BLAS thread
 * policy, the shared memory hooks and the registration of the background
 * launcher.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "informer.h"
#include "models.h"

PG_MODULE_MAGIC;

/* OpenBLAS spawns a thread pool per process unless told otherwise. */
extern void openblas_set_num_threads(int num_threads);

char	   *informer_database = NULL;
int			informer_launcher_naptime = 10000;
int			informer_max_workers = 2;
int			informer_job_retention = 7 * 24 * 3600;

void		_PG_init(void);

static void
informer_define_gucs(void)
{
	DefineCustomStringVariable("informer.database",
							   "Database in which the informer launcher runs jobs.",
							   "The extension must be created in this database.",
							   &informer_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("informer.launcher_naptime",
							"Longest sleep of the informer launcher between looks at the job queue.",
							"The launcher also wakes when a job is submitted.",
							&informer_launcher_naptime,
							10000, 100, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("informer.max_workers",
							"Most informer jobs that run at once.",
							"Each running job holds one background worker slot (max_worker_processes).",
							&informer_max_workers,
							2, 1, INFORMER_MAX_WORKERS_LIMIT,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("informer.job_retention",
							"How long finished jobs stay in informer.jobs.",
							"-1 keeps them for ever.",
							&informer_job_retention,
							7 * 24 * 3600, -1, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	informer_define_device_gucs();
	informer_define_model_gucs();
	MarkGUCPrefixReserved("informer");
}

void
_PG_init(void)
{
	informer_define_gucs();
	openblas_set_num_threads(1);

	if (process_shared_preload_libraries_in_progress)
	{
		informer_shmem_install();
		informer_register_launcher();
	}
}
