/*
 * rpcset_sql.c -- SQL face of RPC id sets: int4[] <-> normalised id arrays
 * and informer_overlap_distance().
 *
 * Input arrays are treated as sets: order and duplicates do not matter.
 * NULL elements and multi-dimensional arrays are errors; a distance that
 * involves an empty set is undefined and returned as NULL.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "informer.h"
#include "rpcset.h"

PG_FUNCTION_INFO_V1(informer_overlap_distance);

int32 *
informer_array_to_rpcset(ArrayType *arr, const char *argname, int *nids)
{
	int			n;
	int32	   *ids;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	if (ARR_ELEMTYPE(arr) != INT4OID)
		elog(ERROR, "expected an int4[] argument");
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", argname),
				 errhint("Remove them first, for example with array_remove(ids, NULL).")));

	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	ids = palloc(sizeof(int32) * Max(n, 1));
	if (n > 0)
		memcpy(ids, ARR_DATA_PTR(arr), sizeof(int32) * n);
	*nids = (int) rpcset_normalize(ids, (size_t) n);
	return ids;
}

ArrayType *
informer_rpcset_to_array(const int32 *ids, int nids)
{
	ArrayType  *arr;
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(int32) * (Size) nids;

	arr = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(arr, nbytes);
	arr->ndim = 1;
	arr->dataoffset = 0;
	arr->elemtype = INT4OID;
	ARR_DIMS(arr)[0] = nids;
	ARR_LBOUND(arr)[0] = 1;
	memcpy(ARR_DATA_PTR(arr), ids, sizeof(int32) * (Size) nids);
	return arr;
}

Datum
informer_overlap_distance(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			na,
				nb;
	int32	   *ia = informer_array_to_rpcset(a, "first argument", &na);
	int32	   *ib = informer_array_to_rpcset(b, "second argument", &nb);

	if (na == 0 || nb == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(rpcset_overlap_distance(ia, na, ib, nb));
}
