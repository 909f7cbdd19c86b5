/*
 * shmem.c -- the little shared memory informer keeps: which process is the
 * launcher, so that a backend that queues a job can set its latch.
 *
 * Only the launcher's PGPROC number is kept; everything else about jobs
 * lives in tables.  The area exists only when the library is in
 * shared_preload_libraries.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

#include "informer.h"

typedef struct InformerShared
{
	slock_t		mutex;
	int			launcher_procno;	/* INVALID_PGPROCNO when no launcher runs */
} InformerShared;

static InformerShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
informer_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(InformerShared)));
}

static void
informer_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("informer", sizeof(InformerShared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		shared->launcher_procno = INVALID_PGPROCNO;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init while shared_preload_libraries is processed. */
void
informer_shmem_install(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = informer_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = informer_shmem_startup;
}

/* True when the library was preloaded, so a launcher serves the queue. */
bool
informer_shmem_attached(void)
{
	return shared != NULL;
}

static void
launcher_forget(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->launcher_procno == MyProc->pgprocno)
		shared->launcher_procno = INVALID_PGPROCNO;
	SpinLockRelease(&shared->mutex);
}

/* The launcher announces itself; it is forgotten when it exits. */
void
informer_shmem_set_launcher(void)
{
	SpinLockAcquire(&shared->mutex);
	shared->launcher_procno = MyProc->pgprocno;
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(launcher_forget, (Datum) 0);
}

/* Sets the launcher's latch; nothing happens when no launcher runs. */
void
informer_wake_launcher(void)
{
	int			procno;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	procno = shared->launcher_procno;
	SpinLockRelease(&shared->mutex);
	if (procno != INVALID_PGPROCNO)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}
