/*
 * informer.h -- declarations shared by the PostgreSQL side of informer:
 * settings (GUCs) and helpers that several SQL-callable files use.
 */
#ifndef INFORMER_PG_H
#define INFORMER_PG_H

#include "postgres.h"
#include "utils/array.h"

/* settings, defined in informer.c */
extern char *informer_database;
extern int	informer_launcher_naptime;
extern int	informer_max_workers;
extern int	informer_job_retention;

/* hard upper bound of informer.max_workers */
#define INFORMER_MAX_WORKERS_LIMIT 64

/* launcher.c, jobs_launch.c */
extern void informer_register_launcher(void);
extern void informer_launcher_serve_jobs(void);

/* shmem.c: the launcher's latch, for backends that queue jobs */
extern void informer_shmem_install(void);
extern bool informer_shmem_attached(void);
extern void informer_shmem_set_launcher(void);
extern void informer_wake_launcher(void);

/* A job as its worker sees it. */
typedef struct InformerJob
{
	int64		job_id;
	char	   *kind;
	char	   *source_name;	/* NULL when the kind needs none */
	bool		has_pattern;	/* pattern_id is set */
	int32		pattern_id;
	char	   *options;		/* jsonb object, as text */
} InformerJob;

/*
 * Runs a job of one kind as its owner, inside the worker's transaction and
 * SPI connection; returns the job's final progress as jsonb text.
 */
typedef char *(*InformerJobRunner) (const InformerJob *job);

/* jobs.c: queueing and cancelling */
extern int64 informer_job_submit(const InformerJob *job);
extern int	informer_jobs_execute(const char *sql, int nargs, Oid *types,
								  Datum *values, const char *nulls);
extern char *informer_extension_schema(void);
extern void informer_xact_begin(void);
extern void informer_xact_commit(void);

/* job_worker.c */
struct BackgroundWorkerHandle;
extern bool informer_start_job_worker(int64 job_id, Oid owner,
									  struct BackgroundWorkerHandle **handle);

/* job kinds, one file each */
extern char *informer_job_refresh_run(const InformerJob *job);
extern char *informer_job_train_run(const InformerJob *job);
extern char *informer_job_train_group_run(const InformerJob *job);
extern char *informer_job_infer_run(const InformerJob *job);

/* rpcset_sql.c: an int4[] as a palloc'd, sorted, duplicate-free id array */
extern int32 *informer_array_to_rpcset(ArrayType *arr, const char *argname, int *nids);
extern ArrayType *informer_rpcset_to_array(const int32 *ids, int nids);

/* mining.c: cancellation of core loops, the work_mem limit */
extern int	informer_should_stop(void *arg);
extern void informer_raise_stopped(void) pg_attribute_noreturn();
extern void informer_check_work_mem(Size needed, bool at_least, const char *what);

#endif
