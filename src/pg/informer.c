/*
 * informer.c -- module entry point: the settings (GUCs), the BLAS thread
 * policy and the registration of the background launcher.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "informer.h"

PG_MODULE_MAGIC;

/* OpenBLAS spawns a thread pool per process unless told otherwise. */
extern void openblas_set_num_threads(int num_threads);

char	   *informer_database = NULL;
int			informer_launcher_naptime = 10000;

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

	MarkGUCPrefixReserved("informer");
}

void
_PG_init(void)
{
	informer_define_gucs();
	openblas_set_num_threads(1);

	if (process_shared_preload_libraries_in_progress)
		informer_register_launcher();
}
