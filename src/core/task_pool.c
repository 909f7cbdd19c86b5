/*
 * task_pool.c -- the helper threads of task_pool.h: one mutex, a condition
 * the helpers sleep on until the next call, and one the caller sleeps on
 * until the helpers are done.
 */
#include "task_pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

typedef struct Helper
{
	TaskPool   *pool;
	int			index;			/* the task it runs, 1.. */
	pthread_t	thread;
} Helper;

struct TaskPool
{
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* helpers wait here for a call */
	pthread_cond_t done;		/* the caller waits here for helpers */
	int			threads;
	int			started;		/* helpers running */
	unsigned long call;			/* calls so far; a new value wakes helpers */
	int			count;			/* tasks of the current call */
	int			pending;		/* helpers still at work on it */
	int			stop;
	TaskFn		fn;
	void	   *arg;
	Helper	   *helpers;
};

static void *
helper_main(void *p)
{
	Helper	   *h = p;
	TaskPool   *pool = h->pool;
	unsigned long seen = 0;

	pthread_mutex_lock(&pool->lock);
	for (;;)
	{
		while (!pool->stop && pool->call == seen)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stop)
			break;
		seen = pool->call;
		if (h->index >= pool->count)
			continue;
		pthread_mutex_unlock(&pool->lock);
		pool->fn(pool->arg, h->index);
		pthread_mutex_lock(&pool->lock);
		if (--pool->pending == 0)
			pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

TaskPool *
task_pool_create(int threads)
{
	TaskPool   *pool = calloc(1, sizeof(*pool));
	sigset_t	all, old;

	if (!pool)
		return NULL;
	pool->threads = threads < 1 ? 1 : threads;
	pool->helpers = calloc(pool->threads, sizeof(Helper));
	if (!pool->helpers)
	{
		free(pool);
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pthread_cond_init(&pool->done, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 1; i < pool->threads; i++)
	{
		Helper	   *h = &pool->helpers[pool->started];

		h->pool = pool;
		h->index = i;
		if (pthread_create(&h->thread, NULL, helper_main, h) != 0)
			break;
		pool->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool->started < pool->threads - 1)
	{
		task_pool_free(pool);
		return NULL;
	}
	return pool;
}

void
task_pool_free(TaskPool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->started; i++)
		pthread_join(pool->helpers[i].thread, NULL);
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->helpers);
	free(pool);
}

int
task_pool_threads(const TaskPool *pool)
{
	return pool ? pool->threads : 1;
}

void
task_pool_run(TaskPool *pool, int count, TaskFn fn, void *arg)
{
	if (!pool || count <= 1)
	{
		for (int i = 0; i < count; i++)
			fn(arg, i);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->fn = fn;
	pool->arg = arg;
	pool->count = count;
	pool->pending = count - 1;
	pool->call++;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	fn(arg, 0);
	pthread_mutex_lock(&pool->lock);
	while (pool->pending > 0)
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}
