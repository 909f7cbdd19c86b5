/*
 * task_pool.h -- a few helper threads that run the tasks of one call side
 * by side with the caller, and sleep (never spin) in between, so that they
 * leave the cores to OpenBLAS or anything else.  Helpers block every
 * signal: inside a PostgreSQL backend, signals stay with the main thread.
 * Tasks must not call back into the host (no PostgreSQL API).
 */
#ifndef INFORMER_TASK_POOL_H
#define INFORMER_TASK_POOL_H

typedef struct TaskPool TaskPool;

/* Task i of a call, 0 <= i < count. */
typedef void (*TaskFn) (void *arg, int i);

/*
 * A pool that runs up to `threads` tasks at once (threads - 1 helpers and
 * the caller); NULL when a thread or memory cannot be had.
 */
TaskPool   *task_pool_create(int threads);
void		task_pool_free(TaskPool *pool);
int			task_pool_threads(const TaskPool *pool);

/*
 * Runs fn(arg, 0 .. count - 1) and returns when all are done; the caller
 * runs task 0, helper i task i.  count must not exceed the pool's threads.
 * pool NULL runs them one after the other on the caller.
 */
void		task_pool_run(TaskPool *pool, int count, TaskFn fn, void *arg);

#endif
