/*
 * mining.c -- what the pattern-mining SQL functions share: how long core
 * loops learn of a cancel request, and the work_mem error with numbers.
 *
 * Core code has no PostgreSQL headers and allocates with malloc, so it must
 * never be left by a longjmp: it polls informer_should_stop(), returns, frees
 * what it holds, and only then does the caller raise the error.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "informer.h"

int
informer_should_stop(void *arg)
{
	return QueryCancelPending || ProcDiePending;
}

void
informer_raise_stopped(void)
{
	CHECK_FOR_INTERRUPTS();
	/* the interrupt was held off: still, the work was abandoned */
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("canceling statement due to user request")));
}

void
informer_check_work_mem(Size needed, bool at_least, const char *what)
{
	Size		limit = (Size) work_mem * 1024;

	if (needed > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs more memory than work_mem allows", what),
				 errdetail("Memory required is %s%zu kB, work_mem is %d kB.",
						   at_least ? "at least " : "", (needed + 1023) / 1024, work_mem),
				 errhint("Increase work_mem, for example SET work_mem = '%zuMB'.",
						 (needed + (1 << 20) - 1) >> 20)));
}
