-- informer install script, part 15: importing real traces.
-- informer_import_spans() turns a spans table in the OpenTelemetry / Jaeger
-- shape into an RPC log: each span whose parent span is in the same trace
-- gives one RPC (parent's service.operation -> child's service.operation),
-- the chain id is the trace id.  Column names are checked against the
-- catalog and quoted; nothing from the caller is spliced into SQL raw.

-- Check one column of a relation: it exists and has one of the accepted
-- types (domains count as their base type).  Returns the base type.
CREATE FUNCTION informer._check_column(rel regclass, col name, role text,
                                       accepted regtype[], accepted_text text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    typ oid;
BEGIN
    SELECT a.atttypid INTO typ FROM pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', col, rel
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name the column that holds the %s of each span.', role);
    END IF;
    WHILE (SELECT t.typtype FROM pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typ) OPERATOR(pg_catalog.=) 'd' LOOP
        SELECT t.typbasetype INTO typ FROM pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typ;
    END LOOP;
    IF NOT typ::regtype OPERATOR(pg_catalog.=) ANY (accepted) THEN
        RAISE EXCEPTION 'column "%" of relation "%" has type %', col, rel, typ::regtype
            USING ERRCODE = 'datatype_mismatch',
                  DETAIL = format('The %s column must be of type %s.', role, accepted_text),
                  HINT = 'Import from a view that casts the column to a supported type.';
    END IF;
    RETURN typ::regtype;
END
$$;
COMMENT ON FUNCTION informer._check_column(regclass, name, text, regtype[], text)
    IS 'internal: checks that a column exists and has an accepted type; returns its base type';

-- The SQL expression that turns a start-time column into timestamptz.
CREATE FUNCTION informer._span_time(col name, typ regtype, time_unit text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    usecs text;
BEGIN
    IF typ OPERATOR(pg_catalog.=) ANY ('{timestamptz,timestamp}'::regtype[]) THEN
        IF time_unit IS NOT NULL THEN
            RAISE EXCEPTION 'time_unit applies only to numeric start times'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Column "%s" is already of type %s.', col, typ),
                      HINT = 'Leave time_unit NULL.';
        END IF;
        RETURN format('%I::timestamptz', col);
    END IF;
    usecs := CASE time_unit WHEN 's' THEN '1000000' WHEN 'ms' THEN '1000' WHEN 'us' THEN '1' WHEN 'ns' THEN '0.001' END;
    IF usecs IS NULL THEN
        RAISE EXCEPTION 'time_unit must be one of s, ms, us or ns for a numeric start time'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Column "%s" has type %s and time_unit is %s.', col, typ,
                                  coalesce(quote_literal(time_unit), 'NULL')),
                  HINT = 'OpenTelemetry start times are Unix nanoseconds (ns), Jaeger''s microseconds (us).';
    END IF;
    -- whole microseconds in exact numeric first: a float8 of Unix nanoseconds
    -- is only good to about 256 ns and can round into the next millisecond
    RETURN format('(''epoch''::timestamptz OPERATOR(pg_catalog.+) (pg_catalog.floor(%I::numeric OPERATOR(pg_catalog.*) %s)::float8 OPERATOR(pg_catalog.*) interval ''1 microsecond''))',
                  col, usecs);
END
$$;
COMMENT ON FUNCTION informer._span_time(name, regtype, text)
    IS 'internal: SQL expression converting a span start-time column (timestamp or Unix time in time_unit) to timestamptz';

-- A table name given as text, split and checked: at most schema.name.
CREATE FUNCTION informer._table_name(rpc_table text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[];
BEGIN
    BEGIN
        parts := parse_ident(rpc_table);
    EXCEPTION WHEN invalid_parameter_value OR syntax_error THEN
        parts := NULL;
    END;
    IF parts IS NULL OR cardinality(parts) OPERATOR(pg_catalog.>) 2 THEN
        RAISE EXCEPTION 'invalid table name "%"', rpc_table
            USING ERRCODE = 'invalid_name',
                  DETAIL = 'A table name is a name or schema.name, quoted where needed.',
                  HINT = 'Give a table name such as rpc_log or myschema."RPC log".';
    END IF;
    RETURN parts;
END
$$;
COMMENT ON FUNCTION informer._table_name(text)
    IS 'internal: splits a [schema.]table name given as text, or raises an error';

-- The RPC log table: checked when it exists (rel), else created in the named
-- schema or the caller's current schema.  Returns its name, quoted.
CREATE FUNCTION informer._rpc_log_table(parts text[], rel regclass, default_schema name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    qualified text;
BEGIN
    IF rel IS NOT NULL THEN
        IF (SELECT count(*) FROM pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND NOT a.attisdropped
               AND (a.attname, a.atttypid) IN (('ts', 'timestamptz'::regtype), ('chain_id', 'text'::regtype),
                                               ('src', 'text'::regtype), ('dst', 'text'::regtype)))
           OPERATOR(pg_catalog.<>) 4 THEN
            RAISE EXCEPTION 'table % is not an RPC log table', rel
                USING ERRCODE = 'wrong_object_type',
                      DETAIL = 'An RPC log table has the columns ts timestamptz, chain_id text, src text and dst text.',
                      HINT = 'Name a table that does not exist yet, and it is created with these columns.';
        END IF;
        IF NOT has_table_privilege(rel, 'INSERT') THEN
            RAISE EXCEPTION 'permission denied for table %', rel
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'Importing spans needs INSERT on the RPC log table.';
        END IF;
        RETURN rel::text;
    END IF;
    IF cardinality(parts) OPERATOR(pg_catalog.=) 1 THEN
        IF default_schema IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create the RPC log table in'
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the table name with a schema.';
        END IF;
        parts := ARRAY[default_schema::text] OPERATOR(pg_catalog.||) parts;
    END IF;
    qualified := format('%I.%I', parts[1], parts[2]);
    EXECUTE pg_catalog.format('CREATE TABLE %s (ts timestamptz NOT NULL, chain_id text NOT NULL, '
                   'src text NOT NULL, dst text NOT NULL)', qualified);
    RETURN qualified;
END
$$;
COMMENT ON FUNCTION informer._rpc_log_table(text[], regclass, name)
    IS 'internal: checks the columns of an existing RPC log table (ts, chain_id, src, dst) or creates it; returns the quoted name';

CREATE FUNCTION @extschema@.informer_import_spans(
    spans              regclass,
    rpc_table          text,
    trace_id           name    DEFAULT 'trace_id',
    span_id            name    DEFAULT 'span_id',
    parent_id          name    DEFAULT 'parent_span_id',
    service            name    DEFAULT 'service',
    operation          name    DEFAULT 'operation',
    start_time         name    DEFAULT 'start_time',
    time_unit          text    DEFAULT NULL,
    cross_service_only boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
-- no SET search_path: rpc_table is found or created like any table the
-- caller names; everything called here is schema-qualified instead
AS $$
DECLARE
    ids regtype[] := '{text,varchar,bpchar,name,uuid,int4,int8}';
    ids_text text := 'text, varchar, char, name, uuid, integer or bigint';
    names regtype[] := '{text,varchar,bpchar,name}';
    names_text text := 'text, varchar, char or name';
    times regtype[] := '{timestamptz,timestamp,int2,int4,int8,numeric,float4,float8}';
    start_type regtype;
    parts text[];
    target text;
    added bigint;
BEGIN
    IF spans IS NULL OR rpc_table IS NULL OR trace_id IS NULL OR span_id IS NULL
       OR parent_id IS NULL OR service IS NULL OR operation IS NULL OR start_time IS NULL
       OR cross_service_only IS NULL THEN
        RAISE EXCEPTION 'only time_unit may be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the spans table, the RPC log table and every column.';
    END IF;
    IF NOT pg_catalog.has_table_privilege(spans, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', spans
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Importing spans needs SELECT on the spans table.';
    END IF;
    PERFORM informer._check_column(spans, trace_id, 'trace id', ids, ids_text);
    PERFORM informer._check_column(spans, span_id, 'span id', ids, ids_text);
    PERFORM informer._check_column(spans, parent_id, 'parent span id', ids, ids_text);
    PERFORM informer._check_column(spans, service, 'service', names, names_text);
    PERFORM informer._check_column(spans, operation, 'operation', names, names_text);
    start_type := informer._check_column(spans, start_time, 'start time', times,
                                         'timestamptz, timestamp or a number (Unix time in time_unit)');
    parts := informer._table_name(rpc_table);
    target := informer._rpc_log_table(parts, pg_catalog.to_regclass(rpc_table),
                                      pg_catalog.current_schema());

    -- spans are de-duplicated on (trace, span): exports often repeat a span
    EXECUTE pg_catalog.format(
        'WITH s AS (
             SELECT DISTINCT ON (t, id) t, id, parent, svc, op, st
               FROM (SELECT %1$I::text AS t, %2$I::text AS id, %3$I::text AS parent,
                            %4$I::text AS svc, %5$I::text AS op, %6$s AS st FROM %7$s) x
              WHERE t IS NOT NULL AND id IS NOT NULL AND svc IS NOT NULL AND op IS NOT NULL
                AND st IS NOT NULL
              ORDER BY t, id, st)
         INSERT INTO %8$s (ts, chain_id, src, dst)
         SELECT c.st, c.t, pg_catalog.concat(p.svc, ''.'', p.op), pg_catalog.concat(c.svc, ''.'', c.op)
           FROM s c JOIN s p ON p.t OPERATOR(pg_catalog.=) c.t AND p.id OPERATOR(pg_catalog.=) c.parent
          WHERE NOT $1 OR p.svc OPERATOR(pg_catalog.<>) c.svc
          ORDER BY c.st, c.t, c.id',
        trace_id, span_id, parent_id, service, operation,
        informer._span_time(start_time, start_type, time_unit), spans, target)
    USING cross_service_only;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_import_spans(regclass, text, name, name, name, name, name, name, text, boolean)
    IS 'fills (or creates) an RPC log table (ts, chain_id, src, dst) from a spans table: one RPC per span with a parent in its trace, parent''s service.operation -> child''s; returns the rows added';
