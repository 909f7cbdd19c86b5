/*
 * source.c -- registering a user's RPC log table as a source.
 *
 * informer_register_source() checks the table and its four columns against
 * the catalog (existence, type, the caller's SELECT privilege) and records
 * them in informer.source.  Later steps build their queries from these
 * names with quote_identifier(), never from raw user text.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "informer.h"

PG_FUNCTION_INFO_V1(informer_register_source);

typedef struct ColumnRule
{
	const char *role;			/* what the column is for, in messages */
	const char *accepted;		/* the types it may have, in messages */
	Oid			types[8];		/* InvalidOid-terminated */
} ColumnRule;

static const ColumnRule ts_rule = {"timestamp", "timestamptz or timestamp",
{TIMESTAMPTZOID, TIMESTAMPOID, InvalidOid}};
static const ColumnRule chain_rule = {"chain id", "text, varchar, char, name, uuid, integer or bigint",
{TEXTOID, VARCHAROID, BPCHAROID, NAMEOID, UUIDOID, INT4OID, INT8OID, InvalidOid}};
static const ColumnRule src_rule = {"source", "text, varchar, char or name",
{TEXTOID, VARCHAROID, BPCHAROID, NAMEOID, InvalidOid}};
static const ColumnRule dst_rule = {"destination", "text, varchar, char or name",
{TEXTOID, VARCHAROID, BPCHAROID, NAMEOID, InvalidOid}};

static void
check_relation(Oid relid)
{
	char		relkind = get_rel_relkind(relid);
	AclResult	acl;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view or foreign table",
						get_rel_name(relid)),
				 errhint("Register the table that holds the RPC log rows.")));

	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errdetail("Registering a source needs SELECT on its table."),
				 errhint("Ask the table's owner to GRANT SELECT ON %s TO %s.",
						 get_rel_name(relid), GetUserNameFromId(GetUserId(), false))));
}

static void
check_column(Oid relid, Name column, const ColumnRule *rule)
{
	const char *col = NameStr(*column);
	AttrNumber	attnum = get_attnum(relid, col);
	Oid			type;

	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						col, get_rel_name(relid)),
				 errhint("Name the column that holds the %s of each RPC.", rule->role)));

	type = getBaseType(get_atttype(relid, attnum));
	for (const Oid *t = rule->types; *t != InvalidOid; t++)
		if (*t == type)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of relation \"%s\" has type %s",
					col, get_rel_name(relid), format_type_be(type)),
			 errdetail("The %s column must be of type %s.", rule->role, rule->accepted),
			 errhint("Register a view that casts the column to a supported type.")));
}

static void
check_bucket_width(Interval *width)
{
	if (width->month != 0 || width->day < 0 || width->time < 0 ||
		(width->day == 0 && width->time < USECS_PER_SEC) ||
		width->day > 7 || (width->day == 7 && width->time > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bucket width must be between 1 second and 7 days"),
				 errhint("The paper counts calls per 20 minutes: interval '20 minutes'.")));
}

static void
insert_source(text *name, Oid relid, Name cols[4], Interval *width)
{
	Oid			types[7] = {TEXTOID, OIDOID, NAMEOID, NAMEOID, NAMEOID, NAMEOID, INTERVALOID};
	Datum		values[7] = {PointerGetDatum(name), ObjectIdGetDatum(relid),
		NameGetDatum(cols[0]), NameGetDatum(cols[1]), NameGetDatum(cols[2]),
	NameGetDatum(cols[3]), IntervalPGetDatum(width)};
	int			rc;

	SPI_connect();
	rc = SPI_execute_with_args("INSERT INTO informer.source "
							   "(source_name, log_table, ts_column, chain_column, src_column, "
							   " dst_column, bucket_width) VALUES ($1, $2, $3, $4, $5, $6, $7) "
							   "ON CONFLICT (source_name) DO NOTHING",
							   7, types, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not record source: SPI error %d", rc);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("source \"%s\" already exists", text_to_cstring(name)),
				 errhint("Drop it first with informer_drop_source('%s').",
						 text_to_cstring(name))));
	SPI_finish();
}

/*
 * informer_register_source(source_name text, log_table regclass,
 *     ts_column name, chain_column name, src_column name, dst_column name,
 *     bucket_width interval) RETURNS void
 */
Datum
informer_register_source(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	Oid			relid = PG_GETARG_OID(1);
	Name		cols[4] = {PG_GETARG_NAME(2), PG_GETARG_NAME(3),
	PG_GETARG_NAME(4), PG_GETARG_NAME(5)};
	Interval   *width = PG_GETARG_INTERVAL_P(6);

	if (VARSIZE_ANY_EXHDR(name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source name must not be empty")));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	check_relation(relid);
	check_column(relid, cols[0], &ts_rule);
	check_column(relid, cols[1], &chain_rule);
	check_column(relid, cols[2], &src_rule);
	check_column(relid, cols[3], &dst_rule);
	check_bucket_width(width);
	insert_source(name, relid, cols, width);
	PG_RETURN_VOID();
}
