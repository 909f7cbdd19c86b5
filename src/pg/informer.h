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

/* launcher.c */
extern void informer_register_launcher(void);

/* rpcset_sql.c: an int4[] as a palloc'd, sorted, duplicate-free id array */
extern int32 *informer_array_to_rpcset(ArrayType *arr, const char *argname, int *nids);
extern ArrayType *informer_rpcset_to_array(const int32 *ids, int nids);

/* mining.c: cancellation of core loops, the work_mem limit */
extern int	informer_should_stop(void *arg);
extern void informer_raise_stopped(void) pg_attribute_noreturn();
extern void informer_check_work_mem(Size needed, bool at_least, const char *what);

#endif
